package fingerprint

import (
	"image"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/corona10/goimagehash"

	"github.com/pixmatch/pixmatch/shared/luma"
	"github.com/pixmatch/pixmatch/shared/testphoto"
)

// planes64 returns 64×64 planes to hash: every test photo's, and random
// ones.
func planes64() []*image.Gray {
	var out []*image.Gray
	for _, name := range testphoto.Names() {
		work := Plane(testphoto.Image(name), luma.Identity)
		out = append(out, luma.Resample(work, work.Rect, hashSide, hashSide))
	}
	rng := rand.New(rand.NewPCG(5, 5))
	for range 20 {
		g := image.NewGray(image.Rect(0, 0, hashSide, hashSide))
		for i := range g.Pix {
			g.Pix[i] = uint8(rng.IntN(256))
		}
		out = append(out, g)
	}
	return out
}

func perceptionHash(t *testing.T, p *image.Gray) uint64 {
	t.Helper()
	h, err := goimagehash.PerceptionHash(p)
	if err != nil {
		t.Fatal(err)
	}
	return h.GetHash()
}

// TestCodeIsGoimagehashPerceptionHash: the code of a plane is exactly
// goimagehash's PerceptionHash of it.
func TestCodeIsGoimagehashPerceptionHash(t *testing.T) {
	for i, p := range planes64() {
		c := lowDCT(p)
		if got, want := c.code(), perceptionHash(t, p); got != want {
			t.Errorf("plane %d: %016x, goimagehash %016x", i, got, want)
		}
	}
}

// TestTurnedCoefficients: the code of a symmetry computed from the
// coefficients is the code of the turned plane, but for float rounding of
// coefficients at the median.
func TestTurnedCoefficients(t *testing.T) {
	worst, total, n := 0, 0, 0
	for i, p := range planes64() {
		c := lowDCT(p)
		for _, d := range luma.Dihedrals {
			turned := c.turned(d)
			d := Distance(turned.code(), perceptionHash(t, d.Apply(p)))
			worst = max(worst, d)
			total += d
			n++
			if d > 2 {
				t.Errorf("plane %d, symmetry %d: %d bits from hashing the turned plane", i, d, d)
			}
		}
	}
	t.Logf("symmetry codes vs hashing the turned plane: worst %d bits, mean %.3f over %d", worst, float64(total)/float64(n), n)
}

// TestWholeHashIsGoimagehash: the hash of a picture's Whole window is
// goimagehash.PerceptionHash of its working plane resampled to 64×64.
func TestWholeHashIsGoimagehash(t *testing.T) {
	for _, name := range testphoto.Names() {
		work := Plane(testphoto.Image(name), luma.Identity)
		fp, err := TargetOf(work)
		if err != nil {
			t.Fatal(err)
		}
		want := perceptionHash(t, luma.Resample(work, work.Rect, hashSide, hashSide))
		if fp.Codes[0].Window != Whole || fp.Codes[0].Hash != want {
			t.Errorf("%s: first code %v %016x, goimagehash %016x", name, fp.Codes[0].Window, fp.Codes[0].Hash, want)
		}
	}
}

// TestLowGrid compares lowGrid with the DCT-II computed term by term.
func TestLowGrid(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 7))
	for _, n := range []int{gridSide, checkSide} {
		g := make([]float64, n*n)
		for i := range g {
			g[i] = rng.Float64() * 255
		}
		c := lowGrid(g)
		for v := 0; v < 8; v++ {
			for u := 0; u < 8; u++ {
				var want float64
				for y := 0; y < n; y++ {
					for x := 0; x < n; x++ {
						want += g[y*n+x] * math.Cos(math.Pi*float64((2*x+1)*u)/float64(2*n)) *
							math.Cos(math.Pi*float64((2*y+1)*v)/float64(2*n))
					}
				}
				if math.Abs(c[v*8+u]-want) > 1e-6*(1+math.Abs(want)) {
					t.Fatalf("n=%d (%d,%d): %v, want %v", n, u, v, c[v*8+u], want)
				}
			}
		}
	}
}
