package index

import (
	"context"
	"fmt"
	"math/bits"
	"math/rand/v2"
	"sync"
	"testing"
)

// fixture is an index of n random entries of one code each, built once per
// process with a fixed seed and shared by the benchmarks.
type fixture struct {
	x   *Index
	ids []string
	rnd *rand.Rand
}

var (
	fixturesMu sync.Mutex
	fixtures   = map[[2]int]*fixture{}
)

func getFixture(b *testing.B, n, width int) *fixture {
	b.Helper()
	fixturesMu.Lock()
	defer fixturesMu.Unlock()
	if f, ok := fixtures[[2]int{n, width}]; ok {
		return f
	}
	rnd := rand.New(rand.NewPCG(uint64(n), uint64(width)))
	f := &fixture{x: New(width), ids: make([]string, n), rnd: rnd}
	codes := make([]uint64, width/64)
	for i := range n {
		for w := range codes {
			codes[w] = rnd.Uint64()
		}
		f.ids[i] = fmt.Sprintf("target-%07d", i)
		if err := f.x.Put(Entry{ID: f.ids[i], Codes: codes, Active: true}); err != nil {
			b.Fatal(err)
		}
	}
	fixtures[[2]int{n, width}] = f
	return f
}

// query returns k random codes, the last one a stored code with 3 bits
// flipped so that the search has one real hit.
func (f *fixture) query(k int) []uint64 {
	words := f.x.words
	q := make([]uint64, k*words)
	for i := range q {
		q[i] = f.rnd.Uint64()
	}
	e, _ := f.x.Get(f.ids[len(f.ids)/3])
	copy(q[(k-1)*words:], e.Codes)
	q[(k-1)*words] ^= 1<<5 | 1<<17 | 1<<40
	return q
}

func BenchmarkSearch(b *testing.B) {
	for _, bc := range []struct{ n, bits, queries int }{
		{1_000_000, 64, 1},
		{1_000_000, 64, 8},
		{100_000, 64, 1},
		{100_000, 64, 8},
		{100_000, 256, 1},
		{100_000, 256, 8},
	} {
		name := fmt.Sprintf("n=%d/bits=%d/queries=%d", bc.n, bc.bits, bc.queries)
		b.Run(name, func(b *testing.B) {
			f := getFixture(b, bc.n, bc.bits)
			q := Query{Codes: f.query(bc.queries), MaxDistance: 10, Limit: 10}
			planted := f.ids[len(f.ids)/3]
			if bc.bits == 256 {
				q.MaxDistance = 31
			}
			ctx := context.Background()
			b.ReportAllocs()
			b.ResetTimer()
			for range b.N {
				hits, err := f.x.Search(ctx, q)
				if err != nil || len(hits) == 0 || hits[0].ID != planted {
					b.Fatalf("Search: %v, %v; want the planted hit %s first", hits, err, planted)
				}
			}
			perOp := float64(b.Elapsed().Nanoseconds()) / float64(b.N)
			b.ReportMetric(perOp/float64(bc.n), "ns/code")
			b.ReportMetric(perOp/float64(bc.n*bc.queries), "ns/pair")
		})
	}
}

// BenchmarkFlatScan is the yardstick for BenchmarkSearch: the bare scalar
// loop of the speed anchor (XOR, OnesCount64, compare) over the same 1M
// codes, measured under the same machine load.
func BenchmarkFlatScan(b *testing.B) {
	f := getFixture(b, 1_000_000, 64)
	codes := f.x.codes
	q := f.query(1)[0]
	b.ResetTimer()
	for range b.N {
		n := 0
		for _, c := range codes {
			if bits.OnesCount64(c^q) <= 10 {
				n++
			}
		}
		if n == 0 {
			b.Fatal("the planted code was not found")
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(codes)), "ns/code")
}

// BenchmarkPut adds new entries to an index of 1M entries. The entries are
// removed again outside the timer.
func BenchmarkPut(b *testing.B) {
	f := getFixture(b, 1_000_000, 64)
	entries := make([]Entry, min(b.N, 100_000))
	for i := range entries {
		entries[i] = Entry{ID: fmt.Sprintf("put-%07d", i), Codes: []uint64{f.rnd.Uint64()}, Active: true}
	}
	b.ReportAllocs()
	b.ResetTimer()
	for done := 0; done < b.N; {
		batch := entries[:min(b.N-done, len(entries))]
		for _, e := range batch {
			if err := f.x.Put(e); err != nil {
				b.Fatal(err)
			}
		}
		b.StopTimer()
		for _, e := range batch {
			f.x.Remove(e.ID)
		}
		done += len(batch)
		b.StartTimer()
	}
}

// BenchmarkRemove removes random entries from an index of 1M entries. They
// are put back outside the timer.
func BenchmarkRemove(b *testing.B) {
	f := getFixture(b, 1_000_000, 64)
	b.ReportAllocs()
	b.ResetTimer()
	for done := 0; done < b.N; {
		b.StopTimer()
		batch := make([]Entry, 0, min(b.N-done, 100_000))
		picked := map[string]bool{}
		for len(batch) < cap(batch) {
			id := f.ids[f.rnd.IntN(len(f.ids))]
			if e, ok := f.x.Get(id); ok && !picked[id] {
				picked[id] = true
				batch = append(batch, e)
			}
		}
		b.StartTimer()
		for _, e := range batch {
			if !f.x.Remove(e.ID) {
				b.Fatalf("Remove(%q) found nothing", e.ID)
			}
		}
		b.StopTimer()
		for _, e := range batch {
			if err := f.x.Put(e); err != nil {
				b.Fatal(err)
			}
		}
		done += len(batch)
		b.StartTimer()
	}
}
