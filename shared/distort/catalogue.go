package distort

import (
	"image"
	"image/color"
)

// Catalogue lists the recipes of the recognition-quality benchmark, in the
// order its report shows them, under the names it shows. Recipes that
// draw on chance take it from their Params (see Edit.With); the scenes of
// the paste recipes come from the caller.
//
//	jpeg-q20, jpeg-q50    re-encoded as JPEG at quality 20 and 50
//	resize-25, resize-50  scaled to 25 % and 50 % (Catmull-Rom)
//	blur-2                Gaussian blur, σ = 2 px
//	noise-12              Gaussian noise, σ = 12 grey levels per channel
//	brightness±30         every channel ×1.3 and ×0.7
//	gamma-0.5             display gamma 0.5 (darker mid-tones)
//	text                  "SAMPLE" across the bottom, 1/7 of the height
//	logo                  a translucent badge in a corner
//	rotate-2, -5, -10     turned by that many degrees, either way
//	crop-5, -10, -20      that share cut from every side
//	offcrop-80, -60       80 % and 60 % of each side kept, in a corner
//	border-10, -25        a black frame 10 % and 25 % of each side thick
//	mirror                flipped left to right
//	rotate-90, -180, -270 turned clockwise by quarter turns
//	screenshot            scaled to 70 %, 2 % cut per side, JPEG q70
//	tilt-10, tilt-20      seen in perspective, tilted by 10° and 20°
//	paste-50, paste-25    pasted into a scene, covering 50 % and 25 % of it
func Catalogue() []Edit {
	return []Edit{
		{Name: "jpeg-q20", Apply: JPEG(20)},
		{Name: "jpeg-q50", Apply: JPEG(50)},
		{Name: "resize-25", Apply: Scale(0.25)},
		{Name: "resize-50", Apply: Scale(0.5)},
		{Name: "blur-2", Apply: Blur(2)},
		seeded("noise-12", func(p Params) func(image.Image) image.Image { return Noise(12, p.Seed) }),
		{Name: "brightness+30", Apply: Brightness(1.3)},
		{Name: "brightness-30", Apply: Brightness(0.7)},
		{Name: "gamma-0.5", Apply: Gamma(0.5)},
		{Name: "text", Apply: Text("SAMPLE")},
		seeded("logo", func(p Params) func(image.Image) image.Image { return Logo(p.Seed) }),
		seeded("rotate-2", turn(2)),
		seeded("rotate-5", turn(5)),
		seeded("rotate-10", turn(10)),
		{Name: "crop-5", Apply: Crop(0.05)},
		{Name: "crop-10", Apply: Crop(0.10)},
		{Name: "crop-20", Apply: Crop(0.20)},
		seeded("offcrop-80", func(p Params) func(image.Image) image.Image { return CropCorner(0.8, p.Seed) }),
		seeded("offcrop-60", func(p Params) func(image.Image) image.Image { return CropCorner(0.6, p.Seed) }),
		{Name: "border-10", Apply: Border(0.10, color.Black)},
		{Name: "border-25", Apply: Border(0.25, color.Black)},
		{Name: "mirror", Apply: Mirror},
		{Name: "rotate-90", Apply: Rotate(1)},
		{Name: "rotate-180", Apply: Rotate(2)},
		{Name: "rotate-270", Apply: Rotate(3)},
		{Name: "screenshot", Apply: Screenshot},
		seeded("tilt-10", func(p Params) func(image.Image) image.Image { return Tilt(10, p.Seed) }),
		seeded("tilt-20", func(p Params) func(image.Image) image.Image { return Tilt(20, p.Seed) }),
		seeded("paste-50", func(p Params) func(image.Image) image.Image { return Paste(p.Scene, 0.50, p.Seed) }),
		seeded("paste-25", func(p Params) func(image.Image) image.Image { return Paste(p.Scene, 0.25, p.Seed) }),
	}
}

// turn returns the recipe rotating by degrees, clockwise or
// counter-clockwise as the seed's lowest bit says.
func turn(degrees float64) func(Params) func(image.Image) image.Image {
	return func(p Params) func(image.Image) image.Image {
		if p.Seed&1 != 0 {
			return RotateBy(-degrees)
		}
		return RotateBy(degrees)
	}
}

// CameraCatalogue lists the recipes that show a picture as a phone camera
// sees a print of it, in the order and under the names the benchmark
// report shows. Each reports where the picture's corners are in the
// result (Edit.Locate). All draw on chance (Params.Seed) and take their
// scene, the photo behind or in front of the print, from Params.Scene.
// Frames are FrameLong × FrameShort (see Shot).
//
//	cam-tilt-20, -35, -50     tilted by 20°, 35°, 50° about an axis of any
//	                          direction, covering 40 % of the frame
//	cam-rotate-30             turned 30° either way, covering 40 % of it
//	cam-paste-50, -25, -10    upright, covering 50, 25 and 10 % of it
//	cam-cover-30              the picture itself (no frame), 30 % of its
//	                          area hidden behind a block of the scene
//	camera                    tilted by 25°, covering 35 % of the frame,
//	                          then blurred (σ = 1 px), ×0.8 brightness,
//	                          JPEG q70
func CameraCatalogue() []Edit {
	shot := func(tilt, area float64, roll bool) func(Params) func(image.Image) (image.Image, Quad) {
		return func(p Params) func(image.Image) (image.Image, Quad) {
			s := Shot{Tilt: tilt, Area: area, Seed: p.Seed}
			if roll {
				s.Roll = 30
				if p.Seed&1 != 0 {
					s.Roll = -30
				}
			}
			return func(img image.Image) (image.Image, Quad) { return s.Take(p.Scene, img) }
		}
	}
	return []Edit{
		located("cam-tilt-20", shot(20, 0.40, false)),
		located("cam-tilt-35", shot(35, 0.40, false)),
		located("cam-tilt-50", shot(50, 0.40, false)),
		located("cam-rotate-30", shot(0, 0.40, true)),
		located("cam-paste-50", shot(0, 0.50, false)),
		located("cam-paste-25", shot(0, 0.25, false)),
		located("cam-paste-10", shot(0, 0.10, false)),
		located("cam-cover-30", func(p Params) func(image.Image) (image.Image, Quad) {
			hide := Cover(p.Scene, 0.30, p.Seed)
			return func(img image.Image) (image.Image, Quad) {
				b := img.Bounds()
				return hide(img), corners(b.Dx(), b.Dy())
			}
		}),
		located("camera", func(p Params) func(image.Image) (image.Image, Quad) {
			take := shot(25, 0.35, false)(p)
			return func(img image.Image) (image.Image, Quad) {
				frame, q := take(img)
				return JPEG(70)(Brightness(0.8)(Blur(1)(frame))), q
			}
		}),
	}
}
