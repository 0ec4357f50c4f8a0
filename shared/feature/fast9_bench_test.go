package feature

import (
	"image"
	"math/bits"
	"testing"
	"time"

	"github.com/pixmatch/pixmatch/shared/testphoto"
)

// pixelFAST is level.fast as it was before the packed route of step 2:
// step 1 a block at a time, then pixel by pixel the opposite pairs and
// the circle, in loops. It is BenchmarkFAST's baseline.
func (l *level) pixelFAST(r image.Rectangle, t int, score []uint16, out []corner) []corner {
	var offs [16]int
	for k, p := range circle {
		offs[k] = p.Y*l.w + p.X
	}
	p := l.pix
	half := uint64(t>>1) * lanes
	side := sides(t)
	for y := r.Min.Y; y < r.Max.Y; y++ {
		end := y*l.w + r.Max.X
		for i := y*l.w + r.Min.X; i < end; i += 8 {
			m := blockCandidates(p, i, &offs, half)
			if rest := end - i; rest < 8 {
				m &= 1<<(8*rest) - 1
			}
			for ; m != 0; m &= m - 1 {
				j := i + bits.TrailingZeros64(m)>>3
				at := (*[256]uint8)(side[255-int(p[j]):])
				s := uint8(brighter | darker)
				for k := range 8 {
					s &= at[p[j+offs[k]]] | at[p[j+offs[k+8]]]
				}
				if s == 0 {
					continue
				}
				c, f := int(p[j]), 0
				if s&brighter != 0 {
					f = loopArc(p, j, &offs, c+t, 1)
				}
				if s&darker != 0 {
					f = max(f, loopArc(p, j, &offs, c-t, -1))
				}
				if f > 0 {
					score[j] = uint16(f)
					out = append(out, corner{i: int32(j), fast: uint16(f)})
				}
			}
		}
	}
	return out
}

// blockCandidates is packedCandidates for the one block at pixel i, as
// it was.
func blockCandidates(p []uint8, i int, offs *[16]int, half uint64) uint64 {
	c, n, e, s, w := word(p, i), word(p, i+offs[0]), word(p, i+offs[4]), word(p, i+offs[8]), word(p, i+offs[12])
	up, down := halve(c)+half, halve(^c)+half
	bright := (atLeast(halve(n), up) | atLeast(halve(s), up)) & (atLeast(halve(e), up) | atLeast(halve(w), up))
	dark := (atLeast(halve(^n), down) | atLeast(halve(^s), down)) & (atLeast(halve(^e), down) | atLeast(halve(^w), down))
	return bright | dark
}

// loopArc is 0 unless 9 contiguous circle pixels v of pixel i lie beyond
// the bound b, sign·(v−b) > 0; then the sum of sign·(v−b) over all circle
// pixels beyond it.
func loopArc(p []uint8, i int, offs *[16]int, b, sign int) int {
	var m uint32
	sum := 0
	for k := 15; k >= 0; k-- {
		d := sign * (int(p[i+offs[k]]) - b)
		m = m<<1 | uint32(-d)>>31
		sum += max(d, 0)
	}
	if !hasArc(m) {
		return 0
	}
	return sum
}

// BenchmarkFAST times level.fast on the first level of three 640×480
// query planes at the query threshold, a photo of smooth regions
// (chelsea), a mixed one (china) and dense texture (grass), against
// pixelFAST in alternation on the same plane; it reports the ratio. Run
// it under Node too (GOOS=js GOARCH=wasm): the browser's build is the one
// that matters.
func BenchmarkFAST(b *testing.B) {
	for _, name := range []string{"chelsea", "china", "grass"} {
		l := compact(Plane(testphoto.Decoded(name, 640, 480), QueryOptions))
		r := newGrid(l, QueryOptions.Cell, new(scratch)).r
		score := make([]uint16, l.w*l.h)
		var found []corner
		b.Run(name, func(b *testing.B) {
			var base, ours time.Duration
			for b.Loop() {
				t0 := time.Now()
				found = l.pixelFAST(r, QueryOptions.Threshold, score, found[:0])
				t1 := time.Now()
				found = l.fast(r, QueryOptions.Threshold, score, found[:0])
				base += t1.Sub(t0)
				ours += time.Since(t1)
			}
			b.ReportMetric(float64(ours.Microseconds())/1000/float64(b.N), "ms/fast")
			b.ReportMetric(float64(base)/float64(ours), "x-faster-than-pixelFAST")
		})
	}
}

// BenchmarkCornerScore times cornerScore on the corners of the dense
// grass photo's query plane, each with the sides it is a corner of,
// against bothScore on the same corners in alternation: both sides
// summed in one pass, what cornerScore did for every corner before it
// summed one side alone. It reports the ratio; run it under Node too.
func BenchmarkCornerScore(b *testing.B) {
	l := compact(Plane(testphoto.Decoded("grass", 640, 480), QueryOptions))
	r, t := newGrid(l, QueryOptions.Cell, new(scratch)).r, QueryOptions.Threshold
	type sided struct {
		i int
		s uint8
	}
	var corners []sided
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			c := sided{i: y*l.w + x}
			for _, s := range []uint8{brighter, darker} {
				if fastScore(l.pix, c.i, l.w, t, s) != 0 {
					c.s |= s
				}
			}
			if c.s != 0 {
				corners = append(corners, c)
			}
		}
	}
	var base, ours time.Duration
	sink := 0
	for b.Loop() {
		t0 := time.Now()
		for _, c := range corners {
			sink += int(bothScore(l.pix, c.i, l.w, t))
		}
		t1 := time.Now()
		for _, c := range corners {
			sink += int(cornerScore(l.pix, c.i, l.w, t, c.s))
		}
		base += t1.Sub(t0)
		ours += time.Since(t1)
	}
	b.ReportMetric(float64(len(corners)), "corners")
	b.ReportMetric(float64(base)/float64(ours), "x-faster-than-both-sides")
	_ = sink
}
