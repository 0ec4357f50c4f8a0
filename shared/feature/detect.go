package feature

import (
	"image"
	"math"
	"slices"
)

// detection is what Extract found before describing it.
type detection struct {
	gw, gh int // size of the plane given to Extract
	levels []*level
	points []point // strongest first
}

// point is a chosen keypoint, in its level's pixels.
type point struct {
	x, y  int32
	level int8
	angle uint32 // orientation, in 2⁻³² turn
	score int64  // Harris response
}

// detect finds the keypoints of g for o (steps 1 to 5 of the package
// documentation), in m.
func detect(g *image.Gray, o Options, m *memory) *detection {
	o = o.normal()
	d := &detection{gw: g.Rect.Dx(), gh: g.Rect.Dy(), levels: pyramid(g, o, m)}
	quota := quotas(o.Max, len(d.levels), o.Scale)
	carry := 0
	s := &m.scratch
	for n, l := range d.levels {
		want := quota[n] + carry
		g := newGrid(l, o.Cell, s)
		picked := spread(l.corners(o, g, s), want, o.CellCap, s)
		carry = want - len(picked)
		for _, c := range picked {
			i := int(c.i)
			d.points = append(d.points, point{
				x: int32(i % l.w), y: int32(i / l.w), level: int8(n),
				angle: l.orientation(i), score: c.score,
			})
		}
	}
	slices.SortFunc(d.points, byRank)
	return d
}

// byRank orders points by response, strongest first, then by level, row
// and column. (Plain comparisons: cmp.Or's generic calls cost the
// browser's build a quarter of the sort.)
func byRank(a, b point) int {
	switch {
	case a.score > b.score:
		return -1
	case a.score < b.score:
		return 1
	case a.level != b.level:
		return int(a.level) - int(b.level)
	case a.y != b.y:
		return int(a.y - b.y)
	}
	return int(a.x - b.x)
}

// quotas shares max features among n levels, each level's share 1/scale
// of the one before, the rounding left-over to the first.
func quotas(max, n int, scale float64) []int {
	out := make([]int, n)
	if n == 0 {
		return out
	}
	shares := make([]float64, n)
	share, sum := 1.0, 0.0
	for i := range shares {
		shares[i] = share
		sum += share
		share /= scale // divisions and sums only: exact IEEE steps, no fused multiply-add
	}
	given := 0
	for i := n - 1; i >= 0; i-- {
		out[i] = int(math.Floor(float64(max) / sum * shares[i]))
		given += out[i]
	}
	out[0] += max - given
	return out
}

// spread returns at most want of the corners of b, the strongest, at
// most limit from each cell until every cell has given what it may, then
// the strongest of the rest: taken in order of strength, with a count
// by cell, those are the first want of the corners among the limit
// strongest of their cell, else all of those and the strongest others.
// They are returned in no particular order (detect orders all levels'),
// in s.
func spread(b *cellBest, want, limit int, s *scratch) []corner {
	if want <= 0 {
		return nil
	}
	first, rest := s.first[:0], s.rest[:0]
	for c := range b.n {
		cs := b.cell(c)
		n := min(limit, len(cs))
		for j := range n { // a selection sort of the n strongest
			for k := j + 1; k < len(cs); k++ {
				if stronger(cs[k], cs[j]) {
					cs[j], cs[k] = cs[k], cs[j]
				}
			}
		}
		first, rest = append(first, cs[:n]...), append(rest, cs[n:]...)
	}
	s.first, s.rest = first, rest
	if len(first) >= want {
		slices.SortFunc(first, byStrength)
		return first[:want]
	}
	slices.SortFunc(rest, byStrength)
	return append(first, rest[:min(len(rest), want-len(first))]...)
}

// stronger reports whether corner a has a stronger response than b, or
// as strong and comes first in raster order.
func stronger(a, b corner) bool { return a.score > b.score || a.score == b.score && a.i < b.i }

// byStrength orders corners strongest first, as stronger does.
func byStrength(a, b corner) int {
	switch {
	case stronger(a, b):
		return -1
	case stronger(b, a):
		return 1
	}
	return 0
}

// angleUnit is the angle of 2⁻¹⁶ turn in radians.
const angleUnit = float32(2 * math.Pi / 65536)

// keypoint returns p in the pixels of the plane given to Extract. Level
// pixel x covers [x, x+1)·gw/w of that plane, so its centre is at
// (x+½)·gw/w − ½ there; coordinates are rounded to 1/8 pixel by integer
// division, and every conversion to float32 is exact.
func (d *detection) keypoint(p point) Keypoint {
	l := d.levels[p.level]
	eighths := func(x, w, gw int) float32 {
		return float32((4*((2*x+1)*gw-w)+w/2)/w) / 8
	}
	return Keypoint{
		X:        eighths(int(p.x), l.w, d.gw),
		Y:        eighths(int(p.y), l.h, d.gh),
		Size:     float32((8*patchSide*d.gw+l.w/2)/l.w) / 8,
		Angle:    float32(p.angle>>16) * angleUnit,
		Response: float32(p.score) * 0x1p-32,
		Octave:   p.level,
	}
}
