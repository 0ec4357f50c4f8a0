package quality

import (
	"image"
	"image/color"
	"math"
	"testing"
)

func TestWorkPlaneSize(t *testing.T) {
	tests := []struct {
		w, h         int
		wantW, wantH int
	}{
		{1024, 768, 320, 240},
		{2000, 1500, 320, 240},
		{768, 1024, 240, 320},
		{480, 320, 320, 213},
		{641, 100, 320, 50},
		{320, 200, 320, 200},
		{200, 120, 200, 120}, // smaller images keep their size
		{3000, 20, 320, 2},
		{16, 16, 16, 16},
	}
	for _, tt := range tests {
		p := workPlane(uniform(tt.w, tt.h, color.Gray{77}), trackSide)
		if got := p.Rect; got != image.Rect(0, 0, tt.wantW, tt.wantH) {
			t.Errorf("workPlane(%d×%d) is %v, want %d×%d", tt.w, tt.h, got, tt.wantW, tt.wantH)
		}
		for i, v := range p.Pix {
			if v != 77 {
				t.Errorf("workPlane(%d×%d): pixel %d is %d, want the flat level 77", tt.w, tt.h, i, v)
				break
			}
		}
	}
}

func TestStdDev(t *testing.T) {
	half := grey(10, 10, 0, 200, image.Rect(0, 0, 5, 10)) // 0 and 200 in equal parts
	tests := []struct {
		name string
		p    *image.Gray
		want int
	}{
		{"flat", grey(10, 10, 9, 9), 0},
		{"two levels", half, 100},
		{"empty", image.NewGray(image.Rect(0, 0, 0, 0)), 0},
	}
	for _, tt := range tests {
		if got := stdDev(tt.p); got != tt.want {
			t.Errorf("stdDev(%s) = %d, want %d", tt.name, got, tt.want)
		}
	}
}

func TestIsqrt(t *testing.T) {
	for _, n := range []uint64{0, 1, 2, 3, 4, 15, 16, 17, 99, 100, 1<<52 - 1, 1 << 52, 1<<52 + 1,
		(1<<26 + 1) * (1<<26 + 1), (1<<26+1)*(1<<26+1) - 1, 1<<62 + 12345, math.MaxUint64} {
		r := isqrt(n)
		if r*r > n || (r < 1<<32-1 && (r+1)*(r+1) <= n) {
			t.Errorf("isqrt(%d) = %d, not the floor of the square root", n, r)
		}
	}
}

func TestMedianTileStdDev(t *testing.T) {
	// Three of four 8×8 tiles are flat, one is split 0/200 (deviation 100).
	p := grey(16, 16, 50, 50)
	for y := 0; y < 8; y++ {
		for x := 0; x < 4; x++ {
			p.Pix[y*p.Stride+x] = 0
		}
		for x := 4; x < 8; x++ {
			p.Pix[y*p.Stride+x] = 200
		}
	}
	if got := medianTileStdDev(p, 8); got != 0 {
		t.Errorf("one busy tile of four: median %d, want 0", got)
	}
	cb := checkerboard(32, 32, 2)
	if got := medianTileStdDev(cb, 8); got != 105 {
		t.Errorf("fine checkerboard: median %d, want 105", got)
	}
	if got := medianTileStdDev(grey(7, 7, 0, 0), 8); got != 0 {
		t.Errorf("plane smaller than a tile: %d, want 0", got)
	}
}
