package index

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// TestConcurrentReadersAndWriter searches from several goroutines while one
// writer puts, replaces, deactivates and removes entries. Run with -race.
// Every search result must be well formed, and after the writer stops the
// index must agree with the writer's model.
func TestConcurrentReadersAndWriter(t *testing.T) {
	const (
		readers = 4
		ids     = 200
		tables  = 5
	)
	x := New(tables)
	m := newModel()
	ctx, stop := context.WithCancel(context.Background())
	defer stop()

	var wg sync.WaitGroup
	var searches, hits atomic.Int64
	errs := make(chan error, readers)
	for r := range readers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			g := newGen(uint64(100+r), tables)
			for ctx.Err() == nil {
				q := g.query(8, nil)
				got, err := x.Search(context.Background(), q)
				if err == nil {
					err = wellFormed(got, q)
				}
				if err != nil {
					errs <- err
					return
				}
				searches.Add(1)
				hits.Add(int64(len(got)))
			}
		}()
	}

	g := newGen(7, tables)
	for step := 0; step < 20000 || searches.Load() < 200; step++ {
		id := fmt.Sprintf("t%03d", g.rnd.IntN(ids))
		switch g.rnd.IntN(4) {
		case 0, 1:
			e := g.entry(id, 4)
			if err := x.Put(e); err != nil {
				t.Fatal(err)
			}
			m.put(e)
		case 2:
			x.Remove(id)
			delete(m.entries, id)
		case 3:
			if x.SetActive(id, step%2 == 0) {
				e := m.entries[id]
				e.Active = step%2 == 0
				m.entries[id] = e
			}
		}
	}
	stop()
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if hits.Load() == 0 {
		t.Errorf("%d concurrent searches found nothing: the test exercised no hits", searches.Load())
	}
	checkLayout(t, x)
	checkContents(t, x, m)
}

// wellFormed checks what holds for any index contents: hits sorted, within
// the distance bound and the limit, IDs and groups not repeated.
func wellFormed(hits []Hit, q Query) error {
	if len(hits) > max(q.Limit, 1) {
		return fmt.Errorf("%d hits for limit %d", len(hits), q.Limit)
	}
	seen := map[string]bool{}
	for i, h := range hits {
		if h.Distance > q.MaxDistance || h.ID == q.Exclude {
			return fmt.Errorf("hit %+v for query bound %d, exclude %q", h, q.MaxDistance, q.Exclude)
		}
		if h.Probe < 0 || h.Probe >= len(q.Probes) || h.Code < 0 || h.Code >= MaxCodes {
			return fmt.Errorf("hit %+v names no pair of a query with %d probes", h, len(q.Probes))
		}
		if seen[h.ID] {
			return fmt.Errorf("hit %q twice", h.ID)
		}
		seen[h.ID] = true
		if i > 0 && (hits[i-1].Distance > h.Distance ||
			hits[i-1].Distance == h.Distance && hits[i-1].ID >= h.ID) {
			return fmt.Errorf("hits out of order: %v", hits)
		}
	}
	return nil
}

// TestSearchStopsWhenCancelled cancels the context from inside the scan and
// checks that the scan stops within a chunk rather than running to the end.
func TestSearchStopsWhenCancelled(t *testing.T) {
	const n = 200_000
	x := New(1)
	g := newGen(9, 1)
	for i := range n {
		if err := x.Put(Entry{ID: fmt.Sprint(i), Codes: []Code{g.code()}, Active: true}); err != nil {
			t.Fatal(err)
		}
	}

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	calls := 0
	q := Query{
		Probes:      []Probe{{Key: g.rnd.Uint64(), Tables: 1}},
		MaxDistance: 64, // every entry reaches the filter
		Limit:       n,
		Filter: FilterFunc(func(*Attributes) bool {
			calls++
			if calls == 1000 {
				cancel()
			}
			return true
		}),
	}
	_, err := x.Search(ctx, q)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("Search after cancel: error %v, want context.Canceled", err)
	}
	if calls >= n/2 {
		t.Errorf("the scan went on for %d of %d entries after the context was cancelled", calls, n)
	}

	_, err = x.Search(ctx, q)
	if !errors.Is(err, context.Canceled) {
		t.Errorf("Search with a cancelled context: error %v, want context.Canceled", err)
	}

	deadline, cancel2 := context.WithDeadline(context.Background(), time.Now().Add(-time.Second))
	defer cancel2()
	if _, err := x.Search(deadline, q); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Search past its deadline: error %v, want context.DeadlineExceeded", err)
	}
}
