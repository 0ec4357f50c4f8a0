package index

import (
	"context"
	"fmt"
	"math/bits"
	"math/rand/v2"
	"runtime"
	"sync"
	"testing"
)

// benchTables is the number of tables of the benchmark fixtures: one code
// per entry in each.
const benchTables = 10

// fixture is an index of n random entries of benchTables codes each,
// built once per process with a fixed seed and shared by the benchmarks.
type fixture struct {
	x   *Index
	ids []string
	rnd *rand.Rand
}

var (
	fixturesMu sync.Mutex
	fixtures   = map[int]*fixture{}
)

func getFixture(b *testing.B, n int) *fixture {
	b.Helper()
	fixturesMu.Lock()
	defer fixturesMu.Unlock()
	if f, ok := fixtures[n]; ok {
		return f
	}
	rnd := rand.New(rand.NewPCG(uint64(n), benchTables))
	f := &fixture{x: New(benchTables), ids: make([]string, n), rnd: rnd}
	codes := make([]Code, benchTables)
	for i := range n {
		for t := range codes {
			codes[t] = randomCode(rnd, t)
		}
		f.ids[i] = fmt.Sprintf("target-%07d", i)
		if err := f.x.Put(Entry{ID: f.ids[i], Codes: codes, Active: true}); err != nil {
			b.Fatal(err)
		}
	}
	fixtures[n] = f
	// Collect the garbage of the build now rather than during the
	// benchmarks that follow.
	runtime.GC()
	return f
}

func randomCode(rnd *rand.Rand, table int) Code {
	return Code{Table: table, Key: rnd.Uint64(), Checks: [Checks]uint64{rnd.Uint64(), rnd.Uint64(), rnd.Uint64()}}
}

// pixmatchQuery returns a query shaped like pixmatch's (shared/match): 2
// probes naming every table, 14 naming tables 0 and 1, 3 naming tables 0
// to 5 and 8 naming table 3, penalties 0 or 4. Its last probe is the code in table 3
// of a stored entry, the planted hit, with 3 key bits and a few check
// bits flipped.
func (f *fixture) pixmatchQuery() Query {
	var probes []Probe
	add := func(n int, tables uint64) {
		for i := range n {
			p := Probe{Key: f.rnd.Uint64(), Tables: tables, Penalty: 4 * (i % 2)}
			for c := range p.Checks {
				p.Checks[c] = f.rnd.Uint64()
			}
			probes = append(probes, p)
		}
	}
	add(2, 1<<benchTables-1)
	add(14, 0b11)
	add(3, 0b111111)
	add(8, 0b1000)
	e, _ := f.x.Get(f.ids[len(f.ids)/3])
	planted := &probes[len(probes)-1]
	planted.Penalty = 0
	planted.Key = e.Codes[3].Key ^ (1<<5 | 1<<17 | 1<<40)
	planted.Checks = e.Codes[3].Checks
	planted.Checks[0] ^= 0xff // 8 bits, within the slack
	planted.Checks[2] ^= 0xff // 8 bits, 4 beyond the slack: the distance
	return Query{Probes: probes, Slack: [Checks]int{8, 4, 4}, MaxDistance: 8, Limit: 10}
}

// comparisons returns the number of probe and key comparisons a search
// for q makes in x: for each table, its codes times the probes naming it.
func comparisons(x *Index, q Query) int {
	n := 0
	for t := range x.tables {
		for _, p := range q.Probes {
			if p.Tables&(1<<t) != 0 {
				n += len(x.tables[t].keys)
			}
		}
	}
	return n
}

var benchSizes = []int{1_000_000, 100_000}

func BenchmarkSearch(b *testing.B) {
	for _, n := range benchSizes {
		b.Run(fmt.Sprintf("n=%d", n), func(b *testing.B) {
			f := getFixture(b, n)
			q := f.pixmatchQuery()
			planted := f.ids[len(f.ids)/3]
			ctx := context.Background()
			b.ReportAllocs()
			b.ResetTimer()
			for range b.N {
				hits, err := f.x.Search(ctx, q)
				if err != nil || len(hits) == 0 || hits[0].ID != planted || hits[0].Distance != 4 {
					b.Fatalf("Search: %v, %v; want the planted hit %s first at 4", hits, err, planted)
				}
			}
			perOp := float64(b.Elapsed().Nanoseconds()) / float64(b.N)
			b.ReportMetric(perOp/float64(comparisons(f.x, q)), "ns/cmp")
		})
	}
}

// BenchmarkFlatScan is the yardstick for BenchmarkSearch: the bare scalar
// loop (XOR, OnesCount64, compare) over the same keys, measured under the
// same machine load. With probes=1 it compares each key of table 0 with
// one probe; with the pixmatch query, each table's keys with the keys of
// the probes naming it, one probe after another.
func BenchmarkFlatScan(b *testing.B) {
	for _, n := range benchSizes {
		f := getFixture(b, n)
		q := f.pixmatchQuery()
		b.Run(fmt.Sprintf("n=%d/probes=1", n), func(b *testing.B) {
			keys := f.x.tables[3].keys
			p := q.Probes[len(q.Probes)-1].Key
			b.ResetTimer()
			for range b.N {
				found := 0
				for _, c := range keys {
					if bits.OnesCount64(c^p) <= q.MaxDistance {
						found++
					}
				}
				if found == 0 {
					b.Fatal("the planted key was not found")
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(keys)), "ns/cmp")
		})
		b.Run(fmt.Sprintf("n=%d/probes=pixmatch", n), func(b *testing.B) {
			var probeKeys [benchTables][]uint64
			for t := range probeKeys {
				for _, p := range q.Probes {
					if p.Tables&(1<<t) != 0 {
						probeKeys[t] = append(probeKeys[t], p.Key)
					}
				}
			}
			b.ResetTimer()
			for range b.N {
				found := 0
				for t, ps := range probeKeys {
					for _, c := range f.x.tables[t].keys {
						for _, p := range ps {
							if bits.OnesCount64(c^p) <= q.MaxDistance {
								found++
							}
						}
					}
				}
				if found == 0 {
					b.Fatal("the planted key was not found")
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*comparisons(f.x, q)), "ns/cmp")
		})
	}
}

// BenchmarkPut adds new entries of benchTables codes to an index of 1M
// entries. The entries are removed again outside the timer.
func BenchmarkPut(b *testing.B) {
	f := getFixture(b, benchSizes[0])
	entries := make([]Entry, min(b.N, 100_000))
	for i := range entries {
		codes := make([]Code, benchTables)
		for t := range codes {
			codes[t] = randomCode(f.rnd, t)
		}
		entries[i] = Entry{ID: fmt.Sprintf("put-%07d", i), Codes: codes, Active: true}
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
	f := getFixture(b, benchSizes[0])
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
