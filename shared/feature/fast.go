package feature

import "slices"

// corner is a candidate keypoint of a level.
type corner struct {
	i     int32  // index of the pixel in the level
	fast  uint16 // FAST score
	score int64  // Harris response
}

// scratch is memory the levels of one extraction share, one level at a
// time: a plane of FAST scores (0 but at the corners of the level being
// searched), the corners found, the shortlist's cells and spread's
// choice.
type scratch struct {
	score       []uint16
	found       []corner
	best        cellBest
	first, rest []corner
	// the grid's tables
	rowFirst, colCell []int32
}

// corners returns the corners of the level that survive non-maximum
// suppression and the shortlist, by grid cell, with their Harris
// responses. They live in s until the next level is searched.
func (l *level) corners(o Options, g grid, s *scratch) *cellBest {
	if len(s.score) < l.w*l.h {
		s.score = make([]uint16, l.w*l.h)
	}
	score := s.score[:l.w*l.h]
	found := l.fast(g.r, o.Threshold, score, s.found[:0])
	if o.LowThreshold > 0 {
		found = l.lowLook(g, found, o.LowThreshold, score)
	}
	s.found = found[:0]
	best := s.best.reset(g.cells(), shortlistFactor*o.CellCap)
	l.peaks(found, score, g, best)
	clear(score[g.r.Min.Y*l.w : g.r.Max.Y*l.w]) // for the next level
	for c := range best.n {
		for n, x := range best.cell(c) {
			best.best[c*best.k+n].score = l.harris(int(x.i))
		}
	}
	return best
}

// shortlistFactor times Options.CellCap is how many corners of a grid
// cell, those of the best FAST scores, have their Harris response
// computed: in a heavily textured picture most corners could never be
// chosen, and the response costs 49 gradients.
const shortlistFactor = 4

// cellBest is the shortlist: the k corners of the highest FAST scores of
// each cell of a grid, the first in raster order among equals. Which
// corners it keeps matters, not their order: the response ranks them
// after.
type cellBest struct {
	k    int
	n    []int    // how many corners cell c holds
	best []corner // cell c's, at best[c·k:], highest score first
}

// reset empties b for cells cells of k corners each, and returns it.
func (b *cellBest) reset(cells, k int) *cellBest {
	b.k = k
	b.n = slices.Grow(b.n[:0], cells)[:cells]
	clear(b.n)
	b.best = slices.Grow(b.best[:0], cells*k)[:cells*k]
	return b
}

// add offers corner x of cell c. Corners must come in raster order
// within a cell, as fast and lowLook find them: one that only equals the
// lowest kept comes later, and is not kept.
func (b *cellBest) add(c int, x corner) {
	n := b.n[c]
	list := b.best[c*b.k : c*b.k+b.k]
	if n == b.k {
		if x.fast <= list[n-1].fast {
			return
		}
		n-- // the lowest makes room
	}
	j := n
	for ; j > 0 && list[j-1].fast < x.fast; j-- {
		list[j] = list[j-1]
	}
	list[j] = x
	b.n[c] = n + 1
}

// cell returns the corners kept of cell c.
func (b *cellBest) cell(c int) []corner { return b.best[c*b.k : c*b.k+b.n[c]] }

// lowLook searches the cells of g in which found has no corner again at
// threshold t, and returns found with what that adds. Neighbouring
// empty cells of a row of the grid are searched as one rectangle: the
// corners of each cell still come in raster order, and a search costs
// calls by the row.
func (l *level) lowLook(g grid, found []corner, t int, score []uint16) []corner {
	busy := make([]bool, g.cells())
	for _, c := range found {
		busy[g.cell(c.i)] = true
	}
	var f *fastSearch
	for n := 0; n < len(busy); n++ {
		if busy[n] {
			continue
		}
		r := g.rect(n)
		for n+1 < len(busy) && !busy[n+1] && (n+1)%g.cols != 0 {
			n++
			r = r.Union(g.rect(n))
		}
		if f == nil {
			f = l.fastSearch(t)
		}
		found = f.find(r, score, found)
	}
	return found
}

// peaks offers best the corners of found whose FAST score is a maximum
// of its 3×3 neighbourhood in score; of equal neighbours only the first
// in raster order is. (One loop with the test written out: the browser's
// build pays for a call per corner.)
func (l *level) peaks(found []corner, score []uint16, g grid, best *cellBest) {
	w := l.w
	for _, c := range found {
		i, s := int(c.i), c.fast
		up, row, down := score[i-w-1:i-w+2], score[i-1:i+2], score[i+w-1:i+w+2]
		if up[0] < s && up[1] < s && up[2] < s && row[0] < s &&
			row[2] <= s && down[0] <= s && down[1] <= s && down[2] <= s {
			best.add(g.cell(c.i), c)
		}
	}
}

// harris returns 25 times the Harris response det(M) − 0.04·trace(M)² of
// the structure tensor M of Sobel gradients summed over the 7×7 window
// around pixel i. Row by row, each gradient comes from the columns of
// three rows: gx is the difference of the columns' sums weighted 1 2 1
// either side, gy the 1 2 1 weighted sum of the columns' differences,
// written out rather than looped (half the time in the browser's build).
func (l *level) harris(i int) int64 {
	p, w := l.pix, l.w
	var a, b, c int
	for j := i - 3*w - 4; j <= i+3*w-4; j += w {
		u, m, d := (*[9]uint8)(p[j-w:]), (*[9]uint8)(p[j:]), (*[9]uint8)(p[j+w:])
		s0, d0 := column(u, m, d, 0)
		s1, d1 := column(u, m, d, 1)
		s2, d2 := column(u, m, d, 2)
		a, b, c = tensor(a, b, c, s2-s0, d0+2*d1+d2)
		s3, d3 := column(u, m, d, 3)
		a, b, c = tensor(a, b, c, s3-s1, d1+2*d2+d3)
		s4, d4 := column(u, m, d, 4)
		a, b, c = tensor(a, b, c, s4-s2, d2+2*d3+d4)
		s5, d5 := column(u, m, d, 5)
		a, b, c = tensor(a, b, c, s5-s3, d3+2*d4+d5)
		s6, d6 := column(u, m, d, 6)
		a, b, c = tensor(a, b, c, s6-s4, d4+2*d5+d6)
		s7, d7 := column(u, m, d, 7)
		a, b, c = tensor(a, b, c, s7-s5, d5+2*d6+d7)
		s8, d8 := column(u, m, d, 8)
		a, b, c = tensor(a, b, c, s8-s6, d6+2*d7+d8)
	}
	A, B, C := int64(a), int64(b), int64(c) // each at most 49·1020²
	return 25*(A*B-C*C) - (A+B)*(A+B)
}

// column returns, for column x of the rows u, m and d, the sum u+2m+d
// and the difference d−u.
func column(u, m, d *[9]uint8, x int) (sum, diff int) {
	return int(u[x]) + 2*int(m[x]) + int(d[x]), int(d[x]) - int(u[x])
}

// tensor adds the gradient (gx, gy) to the sums a, b and c of gx², gy²
// and gx·gy.
func tensor(a, b, c, gx, gy int) (int, int, int) {
	return a + gx*gx, b + gy*gy, c + gx*gy
}
