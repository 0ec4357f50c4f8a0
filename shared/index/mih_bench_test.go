package index

import (
	"context"
	"flag"
	"fmt"
	"math/rand/v2"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

var multiSizes = flag.String("multisizes", "1000000", "comma-separated gallery sizes for BenchmarkMultiIndex, e.g. 1000000 or 10000000")

// shapedFixture returns an index of n entries of benchTables codes, keeping
// multi-indexes from 65,536 rows (built once it is loaded), whose codes are shaped as a real
// gallery's are rather than spread evenly: 70 % random, 20 % in 2,000
// clusters (a centre with up to 6 bits flipped: pictures alike, such as
// the products of one catalogue), 10 % near-duplicates of an earlier
// entry's codes (up to 3 bits flipped: the same picture enrolled twice).
// Clusters and duplicates fill some buckets far beyond the average.
func shapedFixture(b *testing.B, n int) *fixture {
	b.Helper()
	key := -n // apart from getFixture's random fixtures
	fixturesMu.Lock()
	defer fixturesMu.Unlock()
	if f, ok := fixtures[key]; ok {
		return f
	}
	rnd := rand.New(rand.NewPCG(uint64(n), 7))
	centres := make([]Code, 2000)
	for i := range centres {
		centres[i] = randomCode(rnd, 0)
	}
	flip := func(w uint64, most int) uint64 {
		for range rnd.IntN(most + 1) {
			w ^= 1 << rnd.IntN(64)
		}
		return w
	}
	f := &fixture{x: New(benchTables), ids: make([]string, n), rnd: rnd}
	codes := make([]Code, benchTables)
	for i := range n {
		switch k := rnd.IntN(10); {
		case k < 7:
			for t := range codes {
				codes[t] = randomCode(rnd, t)
			}
		case k < 9:
			for t := range codes {
				c := centres[rnd.IntN(len(centres))]
				c.Table, c.Key = t, flip(c.Key, 6)
				codes[t] = c
			}
		default:
			e, _ := f.x.Get(f.ids[rnd.IntN(max(i, 1))])
			for t := range codes {
				codes[t] = randomCode(rnd, t)
				if len(e.Codes) > t {
					codes[t] = e.Codes[t]
					codes[t].Key = flip(codes[t].Key, 3)
				}
			}
		}
		f.ids[i] = fmt.Sprintf("%08x-0000-4000-8000-%012x", i, rnd.Uint64()>>16) // as long as a UUID
		if err := f.x.Put(Entry{ID: f.ids[i], Codes: codes, Active: true}); err != nil {
			b.Fatal(err)
		}
	}
	// As the server loads a gallery: the slices trimmed, then the
	// multi-indexes built once, not grown row by row.
	f.x.Compact()
	f.x.MultiIndexRows(1 << 16)
	fixtures[key] = f
	runtime.GC()
	return f
}

// BenchmarkMultiIndex searches galleries of -multisizes entries with
// pixmatch-shaped queries at the match threshold (bound 8) and for near
// neighbours (bound 15), through the multi-indexes and, as the baseline
// in the same run, by scanning every table (the multi-indexes set
// aside), each query both ways in turn. Each query's hits must be the
// same both ways. It reports the ratio of the scan's time to the
// multi-indexes' as x-vs-flat; a table whose multi-index would cost more
// than its scan is scanned anyway.
func BenchmarkMultiIndex(b *testing.B) {
	for _, n := range multiSizeList(b) {
		for _, bound := range []int{8, 15} {
			b.Run(fmt.Sprintf("n=%d/bound=%d", n, bound), func(b *testing.B) {
				f := shapedFixture(b, n)
				queries := make([]Query, 16)
				for i := range queries {
					queries[i] = f.pixmatchQuery()
					queries[i].MaxDistance = bound
				}
				ctx := context.Background()
				saved := make([]*multiIndex, len(f.x.tables))
				for t := range f.x.tables {
					saved[t] = f.x.tables[t].multi
				}
				setMulti := func(on bool) {
					for t := range f.x.tables {
						f.x.tables[t].multi = nil
						if on {
							f.x.tables[t].multi = saved[t]
						}
					}
				}
				// Each query runs both ways in turn, so that both share the
				// machine's moments of load.
				var multiTime, flatTime time.Duration
				for i := 0; b.Loop(); i++ {
					q := queries[i%len(queries)]
					setMulti(false)
					began := time.Now()
					flat, err := f.x.Search(ctx, q)
					flatTime += time.Since(began)
					setMulti(true)
					began = time.Now()
					hits, err2 := f.x.Search(ctx, q)
					multiTime += time.Since(began)
					if err != nil || err2 != nil || !slices.Equal(hits, flat) {
						b.Fatalf("query %d: %v with the multi-indexes, %v by the scan (%v, %v)", i, hits, flat, err2, err)
					}
				}
				b.StopTimer()
				clear(saved)
				with := heapInUse()
				f.x.MultiIndexRows(0)
				without := heapInUse()
				f.x.MultiIndexRows(1 << 16)
				b.ReportMetric(float64(with)/float64(n), "B/entry")
				b.ReportMetric((float64(with)-float64(without))/float64(n), "B/entry-multi")
				b.ReportMetric(float64(flatTime)/float64(multiTime), "x-vs-flat")
				b.ReportMetric(float64(multiTime.Microseconds())/1000/float64(b.N), "ms-multi")
				b.ReportMetric(float64(flatTime.Microseconds())/1000/float64(b.N), "ms-flat")
			})
		}
	}
}

// multiSizeList returns the gallery sizes -multisizes names.
func multiSizeList(b *testing.B) []int {
	var sizes []int
	for _, field := range strings.Split(*multiSizes, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(field))
		if err != nil || n <= 0 {
			b.Fatalf("-multisizes %q", *multiSizes)
		}
		sizes = append(sizes, n)
	}
	return sizes
}

// heapInUse returns the bytes of live heap after a collection.
func heapInUse() uint64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}

// BenchmarkMultiIndexFold folds a tail and tombstones of a 128th of a
// table of -multisizes random keys into its buckets, as a table does once
// they pass that share of its rows: the pause the put that passes it
// costs, under the index's write lock. It reports building the buckets
// from the keys, as a table does when it first keeps them, as ms-build.
func BenchmarkMultiIndexFold(b *testing.B) {
	for _, n := range multiSizeList(b) {
		b.Run(fmt.Sprintf("rows=%d", n), func(b *testing.B) {
			rnd := rand.New(rand.NewPCG(uint64(n), 3))
			keys := make([]uint64, n)
			for i := range keys {
				keys[i] = rnd.Uint64()
			}
			began := time.Now()
			m := newMultiIndex(keys)
			build := time.Since(began)
			b.ResetTimer()
			for range b.N {
				b.StopTimer()
				for range n/128 + 33 {
					r := int32(rnd.IntN(n))
					m.drop(r, keys[r]) // a tombstone, or out of the tail
					m.add(r)
				}
				b.StartTimer()
				m.fold(keys)
			}
			b.ReportMetric(float64(build.Microseconds())/1000, "ms-build")
		})
	}
}
