// Package subject finds the main subject of a picture: the region a
// person would crop to, such as a product on a plain background or a
// photo mounted in a plain frame. It plays the part of the subject
// detection that Alibaba Image Search runs when a request asks for Crop.
//
// The method assumes that a subject stands out from a plain surround, and
// that a picture without a plain surround is its own subject:
//
//  1. The plane is reduced to a working plane of at most 128 pixels a side
//     by exact area averaging (luma.Resample), so that the same picture at
//     any size gives nearly the same working plane.
//  2. The background is read from a thin band just inside each edge; the
//     outermost two pixels, which resampling and compression spoil, are
//     skipped. A straight line of greys is fitted along each band (through
//     the median grey of each half), and a side is plain when its greys
//     stay close to the line. At least three plain sides, two of them
//     opposite, are needed; otherwise the whole plane is the subject (a
//     full-frame photo). Between opposite plain sides the background is
//     the linear blend of their lines, so a white sweep darkening towards
//     the top, or a soft vignette, is as plain as a flat canvas.
//  3. A pixel's saliency is its distance from that background surface
//     beyond the bands' own spread, plus twice its texture beyond the
//     texture seen in the bands. Texture is the Sobel gradient magnitude,
//     eroded over 3×3 so that it marks the inside of a textured subject
//     but not the halo just outside an edge. Both floors come from the
//     bands, so noise, recompression and grain in the background cancel
//     out. Pixels with a saliency of at least 16 are salient.
//  4. Salient pixels are grouped into 8-connected components after a 3×3
//     dilation (so parts a pixel apart belong together); the largest and
//     every component at least an eighth of its size make up the subject.
//     Its bounding box, counted on the salient pixels themselves, loses an
//     outermost row or column that stands out less than half as much as
//     its inner neighbour: a working pixel straddling the subject's edge
//     that is mostly background.
//  5. Nothing stands out when the subject covers less than 0.5% of the
//     plane or its box less than 2%, when the box covers more than 85%, or
//     when more than a tenth of all salient pixels lie outside the
//     subject (a plane strewn with detail, like a star field).
//  6. A found box may itself be a frame around the real subject: a white
//     canvas inside a black border, a mount around a photo. Steps 1–5 are
//     repeated inside the box, up to three levels deep, for as long as
//     its own edges are plain and something smaller stands out within it.
//  7. A margin of 2% of the box's size, at least one pixel, is added on
//     each side.
//
// All arithmetic is integer, so every platform, js/wasm included, finds
// the same region.
package subject

import (
	"image"

	"github.com/pixmatch/pixmatch/shared/luma"
)

const (
	// workSide is the longest side of the working plane.
	workSide = 128
	// minSide is the smallest width or height, in the caller's pixels, in
	// which a subject is looked for.
	minSide = 12
	// maxDepth is how many nested frames are peeled at most.
	maxDepth = 3
	// marginPercent is the margin added to each side of the final box, in
	// percent of the box's width or height.
	marginPercent = 2
)

// Detect returns the bounding box of the main subject of the grey plane
// g, in g's coordinates; g.Rect when no subject stands out. It is meant
// for small planes such as luma.FromImage(img, 256) gives; Scale maps the
// box back onto the picture. Detect is safe for concurrent use.
func Detect(g *image.Gray) image.Rectangle {
	whole := g.Rect
	r := whole
	s := scratchPool.Get().(*scratch)
	defer scratchPool.Put(s)
	for depth := 0; depth < maxDepth; depth++ {
		inner, ok := detectIn(g, r, s)
		if !ok {
			break
		}
		r = inner
	}
	if r == whole {
		return whole
	}
	return pad(r, whole)
}

// Scale maps a rectangle found on a plane of size from to a picture of size to.
// Both the plane and the picture have their corner at 0,0. The result is
// rounded outwards, so that it covers at least what r covers, and clipped
// to the picture. A from with no area carries no information and maps to
// the whole picture.
func Scale(r image.Rectangle, from, to image.Point) image.Rectangle {
	whole := image.Rectangle{Max: to}
	if from.X <= 0 || from.Y <= 0 {
		return whole
	}
	out := image.Rect(
		floorDiv(r.Min.X*to.X, from.X), floorDiv(r.Min.Y*to.Y, from.Y),
		ceilDiv(r.Max.X*to.X, from.X), ceilDiv(r.Max.Y*to.Y, from.Y),
	)
	return out.Intersect(whole)
}

// detectIn looks for a subject inside the part r of g. It reports the
// subject's tight bounding box in g's coordinates, or false when r has no
// plain surround or nothing in it stands out.
func detectIn(g *image.Gray, r image.Rectangle, s *scratch) (image.Rectangle, bool) {
	if r.Dx() < minSide || r.Dy() < minSide || busy(g, r) {
		return r, false
	}
	p := workPlane(g, r)
	w, h := p.Rect.Dx(), p.Rect.Dy()
	bg, ok := readBackground(p)
	if !ok {
		return r, false
	}
	tex := texture(p, s)
	bg.readTexture(tex, w)
	sal := saliency(p, tex, &bg, s)
	box, mass, total := subjectBox(salient(sal, s), w, h, s)
	box = reachEdges(trimEdges(box, sal, w), w, h)
	area := w * h
	switch {
	case mass*1000 < minMassPermille*area: // nothing, or too little to tell
		return r, false
	case box.Dx()*box.Dy()*100 < minBoxPercent*area: // a speck
		return r, false
	case box.Dx()*box.Dy()*100 > maxBoxPercent*area: // the subject fills the plane
		return r, false
	case (total-mass)*100 > maxStrayPercent*total: // salient pixels all over
		return r, false
	}
	return Scale(box, p.Rect.Size(), r.Size()).Add(r.Min), true
}

const (
	// minMassPermille is the least salient area, in thousandths of the
	// plane, that counts as a subject.
	minMassPermille = 5
	// minBoxPercent is the smallest box, in percent of the plane, that
	// counts as a subject.
	minBoxPercent = 2
	// maxBoxPercent is the largest box, in percent of the plane, that
	// counts as standing out from it.
	maxBoxPercent = 85
	// maxStrayPercent is the largest share, in percent of all salient
	// pixels, that may lie outside the subject: beyond it the plane is
	// strewn with detail rather than showing one subject.
	maxStrayPercent = 10
)

// workPlane returns the part r of g as a plane whose longer side is at
// most workSide, with its origin at 0,0.
func workPlane(g *image.Gray, r image.Rectangle) *image.Gray {
	w, h := r.Dx(), r.Dy()
	if long := max(w, h); long > workSide {
		w = max(1, (w*workSide+long/2)/long)
		h = max(1, (h*workSide+long/2)/long)
		return luma.Resample(g, r, w, h)
	}
	p := image.NewGray(image.Rect(0, 0, w, h))
	for y := 0; y < h; y++ {
		copy(p.Pix[y*w:(y+1)*w], g.Pix[g.PixOffset(r.Min.X, r.Min.Y+y):])
	}
	return p
}

// reachEdges extends the sides of box that reach the outer ring of a w×h
// working plane to the plane's edge: a subject seen up to the ring goes on
// into it.
func reachEdges(box image.Rectangle, w, h int) image.Rectangle {
	if box.Empty() {
		return box
	}
	if box.Min.X <= ring {
		box.Min.X = 0
	}
	if box.Min.Y <= ring {
		box.Min.Y = 0
	}
	if box.Max.X >= w-ring {
		box.Max.X = w
	}
	if box.Max.Y >= h-ring {
		box.Max.Y = h
	}
	return box
}

// pad grows r by marginPercent of its size on each side, within bounds.
func pad(r, bounds image.Rectangle) image.Rectangle {
	mx := max(1, (r.Dx()*marginPercent+50)/100)
	my := max(1, (r.Dy()*marginPercent+50)/100)
	return image.Rect(r.Min.X-mx, r.Min.Y-my, r.Max.X+mx, r.Max.Y+my).Intersect(bounds)
}

// floorDiv returns a/b rounded towards minus infinity, for b > 0.
func floorDiv(a, b int) int {
	q := a / b
	if a%b != 0 && a < 0 {
		q--
	}
	return q
}

// ceilDiv returns a/b rounded towards plus infinity, for b > 0.
func ceilDiv(a, b int) int {
	return -floorDiv(-a, b)
}
