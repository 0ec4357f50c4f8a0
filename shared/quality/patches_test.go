package quality

import (
	"image"
	"math"
	"math/rand/v2"
	"testing"
)

// ncc is the normalised cross-correlation of the 8×8 patches of p around
// a and b, in floating point: the reference for the integer code.
func ncc(p *image.Gray, ax, ay, bx, by int) float64 {
	var va, vb [patchArea]float64
	var ma, mb float64
	for r := 0; r < patchSide; r++ {
		for k := 0; k < patchSide; k++ {
			va[r*patchSide+k] = float64(p.GrayAt(ax-4+k, ay-4+r).Y)
			vb[r*patchSide+k] = float64(p.GrayAt(bx-4+k, by-4+r).Y)
			ma += va[r*patchSide+k] / patchArea
			mb += vb[r*patchSide+k] / patchArea
		}
	}
	var sab, saa, sbb float64
	for i := range va {
		sab += (va[i] - ma) * (vb[i] - mb)
		saa += (va[i] - ma) * (va[i] - ma)
		sbb += (vb[i] - mb) * (vb[i] - mb)
	}
	return sab / math.Sqrt(saa*sbb)
}

func TestCorrelationMatchesFloat(t *testing.T) {
	// Smoothed noise, so that patches correlate across the whole range.
	rng := rand.New(rand.NewPCG(7, 7))
	p := image.NewGray(image.Rect(0, 0, 64, 64))
	for i := range p.Pix {
		p.Pix[i] = uint8(rng.IntN(256))
	}
	p = boxBlurGray(p, 2)
	checked := 0
	for i := 0; i < 3000; i++ {
		ax, ay := 4+rng.IntN(56), 4+rng.IntN(56)
		bx, by := ax+rng.IntN(7)-3, ay+rng.IntN(7)-3
		if bx < 4 || by < 4 || bx > 60 || by > 60 {
			continue
		}
		want := ncc(p, ax, ay, bx, by)
		a, ea := centred(p, ax, ay)
		qa, _ := normalisedPatch(p, ax, ay)
		qb, _ := normalisedPatch(p, bx, by)
		dot := float64(qa.dot(&qb)) / (unitNorm * unitNorm)
		if math.Abs(dot-want) > 0.01 {
			t.Errorf("normalised patches at %d,%d and %d,%d: dot %.4f, correlation %.4f", ax, ay, bx, by, dot, want)
		}
		for _, pct := range []int{50, 80, 90, 95} {
			if math.Abs(want-float64(pct)/100) < 1e-9 {
				continue // too close to call in floating point
			}
			if got := correlatesAtLeast(p, &a, ea, bx, by, pct); got != (want >= float64(pct)/100) {
				t.Errorf("correlatesAtLeast(%d,%d vs %d,%d, %d%%) = %v, correlation %.4f", ax, ay, bx, by, pct, got, want)
			}
			checked++
		}
	}
	if checked < 1000 {
		t.Fatalf("only %d comparisons made", checked)
	}
}

// boxBlurGray averages p over (2r+1)² squares, clipped at the borders.
func boxBlurGray(p *image.Gray, r int) *image.Gray {
	w, h := p.Rect.Dx(), p.Rect.Dy()
	out := image.NewGray(p.Rect)
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			s, n := 0, 0
			for dy := -r; dy <= r; dy++ {
				for dx := -r; dx <= r; dx++ {
					if xx, yy := x+dx, y+dy; xx >= 0 && yy >= 0 && xx < w && yy < h {
						s += int(p.Pix[yy*p.Stride+xx])
						n++
					}
				}
			}
			out.Pix[y*out.Stride+x] = uint8(s / n)
		}
	}
	return out
}

func TestTwinShare(t *testing.T) {
	noise := image.NewGray(image.Rect(0, 0, 160, 120))
	rng := rand.New(rand.NewPCG(3, 4))
	for i := range noise.Pix {
		noise.Pix[i] = uint8(rng.IntN(256))
	}
	tests := []struct {
		name   string
		p      *image.Gray
		lo, hi int
	}{
		{"checkerboard", checkerboard(160, 120, 12), 100, 100},
		{"white noise", noise, 0, 5},
	}
	for _, tt := range tests {
		cs := detectCorners(tt.p, minCornerScore)
		cs = cs[:min(len(cs), pairLimit)]
		if len(cs) < 20 {
			t.Fatalf("%s: only %d corners", tt.name, len(cs))
		}
		got := twinShare(tt.p, cs, twinDistance, twinPercent)
		if got < tt.lo || got > tt.hi {
			t.Errorf("%s: twin share %d%%, want %d..%d", tt.name, got, tt.lo, tt.hi)
		}
	}
	if got := twinShare(noise, nil, twinDistance, twinPercent); got != 0 {
		t.Errorf("no corners: twin share %d, want 0", got)
	}
}

func TestTwinShareIgnoresNeighbours(t *testing.T) {
	// Two corners of one small square overlap each other's patches but
	// are the same structure, not repetition.
	p := grey(40, 40, 20, 230, image.Rect(18, 18, 22, 22))
	cs := []corner{{x: 18, y: 18}, {x: 21, y: 18}}
	if got := twinShare(p, cs, twinDistance, 0); got != 0 {
		t.Errorf("neighbours %v: twin share %d, want 0", cs, got)
	}
	if got := twinShare(p, cs, 0, 0); got != 100 {
		t.Errorf("with no minimum distance: twin share %d, want 100 at a 0%% threshold", got)
	}
}

func TestAmbiguousShare(t *testing.T) {
	stripes := image.NewGray(image.Rect(0, 0, 120, 120))
	for y := 0; y < 120; y++ {
		for x := 0; x < 120; x++ {
			// A fine diagonal weave: every corner repeats 4 px away.
			if (x/2+y/2)%2 == 0 {
				stripes.Pix[y*120+x] = 220
			} else {
				stripes.Pix[y*120+x] = 30
			}
		}
	}
	square := grey(120, 120, 20, 230, image.Rect(30, 30, 90, 90))
	tests := []struct {
		name   string
		p      *image.Gray
		lo, hi int
	}{
		{"period-4 weave", stripes, 100, 100},
		{"single square", square, 0, 0},
	}
	for _, tt := range tests {
		cs := detectCorners(tt.p, minCornerScore)
		if len(cs) == 0 {
			t.Fatalf("%s: no corners", tt.name)
		}
		cs = cs[:min(len(cs), ambiguityLimit)]
		got := ambiguousShare(tt.p, cs, ambiguityNear, ambiguityFar, twinPercent)
		if got < tt.lo || got > tt.hi {
			t.Errorf("%s: ambiguous share %d%%, want %d..%d", tt.name, got, tt.lo, tt.hi)
		}
	}
}
