package luma

import (
	"image"
	"math"
)

// Integral is the summed-area table of a grey plane. Once made, the exact
// area mean of any rectangle of the plane costs a few lookups, so many
// windows of one plane resample for little more than the cost of their
// output pixels.
type Integral struct {
	w, h int
	// sum[y*(w+1)+x] is the sum of the pixels above and left of (x, y).
	sum []uint32
}

// NewIntegral returns the summed-area table of g.
func NewIntegral(g *image.Gray) *Integral {
	w, h := g.Rect.Dx(), g.Rect.Dy()
	t := &Integral{w: w, h: h, sum: make([]uint32, (w+1)*(h+1))}
	for y := 0; y < h; y++ {
		line := g.Pix[g.PixOffset(g.Rect.Min.X, g.Rect.Min.Y+y):][:w]
		above := t.sum[y*(w+1) : (y+1)*(w+1)]
		row := t.sum[(y+1)*(w+1) : (y+2)*(w+1)][:len(above)]
		var run uint32
		for x, v := range line {
			run += uint32(v)
			row[x+1] = above[x+1] + run
		}
	}
	return t
}

// Bounds returns the plane's rectangle, with its origin at 0,0.
func (t *Integral) Bounds() image.Rectangle { return image.Rect(0, 0, t.w, t.h) }

// Resample returns the part r of the plane scaled to w×h by exact area
// averaging: the same pixels as Resample of the plane, computed from the
// table.
func (t *Integral) Resample(r image.Rectangle, w, h int) *image.Gray {
	out := image.NewGray(image.Rect(0, 0, w, h))
	f, total := t.corners(r, w, h)
	if total == 0 {
		return out
	}
	for oy := 0; oy < h; oy++ {
		top, bottom := f[oy*(w+1):(oy+1)*(w+1)], f[(oy+1)*(w+1):(oy+2)*(w+1)]
		dst := out.Pix[oy*w : (oy+1)*w]
		for ox := range dst {
			acc := bottom[ox+1] - bottom[ox] - top[ox+1] + top[ox]
			dst[ox] = uint8((acc + total/2) / total)
		}
	}
	return out
}

// Means returns the exact area means of the w×h cells of the part r of
// the plane, row by row, unrounded: Resample without its last step.
func (t *Integral) Means(r image.Rectangle, w, h int) []float64 {
	out := make([]float64, w*h)
	f, total := t.corners(r, w, h)
	if total == 0 {
		return out
	}
	scale := 1 / float64(total)
	for oy := 0; oy < h; oy++ {
		top, bottom := f[oy*(w+1):(oy+1)*(w+1)], f[(oy+1)*(w+1):(oy+2)*(w+1)]
		dst := out[oy*w : (oy+1)*w]
		for ox := range dst {
			dst[ox] = float64(bottom[ox+1]-bottom[ox]-top[ox+1]+top[ox]) * scale
		}
	}
	return out
}

// corners returns, for the corners of the w×h cells of the part r of the
// plane, w*h times the plane's integral up to each, and the weight of a
// cell, w*h times its area; 0 for an empty part. In units of 1/w of a
// source pixel across and 1/h down, the cell edges fall on whole numbers:
// column ox spans [r.Min.X*w + ox*sw, r.Min.X*w + (ox+1)*sw). Inside a
// pixel the integral is the bilinear blend of the table at its corners,
// so the scaled integral there is an integer.
func (t *Integral) corners(r image.Rectangle, w, h int) (f []uint64, total uint64) {
	r = r.Intersect(t.Bounds())
	sw, sh := r.Dx(), r.Dy()
	if sw == 0 || sh == 0 || w <= 0 || h <= 0 {
		return nil, 0
	}
	W, H := uint64(w), uint64(h)
	type edge struct {
		i  int
		at uint64 // how far into pixel i, in 1/w of a pixel
	}
	cols := make([]edge, w+1)
	for ox := range cols {
		X := uint64(r.Min.X*w + ox*sw)
		cols[ox] = edge{int(X / W), X % W}
	}
	stride := t.w + 1
	f = make([]uint64, (w+1)*(h+1))
	for oy := 0; oy <= h; oy++ {
		Y := uint64(r.Min.Y*h + oy*sh)
		j, ay := int(Y/H), Y%H
		top := t.sum[j*stride:]
		bottom := top // only read when ay > 0, which keeps j+1 inside the table
		if ay > 0 {
			bottom = t.sum[(j+1)*stride:]
		}
		dst := f[oy*(w+1) : (oy+1)*(w+1)]
		for ox, c := range cols {
			a := uint64(top[c.i]) * (W - c.at)
			b := uint64(bottom[c.i]) * (W - c.at)
			if c.at > 0 {
				a += uint64(top[c.i+1]) * c.at
				b += uint64(bottom[c.i+1]) * c.at
			}
			dst[ox] = a*(H-ay) + b*ay
		}
	}
	return f, uint64(sw) * uint64(sh)
}

// at returns the plane's integral over [0, x) × [0, y) for real x, y
// within the plane.
func (t *Integral) at(x, y float64) float64 {
	i, j := int(x), int(y)
	i, j = min(max(i, 0), t.w-1), min(max(j, 0), t.h-1)
	ax, ay := x-float64(i), y-float64(j)
	s := func(x, y int) float64 { return float64(t.sum[y*(t.w+1)+x]) }
	return s(i, j)*(1-ax)*(1-ay) + s(i+1, j)*ax*(1-ay) + s(i, j+1)*(1-ax)*ay + s(i+1, j+1)*ax*ay
}

// Turned returns the w×h window centred on (cx, cy) of the plane turned
// back by degrees, as the means of n×n cells, row by row: if the plane is
// a picture turned by degrees counter-clockwise about (cx, cy), it is that
// window of the upright picture. Each output pixel is the exact mean of an upright box the size of its cell
// around its turned centre; for the small angles it is used at, the box
// and the turned cell cover nearly the same pixels. Parts of the window
// outside the plane read as black, as a turned photo's corners do.
func (t *Integral) Turned(cx, cy, w, h, degrees float64, n int) []float64 {
	out := make([]float64, n*n)
	sin, cos := math.Sincos(degrees * math.Pi / 180)
	stepX, stepY := w/float64(n), h/float64(n)
	hx, hy := stepX/2, stepY/2
	W, H := float64(t.w), float64(t.h)
	area := stepX * stepY
	for oy := 0; oy < n; oy++ {
		v := (float64(oy)+0.5)*stepY - h/2
		for ox := 0; ox < n; ox++ {
			u := (float64(ox)+0.5)*stepX - w/2
			// y points down, so a counter-clockwise turn of the picture
			// moves a window point (u, v) to (u cos + v sin, -u sin + v cos).
			x := cx + u*cos + v*sin
			y := cy - u*sin + v*cos
			// The box clipped to the plane, by comparisons rather than
			// math.Max and Min, which WebAssembly runs as calls: a third of
			// a query fingerprint's time in a browser or a Worker. (Neither
			// side is a NaN or a negative zero, so the values are theirs.)
			x0, x1, y0, y1 := x-hx, x+hx, y-hy, y+hy
			if x0 < 0 {
				x0 = 0
			}
			if x1 > W {
				x1 = W
			}
			if y0 < 0 {
				y0 = 0
			}
			if y1 > H {
				y1 = H
			}
			if x1 <= x0 || y1 <= y0 {
				continue
			}
			sum := t.at(x1, y1) - t.at(x0, y1) - t.at(x1, y0) + t.at(x0, y0)
			// Divide by the whole cell: the part outside the plane is black.
			out[oy*n+ox] = sum / area
		}
	}
	return out
}
