package feature

import (
	"image"
	"image/draw"
	"math"
	"sync"

	xdraw "golang.org/x/image/draw"

	"github.com/pixmatch/pixmatch/shared/distort"
	"github.com/pixmatch/pixmatch/shared/testphoto"
)

// A shot is how a camera sees a print of a target: tilted by Tilt
// degrees in perspective or turned by Turn degrees in the frame, covering
// Area of a 640×480 frame whose background is another photo, then
// blurred by Blur (σ, pixels), darkened by Light and saved as a JPEG of
// Quality (0: not at all).
type shot struct {
	name             string
	tilt, turn, area float64
	blur, light      float64
	quality          int
}

// shots are the camera views the extractor is measured on, modelled on
// the recipes of the recognition benchmark (camera-anchors.md).
var shots = []shot{
	{name: "paste-50", area: 0.5},
	{name: "paste-25", area: 0.25},
	{name: "paste-10", area: 0.10},
	{name: "tilt-20", tilt: 20, area: 0.4},
	{name: "tilt-35", tilt: 35, area: 0.4},
	{name: "tilt-50", tilt: 50, area: 0.4},
	{name: "turn-30", turn: 30, area: 0.4},
	{name: "camera", tilt: 25, area: 0.35, blur: 1, light: 0.8, quality: 70},
}

// frameW and frameH are the size of a camera frame.
const frameW, frameH = 640, 480

// take returns the frame s makes of the test photo target on the scene
// photo, and the map from the target's pixel coordinates (centres at
// whole numbers) to the frame's.
func (s shot) take(target, scene string) (*image.NRGBA, func(x, y float64) (float64, float64)) {
	img := testphoto.Image(target)
	w, h := img.Bounds().Dx(), img.Bounds().Dy()
	print, to := image.Image(img), identity(w, h, nil, nil)
	switch {
	case s.tilt != 0:
		print = distort.Tilt(s.tilt, 3)(img)
		to = tilted(s.tilt)(w, h, print, img)
	case s.turn != 0:
		print = distort.RotateBy(s.turn)(img)
		to = turned(s.turn)(w, h, print, img)
	}
	pb := print.Bounds()
	f := math.Sqrt(s.area * frameW * frameH / float64(pb.Dx()*pb.Dy()))
	pw, ph := int(float64(pb.Dx())*f+0.5), int(float64(pb.Dy())*f+0.5)
	ox, oy := (frameW-pw)*2/5, (frameH-ph)*3/5 // off centre
	frame := background(scene)
	placed := image.Rect(ox, oy, ox+pw, oy+ph)
	scaledPrint := image.NewNRGBA(placed)
	xdraw.BiLinear.Scale(scaledPrint, placed, print, pb, xdraw.Src, nil)
	if s.tilt == 0 && s.turn == 0 {
		draw.Draw(frame, placed, scaledPrint, placed.Min, draw.Src)
	} else {
		// The print's black surround (outside a tilted picture, the
		// corners of a turned one) is not part of it: the scene shows
		// there.
		in := toNRGBA(print)
		mask := image.NewAlpha(pb)
		for i := range mask.Pix {
			if p := in.Pix[4*i : 4*i+3]; int(p[0])+int(p[1])+int(p[2]) > 6 {
				mask.Pix[i] = 255
			}
		}
		scaledMask := image.NewAlpha(placed)
		xdraw.BiLinear.Scale(scaledMask, placed, mask, pb, xdraw.Src, nil)
		draw.DrawMask(frame, placed, scaledPrint, placed.Min, scaledMask, placed.Min, draw.Over)
	}
	out := image.Image(frame)
	if s.blur > 0 {
		out = distort.Blur(s.blur)(out)
	}
	if s.light > 0 {
		out = distort.Brightness(s.light)(out)
	}
	if s.quality > 0 {
		out = distort.JPEG(s.quality)(out)
	}
	sx, sy := float64(pw)/float64(pb.Dx()), float64(ph)/float64(pb.Dy())
	return toNRGBA(out), func(x, y float64) (float64, float64) {
		u, v := to(x+0.5, y+0.5)
		return u*sx + float64(ox) - 0.5, v*sy + float64(oy) - 0.5
	}
}

var (
	backgroundsMu sync.Mutex
	backgrounds   = map[string]*image.NRGBA{}
)

// background returns a new frame showing the scene photo, scaled to
// fill it.
func background(scene string) *image.NRGBA {
	backgroundsMu.Lock()
	defer backgroundsMu.Unlock()
	bg, ok := backgrounds[scene]
	if !ok {
		bg = image.NewNRGBA(image.Rect(0, 0, frameW, frameH))
		src := toNRGBA(testphoto.Image(scene))
		xdraw.BiLinear.Scale(bg, bg.Rect, src, src.Rect, xdraw.Src, nil)
		backgrounds[scene] = bg
	}
	frame := image.NewNRGBA(bg.Rect)
	copy(frame.Pix, bg.Pix)
	return frame
}

func toNRGBA(img image.Image) *image.NRGBA {
	if m, ok := img.(*image.NRGBA); ok {
		return m
	}
	m := image.NewNRGBA(img.Bounds())
	draw.Draw(m, m.Rect, img, img.Bounds().Min, draw.Src)
	return m
}
