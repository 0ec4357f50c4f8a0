package feature

import (
	"math/bits"
	"math/rand/v2"
	"slices"
	"testing"
	"time"
)

// slowDistance counts differing bits one at a time.
func slowDistance(a, b Descriptor) int {
	n := 0
	for w := range a {
		for i := range 64 {
			if (a[w]>>i)&1 != (b[w]>>i)&1 {
				n++
			}
		}
	}
	return n
}

// slowMatch is Match's slow, obviously correct twin: for each query
// feature, all target features sorted by distance (stable, so the first of
// equals stays first), then the tests as MatchOptions states them.
func slowMatch(query, target []Feature, o MatchOptions) []Pair {
	var out []Pair
	type cand struct{ d, i int }
	for qi := range query {
		var cs []cand
		for ti := range target {
			cs = append(cs, cand{slowDistance(query[qi].Desc, target[ti].Desc), ti})
		}
		if len(cs) == 0 {
			return nil
		}
		slices.SortStableFunc(cs, func(a, b cand) int { return a.d - b.d })
		best := cs[0]
		if o.MaxDistance > 0 && best.d > o.MaxDistance {
			continue
		}
		if o.Ratio > 0 && o.Ratio < 1 && len(cs) > 1 && !(float64(best.d) < o.Ratio*float64(cs[1].d)) {
			continue
		}
		if o.Mutual {
			back, bd := -1, 1<<30
			for qj := range query {
				if d := slowDistance(query[qj].Desc, target[best.i].Desc); d < bd {
					back, bd = qj, d
				}
			}
			if back != qi {
				continue
			}
		}
		out = append(out, Pair{Query: qi, Target: best.i, Distance: best.d})
	}
	return out
}

func randomDescriptor(rng *rand.Rand) Descriptor {
	return Descriptor{rng.Uint64(), rng.Uint64(), rng.Uint64(), rng.Uint64()}
}

// flipBits returns d with n random bits flipped (some possibly twice).
func flipBits(rng *rand.Rand, d Descriptor, n int) Descriptor {
	for range n {
		b := rng.IntN(256)
		d[b/64] ^= 1 << (b % 64)
	}
	return d
}

// matchFixture returns nt random target features, some duplicated, and nq
// query features: noisy copies of target features (near, far, some equally
// near two targets) and unrelated ones.
func matchFixture(rng *rand.Rand, nq, nt int) (query, target []Feature) {
	target = make([]Feature, nt)
	for i := range target {
		target[i].Desc = randomDescriptor(rng)
		if i > 0 && rng.IntN(10) == 0 {
			target[i].Desc = target[rng.IntN(i)].Desc // a tie for every query
		}
	}
	query = make([]Feature, nq)
	for i := range query {
		switch k := rng.IntN(10); {
		case nt == 0 || k < 3:
			query[i].Desc = randomDescriptor(rng)
		case k < 5: // two queries near the same target: the cross-check chooses
			query[i].Desc = flipBits(rng, target[rng.IntN(nt)].Desc, rng.IntN(8))
			if i+1 < nq {
				i++
				query[i].Desc = flipBits(rng, query[i-1].Desc, rng.IntN(3))
			}
		default:
			query[i].Desc = flipBits(rng, target[rng.IntN(nt)].Desc, rng.IntN(90))
		}
	}
	return query, target
}

// TestMatchOracle holds Match equal to slowMatch on random descriptors
// under every kind of option, including the turned-off tests.
func TestMatchOracle(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	options := []MatchOptions{
		{},
		DefaultMatchOptions,
		{Ratio: 0.8, Mutual: true},
		{Ratio: 0.7, MaxDistance: 64, Mutual: true},
		{MaxDistance: 40, Mutual: true},
		{Ratio: 1.5, MaxDistance: 100},
		{Ratio: 0.95, MaxDistance: -3},
	}
	sizes := [][2]int{{0, 5}, {5, 0}, {1, 1}, {3, 1}, {1, 2}, {40, 30}, {200, 150}}
	for _, n := range sizes {
		for seed := range 5 {
			query, target := matchFixture(rng, n[0], n[1])
			for _, o := range options {
				got, want := Match(query, target, o), slowMatch(query, target, o)
				if !slices.Equal(got, want) {
					t.Fatalf("%d×%d, seed %d, %+v:\n got %v\nwant %v", n[0], n[1], seed, o, got, want)
				}
			}
		}
	}
}

// TestMatchTests shows each of Match's tests at work on a hand-made case.
func TestMatchTests(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	a, b := randomDescriptor(rng), randomDescriptor(rng)
	a1, a01 := a, a
	a1[0] ^= 1
	a01[0] ^= 3
	target := []Feature{{Desc: a}, {Desc: a01}, {Desc: b}}
	query := []Feature{
		{Desc: a1},                  // one bit from two targets: ambiguous
		{Desc: flipBits(rng, b, 3)}, // near b only
		{Desc: flipBits(rng, b, 9)}, // near b too, but further than query 1
	}
	cases := []struct {
		o    MatchOptions
		want []int // the query features kept
	}{
		{MatchOptions{}, []int{0, 1, 2}},
		{MatchOptions{Ratio: 0.8}, []int{1, 2}},
		{MatchOptions{Ratio: 0.8, Mutual: true}, []int{1}},
		{MatchOptions{MaxDistance: 5}, []int{0, 1}},
	}
	for _, c := range cases {
		var got []int
		for _, p := range Match(query, target, c.o) {
			got = append(got, p.Query)
		}
		if !slices.Equal(got, c.want) {
			t.Errorf("%+v: kept %v, want %v", c.o, got, c.want)
		}
	}
}

// benchFeatures returns n features with random descriptors.
func benchFeatures(rng *rand.Rand, n int) []Feature {
	f := make([]Feature, n)
	for i := range f {
		f[i].Desc = randomDescriptor(rng)
	}
	return f
}

// bareLoop is the least work matching n×m descriptors can do: the popcount
// of every pair, summed. It is the baseline of the benchmarks.
func bareLoop(query, target []Feature) int {
	s := 0
	for i := range query {
		q := &query[i].Desc
		for j := range target {
			t := &target[j].Desc
			s += bits.OnesCount64(q[0]^t[0]) + bits.OnesCount64(q[1]^t[1]) +
				bits.OnesCount64(q[2]^t[2]) + bits.OnesCount64(q[3]^t[3])
		}
	}
	return s
}

var sink int

// BenchmarkMatch matches 1,000 query features against 1,000 target
// features, beside the bare popcount loop over the same pairs.
func BenchmarkMatch(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 1))
	query, target := benchFeatures(rng, 1000), benchFeatures(rng, 1000)
	b.Run("baseline=bare-popcount-loop", func(b *testing.B) {
		for b.Loop() {
			sink += bareLoop(query, target)
		}
	})
	b.Run("Match", func(b *testing.B) {
		for b.Loop() {
			sink += len(Match(query, target, DefaultMatchOptions))
		}
	})
	b.Run("Match-mutual", func(b *testing.B) {
		o := DefaultMatchOptions
		o.Mutual = true
		for b.Loop() {
			sink += len(Match(query, target, o))
		}
	})
}

// BenchmarkMatchRatio times Match and the bare popcount loop on the same
// 1,000×1,000 features in alternation, so that both see the same machine
// load, and reports Match's time as a multiple of the loop's.
func BenchmarkMatchRatio(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 1))
	query, target := benchFeatures(rng, 1000), benchFeatures(rng, 1000)
	var base, ours time.Duration
	for b.Loop() {
		t0 := time.Now()
		sink += bareLoop(query, target)
		t1 := time.Now()
		sink += len(Match(query, target, DefaultMatchOptions))
		base += t1.Sub(t0)
		ours += time.Since(t1)
	}
	b.ReportMetric(float64(ours)/float64(base), "x-bare-loop")
	b.ReportMetric(float64(ours.Nanoseconds())/float64(b.N)/1e6, "ms/match")
}

// slowMatchWithin is MatchWithin's slow twin: slowMatch of each cell's
// query features against the same cell's target features, the pairs
// named by the features' indexes in query and target.
func slowMatchWithin(query, target []Feature, qcell, tcell []uint32, o MatchOptions) []Pair {
	var out []Pair
	for _, c := range slices.Compact(slices.Sorted(slices.Values(qcell))) {
		var qs, ts []int
		var qf, tf []Feature
		for i := range query {
			if qcell[i] == c {
				qs, qf = append(qs, i), append(qf, query[i])
			}
		}
		for j := range target {
			if tcell[j] == c {
				ts, tf = append(ts, j), append(tf, target[j])
			}
		}
		for _, p := range slowMatch(qf, tf, o) {
			out = append(out, Pair{Query: qs[p.Query], Target: ts[p.Target], Distance: p.Distance})
		}
	}
	slices.SortFunc(out, func(a, b Pair) int { return a.Query - b.Query })
	return out
}

// TestMatchWithinOracle holds MatchWithin equal to its slow twin under
// every kind of option, with cells holding no target feature, and equal
// to Match when the cells are missing or of the wrong length; so is
// MatchIndexed, one target's grouping used for every option. The cells
// are numbered from 0 up, found by slot, and spread far apart, found by
// binary search, and a query's cell may lie beyond every target's.
func TestMatchWithinOracle(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	options := []MatchOptions{{}, DefaultMatchOptions, {Ratio: 0.8, Mutual: true}, {MaxDistance: 40, Mutual: true}}
	sizes := [][2]int{{5, 0}, {1, 1}, {3, 1}, {40, 30}, {200, 150}}
	for _, n := range sizes {
		for seed := range 10 {
			query, target := matchFixture(rng, n[0], n[1])
			qcell, tcell := make([]uint32, len(query)), make([]uint32, len(target))
			cells := uint32(1 + seed%5)          // seed 0: a single cell
			spread := uint32(1 + seed/5*(1<<26)) // seeds 5 on: cells far apart
			for i := range qcell {
				qcell[i] = spread * rng.Uint32N(cells+1) // the last cell holds no target feature
			}
			for j := range tcell {
				tcell[j] = spread * rng.Uint32N(cells)
			}
			indexed := IndexTarget(target, tcell) // one grouping for every option and query
			for _, o := range options {
				got, want := MatchWithin(query, target, qcell, tcell, o), slowMatchWithin(query, target, qcell, tcell, o)
				if len(target) == 0 {
					want = nil
				}
				if !slices.Equal(got, want) {
					t.Fatalf("sizes %v, %d cells, %+v:\n got %v\nwant %v", n, cells, o, got, want)
				}
				if got := MatchIndexed(query, qcell, indexed, o); !slices.Equal(got, want) {
					t.Fatalf("sizes %v, %d cells, %+v, indexed:\n got %v\nwant %v", n, cells, o, got, want)
				}
				if got, want := MatchWithin(query, target, nil, tcell, o), Match(query, target, o); !slices.Equal(got, want) {
					t.Fatalf("without query cells, %+v: got %v, want Match's %v", o, got, want)
				}
				if got, want := MatchIndexed(query, nil, indexed, o), Match(query, target, o); !slices.Equal(got, want) {
					t.Fatalf("indexed, without query cells, %+v: got %v, want Match's %v", o, got, want)
				}
				if got, want := MatchIndexed(query, qcell, IndexTarget(target, tcell[:len(tcell)/2]), o), Match(query, target, o); len(target) > 1 && !slices.Equal(got, want) {
					t.Fatalf("indexed with short target cells, %+v: got %v, want Match's %v", o, got, want)
				}
			}
		}
	}
}
