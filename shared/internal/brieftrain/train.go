package main

import (
	"cmp"
	"image"
	"math/bits"
	"math/rand/v2"
	"slices"

	"github.com/pixmatch/pixmatch/shared/feature"
	"github.com/pixmatch/pixmatch/shared/testphoto"
)

// Held out of training: the photos feature's tests measure the learned
// pattern on (against a random one), so that the comparison is not made
// on the patches the pattern was chosen for.
var heldOut = []string{"astronaut", "chelsea", "china", "coffee"}

// sampling are the options the training patches are found with: a
// target's, with as many features as a query's, for more patches.
var sampling = func() feature.Options {
	o := feature.TargetOptions
	o.Max = feature.QueryOptions.Max
	return o
}()

// Params are the inputs of a training run besides the photos.
type Params struct {
	// Seed drives the choice of candidate tests.
	Seed uint64
	// Candidates is how many candidate tests are drawn.
	Candidates int
	// MinGap is the least distance, along x or y, between the two
	// points of a candidate: their 5×5 boxes do not overlap, as in the
	// ORB paper.
	MinGap int
	// Correlation is the first bound on the absolute correlation of a
	// kept test with every test kept before it, in hundredths; Step is
	// what it rises by while fewer than feature.Bits tests are kept.
	Correlation, Step int
}

// Defaults are the parameters of the shipped pattern.
var Defaults = Params{Seed: 1, Candidates: 12000, MinGap: 5, Correlation: 20, Step: 2}

// Result is a learned pattern and how it was learned.
type Result struct {
	Pattern     [feature.Bits]feature.Test
	Photos      []string
	Patches     int // keypoints the tests were measured on
	Correlation int // the bound that kept enough tests, in hundredths
}

// Train learns a pattern from the patches around the keypoints of the
// test photos but the held-out ones, as the ORB paper does: every
// candidate test is evaluated on every patch; the tests are ordered by
// how near their mean is to ½ (a test that is always 0 or 1 says
// nothing), and taken in that order when their correlation with each
// test already taken stays under a bound, raised until 256 are taken.
func Train(p Params) Result {
	points := feature.DiscPoints()
	photos, patches := trainingPatches(points)
	cands := candidates(points, p)
	kept, bound := learn(patches, cands, p)
	r := Result{Photos: photos, Patches: len(patches), Correlation: bound}
	for i, k := range kept {
		a, b := points[cands[k][0]], points[cands[k][1]]
		r.Pattern[i] = feature.Test{X1: int8(a.X), Y1: int8(a.Y), X2: int8(b.X), Y2: int8(b.Y)}
	}
	return r
}

// trainingPatches returns the photos learned from, and the patches
// around their keypoints read at points.
func trainingPatches(points []image.Point) (photos []string, patches [][]uint16) {
	for _, name := range testphoto.Names() {
		if slices.Contains(heldOut, name) {
			continue
		}
		photos = append(photos, name)
		patches = append(patches, feature.Sample(feature.Plane(testphoto.Image(name), sampling), sampling, points)...)
	}
	return photos, patches
}

// learn returns the feature.Bits candidates chosen on the patches, as
// indices into cands, and the correlation bound that let that many
// through.
func learn(patches [][]uint16, cands [][2]int, p Params) ([]int, int) {
	n := len(patches)
	// By point, its value in every patch: a test reads two rows.
	byPoint := make([][]uint16, len(patches[0]))
	for k := range byPoint {
		byPoint[k] = make([]uint16, n)
		for i, v := range patches {
			byPoint[k][i] = v[k]
		}
	}
	outcomes := make([]bitset, len(cands))
	for i, c := range cands {
		outcomes[i] = measure(byPoint[c[0]], byPoint[c[1]])
	}
	order := make([]int, len(cands))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int {
		return cmp.Compare(abs(2*outcomes[a].ones-n), abs(2*outcomes[b].ones-n))
	})
	for bound := p.Correlation; ; bound += p.Step {
		if kept := greedy(order, outcomes, n, bound); len(kept) == feature.Bits {
			return kept, bound
		}
	}
}

// candidates draws p.Candidates distinct tests, as pairs of indices into
// points, whose points are at least p.MinGap apart along x or y.
func candidates(points []image.Point, p Params) [][2]int {
	rng := rand.New(rand.NewPCG(p.Seed, 0x6272696566)) // "brief"
	seen := map[[2]int]bool{}
	var out [][2]int
	for len(out) < p.Candidates {
		a, b := rng.IntN(len(points)), rng.IntN(len(points))
		d := points[a].Sub(points[b])
		if max(abs(d.X), abs(d.Y)) < p.MinGap || seen[[2]int{a, b}] || seen[[2]int{b, a}] {
			continue
		}
		seen[[2]int{a, b}] = true
		out = append(out, [2]int{a, b})
	}
	return out
}

// bitset holds one test's outcome on every patch.
type bitset struct {
	words []uint64
	ones  int
}

// measure returns the outcomes of the test comparing two points, given
// their values in every patch: 1 where the first is darker.
func measure(first, second []uint16) bitset {
	s := bitset{words: make([]uint64, (len(first)+63)/64)}
	second = second[:len(first)]
	for i, v := range first {
		if v < second[i] {
			s.words[i/64] |= 1 << (i % 64)
			s.ones++
		}
	}
	return s
}

// greedy returns the candidates, in the order given, that correlate
// with none of those taken before them by bound/100 or more in absolute
// value, stopping at feature.Bits.
func greedy(order []int, outcomes []bitset, n, bound int) []int {
	var kept []int
	for _, c := range order {
		if !correlated(outcomes[c], kept, outcomes, n, bound) {
			kept = append(kept, c)
			if len(kept) == feature.Bits {
				break
			}
		}
	}
	return kept
}

// correlated reports whether a correlates with one of the kept tests by
// bound/100 or more in absolute value. The correlation of two binary
// tests over n patches, a and b of them 1 and both on ab, is
// (n·ab − a·b) / √(a(n−a)·b(n−b)); it is compared squared, as products
// of exact integers converted to float64, with no sum of products that
// a compiler could fuse: the same answer on every platform.
func correlated(a bitset, kept []int, outcomes []bitset, n, bound int) bool {
	for _, k := range kept {
		b := outcomes[k]
		both := 0
		for i, w := range a.words {
			both += bits.OnesCount64(w & b.words[i])
		}
		cov := float64(n*both - a.ones*b.ones)
		spread := float64(a.ones*(n-a.ones)) * float64(b.ones*(n-b.ones))
		if float64(10000)*(cov*cov) >= float64(bound*bound)*spread {
			return true
		}
	}
	return false
}

func abs(v int) int {
	if v < 0 {
		return -v
	}
	return v
}
