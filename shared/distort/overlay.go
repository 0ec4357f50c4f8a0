package distort

import (
	"image"
	"image/color"
	"image/draw"
	"math"
	"math/rand/v2"
	"sync"

	"golang.org/x/image/font"
	"golang.org/x/image/font/gofont/gobold"
	"golang.org/x/image/font/opentype"
	"golang.org/x/image/math/fixed"
	"golang.org/x/image/vector"
)

// bold is the Go Bold typeface, parsed once.
var bold = sync.OnceValue(func() *opentype.Font {
	f, err := opentype.Parse(gobold.TTF)
	if err != nil { // the font is compiled in: this cannot fail
		panic("distort: parsing Go Bold: " + err.Error())
	}
	return f
})

// Text writes caption across the bottom of the picture in white bold
// letters outlined in black, a seventh of the picture's height tall (less
// if the caption would not fit the width), as captions and watermarks do.
func Text(caption string) func(image.Image) image.Image {
	return func(img image.Image) image.Image {
		out := cloneNRGBA(img)
		w, h := out.Rect.Dx(), out.Rect.Dy()
		size := float64(h) / 7
		face := newFace(size)
		if width := font.MeasureString(face, caption).Round(); width > w*9/10 {
			size = size * float64(w*9/10) / float64(width)
			face = newFace(size)
		}
		width := font.MeasureString(face, caption).Round()
		// The letters as a mask, drawn once: white through it, black
		// through copies of it shifted within the outline's radius.
		m := face.Metrics()
		mask := image.NewAlpha(image.Rect(0, 0, width, (m.Ascent + m.Descent).Ceil()))
		d := font.Drawer{Dst: mask, Src: image.Opaque, Face: face, Dot: fixed.Point26_6{Y: m.Ascent}}
		d.DrawString(caption)
		at := image.Pt((w-width)/2, h-max(2, h/40)-mask.Rect.Dy())
		stroke := max(1, int(size/16))
		for dy := -stroke; dy <= stroke; dy++ {
			for dx := -stroke; dx <= stroke; dx++ {
				if dx*dx+dy*dy <= stroke*stroke {
					r := mask.Rect.Add(at).Add(image.Pt(dx, dy))
					draw.DrawMask(out, r, image.Black, image.Point{}, mask, image.Point{}, draw.Over)
				}
			}
		}
		draw.DrawMask(out, mask.Rect.Add(at), image.White, image.Point{}, mask, image.Point{}, draw.Over)
		return out
	}
}

// newFace returns Go Bold at size pixels.
func newFace(size float64) font.Face {
	face, err := opentype.NewFace(bold(), &opentype.FaceOptions{Size: max(size, 4), DPI: 72, Hinting: font.HintingNone})
	if err != nil { // only for invalid options
		panic("distort: " + err.Error())
	}
	return face
}

// Logo stamps a translucent badge — an orange disc with a white triangle,
// drawn as anti-aliased vector shapes at 70 % opacity — into the corner of
// the picture that seed picks. Its diameter is a quarter of the picture's
// shorter side: a channel logo or a shop's watermark.
func Logo(seed uint64) func(image.Image) image.Image {
	corner := rand.New(rand.NewPCG(seed, 0x6c6f676f)).IntN(4) // "logo"
	return func(img image.Image) image.Image {
		out := cloneNRGBA(img)
		w, h := out.Rect.Dx(), out.Rect.Dy()
		d := max(8, min(w, h)/4)
		margin := min(w, h) / 25
		x, y := margin, margin
		if corner&1 != 0 {
			x = w - margin - d
		}
		if corner&2 != 0 {
			y = h - margin - d
		}
		box := image.Rect(x, y, x+d, y+d)
		r := float32(d) / 2
		disc := vector.NewRasterizer(d, d)
		circle(disc, r, r, r)
		disc.Draw(out, box, image.NewUniform(color.NRGBA{240, 120, 20, 179}), image.Point{})
		mark := vector.NewRasterizer(d, d)
		mark.MoveTo(r*0.70, r*0.45)
		mark.LineTo(r*1.55, r)
		mark.LineTo(r*0.70, r*1.55)
		mark.ClosePath()
		mark.Draw(out, box, image.NewUniform(color.NRGBA{255, 255, 255, 179}), image.Point{})
		return out
	}
}

// circle adds a circle of radius r about (cx, cy) to z, as four cubic
// Bézier arcs.
func circle(z *vector.Rasterizer, cx, cy, r float32) {
	k := r * float32(4*(math.Sqrt2-1)/3) // control-point distance of a quarter arc
	z.MoveTo(cx+r, cy)
	z.CubeTo(cx+r, cy+k, cx+k, cy+r, cx, cy+r)
	z.CubeTo(cx-k, cy+r, cx-r, cy+k, cx-r, cy)
	z.CubeTo(cx-r, cy-k, cx-k, cy-r, cx, cy-r)
	z.CubeTo(cx+k, cy-r, cx+r, cy-k, cx+r, cy)
	z.ClosePath()
}

// cloneNRGBA returns a copy of img as an *image.NRGBA with its origin at
// 0,0, safe to draw on.
func cloneNRGBA(img image.Image) *image.NRGBA {
	b := img.Bounds()
	m := image.NewNRGBA(image.Rect(0, 0, b.Dx(), b.Dy()))
	draw.Draw(m, m.Rect, img, b.Min, draw.Src)
	return m
}
