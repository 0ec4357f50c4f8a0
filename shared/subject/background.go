package subject

import "image"

const (
	// plainSpread is the widest range of greys, from the 10th to the 90th
	// percentile of a band's departures from its fitted line, that still
	// counts as a plain side.
	plainSpread = 32
	// spreadTolerance is how much wider than the plainest side's range a
	// side's range may be and still count as the same background rather
	// than background with part of the subject in it.
	spreadTolerance = 12
	// minPlainSides is how many of the four sides must be plain for the
	// plane to have a background at all.
	minPlainSides = 3
	// slack is added to every floor read from the bands, so that the
	// background's own noise is never salient.
	slack = 4
)

// Sides of the working plane, in the order of background.sides.
const (
	top = iota
	bottom
	left
	right
)

// A background is the plain surround of a working plane, modelled as a
// smooth surface: along each plain side a straight line of greys, and
// between two opposite plain sides the linear blend of their lines. A
// white sweep that darkens towards the top, or a vignette, is as plain as
// a flat canvas.
type background struct {
	sides    [4]side
	spread   int32 // how far the plain bands stray from their lines, in greys
	texFloor int32 // texture up to this is as seen in the background
}

// A side is one edge of the working plane and the line fitted to the
// greys of the band along it.
type side struct {
	band  image.Rectangle // where it was read, in working pixels
	plain bool
	// line holds the fitted grey, in sixteenths, at every position along
	// the side's whole edge; at holds the band's middle across the side.
	line []int32
	at   int
}

// readBackground reads the background of p from a band just inside each
// edge, skipping the outer ring. A side is plain when its greys stay
// close to a straight line along it, both absolutely and next to the
// plainest side. It reports false when fewer than minPlainSides sides are
// plain, or when no two opposite sides are.
func readBackground(p *image.Gray) (background, bool) {
	w, h := p.Rect.Dx(), p.Rect.Dy()
	var bg background
	for k, band := range bands(w, h, ring, max(2, min(w, h)/32)) {
		bg.sides[k].band = band
	}
	var spreads, halves [4]int32
	plainest := int32(255)
	for k := range bg.sides {
		s := &bg.sides[k]
		spreads[k], halves[k] = s.fit(p, k == top || k == bottom)
		plainest = min(plainest, spreads[k])
	}
	n := 0
	for k := range bg.sides {
		s := &bg.sides[k]
		s.plain = spreads[k] <= plainSpread && spreads[k] <= plainest+spreadTolerance
		if s.plain {
			n++
			bg.spread = max(bg.spread, halves[k])
		}
	}
	pairs := bg.sides[top].plain && bg.sides[bottom].plain || bg.sides[left].plain && bg.sides[right].plain
	return bg, n >= minPlainSides && pairs
}

// bands returns the bands along the top, bottom, left and right edges
// of a w×h plane, thick pixels thick, inset from the edges by in pixels.
func bands(w, h, in, thick int) [4]image.Rectangle {
	return [4]image.Rectangle{
		top:    image.Rect(in, in, w-in, in+thick),
		bottom: image.Rect(in, h-in-thick, w-in, h-in),
		left:   image.Rect(in, in, in+thick, h-in),
		right:  image.Rect(w-in-thick, in, w-in, h-in),
	}
}

// busy reports whether fewer than minPlainSides sides of the part
// r of g come anywhere near plain, judged on g's own pixels in the bands
// readBackground would read after resampling, with twice the spread
// allowed. Resampling only averages pixels together, which narrows the
// spread, so a part rejected here would be rejected on the working plane
// too; the check spares Detect the resampling of full-frame pictures.
func busy(g *image.Gray, r image.Rectangle) bool {
	w, h := r.Dx(), r.Dy()
	scale := max(w, h) // plane pixels per workSide working pixels
	if scale <= workSide {
		return false // the working plane is r itself: nothing to spare
	}
	ww, wh := w*workSide/scale, h*workSide/scale
	in, thick := ring*scale/workSide, max(2, min(ww, wh)/32)*scale/workSide
	view := &image.Gray{Pix: g.Pix[g.PixOffset(r.Min.X, r.Min.Y):], Stride: g.Stride, Rect: image.Rect(0, 0, w, h)}
	n := 0
	for k, band := range bands(w, h, in, thick) {
		s := side{band: band}
		if spread, _ := s.fit(view, k == top || k == bottom); spread <= 2*plainSpread {
			n++
		}
	}
	return n < minPlainSides
}

// fit fits the side's line to the greys of p in its band, running along x
// when horizontal and along y otherwise. The line passes through the
// median grey of each half of the band, shifted by the median departure.
// fit returns the range of departures from the line between their 10th
// and 90th percentiles, and the larger distance of those percentiles from
// the median departure.
func (s *side) fit(p *image.Gray, horizontal bool) (spread, half int32) {
	b := s.band
	lo, hi, length := b.Min.Y, b.Max.Y, p.Rect.Dy()
	s.at = b.Min.X + (b.Dx()-1)/2
	if horizontal {
		lo, hi, length = b.Min.X, b.Max.X, p.Rect.Dx()
		s.at = b.Min.Y + (b.Dy()-1)/2
	}
	mid := (lo + hi) / 2
	var halves [2]histogram
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x, v := range p.Pix[y*p.Stride+b.Min.X : y*p.Stride+b.Max.X] {
			t := y
			if horizontal {
				t = b.Min.X + x
			}
			if t < mid {
				halves[0].add(int32(v))
			} else {
				halves[1].add(int32(v))
			}
		}
	}
	// The halves' centres, doubled to stay whole: (lo+mid-1)/2 and (mid+hi-1)/2.
	c1, c2 := lo+mid-1, mid+hi-1
	m1, m2 := 16*halves[0].percentile(50), 16*halves[1].percentile(50)
	s.line = sized(s.line, length)
	for t := range s.line {
		s.line[t] = m1 + (m2-m1)*int32(2*t-c1)/int32(max(c2-c1, 1))
	}
	var dev histogram
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x, v := range p.Pix[y*p.Stride+b.Min.X : y*p.Stride+b.Max.X] {
			t := y
			if horizontal {
				t = b.Min.X + x
			}
			dev.add(roundDiv16(16*int32(v) - s.line[t]))
		}
	}
	if dev.n == 0 {
		return 255, 255
	}
	pLo, pMid, pHi := dev.percentile(10), dev.percentile(50), dev.percentile(90)
	for t := range s.line {
		s.line[t] += 16 * pMid
	}
	return pHi - pLo, max(pMid-pLo, pHi-pMid)
}

// readTexture sets the background's texture floor from the texture tex
// of the w-pixel-wide working plane in the bands of the plain sides.
func (b *background) readTexture(tex []int32, w int) {
	var texs histogram
	for _, s := range b.sides {
		if !s.plain {
			continue
		}
		for y := s.band.Min.Y; y < s.band.Max.Y; y++ {
			for _, t := range tex[y*w+s.band.Min.X : y*w+s.band.Max.X] {
				texs.add(t)
			}
		}
	}
	b.texFloor = texs.percentile(90) + slack
}

// surface is the background's expected grey, in sixteenths, over a w×h
// working plane, evaluated row by row.
type surface struct {
	bg         *background
	vertical   bool    // blend top and bottom down the plane
	horizontal bool    // blend left and right across it
	across     []int32 // weight of the right side at each x, in 1/4096
}

func (b *background) surface(w int) surface {
	s := surface{
		bg:         b,
		vertical:   b.sides[top].plain && b.sides[bottom].plain,
		horizontal: b.sides[left].plain && b.sides[right].plain,
	}
	if s.horizontal {
		s.across = make([]int32, w)
		for x := range s.across {
			s.across[x] = blendWeight(x, b.sides[left].at, b.sides[right].at)
		}
	}
	return s
}

// row writes the expected greys of row y into out.
func (s *surface) row(y int, out []int32) {
	sides := &s.bg.sides
	if s.vertical {
		down := blendWeight(y, sides[top].at, sides[bottom].at)
		t, b := sides[top].line[:len(out)], sides[bottom].line[:len(out)]
		for x := range out {
			out[x] = t[x] + (b[x]-t[x])*down>>12
		}
	}
	if s.horizontal {
		l, r := sides[left].line[y], sides[right].line[y]
		across := s.across[:len(out)]
		for x := range out {
			h := l + (r-l)*across[x]>>12
			if s.vertical {
				h = (out[x] + h) >> 1
			}
			out[x] = h
		}
	}
}

// blendWeight returns how far t lies from a towards b, in 1/4096, beyond
// the ends where t lies outside them.
func blendWeight(t, a, b int) int32 {
	if a == b {
		return 0
	}
	return int32((t - a) * 4096 / (b - a))
}

// roundDiv16 divides by 16, rounding halves away from zero.
func roundDiv16(v int32) int32 {
	if v < 0 {
		return -((-v + 8) >> 4)
	}
	return (v + 8) >> 4
}

// A histogram counts values from -256 to 255; values beyond count as the
// nearest end.
type histogram struct {
	bins [512]int
	n    int
}

func (h *histogram) add(v int32) {
	h.bins[min(max(v, -256), 255)+256]++
	h.n++
}

// percentile returns the smallest value with at least pct percent of the
// counts at or below it.
func (h *histogram) percentile(pct int) int32 {
	rank := max((h.n*pct+99)/100, 1)
	seen := 0
	for v, c := range h.bins {
		seen += c
		if seen >= rank {
			return int32(v - 256)
		}
	}
	return 255
}
