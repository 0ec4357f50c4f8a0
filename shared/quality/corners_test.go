package quality

import (
	"image"
	"testing"
)

// grey returns a w×h plane of level bg with the rectangles rs filled with
// level fg.
func grey(w, h int, bg, fg uint8, rs ...image.Rectangle) *image.Gray {
	g := image.NewGray(image.Rect(0, 0, w, h))
	for i := range g.Pix {
		g.Pix[i] = bg
	}
	for _, r := range rs {
		for y := r.Min.Y; y < r.Max.Y; y++ {
			for x := r.Min.X; x < r.Max.X; x++ {
				g.Pix[y*g.Stride+x] = fg
			}
		}
	}
	return g
}

func TestDetectCorners(t *testing.T) {
	square := image.Rect(40, 50, 90, 110)
	tests := []struct {
		name  string
		plane *image.Gray
		want  []image.Point // each must be matched by a corner within 2 px
		count int           // exact number of corners expected
	}{
		{"flat", grey(100, 80, 128, 128), nil, 0},
		{"vertical edge", grey(100, 80, 20, 230, image.Rect(50, 0, 100, 80)), nil, 0},
		{"horizontal edge", grey(100, 80, 20, 230, image.Rect(0, 40, 100, 80)), nil, 0},
		{
			"bright square", grey(140, 160, 20, 230, square),
			[]image.Point{{40, 50}, {89, 50}, {40, 109}, {89, 109}}, 4,
		},
		{
			"faint square below threshold", grey(140, 160, 120, 124, square),
			nil, 0,
		},
		{"too small", grey(8, 40, 0, 255, image.Rect(2, 2, 5, 5)), nil, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cs := detectCorners(tt.plane, minCornerScore)
			if len(cs) != tt.count {
				t.Fatalf("got %d corners %v, want %d", len(cs), cs, tt.count)
			}
			for _, p := range tt.want {
				if !anyNear(cs, p, 2) {
					t.Errorf("no corner within 2 px of %v in %v", p, cs)
				}
			}
		})
	}
}

func anyNear(cs []corner, p image.Point, d int) bool {
	for _, c := range cs {
		if abs(c.x-p.X) <= d && abs(c.y-p.Y) <= d {
			return true
		}
	}
	return false
}

func TestDetectCornersOrderAndSuppression(t *testing.T) {
	// Squares of rising contrast: stronger corners come first, and every
	// corner is the only one within the suppression radius.
	g := grey(200, 80, 0, 0)
	for i, level := range []uint8{60, 120, 250} {
		x0 := 20 + 60*i
		for y := 20; y < 60; y++ {
			for x := x0; x < x0+40; x++ {
				g.Pix[y*g.Stride+x] = level
			}
		}
	}
	cs := detectCorners(g, minCornerScore)
	if len(cs) != 12 {
		t.Fatalf("got %d corners, want 12 (4 per square): %v", len(cs), cs)
	}
	for i := 1; i < len(cs); i++ {
		if cs[i].score > cs[i-1].score {
			t.Errorf("corner %d (score %d) after a weaker one (%d)", i, cs[i].score, cs[i-1].score)
		}
	}
	for i, a := range cs[:4] {
		if a.x < 140 {
			t.Errorf("strongest corner %d at %d,%d, want on the brightest square", i, a.x, a.y)
		}
	}
	for i, a := range cs {
		for _, b := range cs[i+1:] {
			if abs(a.x-b.x) <= suppressRadius && abs(a.y-b.y) <= suppressRadius {
				t.Errorf("corners %v and %v within the suppression radius", a, b)
			}
		}
	}
}

func TestDetectCornersPlateau(t *testing.T) {
	// A plateau of equal responses yields one peak, the first in raster
	// order.
	resp := make([]int32, 20*20)
	for y := 8; y < 11; y++ {
		for x := 8; x < 11; x++ {
			resp[y*20+x] = 7
		}
	}
	cs := suppress(resp, 20, 20)
	if len(cs) != 1 || cs[0].x != 8 || cs[0].y != 8 {
		t.Errorf("suppress(plateau) = %v, want one corner at 8,8", cs)
	}
}
