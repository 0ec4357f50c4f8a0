package budget

import (
	"bytes"
	"context"
	"errors"
	"io"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func TestAcquireWithinCapacity(t *testing.T) {
	b := New(100)
	ctx := context.Background()
	if err := b.Acquire(ctx, 60); err != nil {
		t.Fatal(err)
	}
	if err := b.Acquire(ctx, 40); err != nil {
		t.Fatal(err)
	}
	if got := b.InUse(); got != 100 {
		t.Fatalf("in use %d, want 100", got)
	}
	short, cancel := context.WithTimeout(ctx, 20*time.Millisecond)
	defer cancel()
	if err := b.Acquire(short, 1); !errors.Is(err, ErrBusy) {
		t.Fatalf("acquire on a full budget: %v, want ErrBusy", err)
	}
	if err := b.Acquire(ctx, 101); !errors.Is(err, ErrTooLarge) {
		t.Fatalf("acquire over capacity: %v, want ErrTooLarge", err)
	}
	b.Release(100)
	if got := b.InUse(); got != 0 {
		t.Fatalf("in use %d after release, want 0", got)
	}
}

// TestSmallNotBehindLarge checks that a share that fits is granted even
// while a larger one waits for room before it: the budget is not a queue
// in which one large request holds up every small one.
func TestSmallNotBehindLarge(t *testing.T) {
	b := New(100)
	ctx := context.Background()
	b.Acquire(ctx, 70)
	large := make(chan error, 1)
	go func() {
		c, cancel := context.WithTimeout(ctx, 5*time.Second)
		defer cancel()
		large <- b.Acquire(c, 60)
	}()
	waitFor(t, func() bool { b.mu.Lock(); defer b.mu.Unlock(); return len(b.waiting) == 1 })
	small, cancel := context.WithTimeout(ctx, time.Second)
	defer cancel()
	if err := b.Acquire(small, 20); err != nil {
		t.Fatalf("a small share that fits waited behind a large one: %v", err)
	}
	b.Release(20)
	b.Release(70) // now the large one fits
	if err := <-large; err != nil {
		t.Fatalf("large share after release: %v", err)
	}
	if got := b.InUse(); got != 60 {
		t.Fatalf("in use %d, want 60", got)
	}
}

// TestNeverOverCapacity runs many holders at once and checks the sum they
// hold against the capacity at every moment.
func TestNeverOverCapacity(t *testing.T) {
	b := New(1000)
	var holding, peak, busy atomic.Int64
	var wg sync.WaitGroup
	for i := range 64 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range 50 {
				n := int64(1 + (i*37+j*11)%400)
				ctx, cancel := context.WithTimeout(context.Background(), 5*time.Millisecond)
				err := b.Acquire(ctx, n)
				cancel()
				if errors.Is(err, ErrBusy) {
					busy.Add(1)
					continue
				}
				if err != nil {
					t.Error(err)
					return
				}
				h := holding.Add(n)
				for p := peak.Load(); h > p && !peak.CompareAndSwap(p, h); p = peak.Load() {
				}
				time.Sleep(50 * time.Microsecond)
				holding.Add(-n)
				b.Release(n)
			}
		}()
	}
	wg.Wait()
	if p := peak.Load(); p > 1000 {
		t.Errorf("holders held %d at once, over the capacity 1000", p)
	}
	if got := b.InUse(); got != 0 {
		t.Errorf("in use %d after every holder released, want 0", got)
	}
	t.Logf("peak %d of 1000, %d shares refused busy", peak.Load(), busy.Load())
}

func TestAccountCloseReleases(t *testing.T) {
	b := New(100)
	a := b.Open(time.Second)
	ctx := context.Background()
	if err := a.Take(ctx, 30); err != nil {
		t.Fatal(err)
	}
	if err := a.Take(ctx, 50); err != nil {
		t.Fatal(err)
	}
	if a.Held() != 80 || b.InUse() != 80 {
		t.Fatalf("held %d, budget in use %d, want 80 and 80", a.Held(), b.InUse())
	}
	a.Close()
	if b.InUse() != 0 {
		t.Fatalf("in use %d after Close, want 0", b.InUse())
	}
	if err := a.Take(ctx, 1); !errors.Is(err, ErrBusy) {
		t.Fatalf("take after close: %v, want ErrBusy", err)
	}
	if b.InUse() != 0 {
		t.Fatalf("a refused take left %d in use", b.InUse())
	}
}

func TestAccountWaitIsShort(t *testing.T) {
	b := New(10)
	b.Acquire(context.Background(), 10)
	a := b.Open(30 * time.Millisecond)
	start := time.Now()
	err := a.Take(context.Background(), 5)
	if !errors.Is(err, ErrBusy) {
		t.Fatalf("take on a full budget: %v, want ErrBusy", err)
	}
	if waited := time.Since(start); waited > 2*time.Second {
		t.Fatalf("waited %v for a 30 ms wait", waited)
	}
}

func TestReadAll(t *testing.T) {
	body := bytes.Repeat([]byte("pixmatch"), 100_000) // 800 kB
	b := New(1 << 20)
	t.Run("known length", func(t *testing.T) {
		a := b.Open(time.Second)
		defer a.Close()
		got, err := ReadAll(NewContext(context.Background(), a), bytes.NewReader(body), int64(len(body)), 1<<20)
		if err != nil || !bytes.Equal(got, body) {
			t.Fatalf("ReadAll: %v (%d bytes)", err, len(got))
		}
		if a.Held() != int64(len(body)) {
			t.Errorf("charged %d, want %d", a.Held(), len(body))
		}
	})
	t.Run("unknown length", func(t *testing.T) {
		a := b.Open(time.Second)
		defer a.Close()
		got, err := ReadAll(NewContext(context.Background(), a), io.MultiReader(bytes.NewReader(body)), -1, 1<<20)
		if err != nil || !bytes.Equal(got, body) {
			t.Fatalf("ReadAll: %v (%d bytes)", err, len(got))
		}
		if a.Held() < int64(len(body)) || a.Held() > 1<<20+1 {
			t.Errorf("charged %d for %d bytes", a.Held(), len(body))
		}
	})
	t.Run("declared over the limit", func(t *testing.T) {
		a := b.Open(time.Second)
		defer a.Close()
		_, err := ReadAll(NewContext(context.Background(), a), strings.NewReader("x"), 2<<20, 1<<20)
		if !errors.Is(err, ErrBodyTooLarge) || a.Held() != 0 {
			t.Fatalf("err %v, held %d; want ErrBodyTooLarge and nothing charged", err, a.Held())
		}
	})
	t.Run("streamed over the limit", func(t *testing.T) {
		_, err := ReadAll(context.Background(), bytes.NewReader(body), -1, 1000)
		if !errors.Is(err, ErrBodyTooLarge) {
			t.Fatalf("err %v, want ErrBodyTooLarge", err)
		}
	})
	t.Run("no room", func(t *testing.T) {
		b.Acquire(context.Background(), 1<<20)
		defer b.Release(1 << 20)
		a := b.Open(20 * time.Millisecond)
		defer a.Close()
		_, err := ReadAll(NewContext(context.Background(), a), bytes.NewReader(body), int64(len(body)), 1<<20)
		if !errors.Is(err, ErrBusy) {
			t.Fatalf("err %v, want ErrBusy", err)
		}
	})
	t.Run("short body", func(t *testing.T) {
		_, err := ReadAll(context.Background(), strings.NewReader("abc"), 10, 100)
		if !errors.Is(err, io.ErrUnexpectedEOF) {
			t.Fatalf("err %v, want io.ErrUnexpectedEOF", err)
		}
	})
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(time.Millisecond) {
		if cond() {
			return
		}
	}
	t.Fatal("condition not reached in 5 s")
}
