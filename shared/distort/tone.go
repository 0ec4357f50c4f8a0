package distort

import (
	"image"
	"image/color"
	"math"
	"math/rand/v2"
)

// Blur applies a Gaussian blur of standard deviation sigma pixels: a
// separable kernel cut at three sigmas, the picture's edge pixels repeated
// beyond it.
func Blur(sigma float64) func(image.Image) image.Image {
	kernel := gaussian(sigma)
	return func(img image.Image) image.Image {
		in := nrgba(img)
		w, h := in.Rect.Dx(), in.Rect.Dy()
		mid := make([]float32, len(in.Pix)) // rows blurred
		for y := 0; y < h; y++ {
			row := in.Pix[y*in.Stride:]
			for x := 0; x < w; x++ {
				var acc [4]float32
				for k, wt := range kernel {
					sx := min(max(x+k-len(kernel)/2, 0), w-1)
					p := row[4*sx : 4*sx+4 : 4*sx+4]
					acc[0] += wt * float32(p[0])
					acc[1] += wt * float32(p[1])
					acc[2] += wt * float32(p[2])
					acc[3] += wt * float32(p[3])
				}
				copy(mid[(y*w+x)*4:], acc[:])
			}
		}
		out := image.NewNRGBA(image.Rect(0, 0, w, h))
		for y := 0; y < h; y++ {
			for x := 0; x < w; x++ {
				var acc [4]float32
				for k, wt := range kernel {
					sy := min(max(y+k-len(kernel)/2, 0), h-1)
					p := mid[(sy*w+x)*4 : (sy*w+x)*4+4 : (sy*w+x)*4+4]
					acc[0] += wt * p[0]
					acc[1] += wt * p[1]
					acc[2] += wt * p[2]
					acc[3] += wt * p[3]
				}
				d := out.Pix[y*out.Stride+4*x : y*out.Stride+4*x+4 : y*out.Stride+4*x+4]
				for c := range d {
					d[c] = clamp8(float64(acc[c]))
				}
			}
		}
		return out
	}
}

// gaussian returns the normalised weights of a Gaussian of standard
// deviation sigma, 2*ceil(3*sigma)+1 taps long.
func gaussian(sigma float64) []float32 {
	r := max(1, int(math.Ceil(3*sigma)))
	weights := make([]float64, 2*r+1)
	var sum float64
	for i := range weights {
		d := float64(i - r)
		weights[i] = math.Exp(-d * d / (2 * sigma * sigma))
		sum += weights[i]
	}
	kernel := make([]float32, len(weights))
	for i, w := range weights {
		kernel[i] = float32(w / sum)
	}
	return kernel
}

// Noise adds Gaussian noise of standard deviation sigma grey levels to
// every colour channel of every pixel, independently, as a camera sensor
// does in poor light. The noise is drawn from seed.
func Noise(sigma float64, seed uint64) func(image.Image) image.Image {
	return func(img image.Image) image.Image {
		rng := rand.New(rand.NewPCG(seed, 0x6e6f697365)) // "noise"
		return perPixel(img, func(c color.NRGBA) color.NRGBA {
			grain := func(v uint8) uint8 { return clamp8(float64(v) + sigma*rng.NormFloat64()) }
			return color.NRGBA{grain(c.R), grain(c.G), grain(c.B), c.A}
		})
	}
}

// Gamma applies a display gamma of g to every colour channel: a value v
// in [0, 1] becomes v^(1/g). A g below 1 darkens the mid-tones, above 1
// lightens them; black and white stay.
func Gamma(g float64) func(image.Image) image.Image {
	var table [256]uint8
	for v := range table {
		table[v] = clamp8(255 * math.Pow(float64(v)/255, 1/g))
	}
	return func(img image.Image) image.Image {
		return perPixel(img, func(c color.NRGBA) color.NRGBA {
			return color.NRGBA{table[c.R], table[c.G], table[c.B], c.A}
		})
	}
}

// clamp8 rounds v to the nearest 8-bit value.
func clamp8(v float64) uint8 {
	return uint8(min(max(v+0.5, 0), 255))
}
