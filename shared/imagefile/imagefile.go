// Package imagefile reads uploaded image files safely. It identifies the
// format, refuses pictures whose dimensions exceed the limits before a
// single pixel is decoded (no decompression bombs), computes from the
// header the memory decoding will take (Info.Cost) so that a server can
// set it aside or refuse it first, decodes, and reports the EXIF
// orientation so the picture can be turned upright.
//
// It is a server-side package: the browser decodes images itself and
// hands pixels to the shared packages directly.
package imagefile

import (
	"bytes"
	"errors"
	"fmt"
	"image"
	_ "image/gif" // register the supported formats
	_ "image/jpeg"
	_ "image/png"

	_ "golang.org/x/image/bmp"
	_ "golang.org/x/image/tiff"
	_ "golang.org/x/image/webp"

	"github.com/pixmatch/pixmatch/shared/luma"
)

// Errors returned by Decode and Inspect, wrapped with detail.
var (
	ErrFormat   = errors.New("unsupported image format")
	ErrCorrupt  = errors.New("corrupt image")
	ErrTooLarge = errors.New("image has too many pixels")
	ErrTooSmall = errors.New("image is too small")
)

// Format names a supported file format.
type Format string

// The supported formats.
const (
	JPEG Format = "jpeg"
	PNG  Format = "png"
	GIF  Format = "gif"
	BMP  Format = "bmp"
	WEBP Format = "webp"
	TIFF Format = "tiff"
)

// Limits bound the pictures Decode accepts. Zero fields impose no limit.
type Limits struct {
	MaxPixels int // width × height
	MaxSide   int // longest side in pixels
	MinSide   int // shortest side in pixels
	// MaxCost bounds the memory a decode may take, in bytes, as Info.Cost
	// estimates it from the header.
	MaxCost int64
}

// Info describes an image file without decoding its pixels.
type Info struct {
	Format Format
	// Width and Height as stored in the file, before orientation.
	Width, Height int
	// Orientation is the EXIF orientation tag: 0 when absent, 1–8 when
	// valid, -1 when the file carries a value outside 1–8.
	Orientation int
	// Cost is the most memory, in bytes, that decoding the file may hold
	// at once, computed from its header (see decodeCost): what a process
	// must set aside before it decodes.
	Cost int64
}

// OrientationValid reports whether the file has no orientation tag or a
// valid one (1–8).
func (i Info) OrientationValid() bool { return i.Orientation >= 0 }

// Upright returns the symmetry that turns the stored pixels upright.
func (i Info) Upright() luma.Dihedral {
	switch i.Orientation {
	case 2:
		return luma.Mirror
	case 3:
		return luma.Rotate180
	case 4:
		return luma.MirrorRotate180
	case 5:
		return luma.MirrorRotate90
	case 6:
		return luma.Rotate270
	case 7:
		return luma.MirrorRotate270
	case 8:
		return luma.Rotate90
	}
	return luma.Identity
}

// Size returns the dimensions of the upright picture.
func (i Info) Size() (width, height int) {
	if i.Upright()%2 == 1 {
		return i.Height, i.Width
	}
	return i.Width, i.Height
}

// supported are the formats this package registers with package image.
var supported = map[string]Format{"jpeg": JPEG, "png": PNG, "gif": GIF, "bmp": BMP, "webp": WEBP, "tiff": TIFF, "ppm": PPM}

// Inspect identifies data's format, dimensions and orientation without
// decoding pixels.
func Inspect(data []byte) (Info, error) {
	cfg, name, err := image.DecodeConfig(bytes.NewReader(data))
	f, ok := supported[name]
	switch {
	case errors.Is(err, image.ErrFormat) || (err == nil && !ok):
		return Info{}, ErrFormat
	case err != nil:
		return Info{}, fmt.Errorf("%w: %s header: %v", ErrCorrupt, name, err)
	}
	return Info{Format: f, Width: cfg.Width, Height: cfg.Height, Orientation: orientation(f, data),
		Cost: decodeCost(f, cfg.ColorModel, cfg.Width, cfg.Height, data)}, nil
}

// Check reports whether a picture of this size is within the limits.
func (l Limits) Check(i Info) error {
	w, h := i.Width, i.Height
	switch {
	case w <= 0 || h <= 0:
		return fmt.Errorf("%w: %d×%d", ErrCorrupt, w, h)
	case l.MaxPixels > 0 && int64(w)*int64(h) > int64(l.MaxPixels):
		return fmt.Errorf("%w: %d×%d is over %d pixels", ErrTooLarge, w, h, l.MaxPixels)
	case l.MaxSide > 0 && max(w, h) > l.MaxSide:
		return fmt.Errorf("%w: %d×%d has a side over %d", ErrTooLarge, w, h, l.MaxSide)
	case l.MinSide > 0 && min(w, h) < l.MinSide:
		return fmt.Errorf("%w: %d×%d has a side under %d", ErrTooSmall, w, h, l.MinSide)
	case l.MaxCost > 0 && i.Cost > l.MaxCost:
		return fmt.Errorf("%w: decoding the %d×%d %s would take %d MB, over %d MB", ErrTooLarge, w, h, i.Format, i.Cost>>20, l.MaxCost>>20)
	}
	return nil
}

// Decode checks data against the limits, then decodes it. The returned
// image is as stored; info.Upright says how to turn it upright.
func Decode(data []byte, l Limits) (image.Image, Info, error) {
	info, err := inspectWithin(data, l)
	if err != nil {
		return nil, info, err
	}
	img, err := decodeWhole(data, info)
	return img, info, err
}

// inspectWithin inspects data and checks what it finds against the
// limits: what Decode and DecodeLuma do before they decode.
func inspectWithin(data []byte, l Limits) (Info, error) {
	info, err := Inspect(data)
	if err != nil {
		return info, err
	}
	return info, l.Check(info)
}

// decodeWhole decodes data, whose header gave info, with the decoder
// registered for its format.
func decodeWhole(data []byte, info Info) (image.Image, error) {
	img, _, err := image.Decode(bytes.NewReader(data))
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %v", ErrCorrupt, info.Format, err)
	}
	return img, nil
}

// Plane decodes data like Decode and returns its upright luminance, shrunk
// so the longer side is at most maxSide: the input of fingerprints and
// grades.
func Plane(data []byte, l Limits, maxSide int) (*image.Gray, Info, error) {
	img, info, err := Decode(data, l)
	if err != nil {
		return nil, info, err
	}
	return info.Upright().Apply(luma.FromImage(img, maxSide)), info, nil
}
