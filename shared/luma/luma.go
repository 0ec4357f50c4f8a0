// Package luma reduces decoded images to small grey planes: the first step
// of fingerprinting and grading, computed the same way on every platform.
//
// All arithmetic is integer, so the server (amd64, arm64) and the browser
// (js/wasm) produce bit-identical planes from the same pixels. Transparent
// pixels are composited onto white, the way a product photo on a page is seen.
package luma

import (
	"image"
	"image/color"
)

// FromImage returns the luminance of img, shrunk by whole-pixel box
// averaging until its longer side is at most maxSide (maxSide <= 0 keeps the
// full size). The result always has its origin at 0,0.
func FromImage(img image.Image, maxSide int) *image.Gray {
	b := img.Bounds()
	w, h := b.Dx(), b.Dy()
	if w <= 0 || h <= 0 {
		return image.NewGray(image.Rect(0, 0, 0, 0))
	}
	f := ShrinkFactor(w, h, maxSide)
	ow, oh := (w+f-1)/f, (h+f-1)/f
	out := image.NewGray(image.Rect(0, 0, ow, oh))
	if f == 1 {
		for y := 0; y < h; y++ {
			copy(out.Pix[y*ow:(y+1)*ow], rowOf(img, b.Min.Y+y, out.Pix[y*ow:(y+1)*ow]))
		}
		return out
	}
	row, row2, row3, row4 := make([]uint8, w), make([]uint8, w), make([]uint8, w), make([]uint8, w)
	cols := make([]uint32, w) // per-column sums over the rows of one output row
	for oy := 0; oy < oh; oy++ {
		clear(cols)
		y0, y1 := oy*f, min((oy+1)*f, h)
		y := y0
		for ; y+3 < y1; y += 4 { // four rows a pass: a quarter of the loads and stores of cols
			a := rowOf(img, b.Min.Y+y, row)
			c := rowOf(img, b.Min.Y+y+1, row2)[:len(a)]
			d := rowOf(img, b.Min.Y+y+2, row3)[:len(a)]
			e := rowOf(img, b.Min.Y+y+3, row4)[:len(a)]
			acc := cols[:len(a)] // one length for all: no bounds checks below
			for x, v := range a {
				acc[x] += uint32(v) + uint32(c[x]) + uint32(d[x]) + uint32(e[x])
			}
		}
		for ; y+1 < y1; y += 2 {
			a := rowOf(img, b.Min.Y+y, row)
			c := rowOf(img, b.Min.Y+y+1, row2)[:len(a)]
			acc := cols[:len(a)] // one length for all three: no bounds checks below
			for x, v := range a {
				acc[x] += uint32(v) + uint32(c[x])
			}
		}
		if y < y1 {
			a := rowOf(img, b.Min.Y+y, row)
			acc := cols[:len(a)]
			for x, v := range a {
				acc[x] += uint32(v)
			}
		}
		dst := out.Pix[oy*ow : (oy+1)*ow]
		rows := uint32(y1 - y0)
		for ox := range dst {
			x0, x1 := ox*f, min((ox+1)*f, w)
			var s uint32
			for _, c := range cols[x0:x1] {
				s += c
			}
			n := rows * uint32(x1-x0)
			dst[ox] = uint8((s + n/2) / n)
		}
	}
	return out
}

// rowOf returns the luma of image row y. Planes that store luma are read
// in place; other images are converted into buf, whose length is the
// image width.
func rowOf(img image.Image, y int, buf []uint8) []uint8 {
	b := img.Bounds()
	dst := buf
	switch m := img.(type) {
	case *image.YCbCr:
		i := m.YOffset(b.Min.X, y)
		return m.Y[i : i+len(buf)]
	case *image.Gray:
		i := m.PixOffset(b.Min.X, y)
		return m.Pix[i : i+len(buf)]
	case *image.NRGBA:
		p := m.Pix[m.PixOffset(b.Min.X, y):]
		for x := range dst {
			dst[x] = straight(p[4*x], p[4*x+1], p[4*x+2], p[4*x+3])
		}
	case *image.RGBA:
		p := m.Pix[m.PixOffset(b.Min.X, y):]
		for x := range dst {
			dst[x] = premultiplied(uint32(p[4*x])*0x101, uint32(p[4*x+1])*0x101, uint32(p[4*x+2])*0x101, uint32(p[4*x+3])*0x101)
		}
	default:
		for x := range dst {
			r, g, bl, a := img.At(b.Min.X+x, y).RGBA()
			dst[x] = premultiplied(r, g, bl, a)
		}
	}
	return dst
}

// FromNRGBA is FromImage for a raw buffer of non-premultiplied RGBA bytes,
// the layout a browser canvas hands out.
func FromNRGBA(pix []byte, width, height, maxSide int) *image.Gray {
	return FromImage(&image.NRGBA{Pix: pix, Stride: 4 * width, Rect: image.Rect(0, 0, width, height)}, maxSide)
}

// ShrinkFactor is the whole factor FromImage shrinks a picture of w×h
// by so that its longer side is at most maxSide (1 for maxSide ≤ 0).
func ShrinkFactor(w, h, maxSide int) int {
	if maxSide <= 0 {
		return 1
	}
	long := max(w, h)
	return max(1, (long+maxSide-1)/maxSide)
}

// gray16 is the luma of 16-bit channels, with the weights of image/color.
func gray16(r, g, b uint32) uint32 {
	return (19595*r + 38470*g + 7471*b + 1<<15) >> 16
}

// straight returns the 8-bit luma of a non-premultiplied pixel over white.
func straight(r, g, b, a uint8) uint8 {
	y := gray16(uint32(r)*0x101, uint32(g)*0x101, uint32(b)*0x101) >> 8
	if a == 0xff {
		return uint8(y)
	}
	return uint8((y*uint32(a) + 255*(255-uint32(a)) + 127) / 255)
}

// premultiplied returns the 8-bit luma of a premultiplied 16-bit pixel over white.
func premultiplied(r, g, b, a uint32) uint8 {
	return uint8((gray16(r, g, b) + (0xffff - a)) >> 8)
}

// Gray returns the 8-bit luma of any colour, composited onto white.
func Gray(c color.Color) uint8 {
	r, g, b, a := c.RGBA()
	return premultiplied(r, g, b, a)
}
