package feature

import (
	"image"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/pixmatch/pixmatch/shared/internal/simd"
	"github.com/pixmatch/pixmatch/shared/testphoto"
)

// The kernels of package simd are built in only under js/wasm with the
// tag simd (make test runs this package's tests so, under Node); there
// the oracle tests (TestFASTMatchesItsDefinition, TestMatchOracle,
// TestMatchWithinOracle) and TestVectors hold them to their definitions,
// and the tests below to the Go code they stand for, turned off.

// withoutKernels runs f with the kernels turned off.
func withoutKernels(f func()) {
	defer func(k bool) { kernels = k }(kernels)
	kernels = false
	f()
}

// TestFASTKernel compares FAST with and without the kernel, the corners
// in the same order with the same scores, on random planes of every
// width of search from 1 to 50 pixels (the kernel takes 16 at a time,
// Go the rest of each row) and at every kind of threshold.
func TestFASTKernel(t *testing.T) {
	simd.NeedKernels(t)
	rng := rand.New(rand.NewPCG(3, 9))
	l := &level{w: 90, h: 24}
	l.pix = make([]uint8, l.w*l.h)
	for i := range l.pix {
		l.pix[i] = uint8(rng.IntN(256))
		if rng.IntN(3) == 0 && i > 0 { // runs of a grey: arcs
			l.pix[i] = l.pix[i-1]
		}
	}
	score := make([]uint16, l.w*l.h)
	for width := 1; width <= 50; width++ {
		for _, th := range []int{0, 5, 20, 80, 255} {
			r := image.Rect(3+width%7, 3, 3+width%7+width, l.h-3)
			got := l.fast(r, th, score, nil)
			clear(score)
			var want []corner
			withoutKernels(func() { want = l.fast(r, th, score, nil) })
			clear(score)
			if !slices.Equal(got, want) {
				t.Fatalf("width %d, threshold %d: %d corners, want %d:\n got %v\nwant %v", width, th, len(got), len(want), got, want)
			}
		}
	}
}

// TestBoxKernel compares the 5×5 box sums with and without the kernel
// on random planes of every width from 5 to 40 (the kernel takes 8
// columns at a time, the rest one by one) and a few heights, all white
// included (the largest sums).
func TestBoxKernel(t *testing.T) {
	simd.NeedKernels(t)
	rng := rand.New(rand.NewPCG(5, 5))
	for w := 5; w <= 40; w++ {
		for _, h := range []int{5, 6, 13} {
			for _, white := range []bool{false, true} {
				l := &level{w: w, h: h, pix: make([]uint8, w*h)}
				for i := range l.pix {
					l.pix[i] = uint8(rng.IntN(256))
					if white {
						l.pix[i] = 255
					}
				}
				got := slices.Clone(l.smoothed())
				l.smooth = nil
				var want []uint16
				withoutKernels(func() { want = l.smoothed() })
				if !slices.Equal(got, want) {
					t.Fatalf("%d×%d (white %v): box sums differ with the kernel:\n got %v\nwant %v", w, h, white, got, want)
				}
			}
		}
	}
}

// TestExtractKernels compares the features of photos, as targets and as
// queries, and the pairs of matching them, with and without the kernels.
func TestExtractKernels(t *testing.T) {
	simd.NeedKernels(t)
	for _, name := range []string{"coins", "grass"} {
		g := Plane(testphoto.Decoded(name, 640, 480), QueryOptions)
		target := Extract(Plane(testphoto.Image(name), TargetOptions), TargetOptions)
		query := Extract(g, QueryOptions)
		var wantTarget, wantQuery []Feature
		var wantPairs []Pair
		withoutKernels(func() {
			wantTarget = Extract(Plane(testphoto.Image(name), TargetOptions), TargetOptions)
			wantQuery = Extract(g, QueryOptions)
			wantPairs = Match(wantQuery, wantTarget, DefaultMatchOptions)
		})
		if !slices.Equal(target, wantTarget) || !slices.Equal(query, wantQuery) {
			t.Fatalf("%s: features differ with the kernels", name)
		}
		if pairs := Match(query, target, DefaultMatchOptions); !slices.Equal(pairs, wantPairs) || len(pairs) == 0 {
			t.Fatalf("%s: %d pairs with the kernels, want %d (and some)", name, len(pairs), len(wantPairs))
		}
	}
}

// BenchmarkKernels times FAST and the box sums on three photos' query
// planes (as BenchmarkFAST) and the matching of 1,000 query features against 1,000
// target features in 32 cells (as a search verifies a shortlisted
// target), with the kernels and without them in alternation, and reports
// how many times faster the kernels are. Without the kernels built in
// (see package simd) it reports 1.
func BenchmarkKernels(b *testing.B) {
	alternate := func(b *testing.B, f func()) {
		var base, ours time.Duration
		for b.Loop() {
			t0 := time.Now()
			withoutKernels(f)
			t1 := time.Now()
			f()
			base += t1.Sub(t0)
			ours += time.Since(t1)
		}
		b.ReportMetric(float64(ours.Microseconds())/1000/float64(b.N), "ms/op-kernels")
		b.ReportMetric(float64(base)/float64(ours), "x-faster-than-go")
	}
	for _, name := range []string{"chelsea", "china", "grass"} {
		l := compact(Plane(testphoto.Decoded(name, 640, 480), QueryOptions))
		r := newGrid(l, QueryOptions.Cell, new(scratch)).r
		score := make([]uint16, l.w*l.h)
		var found []corner
		b.Run("FAST/"+name, func(b *testing.B) {
			alternate(b, func() { found = l.fast(r, QueryOptions.Threshold, score, found[:0]) })
		})
		b.Run("box/"+name, func(b *testing.B) {
			alternate(b, func() { l.smooth = nil; l.smoothed() })
		})
	}
	rng := rand.New(rand.NewPCG(1, 1))
	query, target := benchFeatures(rng, 1000), benchFeatures(rng, 1000)
	qcell, tcell := make([]uint32, len(query)), make([]uint32, len(target))
	for i := range qcell {
		qcell[i], tcell[i] = rng.Uint32N(32), rng.Uint32N(32)
	}
	indexed := IndexTarget(target, tcell)
	b.Run("MatchIndexed-32-cells", func(b *testing.B) {
		alternate(b, func() { sink += len(MatchIndexed(query, qcell, indexed, DefaultMatchOptions)) })
	})
	b.Run("Match-one-cell", func(b *testing.B) {
		alternate(b, func() { sink += len(Match(query, target, DefaultMatchOptions)) })
	})
}
