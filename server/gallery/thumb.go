package gallery

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"

	xdraw "golang.org/x/image/draw"

	"github.com/pixmatch/pixmatch/shared/imagefile"
)

// Thumbnail returns a target's image as a JPEG whose longer side is at
// most side pixels, turned upright.
func Thumbnail(data []byte, side int) ([]byte, error) {
	img, info, err := imagefile.Decode(data, imagefile.Limits{MaxPixels: 8192 * 8192})
	if err != nil {
		return nil, fmt.Errorf("gallery: thumbnail: %w", err)
	}
	w, h := info.Width, info.Height
	scale := min(1, float64(side)/float64(max(w, h)))
	tw, th := max(1, int(float64(w)*scale+0.5)), max(1, int(float64(h)*scale+0.5))
	small := image.NewRGBA(image.Rect(0, 0, tw, th))
	xdraw.Draw(small, small.Rect, image.NewUniform(color.White), image.Point{}, xdraw.Src)
	xdraw.CatmullRom.Scale(small, small.Rect, img, img.Bounds(), xdraw.Over, nil)
	upright := orient(small, info)
	var b bytes.Buffer
	if err := jpeg.Encode(&b, upright, &jpeg.Options{Quality: 80}); err != nil {
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
