package feature

import (
	"math"
	"math/bits"
)

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
	g := newRefineGrid(query, frameW, frameH)
	if g == nil {
		return nil
	}
	// best[qi] is the pair query feature qi is in so far (Distance
	// noDistance: none).
	best := make([]Pair, len(query))
	for qi := range best {
		best[qi].Distance = noDistance
	}
	r2 := o.Radius * o.Radius
	span := int(math.Ceil(o.Radius / refineCell))
	for ti := range target {
		t := &target[ti]
		p, ok := h.Project(position(&t.Keypoint))
		if !ok {
			continue
		}
		if _, in := g.cell(p); !in {
			continue
		}
		turn, size, ok := seenAs(h, &t.Keypoint, p)
		if !ok {
			continue
		}
		d1, d2, q1 := g.nearest(p, &t.Desc, span, r2, turn, size, o)
		if q1 < 0 || d1 > o.MaxDistance || o.Ratio > 0 && d2 != noDistance && !(float64(d1) < o.Ratio*float64(d2)) {
			continue
		}
		if d1 < best[q1].Distance {
			best[q1] = Pair{Query: q1, Target: ti, Distance: d1}
		}
	}
	var pairs []Pair
	for _, p := range best {
		if p.Distance != noDistance {
			pairs = append(pairs, p)
		}
	}
	return pairs
}

// refineGrid holds the query features in the frame by cell of refineCell
// pixels, row by row, each cell's in their order: what the search near
// an image reads, copied together so that it reads them in a row.
type refineGrid struct {
	w, h       float64 // the frame
	cols, rows int
	start      []int32 // cell c's features are at[start[c]:start[c+1]]
	at         []refineFeature
}

// refineFeature is what the search near an image reads of a query
// feature: its place, orientation and size as float64 (exact copies of
// the float32s) and its descriptor, and its index.
type refineFeature struct {
	x, y, angle, size float64
	desc              Descriptor
	i                 int
}

// newRefineGrid sorts the query features in a frameW×frameH frame into
// cells, or returns nil for a frame without pixels or no features.
func newRefineGrid(query []Feature, frameW, frameH int) *refineGrid {
	g := &refineGrid{w: float64(frameW), h: float64(frameH),
		cols: (frameW + refineCell - 1) / refineCell, rows: (frameH + refineCell - 1) / refineCell}
	if g.cols <= 0 || g.rows <= 0 || len(query) == 0 {
		return nil
	}
	cells := g.cols * g.rows
	g.start = make([]int32, cells+1)
	for i := range query {
		if c, ok := g.cell(position(&query[i].Keypoint)); ok {
			g.start[c+1]++
		}
	}
	for c := range cells {
		g.start[c+1] += g.start[c]
	}
	g.at = make([]refineFeature, g.start[cells])
	fill := append([]int32(nil), g.start[:cells]...)
	for i := range query {
		q := &query[i]
		if c, ok := g.cell(position(&q.Keypoint)); ok {
			g.at[fill[c]] = refineFeature{float64(q.X), float64(q.Y), float64(q.Angle), float64(q.Size), q.Desc, i}
			fill[c]++
		}
	}
	return g
}

// cell returns the cell of a point of the frame, false for a point off
// it.
func (g *refineGrid) cell(p Point) (int, bool) {
	if !(p.X >= 0 && p.Y >= 0 && p.X < g.w && p.Y < g.h) {
		return 0, false
	}
	return int(p.Y)/refineCell*g.cols + int(p.X)/refineCell, true
}

// nearest returns the distances from d to its nearest and second nearest
// query features within √r2 of p (searching span cells around p's) that
// agree with turn and size, and the index of the nearest (-1: none), the
// first of equals in the order of the cells, row by row.
func (g *refineGrid) nearest(p Point, d *Descriptor, span int, r2, turn, size float64, o RefineOptions) (d1, d2, q1 int) {
	a, b, c, e := d[0], d[1], d[2], d[3]
	d1, d2, q1 = noDistance, noDistance, -1
	cx, cy := int(p.X)/refineCell, int(p.Y)/refineCell
	for y := max(cy-span, 0); y <= min(cy+span, g.rows-1); y++ {
		row := y * g.cols
		lo, hi := g.start[row+max(cx-span, 0)], g.start[row+min(cx+span, g.cols-1)+1]
		for k := range g.at[lo:hi] {
			q := &g.at[int(lo)+k]
			dx, dy := q.x-p.X, q.y-p.Y
			if dx*dx+dy*dy > r2 || !o.agrees(q.angle, q.size, turn, size) {
				continue
			}
			dist := bits.OnesCount64(a^q.desc[0]) + bits.OnesCount64(b^q.desc[1]) +
				bits.OnesCount64(c^q.desc[2]) + bits.OnesCount64(e^q.desc[3])
			if dist < d1 {
				d1, d2, q1 = dist, d1, q.i
			} else if dist < d2 {
				d2 = dist
			}
		}
	}
	return d1, d2, q1
}

// seenAs returns the orientation and size a target feature k, whose
// centre h maps to p, takes in the frame: h's image of a step along its
// orientation, half its size long.
func seenAs(h Homography, k *Keypoint, p Point) (turn, size float64, ok bool) {
	half := greater(float64(k.Size)/2, 1)
	a := float64(k.Angle)
	e, ok := h.Project(Point{float64(k.X) + half*math.Cos(a), float64(k.Y) + half*math.Sin(a)})
	if !ok {
		return 0, 0, false
	}
	dx, dy := e.X-p.X, e.Y-p.Y
	return math.Atan2(dy, dx), 2 * math.Hypot(dx, dy), true
}

// agrees reports whether a query feature of orientation angle and size
// qsize turns and scales as the fit says the target feature does (turn,
// size: seenAs).
func (o *RefineOptions) agrees(angle, qsize, turn, size float64) bool {
	if o.MaxTurn > 0 {
		if apart(angle-turn) > o.MaxTurn {
			return false
		}
	}
	if o.MaxScale > 0 {
		r := qsize / size
		if !(r <= o.MaxScale && r*o.MaxScale >= 1) {
			return false
		}
	}
	return true
}

// apart returns |remainder(x, 2π)|, math.Abs(math.Remainder(x, 2*math.Pi))
// bit for bit: how far apart two angles x apart are, at most π. In
// WebAssembly math.Remainder is a software loop that cost the second
// matching a third of its time; the differences agrees takes (an
// orientation in [0, 2π) less an Atan2 in [−π, π]) lie in [−π, 3π),
// where the remainder is one exact subtraction or none:
//
//   - |x| ≤ π: the quotient x/2π rounds to 0 (a tie, |x| = π, to the even
//     0), and the remainder is x itself;
//   - π < x ≤ 4π: x − 2π is exact (Sterbenz: 2π/2 ≤ x ≤ 2·2π), and when
//     it is below π the quotient rounds to 1 and it is the remainder.
//
// (math.Pi is half of 2*math.Pi exactly: doubling a float64 is exact.)
// Anything else — beyond, NaN, infinite — is math.Remainder's.
func apart(x float64) float64 {
	const twoPi = 2 * math.Pi
	if x >= -math.Pi && x <= math.Pi {
		return math.Abs(x)
	}
	if x > math.Pi && x <= 2*twoPi {
		if r := x - twoPi; r < math.Pi {
			return math.Abs(r)
		}
	}
	return math.Abs(math.Remainder(x, twoPi))
}
