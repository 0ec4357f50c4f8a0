package quality

import (
	"image"
	"math/bits"
	"slices"
)

const (
	// patchSide is the side of the square patch compared around a
	// corner: 8×8, the template size of a typical patch tracker.
	patchSide = 8
	// patchArea is the number of pixels in a patch.
	patchArea = patchSide * patchSide
	// unitNorm is the length a normalised patch is scaled to, so that the
	// dot product of two of them is unitNorm² times their correlation.
	unitNorm = 1024
)

// A patch is the 8×8 neighbourhood of a corner with its mean removed and
// its length scaled to unitNorm: zero mean, unit variance, in integers.
type patch [patchArea]int16

// centred returns the patch of p whose top-left pixel is x-4, y-4 as
// n·v − Σv for every grey level v (n the patch area), which has zero sum
// exactly, together with the sum of its squares.
func centred(p *image.Gray, x, y int) (c [patchArea]int32, energy int64) {
	var s int32
	for r := 0; r < patchSide; r++ {
		row := p.Pix[(y-patchSide/2+r)*p.Stride+x-patchSide/2:]
		for k := 0; k < patchSide; k++ {
			v := int32(row[k])
			c[r*patchSide+k] = v
			s += v
		}
	}
	for i, v := range c {
		c[i] = patchArea*v - s
		energy += int64(c[i]) * int64(c[i])
	}
	return c, energy
}

// normalisedPatch returns the normalised patch around x,y, or false when
// the patch is flat.
func normalisedPatch(p *image.Gray, x, y int) (patch, bool) {
	var q patch
	c, energy := centred(p, x, y)
	norm := int64(isqrt(uint64(energy)))
	if norm == 0 {
		return q, false
	}
	for i, v := range c {
		q[i] = int16(int64(v) * unitNorm / norm) // |v| ≤ norm
	}
	return q, true
}

// dot returns the dot product of two patches.
func (q *patch) dot(o *patch) int32 {
	var s int32
	for i := range q {
		s += int32(q[i]) * int32(o[i])
	}
	return s
}

// twinShare returns the share, in percent, of the corners whose patch has a
// near-twin at another corner at least minDist pixels away: a correlation
// of at least pct percent. Repetitive textures, grids and
// checkerboards have a twin for nearly every corner; a distinctive image
// has few.
func twinShare(p *image.Gray, cs []corner, minDist, pct int) int {
	ps := make([]patch, 0, len(cs))
	at := make([]corner, 0, len(cs))
	for _, c := range cs {
		if q, ok := normalisedPatch(p, c.x, c.y); ok {
			ps = append(ps, q)
			at = append(at, c)
		}
	}
	if len(ps) == 0 {
		return 0
	}
	limit := int32(int64(pct) * unitNorm * unitNorm / 100)
	twin := make([]bool, len(ps))
	for i := range ps {
		for j := i + 1; j < len(ps); j++ {
			if twin[i] && twin[j] {
				continue
			}
			dx, dy := at[i].x-at[j].x, at[i].y-at[j].y
			if dx*dx+dy*dy < minDist*minDist {
				continue
			}
			if ps[i].dot(&ps[j]) >= limit {
				twin[i], twin[j] = true, true
			}
		}
	}
	n := 0
	for _, t := range twin {
		if t {
			n++
		}
	}
	return 100 * n / len(ps)
}

// ambiguousShare returns the share, in percent, of the corners whose patch
// is matched, with a correlation of at least pct percent, by the
// patch at some shift of at least near and at most far pixels (in either
// axis): the places where a tracker searching that window could lock on to
// the wrong spot. Repetition, blur and edges without a clear corner all
// make patches ambiguous.
func ambiguousShare(p *image.Gray, cs []corner, near, far, pct int) int {
	if len(cs) == 0 {
		return 0
	}
	w, h := p.Rect.Dx(), p.Rect.Dy()
	n := 0
	for _, c := range cs {
		a, ea := centred(p, c.x, c.y)
		if ea == 0 {
			n++ // a flat patch matches anything
			continue
		}
		if hasLocalTwin(p, &a, ea, c, w, h, near, far, pct) {
			n++
		}
	}
	return 100 * n / len(cs)
}

// hasLocalTwin reports whether a shifted patch near c correlates with the
// centred patch a (of energy ea) at least pct percent.
func hasLocalTwin(p *image.Gray, a *[patchArea]int32, ea int64, c corner, w, h, near, far, pct int) bool {
	half := patchSide / 2
	for dy := -far; dy <= far; dy++ {
		y := c.y + dy
		if y-half < 0 || y+half > h {
			continue
		}
		for dx := -far; dx <= far; dx++ {
			x := c.x + dx
			if max(abs(dx), abs(dy)) < near || x-half < 0 || x+half > w {
				continue
			}
			if correlatesAtLeast(p, a, ea, x, y, pct) {
				return true
			}
		}
	}
	return false
}

// correlatesAtLeast reports whether the patch of p around x,y correlates
// with the centred patch a (of energy ea) at least pct percent.
//
// With A = n·a − Σa, the correlation is ΣA·b / √(ΣA² · (nΣb² − (Σb)²) / n),
// so the test is n·(ΣA·b)²·100² ≥ pct² · ΣA² · (nΣb² − (Σb)²), done in 128
// bits so it is exact.
func correlatesAtLeast(p *image.Gray, a *[patchArea]int32, ea int64, x, y, pct int) bool {
	// In int32: |A| ≤ 64·255, so |ΣA·b| < 2²⁸ and Σb² < 2²³.
	var sb, sbb, sab int32
	for r := 0; r < patchSide; r++ {
		off := (y-patchSide/2+r)*p.Stride + x - patchSide/2
		row := p.Pix[off : off+patchSide : off+patchSide]
		ar := a[r*patchSide : r*patchSide+patchSide : r*patchSide+patchSide]
		for k, v := range row {
			b := int32(v)
			sb += b
			sbb += b * b
			sab += ar[k] * b
		}
	}
	vb := int64(patchArea)*int64(sbb) - int64(sb)*int64(sb)
	if sab <= 0 || vb == 0 {
		return false
	}
	lhsHi, lhsLo := bits.Mul64(uint64(sab)*uint64(sab), patchArea*100*100)
	rhsHi, rhsLo := bits.Mul64(uint64(ea)*uint64(vb), uint64(pct*pct))
	return lhsHi > rhsHi || (lhsHi == rhsHi && lhsLo >= rhsLo)
}

// medianTileStdDev returns the median standard deviation, in grey levels,
// of the tiles of the given side that cover p: how much local contrast a
// typical part of the image has.
func medianTileStdDev(p *image.Gray, side int) int {
	w, h := p.Rect.Dx(), p.Rect.Dy()
	var devs []int
	n := uint64(side * side)
	for ty := 0; ty+side <= h; ty += side {
		for tx := 0; tx+side <= w; tx += side {
			var s, s2 uint64
			for y := ty; y < ty+side; y++ {
				for _, v := range p.Pix[y*p.Stride+tx : y*p.Stride+tx+side] {
					s += uint64(v)
					s2 += uint64(v) * uint64(v)
				}
			}
			devs = append(devs, int(isqrt(n*s2-s*s)/n))
		}
	}
	if len(devs) == 0 {
		return 0
	}
	slices.Sort(devs)
	return devs[len(devs)/2]
}

func abs(v int) int {
	if v < 0 {
		return -v
	}
	return v
}
