package fingerprint

import (
	"image"
	"math"
)

// Window names the part of a picture a code describes.
type Window uint8

// The windows. A target is stored with a code for each of them that has
// content; a query is searched with codes of its Whole and Trimmed
// windows in all eight flips and quarter turns, of its central windows,
// and of its Centre80 window turned back by a few small angles.
const (
	Whole   Window = iota // the whole picture
	Trimmed               // its content, a uniform border trimmed away
	// The central 90, 80, 70 and 60 % of each side: what a tighter
	// framing, a crop, a corner logo or a caption leaves of the picture.
	Centre90
	Centre80
	Centre70
	Centre60
	// 80 % of each side, pushed into a corner: an off-centre crop.
	TopLeft80
	TopRight80
	BottomLeft80
	BottomRight80

	// Windows is the number of windows.
	Windows
)

var windowNames = [Windows]string{
	"whole", "trimmed", "centre90", "centre80", "centre70", "centre60",
	"topleft80", "topright80", "bottomleft80", "bottomright80",
}

// String returns the window's name.
func (w Window) String() string {
	if w < Windows {
		return windowNames[w]
	}
	return "window?"
}

// Centre reports whether w is the whole picture or a central window.
func (w Window) Centre() bool { return w <= Centre60 }

// Angles are the angles, in degrees counter-clockwise, by which a query's
// Centre80 window is turned back: a photo taken a little askew. Their
// step of 3° leaves at most 1.5° to the nearest, which a code survives.
var Angles = [...]int8{-12, -9, -6, -3, 3, 6, 9, 12}

// share is the part of each side a window keeps.
func (w Window) share() float64 {
	switch {
	case w == Centre90:
		return 0.9
	case w == Centre80 || w >= TopLeft80:
		return 0.8
	case w == Centre70:
		return 0.7
	case w == Centre60:
		return 0.6
	}
	return 1
}

// rect returns the window w of a plane whose content, inside any uniform
// border, is content.
func (w Window) rect(plane, content image.Rectangle) image.Rectangle {
	switch w {
	case Whole:
		return plane
	case Trimmed:
		return content
	}
	s := w.share()
	W, H := float64(plane.Dx()), float64(plane.Dy())
	cw, ch := int(math.Round(s*W)), int(math.Round(s*H))
	x, y := (plane.Dx()-cw)/2, (plane.Dy()-ch)/2
	if !w.Centre() {
		corner := w - TopLeft80 // top left, top right, bottom left, bottom right
		x, y = 0, 0
		if corner&1 != 0 {
			x = plane.Dx() - cw
		}
		if corner&2 != 0 {
			y = plane.Dy() - ch
		}
	}
	return image.Rect(x, y, x+cw, y+ch).Add(plane.Min)
}

// inner returns the central share of r, the area a check looks at.
func inner(r image.Rectangle, share float64) image.Rectangle {
	dx := int(math.Round(float64(r.Dx()) * (1 - share) / 2))
	dy := int(math.Round(float64(r.Dy()) * (1 - share) / 2))
	return image.Rect(r.Min.X+dx, r.Min.Y+dy, r.Max.X-dx, r.Max.Y-dy)
}
