// Package distort applies the edits real pictures suffer — recompression,
// rescaling, blur, noise, tone changes, overlays, mirroring, rotation,
// cropping, framing, perspective, pasting into another photo — to test
// images, so recognition can be measured against them.
//
// Every edit is deterministic: the edits that draw on chance (the grain of
// noise, the corner a crop or a logo goes to, the place a picture is
// pasted) take it from a seed, so the same picture and the same Params
// always give the same pixels. Catalogue lists the named recipes of the
// quality benchmark; CameraCatalogue, those that show the picture as a
// camera sees a print of it, each reporting where the picture's corners
// are in the frame (Edit.Locate).
package distort

import (
	"bytes"
	"image"
	"image/color"
	"image/draw"
	"image/jpeg"

	xdraw "golang.org/x/image/draw"
)

// An Edit turns one picture into another.
type Edit struct {
	Name string
	// Apply makes the edit with the zero Params: seed 0 and no scene.
	Apply func(image.Image) image.Image

	// vary, when not nil, makes the edit for other Params.
	vary func(Params) func(image.Image) image.Image
	// locate, when not nil, makes the edit and reports where the
	// picture's corners land.
	locate func(Params) func(image.Image) (image.Image, Quad)
}

// Params are what an edit may vary with besides the picture.
type Params struct {
	// Seed drives every random choice the edit makes.
	Seed uint64
	// Scene is the unrelated photo that pasting edits put the picture
	// into; without one they use a plain grey scene.
	Scene image.Image
}

// seeded returns the edit called name that vary makes for each Params.
func seeded(name string, vary func(Params) func(image.Image) image.Image) Edit {
	return Edit{Name: name, Apply: vary(Params{}), vary: vary}
}

// With returns the edit made with p. Edits that draw on no chance ignore p.
func (e Edit) With(p Params) func(image.Image) image.Image {
	if e.vary == nil {
		return e.Apply
	}
	return e.vary(p)
}

// Varies reports whether the edit depends on its Params.
func (e Edit) Varies() bool { return e.vary != nil }

// Locate returns the edit made with p as a function that also reports
// where the picture's corners are in the result; ok is false for an edit
// that does not know (the recipes of Catalogue).
func (e Edit) Locate(p Params) (edit func(image.Image) (image.Image, Quad), ok bool) {
	if e.locate == nil {
		return nil, false
	}
	return e.locate(p), true
}

// located returns the edit called name that locate makes for each Params.
func located(name string, locate func(Params) func(image.Image) (image.Image, Quad)) Edit {
	vary := func(p Params) func(image.Image) image.Image {
		f := locate(p)
		return func(img image.Image) image.Image {
			out, _ := f(img)
			return out
		}
	}
	return Edit{Name: name, Apply: vary(Params{}), vary: vary, locate: locate}
}

// JPEG re-encodes at the given quality and decodes again.
func JPEG(quality int) func(image.Image) image.Image {
	return func(img image.Image) image.Image {
		var b bytes.Buffer
		if err := jpeg.Encode(&b, img, &jpeg.Options{Quality: quality}); err != nil {
			panic(err)
		}
		out, err := jpeg.Decode(&b)
		if err != nil {
			panic(err)
		}
		return out
	}
}

// Scale resizes by factor f with a Catmull-Rom filter.
func Scale(f float64) func(image.Image) image.Image {
	return func(img image.Image) image.Image {
		b := img.Bounds()
		w, h := max(1, int(float64(b.Dx())*f+0.5)), max(1, int(float64(b.Dy())*f+0.5))
		dst := image.NewRGBA(image.Rect(0, 0, w, h))
		xdraw.CatmullRom.Scale(dst, dst.Rect, img, b, xdraw.Src, nil)
		return dst
	}
}

// Brightness multiplies every channel by f, clipping at white.
func Brightness(f float64) func(image.Image) image.Image {
	return func(img image.Image) image.Image {
		return perPixel(img, func(c color.NRGBA) color.NRGBA {
			scale := func(v uint8) uint8 { return uint8(min(255, float64(v)*f+0.5)) }
			return color.NRGBA{scale(c.R), scale(c.G), scale(c.B), c.A}
		})
	}
}

// Mirror flips left to right.
func Mirror(img image.Image) image.Image {
	b := img.Bounds()
	return remap(img, b.Dx(), b.Dy(), func(x, y int) (int, int) { return b.Dx() - 1 - x, y })
}

// Rotate turns the picture clockwise by quarter turns.
func Rotate(quarters int) func(image.Image) image.Image {
	return func(img image.Image) image.Image {
		b := img.Bounds()
		w, h := b.Dx(), b.Dy()
		switch ((quarters % 4) + 4) % 4 {
		case 1: // output pixel (x, y) shows source (y, h-1-x)
			return remap(img, h, w, func(x, y int) (int, int) { return y, h - 1 - x })
		case 2:
			return remap(img, w, h, func(x, y int) (int, int) { return w - 1 - x, h - 1 - y })
		case 3:
			return remap(img, h, w, func(x, y int) (int, int) { return w - 1 - y, x })
		}
		return img
	}
}

// Border surrounds the picture with a frame of colour c, frac of the
// width thick on the left and right and frac of the height on top and
// bottom.
func Border(frac float64, c color.Color) func(image.Image) image.Image {
	return func(img image.Image) image.Image {
		b := img.Bounds()
		bx, by := int(float64(b.Dx())*frac+0.5), int(float64(b.Dy())*frac+0.5)
		dst := image.NewRGBA(image.Rect(0, 0, b.Dx()+2*bx, b.Dy()+2*by))
		draw.Draw(dst, dst.Rect, image.NewUniform(c), image.Point{}, draw.Src)
		draw.Draw(dst, image.Rect(bx, by, bx+b.Dx(), by+b.Dy()), img, b.Min, draw.Src)
		return dst
	}
}

// nrgba returns img as an *image.NRGBA with its origin at 0,0.
func nrgba(img image.Image) *image.NRGBA {
	if m, ok := img.(*image.NRGBA); ok && m.Rect.Min == (image.Point{}) {
		return m
	}
	b := img.Bounds()
	m := image.NewNRGBA(image.Rect(0, 0, b.Dx(), b.Dy()))
	draw.Draw(m, m.Rect, img, b.Min, draw.Src)
	return m
}

func remap(img image.Image, w, h int, src func(x, y int) (int, int)) image.Image {
	in := nrgba(img)
	dst := image.NewNRGBA(image.Rect(0, 0, w, h))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			sx, sy := src(x, y)
			copy(dst.Pix[dst.PixOffset(x, y):][:4], in.Pix[in.PixOffset(sx, sy):][:4])
		}
	}
	return dst
}

func perPixel(img image.Image, f func(color.NRGBA) color.NRGBA) image.Image {
	in := nrgba(img)
	dst := image.NewNRGBA(in.Rect)
	for i := 0; i < len(in.Pix); i += 4 {
		c := f(color.NRGBA{in.Pix[i], in.Pix[i+1], in.Pix[i+2], in.Pix[i+3]})
		dst.Pix[i], dst.Pix[i+1], dst.Pix[i+2], dst.Pix[i+3] = c.R, c.G, c.B, c.A
	}
	return dst
}

// Foundation lists the edits recognition must survive from the start.
func Foundation() []Edit {
	return []Edit{
		{Name: "jpeg-q30", Apply: JPEG(30)},
		{Name: "resize-50", Apply: Scale(0.5)},
		{Name: "brightness+30", Apply: Brightness(1.3)},
		{Name: "mirror", Apply: Mirror},
		{Name: "rotate-90", Apply: Rotate(1)},
		{Name: "rotate-180", Apply: Rotate(2)},
		{Name: "rotate-270", Apply: Rotate(3)},
		{Name: "border-10-black", Apply: Border(0.1, color.Black)},
		{Name: "border-10-white", Apply: Border(0.1, color.White)},
	}
}
