package imagefile

import (
	"fmt"
	"image"

	"github.com/pixmatch/pixmatch/shared/luma"
)

// DecodeLuma is Decode for a caller that reads nothing but the picture's
// luminance, through luma.FromImage or the packages built on it
// (fingerprint.Plane, feature.Plane, quality.SampleOf). A baseline JPEG
// is decoded to its luma plane alone, an *image.Gray reduced by scale
// (1, 2, 4 or 8: see LumaScale), without the chroma and colour image/jpeg
// would reconstruct: at scale 1 its luma is image/jpeg's within one
// level, and a reduced plane is the box reduction of that luma within
// the rounding (see package lumajpeg's tests). Any other picture, and a
// JPEG that lumajpeg leaves to image/jpeg (progressive, CMYK, Adobe,
// unusual sampling) or doubts in any way (a damaged one), is decoded by
// Decode, whole and at full size: the bounds of the image returned say
// which.
//
// The limits are checked first, and their errors are Decode's; the
// memory the decode takes is that of the route it takes. A JPEG whose
// header shows lumajpeg decodes it is held to l.MaxCost by its LumaCost,
// not by Info.Cost, image/jpeg's; should lumajpeg then give it to
// image/jpeg after all, it is held to l.MaxCost by Info.Cost, and more,
// when not nil, is called before image/jpeg begins with what that takes
// beyond LumaCost — a caller that set LumaCost aside takes the rest of
// Info.Cost there, as it would have held for a whole decode from the
// start — and an error more returns is returned as it is, nothing
// decoded.
func DecodeLuma(data []byte, l Limits, scale int, more func(int64) error) (image.Image, Info, error) {
	info, err := Inspect(data)
	if err != nil {
		return nil, info, err
	}
	if cost, ok := lumaCost(data, info, scale); ok {
		luma := info
		luma.Cost = cost
		if err := l.Check(luma); err != nil {
			return nil, info, err
		}
		g, err := lumaJPEG(data, scale, func(w, h int) error {
			if w != info.Width || h != info.Height { // the frame Check saw, or none
				return fmt.Errorf("%w: a frame of %d×%d after a header of %d×%d", ErrCorrupt, w, h, info.Width, info.Height)
			}
			return nil
		})
		if err == nil {
			return g, info, nil
		}
		if err := l.Check(info); err != nil {
			return nil, info, err
		}
		if more != nil {
			if err := more(max(0, info.Cost-cost)); err != nil {
				return nil, info, err
			}
		}
	} else if err := l.Check(info); err != nil {
		return nil, info, err
	}
	img, err := decodeWhole(data, info)
	return img, info, err
}

// LumaCost returns the memory DecodeLuma at scale takes to decode data,
// whose header Inspect read as info: for a JPEG its header shows
// lumajpeg decodes — sequential, of one component or three, with no
// Adobe segment and components not named R, G, B — the luma plane
// padded to whole MCUs and reduced by scale, and the decoder's
// allowance; for any other picture Info.Cost, what Decode takes. (A
// JPEG lumajpeg gives up on after all takes Info.Cost in all: see
// DecodeLuma.)
func LumaCost(data []byte, info Info, scale int) int64 {
	if cost, ok := lumaCost(data, info, scale); ok {
		return cost
	}
	return info.Cost
}

// lumaCost is LumaCost for a JPEG lumajpeg decodes, and whether data is
// one.
func lumaCost(data []byte, info Info, scale int) (int64, bool) {
	if info.Format != JPEG || (scale != 1 && scale != 2 && scale != 4 && scale != 8) {
		return 0, false
	}
	l, ok := readJPEGLayout(data)
	if !ok || l.progressive || (l.comps != 1 && l.comps != 3) || l.adobe >= 0 || l.ids == [4]byte{'R', 'G', 'B'} {
		return 0, false
	}
	// The luma is sampled at the frame's highest factors (lumajpeg
	// refuses a frame where it is not), and its MCU spans them; a frame
	// of one component is counted at its own factors, which are at least
	// the one block its MCU is.
	hmax, vmax := 1, 1
	for c := range l.comps {
		hmax, vmax = max(hmax, l.h[c]), max(vmax, l.v[c])
	}
	side := int64(8 / scale)
	w := int64((info.Width+8*hmax-1)/(8*hmax)) * int64(hmax) * side
	h := int64((info.Height+8*vmax-1)/(8*vmax)) * int64(vmax) * side
	return w*h + decoderOverhead, true
}

// LumaScale returns the largest reduction of DecodeLuma (8, 4, 2, else
// 1) that leaves a picture of width×height the same planes for callers
// that shrink it with luma.FromImage to each of the long sides given (0
// for none: then only 1 will do). luma.FromImage shrinks by a whole
// factor f = ⌈long/side⌉; a plane decoded at 1/s gives the same plane,
// up to rounding, when s divides f and the reduced plane's own factor is
// f/s.
func LumaScale(width, height int, sides ...int) int {
	for s := 8; s > 1; s /= 2 {
		ok := max(width, height) > 0
		for _, side := range sides {
			if side <= 0 {
				return 1
			}
			f := luma.ShrinkFactor(width, height, side)
			ok = ok && f%s == 0 && luma.ShrinkFactor((width+s-1)/s, (height+s-1)/s, side) == f/s
		}
		if ok {
			return s
		}
	}
	return 1
}
