package feature

import (
	"math/rand/v2"
	"testing"
	"time"
)

// plainRANSAC is the textbook loop FitHomography improves on: a fixed
// number of samples, each solved and scored, with no shape test, no
// adaptive stop and no refit. It is the benchmarks' baseline.
func plainRANSAC(from, to []Point, samples int) model {
	tf, _ := normaliser(from)
	tt, _ := normaliser(to)
	r := ransac{from: from, to: to, tf: tf, tt: tt, thr2: 25}
	r.nf, r.nt = make([]Point, len(from)), make([]Point, len(to))
	for i := range from {
		r.nf[i], r.nt[i] = tf.apply(from[i]), tt.apply(to[i])
	}
	rng := newSampler(1, 2)
	var best model
	var idx [4]int
	var f, t [4]Point
	for range samples {
		r.draw(rng, &idx)
		for k, i := range idx {
			f[k], t[k] = r.nf[i], r.nt[i]
		}
		if hn, ok := fromFour(&f, &t); ok {
			if m := r.score(r.pixels(hn), 0); m.better(best) {
				best = m
			}
		}
	}
	return best
}

// BenchmarkFitHomography times FitHomography on 300 pairs at 80 % and
// 50 % outliers (a 50° pose) and on 300 pairs at random places (a
// non-member, which runs to the bound), each against the plain loop with
// the samples 99.5 % confidence needs at 20 % inliers (3,300), in
// alternation on the same data; it reports the ratio.
func BenchmarkFitHomography(b *testing.B) {
	h := camera(fitViews[4].v, targetW, targetH, frameW, frameH)
	for _, c := range []struct {
		name    string
		in, out int
	}{{"outliers=80%", 60, 240}, {"outliers=50%", 150, 150}, {"outliers=100%", 0, 300}} {
		b.Run(c.name, func(b *testing.B) {
			s := makeScene(rand.New(rand.NewPCG(1, 1)), h, c.in, c.out, gaussian(1))
			var base, ours time.Duration
			for b.Loop() {
				t0 := time.Now()
				plainRANSAC(s.from, s.to, 3300)
				t1 := time.Now()
				FitHomography(s.from, s.to, DefaultRANSACOptions)
				base += t1.Sub(t0)
				ours += time.Since(t1)
			}
			b.ReportMetric(float64(ours.Microseconds())/float64(b.N), "µs/fit")
			b.ReportMetric(float64(base)/float64(ours), "x-faster-than-plain")
		})
	}
}
