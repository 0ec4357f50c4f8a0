package distort

import (
	"image"
	"image/color"
	"image/draw"
	"math"
	"math/rand/v2"

	xdraw "golang.org/x/image/draw"
)

// The size of a camera frame: FrameLong × FrameShort, landscape or
// portrait, as a phone streams video for recognition.
const (
	FrameLong  = 640
	FrameShort = 480
)

// Point is a place in a picture, in pixels: (0, 0) is the top-left corner
// of the top-left pixel, (w, h) the bottom-right corner of the last one.
type Point struct{ X, Y float64 }

// Quad is where the four corners of a picture landed in an edit of it:
// the picture's top-left, top-right, bottom-right and bottom-left corners,
// in that order, in the edited picture's pixels. It is the ground truth
// of localisation.
type Quad [4]Point

// corners returns the Quad of a w×h picture shown as it is.
func corners(w, h int) Quad {
	return Quad{{0, 0}, {float64(w), 0}, {float64(w), float64(h)}, {0, float64(h)}}
}

// Shot describes a camera frame of a flat print of a picture in front of
// a scene: the print is turned away from the camera by Tilt degrees about
// an axis through its centre, the axis's direction in the print drawn
// from Seed, and seen through a pinhole 1.5 times the print's longer side
// away (the projection of Tilt); then turned in the frame by Roll degrees,
// counter-clockwise for a positive angle, and scaled so that its outline
// covers Area of the frame — less when that would not fit — at a place
// drawn from Seed. The frame is FrameLong × FrameShort, landscape when
// the outline is wider than tall, else portrait; the scene, scaled to
// cover it with its middle kept, shows around the print (plain grey
// without a scene).
type Shot struct {
	Tilt, Roll, Area float64
	Seed             uint64
}

// shotPlan is a Shot worked out for one picture: the frame's size and the
// map between the print's pixels and the frame's.
type shotPlan struct {
	w, h          float64 // the print
	frame         image.Point
	p             projection
	axis, turn    float64 // the axis's direction, and axis plus roll, radians
	scale, dx, dy float64 // camera plane to frame
}

// Take returns the frame and where the picture's corners are in it.
func (s Shot) Take(scene image.Image, img image.Image) (image.Image, Quad) {
	in := nrgba(img)
	pl := s.plan(in.Rect.Dx(), in.Rect.Dy())
	out := backdrop(scene, pl.frame.X, pl.frame.Y)
	var q Quad
	box := image.Rectangle{}
	for i, c := range corners(in.Rect.Dx(), in.Rect.Dy()) {
		q[i].X, q[i].Y = pl.forward(c.X, c.Y)
		box = box.Union(image.Rect(int(math.Floor(q[i].X)), int(math.Floor(q[i].Y)), int(math.Ceil(q[i].X))+1, int(math.Ceil(q[i].Y))+1))
	}
	paint(out, box.Intersect(out.Rect), in, pl.inverse)
	return out, q
}

// plan works out the frame of a w×h print.
func (s Shot) plan(w, h int) shotPlan {
	rng := rand.New(rand.NewPCG(s.Seed, 0x73686f74)) // "shot"
	pl := shotPlan{w: float64(w), h: float64(h), axis: 2 * math.Pi * rng.Float64()}
	pl.p = projection{theta: s.Tilt * math.Pi / 180, dist: 1.5 * max(pl.w, pl.h)}
	pl.turn = pl.axis - s.Roll*math.Pi/180 // y points down
	var c [4][2]float64
	minU, maxU, minV, maxV := math.Inf(1), math.Inf(-1), math.Inf(1), math.Inf(-1)
	for i, k := range corners(w, h) {
		u, v := pl.camera(k.X, k.Y)
		c[i] = [2]float64{u, v}
		minU, maxU, minV, maxV = min(minU, u), max(maxU, u), min(minV, v), max(maxV, v)
	}
	area := 0.0 // shoelace
	for i := range c {
		j := (i + 1) % 4
		area += c[i][0]*c[j][1] - c[j][0]*c[i][1]
	}
	area = math.Abs(area) / 2
	pl.frame = image.Pt(FrameLong, FrameShort)
	if maxV-minV > maxU-minU {
		pl.frame = image.Pt(FrameShort, FrameLong)
	}
	fw, fh := float64(pl.frame.X), float64(pl.frame.Y)
	pl.scale = min(math.Sqrt(s.Area*fw*fh/area), fw/(maxU-minU), fh/(maxV-minV))
	pl.dx = rng.Float64()*(fw-pl.scale*(maxU-minU)) - pl.scale*minU
	pl.dy = rng.Float64()*(fh-pl.scale*(maxV-minV)) - pl.scale*minV
	return pl
}

// camera returns where the print's point (x, y) appears on the camera
// plane, centred, before scaling into the frame: turned so the axis lies
// along x, projected, turned back and rolled.
func (pl shotPlan) camera(x, y float64) (u, v float64) {
	a, b := spin(x-pl.w/2, y-pl.h/2, -pl.axis)
	a, b = pl.p.forward(a, b)
	return spin(a, b, pl.turn)
}

// forward returns where the print's point (x, y) is in the frame.
func (pl shotPlan) forward(x, y float64) (float64, float64) {
	u, v := pl.camera(x, y)
	return pl.scale*u + pl.dx, pl.scale*v + pl.dy
}

// inverse returns the print's point seen at the frame's (fx, fy); a point
// beyond the print's horizon gives NaN.
func (pl shotPlan) inverse(fx, fy float64) (float64, float64) {
	u, v := spin((fx-pl.dx)/pl.scale, (fy-pl.dy)/pl.scale, -pl.turn)
	sin, cos := math.Sincos(pl.p.theta)
	if pl.p.dist*cos-v*sin <= 0 {
		return math.NaN(), math.NaN()
	}
	a, b := pl.p.inverse(u, v)
	a, b = spin(a, b, pl.axis)
	return a + pl.w/2, b + pl.h/2
}

// spin rotates (x, y) about the origin by angle radians.
func spin(x, y, angle float64) (float64, float64) {
	sin, cos := math.Sincos(angle)
	return x*cos - y*sin, x*sin + y*cos
}

// Cover hides a block of frac of the picture's area behind the same part
// of scene (scaled to cover the picture, its middle kept; plain grey
// without one), as when something in front of a print hides part of it.
// The block's aspect ratio (between 2:3 and 3:2, narrowed to fit) and its
// place are drawn from seed.
func Cover(scene image.Image, frac float64, seed uint64) func(image.Image) image.Image {
	rng := rand.New(rand.NewPCG(seed, 0x636f766572)) // "cover"
	aspect, fx, fy := math.Exp((rng.Float64()*2-1)*math.Log(1.5)), rng.Float64(), rng.Float64()
	return func(img image.Image) image.Image {
		out := cloneNRGBA(img)
		w, h := float64(out.Rect.Dx()), float64(out.Rect.Dy())
		bw := min(w, math.Sqrt(frac*w*h*aspect))
		bh := min(h, frac*w*h/bw)
		bw = min(w, frac*w*h/bh)
		x, y := int(fx*(w-bw)+0.5), int(fy*(h-bh)+0.5)
		block := image.Rect(x, y, x+int(bw+0.5), y+int(bh+0.5)).Intersect(out.Rect)
		draw.Draw(out, block, backdrop(scene, out.Rect.Dx(), out.Rect.Dy()), block.Min, draw.Src)
		return out
	}
}

// backdrop returns scene as a w×h picture, scaled to cover it with its
// middle kept; plain grey for a nil scene.
func backdrop(scene image.Image, w, h int) *image.NRGBA {
	out := image.NewNRGBA(image.Rect(0, 0, w, h))
	if scene == nil {
		draw.Draw(out, out.Rect, image.NewUniform(color.Gray{128}), image.Point{}, draw.Src)
	} else {
		xdraw.BiLinear.Scale(out, out.Rect, scene, cover(scene.Bounds(), w, h), xdraw.Src, nil)
	}
	return out
}
