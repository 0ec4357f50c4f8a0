package auth

import (
	"context"
	"errors"
	"runtime"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// use calls m.Use with a background context.
func use(m *Memory, key string, expires time.Time) error {
	return m.Use(context.Background(), key, expires)
}

// TestMemoryRefusesUntilExpired checks that a key is refused while it has
// not expired, forgotten once it has, and that keys are kept apart.
func TestMemoryRefusesUntilExpired(t *testing.T) {
	c := &clock{epoch}
	m := &Memory{Now: c.Now}
	until := epoch.Add(5 * time.Minute)
	if err := use(m, "a", until); err != nil {
		t.Fatalf("first use: %v", err)
	}
	if err := use(m, "b", until); err != nil {
		t.Fatalf("another key: %v", err)
	}
	c.t = until // inclusive
	if err := use(m, "a", until); !errors.Is(err, ErrReplayed) {
		t.Fatalf("second use at its expiry: %v, want ErrReplayed", err)
	}
	// Kept until the end of its one-minute slice, then forgotten.
	c.t = until.Add(replayGranule)
	if err := use(m, "c", c.t.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	if m.Len() != 1 {
		t.Errorf("Len() = %d after expiry, want 1 (only c)", m.Len())
	}
	if err := use(m, "a", c.t.Add(time.Minute)); err != nil {
		t.Errorf("use after expiry: %v, want the key accepted again", err)
	}
	if err := use(m, "d", c.t.Add(-time.Nanosecond)); err != nil || m.Len() != 2 {
		t.Errorf("a key expired already: error %v, Len %d; want it accepted and not recorded", err, m.Len())
	}
}

// TestMemoryBound fills a memory to its Max: one more key is refused with
// ErrReplaysFull, and accepted once the memory has forgotten expired keys.
func TestMemoryBound(t *testing.T) {
	c := &clock{epoch}
	m := &Memory{Max: 100, Now: c.Now}
	for i := range 100 {
		if err := use(m, strconv.Itoa(i), epoch.Add(time.Duration(1+i%3)*time.Minute)); err != nil {
			t.Fatalf("key %d: %v", i, err)
		}
	}
	if err := use(m, "one more", epoch.Add(time.Minute)); !errors.Is(err, ErrReplaysFull) {
		t.Fatalf("key past Max: %v, want ErrReplaysFull", err)
	}
	if err := use(m, "7", epoch.Add(time.Minute)); !errors.Is(err, ErrReplayed) {
		t.Fatalf("a recorded key when full: %v, want ErrReplayed", err)
	}
	c.t = epoch.Add(time.Minute + time.Nanosecond) // a third of the keys expire
	if err := use(m, "one more", epoch.Add(2*time.Minute)); err != nil {
		t.Fatalf("after expiry: %v", err)
	}
	if n := m.Len(); n != 100-34+1 {
		t.Errorf("Len() = %d, want the 66 keys not expired and the new one", n)
	}
}

// TestMemoryConcurrent spends one key from many goroutines at once: only
// one of them may succeed.
func TestMemoryConcurrent(t *testing.T) {
	m := &Memory{}
	var ok atomic.Int32
	var wg sync.WaitGroup
	for range 16 {
		wg.Go(func() {
			if use(m, "k", time.Now().Add(time.Minute)) == nil {
				ok.Add(1)
			}
		})
	}
	wg.Wait()
	if ok.Load() != 1 {
		t.Errorf("%d uses of one key succeeded, want 1", ok.Load())
	}
}

// TestMemoryBytesPerEntry measures the heap a Memory takes per key, which
// DefaultReplaysMax's documentation relies on.
func TestMemoryBytesPerEntry(t *testing.T) {
	const n = 1 << 16
	per := bytesPerEntry(n)
	t.Logf("%.1f bytes a key with %d keys", per, n)
	if per > 48 {
		t.Errorf("%.1f bytes a key, want at most 48", per)
	}
}

// bytesPerEntry fills a memory with n keys and returns the heap it grew by
// per key.
func bytesPerEntry(n int) float64 {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	m := &Memory{Max: n}
	until := time.Now().Add(time.Hour)
	for i := range n {
		use(m, strconv.Itoa(i), until)
	}
	runtime.GC()
	runtime.ReadMemStats(&after)
	runtime.KeepAlive(m)
	return float64(after.HeapAlloc-before.HeapAlloc) / float64(n)
}

// BenchmarkMemoryUse spends a new key per iteration in a memory holding
// DefaultReplaysMax keys, over 30 one-minute slices as Alibaba nonces
// fill it, and reports the heap per key of a full memory.
func BenchmarkMemoryUse(b *testing.B) {
	m := &Memory{Max: 1 << 30}
	now := time.Now()
	for i := range DefaultReplaysMax {
		use(m, strconv.Itoa(-i), now.Add(time.Duration(1+i%30)*time.Minute))
	}
	i := 0
	for b.Loop() {
		use(m, strconv.Itoa(i), now.Add(time.Duration(1+i%30)*time.Minute))
		i++
	}
	b.ReportMetric(bytesPerEntry(DefaultReplaysMax), "heap-B/key")
}
