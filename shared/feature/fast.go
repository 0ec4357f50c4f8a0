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
// threshold t, and returns found with what that adds.
func (l *level) lowLook(g grid, found []corner, t int, score []uint16) []corner {
	busy := make([]bool, g.cells())
	for _, c := range found {
		busy[g.cell(c.i)] = true
	}
	var f *fastSearch
	for n, b := range busy {
		if !b {
			if f == nil {
				f = l.fastSearch(t)
			}
			found = f.find(g.rect(n), score, found)
		}
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
// around pixel i.
func (l *level) harris(i int) int64 {
	p, w := l.pix, l.w
	var a, b, c int64
	for dy := -3; dy <= 3; dy++ {
		for j := i + dy*w - 3; j <= i+dy*w+3; j++ {
			up, down := p[j-w-1:j-w+2], p[j+w-1:j+w+2]
			gx := int64(up[2]) + 2*int64(p[j+1]) + int64(down[2]) - int64(up[0]) - 2*int64(p[j-1]) - int64(down[0])
			gy := int64(down[0]) + 2*int64(down[1]) + int64(down[2]) - int64(up[0]) - 2*int64(up[1]) - int64(up[2])
			a += gx * gx
			b += gy * gy
			c += gx * gy
		}
	}
	return 25*(a*b-c*c) - (a+b)*(a+b)
}
