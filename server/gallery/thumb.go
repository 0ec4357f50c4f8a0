package gallery

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"

	xdraw "golang.org/x/image/draw"

	"github.com/pixmatch/pixmatch/shared/imagefile"
)

// Thumbnail returns a target's image as a JPEG whose longer side is at
// most side pixels, turned upright. It decodes within the decode budget,
// like Read.
func (ps *Pictures) Thumbnail(ctx context.Context, data []byte, side int) ([]byte, error) {
	s := ps.s
	var small *image.RGBA
	var info imagefile.Info
	err := s.decode(ctx, data, Policy{Limits: imagefile.Limits{MaxPixels: s.cfg.Images.MaxPixels}},
		func(img image.Image, i imagefile.Info) error {
			w, h := i.Width, i.Height
			scale := min(1, float64(side)/float64(max(w, h)))
			tw, th := max(1, int(float64(w)*scale+0.5)), max(1, int(float64(h)*scale+0.5))
			small = image.NewRGBA(image.Rect(0, 0, tw, th))
			xdraw.Draw(small, small.Rect, image.NewUniform(color.White), image.Point{}, xdraw.Src)
			xdraw.CatmullRom.Scale(small, small.Rect, img, img.Bounds(), xdraw.Over, nil)
			info = i
			return nil
		})
	if err != nil {
		return nil, fmt.Errorf("gallery: thumbnail: %w", err)
	}
	var b bytes.Buffer
	if err := jpeg.Encode(&b, orient(small, info), &jpeg.Options{Quality: 80}); err != nil {
		return nil, fmt.Errorf("gallery: thumbnail: %w", err)
	}
	return b.Bytes(), nil
}

// orient turns an RGBA picture upright by the file's EXIF orientation.
func orient(src *image.RGBA, info imagefile.Info) image.Image {
	d := info.Upright()
	if d == 0 {
		return src
	}
	w, h := src.Rect.Dx(), src.Rect.Dy()
	ow, oh := w, h
	if d%2 == 1 {
		ow, oh = h, w
	}
	out := image.NewRGBA(image.Rect(0, 0, ow, oh))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			dx, dy := d.Point(x, y, w, h)
			copy(out.Pix[out.PixOffset(dx, dy):][:4], src.Pix[src.PixOffset(x, y):][:4])
		}
	}
	return out
}
