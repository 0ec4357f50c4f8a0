package feature

import "math"

// RefineOptions tunes the second matching of Verify: once RANSAC has a
// homography, the target's features are matched again where it puts
// them.
//
// The first matching compares a query feature with every target feature
// of its cell and keeps the nearest only when it is clearly nearer than
// the second (Lowe's ratio): on a print tilted 50° or a tenth of the
// frame most true pairs fail that test, their descriptors bent by the
// view, and a fit may rest on a dozen pairs. Under the fit a target
// feature has a place in the frame, and only the few query features near
// that place are candidates: a descriptor far nearer than chance among
// them is a pair, ratio or not. The pairs are fitted again; the fit
// explaining more target features is kept.
type RefineOptions struct {
	// From is the least number of target features the first fit must
	// explain for the second matching to run (0: never run). A fit of a
	// handful of pairs can be anything; under it the second matching finds
	// nothing it should not, but costs a search.
	From int
	// Radius is how far, in pixels of the frame, a query feature may lie
	// from a target feature's image to be its candidate.
	Radius float64
	// MaxDistance is the largest distance, in bits, of a pair kept, and
	// Ratio the ratio test among the candidates near the image (0: none).
	MaxDistance int
	Ratio       float64
	// MaxTurn is how far, in radians, a candidate's orientation may be
	// from the target feature's as the fit turns it, and MaxScale the
	// most its size may differ, as a factor, from the target feature's as
	// the fit scales it (0: no test). A feature's orientation and size
	// follow the view, so a true pair agrees with the fit in both; a
	// chance neighbour takes any orientation and size.
	MaxTurn, MaxScale float64
}

// DefaultRefineOptions are Verify's: second matching from 12 explained
// features (from 10, two photos not in the quality harness's gallery
// grew 10 and 11 chance inliers into 23 and 50: a fox on white into an
// owl, a firefighter into the same firefighter photographed a moment
// apart), within 10 pixels, at most 64 bits apart (unrelated
// descriptors differ in 128 ± 8 bits: eight standard deviations), the
// nearest candidate clearly nearer than the next (0.9), turned within
// 30° and scaled within a factor of 2 of what the fit predicts (a 50°
// tilt bends orientations by up to about 15°).
var DefaultRefineOptions = RefineOptions{From: 12, Radius: 10, MaxDistance: 64, Ratio: 0.9, MaxTurn: math.Pi / 6, MaxScale: 2}

// refineCell is the side, in pixels of the frame, of the cells the query
// features are sorted into for the search near an image: about the
// radius, so that a search reads at most nine cells.
const refineCell = 16

// matchUnder returns the pairs of target and query features that h maps
// near each other (see RefineOptions): for each target feature whose
// image lies in the frame, the nearest query feature within o.Radius of
// it by descriptor, kept when within o.MaxDistance and the ratio test
// among those candidates; of two target features taking one query
// feature, the nearer descriptor keeps it.
func matchUnder(h Homography, query []Feature, frameW, frameH int, target []Feature, o RefineOptions) []Pair {
	cols := (frameW + refineCell - 1) / refineCell
	rows := (frameH + refineCell - 1) / refineCell
	if cols <= 0 || rows <= 0 || len(query) == 0 {
		return nil
	}
	// The query features by cell: start[c] to start[c+1] in order.
	start := make([]int32, cols*rows+1)
	cellOf := func(p Point) (int, bool) {
		if !(p.X >= 0 && p.Y >= 0 && p.X < float64(frameW) && p.Y < float64(frameH)) {
			return 0, false
		}
		return int(p.Y)/refineCell*cols + int(p.X)/refineCell, true
	}
	for i := range query {
		if c, ok := cellOf(position(&query[i].Keypoint)); ok {
			start[c+1]++
		}
	}
	for c := range cols * rows {
		start[c+1] += start[c]
	}
	order := make([]int32, start[cols*rows])
	fill := append([]int32(nil), start[:cols*rows]...)
	for i := range query {
		if c, ok := cellOf(position(&query[i].Keypoint)); ok {
			order[fill[c]] = int32(i)
			fill[c]++
		}
	}
	best := make(map[int]Pair) // by query feature
	r2 := o.Radius * o.Radius
	span := int(math.Ceil(o.Radius / refineCell))
	for ti := range target {
		p, ok := h.Project(position(&target[ti].Keypoint))
		if !ok {
			continue
		}
		if _, in := cellOf(p); !in {
			continue
		}
		turn, size, ok := seenAs(h, &target[ti].Keypoint, p)
		if !ok {
			continue
		}
		cx, cy := int(p.X)/refineCell, int(p.Y)/refineCell
		d1, d2, q1 := noDistance, noDistance, -1
		for y := max(cy-span, 0); y <= min(cy+span, rows-1); y++ {
			for x := max(cx-span, 0); x <= min(cx+span, cols-1); x++ {
				c := y*cols + x
				for _, qi := range order[start[c]:start[c+1]] {
					q := &query[qi]
					dx, dy := float64(q.X)-p.X, float64(q.Y)-p.Y
					if dx*dx+dy*dy > r2 || !o.agrees(&q.Keypoint, turn, size) {
						continue
					}
					d := Distance(q.Desc, target[ti].Desc)
					if d < d1 {
						d1, d2, q1 = d, d1, int(qi)
					} else if d < d2 {
						d2 = d
					}
				}
			}
		}
		if q1 < 0 || d1 > o.MaxDistance || o.Ratio > 0 && d2 != noDistance && !(float64(d1) < o.Ratio*float64(d2)) {
			continue
		}
		if b, ok := best[q1]; !ok || d1 < b.Distance {
			best[q1] = Pair{Query: q1, Target: ti, Distance: d1}
		}
	}
	pairs := make([]Pair, 0, len(best))
	for qi := range query {
		if p, ok := best[qi]; ok {
			pairs = append(pairs, p)
		}
	}
	return pairs
}

// seenAs returns the orientation and size a target feature k, whose
// centre h maps to p, takes in the frame: h's image of a step along its
// orientation, half its size long.
func seenAs(h Homography, k *Keypoint, p Point) (turn, size float64, ok bool) {
	half := max(float64(k.Size)/2, 1)
	a := float64(k.Angle)
	e, ok := h.Project(Point{float64(k.X) + half*math.Cos(a), float64(k.Y) + half*math.Sin(a)})
	if !ok {
		return 0, 0, false
	}
	dx, dy := e.X-p.X, e.Y-p.Y
	return math.Atan2(dy, dx), 2 * math.Hypot(dx, dy), true
}

// agrees reports whether a query feature q turns and scales as the fit
// says the target feature does (turn, size: seenAs).
func (o RefineOptions) agrees(q *Keypoint, turn, size float64) bool {
	if o.MaxTurn > 0 {
		d := math.Abs(math.Remainder(float64(q.Angle)-turn, 2*math.Pi))
		if d > o.MaxTurn {
			return false
		}
	}
	if o.MaxScale > 0 {
		r := float64(q.Size) / size
		if !(r <= o.MaxScale && r*o.MaxScale >= 1) {
			return false
		}
	}
	return true
}
