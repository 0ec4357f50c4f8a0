package fingerprint

import "image"

// Border trimming parameters.
const (
	// borderTolerance is how far, in grey levels, a pixel of a border line
	// may stray from the line's median: enough for JPEG noise around a
	// flat frame, not enough for texture.
	borderTolerance = 12
	// borderOutliers is the share of a line, in per mille, allowed to stray
	// further (dust, compression ringing at the corners).
	borderOutliers = 15
	// maxTrim is the largest fraction of each side that may be trimmed, as
	// a divisor: a third of the width from the left, a third from the right.
	maxTrim = 3
)

// TrimBorder returns the part of g left after peeling off uniform lines
// from all four sides: rows and columns that are (nearly) one grey. It
// removes frames, letterboxing and plain backdrops, so that a picture
// and the same picture with a border reduce to the same content. Each
// side loses at most a third of its extent.
func TrimBorder(g *image.Gray) image.Rectangle {
	r := g.Rect
	limX, limY := g.Rect.Dx()/maxTrim, g.Rect.Dy()/maxTrim
	for changed := true; changed; {
		changed = false
		for r.Min.Y-g.Rect.Min.Y < limY && r.Dy() > 2 && uniform(g, r.Min.X, r.Min.Y, 1, 0, r.Dx()) {
			r.Min.Y++
			changed = true
		}
		for g.Rect.Max.Y-r.Max.Y < limY && r.Dy() > 2 && uniform(g, r.Min.X, r.Max.Y-1, 1, 0, r.Dx()) {
			r.Max.Y--
			changed = true
		}
		for r.Min.X-g.Rect.Min.X < limX && r.Dx() > 2 && uniform(g, r.Min.X, r.Min.Y, 0, 1, r.Dy()) {
			r.Min.X++
			changed = true
		}
		for g.Rect.Max.X-r.Max.X < limX && r.Dx() > 2 && uniform(g, r.Max.X-1, r.Min.Y, 0, 1, r.Dy()) {
			r.Max.X--
			changed = true
		}
	}
	return r
}

// uniform reports whether the n pixels from (x, y) in steps of (dx, dy)
// are nearly one grey.
func uniform(g *image.Gray, x, y, dx, dy, n int) bool {
	var hist [256]int
	for i := 0; i < n; i++ {
		hist[g.Pix[g.PixOffset(x+i*dx, y+i*dy)]]++
	}
	med := percentile(&hist, n, 50)
	out := 0
	for v, c := range hist {
		if v < med-borderTolerance || v > med+borderTolerance {
			out += c
		}
	}
	return out*1000 <= n*borderOutliers
}
