package feature

import (
	"image"
	"math/rand/v2"
	"testing"

	"github.com/pixmatch/pixmatch/shared/testphoto"
)

// slowFAST is FAST-9 as its definition reads, pixel by pixel: the
// obviously correct twin of level.fast.
func slowFAST(l *level, r image.Rectangle, t int) map[int32]uint16 {
	out := map[int32]uint16{}
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			c := int(l.pix[y*l.w+x])
			var d [16]int
			for k, p := range circle {
				d[k] = int(l.pix[(y+p.Y)*l.w+x+p.X]) - c
			}
			bright, dark := false, false
			for start := range 16 {
				allUp, allDown := true, true
				for j := range 9 {
					v := d[(start+j)%16]
					allUp = allUp && v > t
					allDown = allDown && v < -t
				}
				bright, dark = bright || allUp, dark || allDown
			}
			up, down := 0, 0
			for _, v := range d {
				if v > t {
					up += v - t
				}
				if v < -t {
					down += -v - t
				}
			}
			switch {
			case bright && dark:
				out[int32(y*l.w+x)] = uint16(max(up, down))
			case bright:
				out[int32(y*l.w+x)] = uint16(up)
			case dark:
				out[int32(y*l.w+x)] = uint16(down)
			}
		}
	}
	return out
}

// TestFASTMatchesItsDefinition holds the packed, staged detector to
// slowFAST on random planes (every grey level, coarse blocks that make
// arcs) and on a photo, at low, usual and extreme thresholds.
func TestFASTMatchesItsDefinition(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 7))
	var planes []*level
	for _, block := range []int{1, 2, 3} {
		l := &level{w: 83, h: 61}
		l.pix = make([]uint8, l.w*l.h)
		for y := range l.h {
			for x := range l.w {
				l.pix[y*l.w+x] = uint8(rng.IntN(256))
				if block > 1 && (x%block != 0 || y%block != 0) {
					l.pix[y*l.w+x] = l.pix[(y/block*block)*l.w+x/block*block]
				}
			}
		}
		planes = append(planes, l)
	}
	planes = append(planes, compact(Plane(testphoto.Image("coins"), TargetOptions)))
	for n, l := range planes {
		for _, th := range []int{1, 7, 20, 60, 200, 254} {
			r := image.Rect(edge, edge, l.w-edge, l.h-edge)
			got := l.fast(r, th, make([]uint16, l.w*l.h), nil)
			want := slowFAST(l, r, th)
			if len(got) != len(want) {
				t.Errorf("plane %d, threshold %d: %d corners, want %d", n, th, len(got), len(want))
				continue
			}
			for _, c := range got {
				if w, ok := want[c.i]; !ok || w != c.fast {
					t.Errorf("plane %d, threshold %d: pixel %d scores %d, want %d (a corner: %v)", n, th, c.i, c.fast, w, ok)
					break
				}
			}
		}
	}
}
