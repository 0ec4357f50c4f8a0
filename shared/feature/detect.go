package feature

import (
	"cmp"
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
// documentation).
func detect(g *image.Gray, o Options) *detection {
	o = o.normal()
	d := &detection{gw: g.Rect.Dx(), gh: g.Rect.Dy(), levels: pyramid(g, o)}
	quota := quotas(o.Max, len(d.levels), o.Scale)
	carry := 0
	var s scratch
	for n, l := range d.levels {
		want := quota[n] + carry
		g := newGrid(l, o.Cell)
		picked := spread(l.corners(o, g, &s), want, g, o.CellCap)
		carry = want - len(picked)
		for _, c := range picked {
			i := int(c.i)
			d.points = append(d.points, point{
				x: int32(i % l.w), y: int32(i / l.w), level: int8(n),
				angle: l.orientation(i), score: c.score,
			})
		}
	}
	slices.SortFunc(d.points, func(a, b point) int {
		return cmp.Or(cmp.Compare(b.score, a.score), cmp.Compare(a.level, b.level),
			cmp.Compare(a.y, b.y), cmp.Compare(a.x, b.x))
	})
	return d
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

// spread returns at most want of the corners cs, strongest first, at
// most limit from each cell of g until every cell has given what it may,
// then the strongest of the rest.
func spread(cs []corner, want int, g grid, limit int) []corner {
	if want <= 0 {
		return nil
	}
	stronger := func(a, b corner) int { return cmp.Or(cmp.Compare(b.score, a.score), cmp.Compare(a.i, b.i)) }
	slices.SortFunc(cs, stronger)
	taken := make([]int, g.cells())
	var out, rest []corner
	for _, c := range cs {
		if n := g.cell(c.i); taken[n] < limit {
			taken[n]++
			out = append(out, c)
			if len(out) == want {
				return out
			}
		} else {
			rest = append(rest, c)
		}
	}
	out = append(out, rest[:min(len(rest), want-len(out))]...)
	slices.SortFunc(out, stronger)
	return out
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
