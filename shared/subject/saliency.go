package subject

import (
	"image"
	"sync"
)

const (
	// ring is the width, in working pixels, of the outer ring of the
	// working plane that is never read: resampling, compression and the
	// edge of an enclosing frame spoil it.
	ring = 2
	// textureWeight is how much more a grey of texture counts than a grey
	// of difference from the background.
	textureWeight = 2
	// threshold is the saliency at which a pixel belongs to the subject.
	threshold = 16
	// keepFraction: a component at least 1/keepFraction of the largest
	// one's area is part of the subject.
	keepFraction = 8
)

// scratch holds the buffers of one detection. Every user overwrites what
// it takes, so buffers pass from level to level and, through scratchPool,
// from call to call without being cleared.
type scratch struct {
	diff, smooth, grad, expect []int32
	mask, grown                []bool
	runs                       []run
	root                       []int32
	comps                      []component
}

var scratchPool = sync.Pool{New: func() any { return new(scratch) }}

// sized returns buf with length n, reallocated if it is too short.
func sized[T any](buf []T, n int) []T {
	if cap(buf) < n {
		return make([]T, n)
	}
	return buf[:n]
}

// texture returns, for every pixel of p, the smallest Sobel gradient
// magnitude in its 3×3 neighbourhood, |gx|+|gy| scaled so that a step of
// d greys gives about d. Taking the smallest keeps the texture inside a
// subject and drops the one-pixel halo a plain gradient puts outside its
// edge. Edges are extended; p is at least 2 pixels wide.
func texture(p *image.Gray, s *scratch) []int32 {
	w, h := p.Rect.Dx(), p.Rect.Dy()
	// The Sobel kernels are separable: per row, a difference and a
	// smoothing across x; then the same down y. Row k of diff and smooth
	// belongs to plane row k-1, edges replicated.
	s.diff, s.smooth = sized(s.diff, (h+2)*w), sized(s.smooth, (h+2)*w)
	for k := 0; k < h+2; k++ {
		row := p.Pix[min(max(k-1, 0), h-1)*p.Stride:][:w]
		d, sm := s.diff[k*w:][:w], s.smooth[k*w:][:w]
		d[0], sm[0] = int32(row[1])-int32(row[0]), 3*int32(row[0])+int32(row[1])
		d[w-1], sm[w-1] = int32(row[w-1])-int32(row[w-2]), int32(row[w-2])+3*int32(row[w-1])
		for x := 1; x < w-1; x++ {
			l, c, r := int32(row[x-1]), int32(row[x]), int32(row[x+1])
			d[x], sm[x] = r-l, l+2*c+r
		}
	}
	s.grad = sized(s.grad, w*h)
	for y := 0; y < h; y++ {
		out := s.grad[y*w:][:w]
		du, dm, dd := s.diff[y*w:][:w], s.diff[(y+1)*w:][:w], s.diff[(y+2)*w:][:w]
		su, sd := s.smooth[y*w:][:w], s.smooth[(y+2)*w:][:w]
		for x := range out {
			out[x] = (abs(du[x]+2*dm[x]+dd[x]) + abs(sd[x]-su[x])) / 4
		}
	}
	erode(s.grad, w, h, s.diff[:w*h])
	return s.grad
}

// erode replaces the w×h values v by their 3×3 minimum filter, edges
// extended, using horiz (as long as v) as scratch. w is at least 2.
func erode(v []int32, w, h int, horiz []int32) {
	for y := 0; y < h; y++ {
		row, out := v[y*w:][:w], horiz[y*w:][:w]
		out[0], out[w-1] = min(row[0], row[1]), min(row[w-2], row[w-1])
		for x := 1; x < w-1; x++ {
			out[x] = min(row[x-1], row[x], row[x+1])
		}
	}
	for y := 0; y < h; y++ {
		up, mid, down := horiz[max(y-1, 0)*w:][:w], horiz[y*w:][:w], horiz[min(y+1, h-1)*w:][:w]
		row := v[y*w:][:w]
		for x := range row {
			row[x] = min(up[x], mid[x], down[x])
		}
	}
}

// saliency returns how much every pixel of p stands out from bg: its
// distance from the background's surface beyond the background's spread,
// plus its texture beyond the background's. The outer ring is never
// salient. The result overwrites tex.
func saliency(p *image.Gray, tex []int32, bg *background, s *scratch) []int32 {
	w, h := p.Rect.Dx(), p.Rect.Dy()
	surf := bg.surface(w)
	s.expect = sized(s.expect, w)
	floor := bg.spread + slack
	for y := 0; y < h; y++ {
		out := tex[y*w:][:w]
		if y < ring || y >= h-ring {
			clear(out)
			continue
		}
		surf.row(y, s.expect)
		row, expect := p.Pix[y*p.Stride:][:w], s.expect[:w]
		clear(out[:ring])
		clear(out[w-ring:])
		for x := ring; x < w-ring; x++ {
			dist := max(0, (abs(16*int32(row[x])-expect[x])+8)>>4-floor)
			out[x] = dist + textureWeight*max(0, out[x]-bg.texFloor)
		}
	}
	return tex
}

// salient returns the mask of the values of sal at least threshold.
func salient(sal []int32, s *scratch) []bool {
	s.mask = sized(s.mask, len(sal))
	for i, v := range sal {
		s.mask[i] = v >= threshold
	}
	return s.mask
}

// trimEdges drops each outermost row or column of box whose saliency adds
// up to less than half that of its inner neighbour: a pixel of the
// working plane straddling the subject's edge is mostly background when
// it stands out less than half as much as the subject does.
func trimEdges(box image.Rectangle, sal []int32, w int) image.Rectangle {
	if box.Dx() < 3 || box.Dy() < 3 {
		return box
	}
	col := func(x int) (sum int32) {
		for y := box.Min.Y; y < box.Max.Y; y++ {
			sum += sal[y*w+x]
		}
		return sum
	}
	row := func(y int) (sum int32) {
		for _, v := range sal[y*w+box.Min.X : y*w+box.Max.X] {
			sum += v
		}
		return sum
	}
	out := box
	if 2*col(box.Min.X) < col(box.Min.X+1) {
		out.Min.X++
	}
	if 2*col(box.Max.X-1) < col(box.Max.X-2) {
		out.Max.X--
	}
	if 2*row(box.Min.Y) < row(box.Min.Y+1) {
		out.Min.Y++
	}
	if 2*row(box.Max.Y-1) < row(box.Max.Y-2) {
		out.Max.Y--
	}
	return out
}

// subjectBox returns the bounding box and area of the subject in the w×h
// mask, and the area of all set pixels. Set pixels are grouped into
// components after a 3×3 dilation, so that parts a pixel apart belong
// together; the subject is the largest component and every one at least
// 1/keepFraction of its size. Box and areas count the set pixels of the
// mask itself, not the dilation.
func subjectBox(mask []bool, w, h int, s *scratch) (box image.Rectangle, mass, total int) {
	s.grown = sized(s.grown, w*h)
	dilate(mask, w, h, s.grown)
	s.connectRuns(s.grown, w, h)
	s.comps = sized(s.comps, len(s.runs)) // indexed by a component's first run
	clear(s.comps)
	for k, r := range s.runs {
		n, x0, x1 := 0, r.x1, r.x0
		for x, set := range mask[r.y*w+r.x0 : r.y*w+r.x1] {
			if set {
				n++
				x0, x1 = min(x0, r.x0+x), r.x0+x+1
			}
		}
		if n > 0 {
			c := &s.comps[s.root[k]]
			c.area += n
			c.box = c.box.Union(image.Rect(x0, r.y, x1, r.y+1))
		}
	}
	largest := 0
	for _, c := range s.comps {
		largest = max(largest, c.area)
		total += c.area
	}
	for _, c := range s.comps {
		if c.area > 0 && c.area*keepFraction >= largest {
			box = box.Union(c.box)
			mass += c.area
		}
	}
	return box, mass, total
}

// dilate writes the 3×3 maximum filter of the w×h mask into out, using
// nothing else: each output row is the horizontal dilation of three input
// rows combined.
func dilate(mask []bool, w, h int, out []bool) {
	for y := 0; y < h; y++ {
		dst := out[y*w:][:w]
		clear(dst)
		for yy := max(y-1, 0); yy <= min(y+1, h-1); yy++ {
			src := mask[yy*w:][:w]
			for x, set := range src {
				if set {
					dst[max(x-1, 0)], dst[x], dst[min(x+1, w-1)] = true, true, true
				}
			}
		}
	}
}

// A component is one 8-connected group of set pixels, with the area and
// bounding box of the original mask's pixels within it.
type component struct {
	area int
	box  image.Rectangle
}

// A run is a stretch of set pixels on row y, from x0 up to but not
// including x1.
type run struct{ y, x0, x1 int }

// connectRuns finds the runs of set pixels of the w×h mask, row by row,
// and joins the runs that touch, diagonals included. It leaves the runs in
// s.runs and, for each, the index of the first run of its component in
// s.root.
func (s *scratch) connectRuns(mask []bool, w, h int) {
	s.runs, s.root = s.runs[:0], s.root[:0]
	find := func(i int32) int32 {
		for s.root[i] != i {
			s.root[i] = s.root[s.root[i]]
			i = s.root[i]
		}
		return i
	}
	prev := 0 // index of the first run on the previous row
	for y := 0; y < h; y++ {
		row := mask[y*w:][:w]
		first := len(s.runs)
		for x := 0; x < w; {
			if !row[x] {
				x++
				continue
			}
			x0 := x
			for x < w && row[x] {
				x++
			}
			k := int32(len(s.runs))
			s.runs = append(s.runs, run{y, x0, x})
			s.root = append(s.root, k)
			for j := prev; j < first; j++ {
				if p := s.runs[j]; p.x0 <= x && x0 <= p.x1 { // overlapping or diagonal
					a, b := find(int32(j)), find(k)
					s.root[max(a, b)] = min(a, b)
				}
			}
		}
		prev = first
	}
	for k := range s.root {
		s.root[k] = find(int32(k))
	}
}

func abs(v int32) int32 {
	if v < 0 {
		return -v
	}
	return v
}
