package feature

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestHullArea: shapes of known area, with points inside, repeated, and
// on the edges; collinear and too few points have none.
func TestHullArea(t *testing.T) {
	rng := rand.New(rand.NewPCG(31, 32))
	inside := func(corners []Point, n int) []Point { // corners, then convex mixtures of them
		pts := append([]Point(nil), corners...)
		for range n {
			var p Point
			w := make([]float64, len(corners))
			sum := 0.0
			for i := range w {
				w[i] = rng.Float64()
				sum += w[i]
			}
			for i, c := range corners {
				p.X += c.X * w[i] / sum
				p.Y += c.Y * w[i] / sum
			}
			pts = append(pts, p)
		}
		rng.Shuffle(len(pts), func(i, j int) { pts[i], pts[j] = pts[j], pts[i] })
		return pts
	}
	cases := []struct {
		name string
		pts  []Point
		want float64
	}{
		{"none", nil, 0},
		{"two", []Point{{0, 0}, {5, 5}}, 0},
		{"collinear", []Point{{0, 0}, {1, 1}, {3, 3}, {2, 2}, {-4, -4}}, 0},
		{"one point thrice", []Point{{2, 2}, {2, 2}, {2, 2}}, 0},
		{"triangle", []Point{{0, 0}, {4, 0}, {0, 3}}, 6},
		{"square with its centre and edge midpoints", []Point{{0, 0}, {2, 0}, {2, 2}, {0, 2}, {1, 1}, {1, 0}, {2, 1}, {0, 1}, {1, 2}, {0, 0}}, 4},
		{"triangle filled", inside([]Point{{10, 10}, {300, 40}, {120, 250}}, 200), 0.5 * math.Abs(290*240-30*110)},
		{"hexagon filled", inside([]Point{{0, 1}, {1, 0}, {2, 0}, {3, 1}, {2, 2}, {1, 2}}, 300), 4},
	}
	for _, c := range cases {
		if got := hullArea(c.pts); math.Abs(got-c.want) > 1e-9*max(1, c.want) {
			t.Errorf("%s: %v, want %v", c.name, got, c.want)
		}
	}
}
