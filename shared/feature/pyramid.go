package feature

import (
	"image"
	"math"

	"github.com/pixmatch/pixmatch/shared/internal/simd"
)

// edge is how far from a level's border a keypoint must be: a turned
// test point lies at most PatternRadius (13) pixels along x and y from
// it, plus 2 for the box around it; the orientation disc reaches 15.
const edge = 16

// level is one plane of the pyramid, row by row without gaps.
type level struct {
	pix  []uint8
	w, h int
	// smooth holds the 5×5 box sums of the level (the sum, not the mean:
	// tests compare two of them), made when a keypoint of the level is
	// first described.
	smooth []uint16
	// mem is where the level's box sums and turned tests are made (nil:
	// anew).
	mem *levelMemory
}

// gray returns the level as an image.
func (l *level) gray() *image.Gray {
	return &image.Gray{Pix: l.pix, Stride: l.w, Rect: image.Rect(0, 0, l.w, l.h)}
}

// pyramid returns the levels of g for o, in m: the working plane, then
// planes each o.Scale times smaller, made by area averaging from the one
// before, while a level still has room for a keypoint.
func pyramid(g *image.Gray, o Options, m *memory) []*level {
	base := working(compact(g), o.MaxSide)
	if base.w <= 2*edge || base.h <= 2*edge {
		return nil
	}
	base.mem = &m.levels[0]
	levels := []*level{base}
	for len(levels) < o.Levels {
		prev, mem := levels[len(levels)-1], &m.levels[len(levels)]
		// One IEEE division and a rounding: the same sizes everywhere.
		w := int(math.Floor(float64(prev.w)/o.Scale + 0.5))
		h := int(math.Floor(float64(prev.h)/o.Scale + 0.5))
		if w <= 2*edge || h <= 2*edge {
			break
		}
		l := shrinkInto(prev, w, h, mem.pix)
		l.mem, mem.pix = mem, l.pix
		levels = append(levels, l)
	}
	return levels
}

// compact returns g as a level, sharing its pixels when its rows have no
// gaps.
func compact(g *image.Gray) *level {
	w, h := g.Rect.Dx(), g.Rect.Dy()
	if g.Stride == w && g.Rect.Min == (image.Point{}) {
		return &level{pix: g.Pix[:w*h], w: w, h: h}
	}
	pix := make([]uint8, w*h)
	for y := range h {
		copy(pix[y*w:(y+1)*w], g.Pix[g.PixOffset(g.Rect.Min.X, g.Rect.Min.Y+y):])
	}
	return &level{pix: pix, w: w, h: h}
}

// smoothed returns the level's 5×5 box sums, computing them once: a sum
// of 5 pixels down each column, kept running row by row, then a running
// sum of 5 of those along the row, both in one pass along a row once
// the first five rows are in (a pass a row fewer: the browser's build
// pays for every turn of a loop). Pixels within 2 of the border are left
// 0; no test reads them. The sums are kept in native-width integers: the
// browser's build handles 16-bit arithmetic slowly.
func (l *level) smoothed() []uint16 {
	if l.smooth != nil {
		return l.smooth
	}
	w, h := l.w, l.h
	var room []uint16
	if l.mem != nil {
		room = l.mem.smooth
	}
	out := grow(room, w*h)
	clear(out)
	l.smooth = out
	if l.mem != nil {
		l.mem.smooth = out
	}
	if w < 5 || h < 5 {
		return out
	}
	if kernels {
		simd.Box5(l.pix, w, h, make([]uint16, w), out)
		return out
	}
	cols := make([]int32, w)
	for y := range h {
		add := l.pix[y*w : (y+1)*w]
		if y < 5 {
			for x, v := range add {
				cols[x] += int32(v)
			}
			if y == 4 {
				boxRow(cols, out[2*w:3*w])
			}
			continue
		}
		sub := l.pix[(y-5)*w : (y-4)*w][:len(add)]
		acc := cols[:len(add)]
		for x := range 5 {
			acc[x] += int32(add[x]) - int32(sub[x])
		}
		row := out[(y-2)*w : (y-1)*w]
		run := acc[0] + acc[1] + acc[2] + acc[3] + acc[4]
		row[2] = uint16(run)
		ahead, ad, sb := acc[5:], add[5:], sub[5:]
		ad, sb = ad[:len(ahead)], sb[:len(ahead)]
		behind, dst := acc[:len(ahead)], row[3:][:len(ahead)]
		for x := range ahead {
			v := ahead[x] + int32(ad[x]) - int32(sb[x])
			ahead[x] = v
			run += v - behind[x]
			dst[x] = uint16(run)
		}
	}
	return out
}

// boxRow writes into row the running sums of 5 of the column sums cols
// along it, from column 2.
func boxRow(cols []int32, row []uint16) {
	run := cols[0] + cols[1] + cols[2] + cols[3] + cols[4]
	row[2] = uint16(run)
	ahead := cols[5:]
	behind, dst := cols[:len(ahead)], row[3:][:len(ahead)]
	for x, v := range ahead {
		run += v - behind[x]
		dst[x] = uint16(run)
	}
}
