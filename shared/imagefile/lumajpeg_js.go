//go:build js

package imagefile

import (
	"errors"
	"image"
)

// lumaJPEG leaves every JPEG to image/jpeg in the Cloudflare Worker,
// the one build of this package for js: lumajpeg would take its module
// (21.7 KB gzipped) over the 3 MB budget.
func lumaJPEG([]byte, int, func(width, height int) error) (*image.Gray, error) {
	return nil, errors.ErrUnsupported
}
