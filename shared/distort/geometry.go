package distort

import (
	"image"
	"image/color"
	"image/draw"
	"math"
	"math/rand/v2"

	xdraw "golang.org/x/image/draw"
	"golang.org/x/image/math/f64"
)

// RotateBy turns the picture about its centre by degrees, counter-clockwise
// for a positive angle, with bilinear interpolation. The canvas keeps its
// size: the corners turned out of it are lost, and those turned into it
// are black, as in a photo straightened in an editor without cropping.
func RotateBy(degrees float64) func(image.Image) image.Image {
	return func(img image.Image) image.Image {
		in := nrgba(img)
		w, h := float64(in.Rect.Dx()), float64(in.Rect.Dy())
		sin, cos := math.Sincos(-degrees * math.Pi / 180) // y points down
		// Source to destination: move the centre to the origin, rotate,
		// move it back.
		m := f64.Aff3{
			cos, -sin, w/2 - cos*w/2 + sin*h/2,
			sin, cos, h/2 - sin*w/2 - cos*h/2,
		}
		out := image.NewNRGBA(in.Rect)
		draw.Draw(out, out.Rect, image.Black, image.Point{}, draw.Src)
		xdraw.BiLinear.Transform(out, m, in, in.Rect, xdraw.Over, nil)
		return out
	}
}

// Crop keeps the centre of the picture, cutting frac of the width from the
// left and from the right and frac of the height from the top and from the
// bottom.
func Crop(frac float64) func(image.Image) image.Image {
	return func(img image.Image) image.Image {
		b := img.Bounds()
		dx, dy := int(float64(b.Dx())*frac+0.5), int(float64(b.Dy())*frac+0.5)
		return copyRect(img, image.Rect(b.Min.X+dx, b.Min.Y+dy, b.Max.X-dx, b.Max.Y-dy))
	}
}

// CropCorner keeps keep of the width and keep of the height of the
// picture, the window pushed into one of the four corners, the one seed
// picks: an off-centre crop, as when a photo frames a target carelessly.
func CropCorner(keep float64, seed uint64) func(image.Image) image.Image {
	corner := rand.New(rand.NewPCG(seed, 0x636f726e6572)).IntN(4) // "corner"
	return func(img image.Image) image.Image {
		b := img.Bounds()
		w, h := max(1, int(float64(b.Dx())*keep+0.5)), max(1, int(float64(b.Dy())*keep+0.5))
		x, y := b.Min.X, b.Min.Y
		if corner&1 != 0 {
			x = b.Max.X - w
		}
		if corner&2 != 0 {
			y = b.Max.Y - h
		}
		return copyRect(img, image.Rect(x, y, x+w, y+h))
	}
}

// copyRect returns the part r of img as a new picture with its origin at 0,0.
func copyRect(img image.Image, r image.Rectangle) *image.NRGBA {
	out := image.NewNRGBA(image.Rect(0, 0, r.Dx(), r.Dy()))
	draw.Draw(out, out.Rect, img, r.Min, draw.Src)
	return out
}

// Screenshot does what sharing a picture through a screenshot does: it
// scales the picture to 70 %, cuts 2 % from each side (the screen's
// margins) and saves it as a JPEG of quality 70.
func Screenshot(img image.Image) image.Image {
	return JPEG(70)(Crop(0.02)(Scale(0.7)(img)))
}

// Tilt shows the picture as a camera sees a flat print of it tilted away
// by degrees: the picture turns about its horizontal or vertical middle
// line, which one and which way chosen by seed, and is projected through a
// pinhole 1.5 picture-heights (or -widths) away. The far side shrinks; the
// canvas is the projection's bounding box, black outside the picture.
func Tilt(degrees float64, seed uint64) func(image.Image) image.Image {
	side := rand.New(rand.NewPCG(seed, 0x74696c74)).IntN(4) // "tilt"
	return func(img image.Image) image.Image {
		in := nrgba(img)
		w, h := float64(in.Rect.Dx()), float64(in.Rect.Dy())
		if side >= 2 { // tilt about the vertical line: work transposed
			w, h = h, w
		}
		p := projection{theta: degrees * math.Pi / 180, dist: 1.5 * h}
		if side%2 == 1 {
			p.theta = -p.theta // the top recedes instead of the bottom
		}
		// The projected corners bound the canvas.
		var minU, maxU, minV, maxV float64 = math.Inf(1), math.Inf(-1), math.Inf(1), math.Inf(-1)
		for _, c := range [4][2]float64{{-w / 2, -h / 2}, {w / 2, -h / 2}, {-w / 2, h / 2}, {w / 2, h / 2}} {
			u, v := p.forward(c[0], c[1])
			minU, maxU, minV, maxV = min(minU, u), max(maxU, u), min(minV, v), max(maxV, v)
		}
		ow, oh := int(math.Ceil(maxU-minU)), int(math.Ceil(maxV-minV))
		if side >= 2 {
			ow, oh = oh, ow
		}
		return warp(in, ow, oh, func(ox, oy float64) (float64, float64) {
			u, v := ox+minU, oy+minV
			if side >= 2 {
				u, v = oy+minU, ox+minV
			}
			x, y := p.inverse(u, v)
			x, y = x+w/2, y+h/2
			if side >= 2 {
				x, y = y, x
			}
			return x, y
		})
	}
}

// projection maps a picture turned by theta about its horizontal middle
// line to the image plane of a pinhole dist away, with focal length dist,
// so the middle line keeps its scale. Coordinates are centred.
type projection struct{ theta, dist float64 }

// forward returns where the picture point (x, y) appears.
func (p projection) forward(x, y float64) (u, v float64) {
	sin, cos := math.Sincos(p.theta)
	z := p.dist + y*sin // for a positive theta the top (y < 0) comes nearer
	return p.dist * x / z, p.dist * y * cos / z
}

// inverse returns the picture point that appears at (u, v).
func (p projection) inverse(u, v float64) (x, y float64) {
	sin, cos := math.Sincos(p.theta)
	y = v * p.dist / (p.dist*cos - v*sin)
	x = u * (p.dist + y*sin) / p.dist
	return x, y
}

// warp returns a w×h picture whose pixel centre (x+0.5, y+0.5) shows the
// point src(x+0.5, y+0.5) of in, interpolated bilinearly; points outside in
// are black.
func warp(in *image.NRGBA, w, h int, src func(x, y float64) (float64, float64)) *image.NRGBA {
	out := image.NewNRGBA(image.Rect(0, 0, w, h))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			sx, sy := src(float64(x)+0.5, float64(y)+0.5)
			c := bilinear(in, sx-0.5, sy-0.5)
			copy(out.Pix[y*out.Stride+4*x:], c[:])
		}
	}
	return out
}

// paint draws in onto the part r of dst: the pixel centre (x+0.5, y+0.5)
// of dst shows the point src(x+0.5, y+0.5) of in, interpolated bilinearly
// and laid over what dst has there; outside in, dst shows through, so the
// picture's outline is smooth.
func paint(dst *image.NRGBA, r image.Rectangle, in *image.NRGBA, src func(x, y float64) (float64, float64)) {
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			sx, sy := src(float64(x)+0.5, float64(y)+0.5)
			c := sample(in, sx-0.5, sy-0.5, 0)
			if c[3] == 0 {
				continue
			}
			d := dst.Pix[dst.PixOffset(x, y):][:4]
			a, da := float64(c[3])/255, float64(d[3])/255
			outA := a + da*(1-a)
			for i := 0; i < 3; i++ {
				d[i] = clamp8((float64(c[i])*a + float64(d[i])*da*(1-a)) / outA)
			}
			d[3] = clamp8(255 * outA)
		}
	}
}

// bilinear samples in at (x, y), in pixel-centre coordinates, blending the
// four nearest pixels; outside the picture it is opaque black, with the
// edge blended towards it over one pixel.
func bilinear(in *image.NRGBA, x, y float64) [4]uint8 { return sample(in, x, y, 255) }

// sample is bilinear with the picture surrounded by black of opacity
// outside (0 for transparent, 255 for opaque).
func sample(in *image.NRGBA, x, y float64, outside uint8) [4]uint8 {
	w, h := in.Rect.Dx(), in.Rect.Dy()
	if !(x >= -1 && y >= -1 && x < float64(w) && y < float64(h)) { // NaN is outside too
		return [4]uint8{0, 0, 0, outside}
	}
	x0, y0 := int(math.Floor(x)), int(math.Floor(y))
	fx, fy := x-float64(x0), y-float64(y0)
	var acc [4]float64
	for _, t := range [4]struct {
		dx, dy int
		wt     float64
	}{{0, 0, (1 - fx) * (1 - fy)}, {1, 0, fx * (1 - fy)}, {0, 1, (1 - fx) * fy}, {1, 1, fx * fy}} {
		px, py := x0+t.dx, y0+t.dy
		if px < 0 || py < 0 || px >= w || py >= h {
			acc[3] += t.wt * float64(outside) // black
			continue
		}
		p := in.Pix[py*in.Stride+4*px:]
		a := float64(p[3]) / 255
		acc[0] += t.wt * float64(p[0]) * a
		acc[1] += t.wt * float64(p[1]) * a
		acc[2] += t.wt * float64(p[2]) * a
		acc[3] += t.wt * float64(p[3])
	}
	if acc[3] == 0 {
		return [4]uint8{}
	}
	a := acc[3] / 255
	return [4]uint8{clamp8(acc[0] / a), clamp8(acc[1] / a), clamp8(acc[2] / a), clamp8(acc[3])}
}

// Paste puts the picture into scene so that it covers area (a fraction) of
// the result, at a place seed picks, as when a photo shows the target among
// other things. The result has the picture's aspect ratio and is
// 1/sqrt(area) times its size; scene is scaled to cover it, its middle
// kept. A nil scene is plain grey.
func Paste(scene image.Image, area float64, seed uint64) func(image.Image) image.Image {
	rng := rand.New(rand.NewPCG(seed, 0x7061737465)) // "paste"
	fx, fy := rng.Float64(), rng.Float64()
	return func(img image.Image) image.Image {
		b := img.Bounds()
		grow := 1 / math.Sqrt(area)
		w, h := int(float64(b.Dx())*grow+0.5), int(float64(b.Dy())*grow+0.5)
		out := image.NewNRGBA(image.Rect(0, 0, w, h))
		if scene == nil {
			draw.Draw(out, out.Rect, image.NewUniform(color.Gray{128}), image.Point{}, draw.Src)
		} else {
			xdraw.BiLinear.Scale(out, out.Rect, scene, cover(scene.Bounds(), w, h), xdraw.Src, nil)
		}
		x, y := int(fx*float64(w-b.Dx())), int(fy*float64(h-b.Dy()))
		draw.Draw(out, image.Rect(x, y, x+b.Dx(), y+b.Dy()), img, b.Min, draw.Over)
		return out
	}
}

// cover returns the largest part of r, centred, with the aspect ratio of
// a w×h picture.
func cover(r image.Rectangle, w, h int) image.Rectangle {
	cw, ch := r.Dx(), r.Dy()
	if cw*h > ch*w { // r is wider: cut its sides
		cw = max(1, ch*w/h)
	} else {
		ch = max(1, cw*h/w)
	}
	x, y := r.Min.X+(r.Dx()-cw)/2, r.Min.Y+(r.Dy()-ch)/2
	return image.Rect(x, y, x+cw, y+ch)
}
