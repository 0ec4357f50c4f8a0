package observed_test

import (
	"context"
	"errors"
	"path/filepath"
	"sync"
	"testing"

	"github.com/pixmatch/pixmatch/server/store"
	"github.com/pixmatch/pixmatch/server/store/observed"
	"github.com/pixmatch/pixmatch/server/store/sqlite"
	"github.com/pixmatch/pixmatch/server/store/storetest"
)

// failures counts reported failures by method.
type failures struct {
	mu sync.Mutex
	by map[string]int
}

func (f *failures) add(method string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.by == nil {
		f.by = map[string]int{}
	}
	f.by[method]++
}

func (f *failures) count() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	n := 0
	for _, c := range f.by {
		n += c
	}
	return n
}

func open(t *testing.T, f *failures) (*observed.Store, *sqlite.Store) {
	t.Helper()
	st, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return observed.New(st, f.add), st
}

// TestConformance: wrapped, a store still keeps the whole contract, and
// the suite's expected refusals (not found, exists, a running task) are
// no failures.
func TestConformance(t *testing.T) {
	var f failures
	storetest.Run(t, func(t *testing.T) store.Store {
		o, _ := open(t, &f)
		return o
	})
	if n := f.count(); n != 0 {
		t.Errorf("the conformance suite reported %d failures: %v", n, f.by)
	}
}

// TestFailuresReported: a closed store's errors are reported by method;
// the contract's answers, a caller's callback error and the caller's
// context ending are not.
func TestFailuresReported(t *testing.T) {
	ctx := context.Background()
	var f failures
	o, st := open(t, &f)
	g, err := o.CreateGallery(ctx, store.Gallery{Name: "g", AppID: "g"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := o.CreateTarget(ctx, storetest.Target(g.ID, 1, 10)); err != nil {
		t.Fatal(err)
	}
	if _, err := o.Target(ctx, g.ID, "nobody", false); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("Target of nobody: %v", err)
	}
	mine := errors.New("the caller's own")
	if err := o.EachTarget(ctx, g.ID, func(store.Target) error { return mine }); !errors.Is(err, mine) {
		t.Fatalf("EachTarget: %v, want the callback's error", err)
	}
	done, cancel := context.WithCancel(ctx)
	cancel()
	o.Galleries(done)
	if n := f.count(); n != 0 {
		t.Fatalf("answers, a callback's error and an ended context were reported as failures: %v", f.by)
	}
	st.Close()
	if _, err := o.Galleries(ctx); err == nil {
		t.Fatal("a closed store answered")
	}
	if _, err := o.CreateTarget(ctx, storetest.Target(g.ID, 2, 10)); err == nil {
		t.Fatal("a closed store took a write")
	}
	if f.by["Galleries"] != 1 || f.by["CreateTarget"] != 1 || f.count() != 2 {
		t.Errorf("failures reported %v, want Galleries and CreateTarget once each", f.by)
	}
}
