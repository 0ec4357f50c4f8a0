package feature

import (
	"cmp"
	"slices"
)

// hullArea returns the area of the convex hull of pts (Andrew's monotone
// chain). pts is reordered.
func hullArea(pts []Point) float64 {
	if len(pts) < 3 {
		return 0
	}
	slices.SortFunc(pts, func(a, b Point) int {
		return cmp.Or(cmp.Compare(a.X, b.X), cmp.Compare(a.Y, b.Y))
	})
	hull := make([]Point, 0, len(pts)+1)
	// The lower chain left to right, then the upper chain right to left;
	// a point that does not turn clockwise (y down) is dropped.
	chain := func(p Point, floor int) {
		for len(hull) >= floor+2 {
			a, b := hull[len(hull)-2], hull[len(hull)-1]
			if cross(Point{b.X - a.X, b.Y - a.Y}, Point{p.X - b.X, p.Y - b.Y}) > 0 {
				break
			}
			hull = hull[:len(hull)-1]
		}
		hull = append(hull, p)
	}
	for _, p := range pts {
		chain(p, 0)
	}
	lower := len(hull) - 1
	for i := len(pts) - 2; i >= 0; i-- {
		chain(pts[i], lower)
	}
	area := 0.0
	for i := 0; i+1 < len(hull); i++ {
		area += cross(hull[i], hull[i+1])
	}
	return max(area, -area) / 2
}
