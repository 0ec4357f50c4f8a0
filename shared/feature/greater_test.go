package feature

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestGreaterIsMax holds greater to Go's max, bit for bit, on every pair
// of special and ordinary values but zeros of opposite signs (the one
// difference, which no caller passes): NaN wins from either side.
func TestGreaterIsMax(t *testing.T) {
	vals := []float64{math.NaN(), math.Inf(1), math.Inf(-1), 0, math.Copysign(0, -1),
		1, -1, 5e-324, math.MaxFloat64, -math.MaxFloat64, 1e-12, 25}
	rng := rand.New(rand.NewPCG(1, 2))
	for range 1000 {
		vals = append(vals, rng.NormFloat64()*math.Exp2(float64(rng.IntN(60)-30)))
	}
	for _, a := range vals {
		for _, b := range vals {
			if a == 0 && b == 0 && math.Signbit(a) != math.Signbit(b) {
				continue
			}
			got, want := greater(a, b), max(a, b)
			if math.Float64bits(got) != math.Float64bits(want) && !(math.IsNaN(got) && math.IsNaN(want)) {
				t.Fatalf("greater(%g, %g) = %g, max %g", a, b, got, want)
			}
		}
	}
}
