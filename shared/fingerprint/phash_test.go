package fingerprint

import (
	"image"
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
