package imagefile

import (
	"image"

	"github.com/pixmatch/pixmatch/shared/imagefile/internal/lumajpeg"
)

// lumaJPEG decodes a baseline JPEG's luma (see DecodeLuma).
func lumaJPEG(data []byte, scale int, admit func(width, height int) error) (*image.Gray, error) {
	return lumajpeg.Decode(data, scale, admit)
}
