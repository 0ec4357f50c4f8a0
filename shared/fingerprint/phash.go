package fingerprint

import (
	"image"
	"math"

	"github.com/corona10/goimagehash/etcs"
	"github.com/corona10/goimagehash/transforms"

	"github.com/pixmatch/pixmatch/shared/luma"
)

// The perceptual hash of a plane, computed with goimagehash's own
// transforms in the order its PerceptionHash applies them, so the code of
// a plane is exactly goimagehash.PerceptionHash of it. Two things are
// saved: only the 8 low columns of the second DCT pass are computed (the
// only ones the hash reads), and the codes of a plane's eight symmetries
// come from one DCT, since mirroring a picture flips the sign of its odd
// frequencies and transposing it transposes the coefficients.

// coefficients are the 8×8 lowest DCT coefficients of a 64×64 plane, by
// vertical then horizontal frequency.
type coefficients [64]float64

// grey is goimagehash's luminance of a grey pixel (pixel2Gray of v, v, v),
// computed by the same expression.
var grey = func() (t [256]float64) {
	for v := range t {
		r, g, b := uint32(v)*0x101, uint32(v)*0x101, uint32(v)*0x101
		t[v] = 0.299*float64(r/257) + 0.587*float64(g/257) + 0.114*float64(b/256)
	}
	return t
}()

// lowDCT returns the coefficients goimagehash's PerceptionHash hashes for
// a 64×64 plane.
func lowDCT(p *image.Gray) coefficients {
	var px [hashSide * hashSide]float64
	for y := 0; y < hashSide; y++ {
		row := p.Pix[p.PixOffset(p.Rect.Min.X, p.Rect.Min.Y+y):][:hashSide]
		for x, v := range row {
			px[y*hashSide+x] = grey[v]
		}
	}
	for y := 0; y < hashSide; y++ { // rows, as DCT2DFast64's first pass
		transforms.DCT1DFast64(px[y*hashSide : (y+1)*hashSide])
	}
	var c coefficients
	var col [hashSide]float64
	for x := 0; x < 8; x++ { // the 8 low columns of its second pass
		for y := range col {
			col[y] = px[y*hashSide+x]
		}
		transforms.DCT1DFast64(col[:])
		for v := 0; v < 8; v++ {
			c[v*8+x] = col[v]
		}
	}
	return c
}

// code is the hash of coefficients: a bit for each coefficient above
// their median, the first coefficient in the highest bit.
func (c *coefficients) code() uint64 {
	median := etcs.MedianOfPixelsFast64(c[:])
	var h uint64
	for i, v := range c {
		if v > median {
			h |= 1 << uint(63-i)
		}
	}
	return h
}

// turned returns the coefficients of the plane turned by d. A pixel moved
// from x to N-1-x turns cos(u·x) into (-1)^u·cos(u·x); swapping the axes
// swaps the frequencies.
func (c *coefficients) turned(d luma.Dihedral) coefficients {
	const n = hashSide
	o := pt(d.Point(0, 0, n, n))
	ex := pt(d.Point(1, 0, n, n)).Sub(o) // where a step along x goes
	ey := pt(d.Point(0, 1, n, n)).Sub(o) // where a step along y goes
	swap := ex.X == 0
	// flipU: the new horizontal axis runs backwards; flipV: the vertical.
	flipU, flipV := ex.X < 0, ey.Y < 0
	if swap {
		flipU, flipV = ey.X < 0, ex.Y < 0
	}
	var out coefficients
	for v := 0; v < 8; v++ {
		for u := 0; u < 8; u++ {
			src := c[v*8+u]
			if swap {
				src = c[u*8+v]
			}
			if flipU && u%2 == 1 {
				src = -src
			}
			if flipV && v%2 == 1 {
				src = -src
			}
			out[v*8+u] = src
		}
	}
	return out
}

func pt(x, y int) image.Point { return image.Pt(x, y) }

// basis[n] holds the cosines of the 8 lowest DCT-II frequencies at the n
// sample points of a side of an n×n grid: basis[n][u*n+x].
var basis = map[int][]float64{gridSide: cosines(gridSide), checkSide: cosines(checkSide)}

func cosines(n int) []float64 {
	b := make([]float64, 8*n)
	for u := 0; u < 8; u++ {
		for x := 0; x < n; x++ {
			b[u*n+x] = math.Cos(math.Pi * float64((2*x+1)*u) / float64(2*n))
		}
	}
	return b
}

// lowGrid returns the 8×8 lowest DCT-II coefficients of an n×n grid of
// cell means, row by row, n one of the sides basis holds, unscaled like
// goimagehash's. Each sum folds the grid in half first (the cosines of even frequencies are
// symmetric about the middle, those of odd ones antisymmetric). Products
// are rounded before they are added (float64 conversions), so no platform
// fuses them and every platform computes the same bits.
func lowGrid(g []float64) coefficients {
	n := gridLen(g)
	b := basis[n]
	half := n / 2
	rows := make([]float64, n*8) // rows[y*8+u]: row y at frequency u
	fold := make([]float64, n)   // sums, then differences, of mirrored pairs
	for y := 0; y < n; y++ {
		line := g[y*n : (y+1)*n]
		for x := 0; x < half; x++ {
			a, z := line[x], line[n-1-x]
			fold[x], fold[half+x] = a+z, a-z
		}
		for u := 0; u < 8; u++ {
			rows[y*8+u] = dot(fold, b[u*n:], half, u)
		}
	}
	var c coefficients
	col := make([]float64, n)
	for u := 0; u < 8; u++ {
		for y := 0; y < half; y++ {
			a, z := rows[y*8+u], rows[(n-1-y)*8+u]
			col[y], col[half+y] = a+z, a-z
		}
		for v := 0; v < 8; v++ {
			c[v*8+u] = dot(col, b[v*n:], half, v)
		}
	}
	return c
}

// gridLen returns the side of a square grid of len(g) cells.
func gridLen(g []float64) int {
	n := int(math.Sqrt(float64(len(g))))
	if n*n != len(g) {
		panic("fingerprint: grid is not square")
	}
	return n
}

// dot returns the sum over the first half of a side of the folded values
// of frequency u's parity times the cosines cos.
func dot(fold, cos []float64, half, u int) float64 {
	vals := fold[:half]
	if u%2 == 1 {
		vals = fold[half : 2*half]
	}
	cos = cos[:len(vals)]
	var s float64
	for x, v := range vals {
		s += float64(v * cos[x])
	}
	return s
}
