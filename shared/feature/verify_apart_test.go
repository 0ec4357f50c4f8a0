package feature

import (
	"math"
	"math/rand/v2"
	"testing"
)

// wrapped is the expression apart replaces.
func wrapped(x float64) float64 { return math.Abs(math.Remainder(x, 2*math.Pi)) }

// same reports whether a and b are the same float64, NaN equal to NaN.
func same(a, b float64) bool {
	return math.Float64bits(a) == math.Float64bits(b) || math.IsNaN(a) && math.IsNaN(b)
}

// TestApartOnWhatAgreesMeets sweeps the differences agrees takes: every
// orientation a keypoint can have (a 16-bit turn, as Extract makes it
// and a record stores it) less turns an Atan2 can give — both ends, zero,
// their neighbours, a dense grid of [−π, π] and random ones — and those
// that put the difference exactly on, and one step either side of, the
// borders ±π and 3π of apart's cases. apart must equal the remainder
// everywhere, bit for bit.
func TestApartOnWhatAgreesMeets(t *testing.T) {
	turns := []float64{-math.Pi, math.Pi, 0, math.Copysign(0, -1),
		math.Nextafter(-math.Pi, 0), math.Nextafter(math.Pi, 0), 5e-324, -5e-324}
	for k := range 64 {
		turns = append(turns, -math.Pi+2*math.Pi*float64(k)/64)
	}
	rng := rand.New(rand.NewPCG(9, 10))
	for range 16 {
		turns = append(turns, math.Pi*(2*rng.Float64()-1))
	}
	n := 0
	check := func(x float64) {
		n++
		if got, want := apart(x), wrapped(x); !same(got, want) {
			t.Fatalf("apart(%v) = %v, remainder %v", x, got, want)
		}
	}
	for turn := range 1 << 16 {
		a := float64(float32(turn) * angleUnit)
		for _, tu := range turns {
			check(a - tu)
		}
		for _, border := range []float64{math.Pi, -math.Pi, 3 * math.Pi} {
			tu := a - border
			if tu < -math.Pi || tu > math.Pi {
				continue
			}
			for _, u := range []float64{tu, math.Nextafter(tu, 4), math.Nextafter(tu, -4)} {
				check(a - u)
			}
		}
	}
	for _, x := range []float64{math.Pi, -math.Pi, 3 * math.Pi, 2 * math.Pi, 4 * math.Pi} {
		for _, y := range []float64{x, math.Nextafter(x, 20), math.Nextafter(x, -20)} {
			check(y)
			check(-y)
		}
	}
	t.Logf("%d differences", n)
}

// FuzzApart holds apart to the remainder on any float64 at all,
// NaN, infinities and huge values included.
func FuzzApart(f *testing.F) {
	for _, x := range []float64{0, math.Pi, -math.Pi, 3 * math.Pi, 2 * math.Pi, 4 * math.Pi,
		math.Nextafter(3*math.Pi, 0), 1e300, -1e300, math.Inf(1), math.NaN(), 5e-324, -7.5} {
		f.Add(x)
	}
	f.Fuzz(func(t *testing.T, x float64) {
		if got, want := apart(x), wrapped(x); !same(got, want) {
			t.Fatalf("apart(%v) = %v, remainder %v", x, got, want)
		}
	})
}
