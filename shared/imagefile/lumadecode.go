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
// which. The limits are checked first, its errors are Decode's, and
// Info.Cost, image/jpeg's, bounds what lumajpeg takes as well.
func DecodeLuma(data []byte, l Limits, scale int) (image.Image, Info, error) {
	info, err := inspectWithin(data, l)
	if err != nil {
		return nil, info, err
	}
	if info.Format == JPEG {
		g, err := lumaJPEG(data, scale, func(w, h int) error {
			if w != info.Width || h != info.Height { // the frame Check saw, or none
				return fmt.Errorf("%w: a frame of %d×%d after a header of %d×%d", ErrCorrupt, w, h, info.Width, info.Height)
			}
			return nil
		})
		if err == nil {
			return g, info, nil
		}
	}
	img, err := decodeWhole(data, info)
	return img, info, err
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
