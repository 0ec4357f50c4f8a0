package feature

import (
	"cmp"
	"slices"
)

// corner is a candidate keypoint of a level.
type corner struct {
	i     int32  // index of the pixel in the level
	fast  uint16 // FAST score
	score int64  // Harris response
}

// scratch is memory the levels of one extraction share, one level at a
// time: a plane of FAST scores (0 but at the corners of the level being
// searched) and the corners found.
type scratch struct {
	score []uint16
	found []corner
}

// corners returns the corners of the level that survive non-maximum
// suppression and the shortlist, with their Harris responses. They live
// in s until the next level is searched.
func (l *level) corners(o Options, g grid, s *scratch) []corner {
	if len(s.score) < l.w*l.h {
		s.score = make([]uint16, l.w*l.h)
	}
	score := s.score[:l.w*l.h]
	found := l.fast(g.r, o.Threshold, score, s.found[:0])
	if o.LowThreshold > 0 {
		found = l.lowLook(g, found, o.LowThreshold, score)
	}
	s.found = found[:0]
	for n, c := range found {
		found[n].score = int64(b2i(l.peak(c, score)))
	}
	kept := found[:0]
	for _, c := range found {
		score[c.i] = 0 // for the next level
		if c.score != 0 {
			kept = append(kept, c)
		}
	}
	kept = shortlist(kept, g, shortlistFactor*o.CellCap)
	for n := range kept {
		kept[n].score = l.harris(int(kept[n].i))
	}
	return kept
}

// shortlistFactor times Options.CellCap is how many corners of a grid
// cell, those of the best FAST scores, have their Harris response
// computed: in a heavily textured picture most corners could never be
// chosen, and the response costs 49 gradients.
const shortlistFactor = 4

// shortlist returns at most k corners of each cell of g: those of the
// highest FAST scores, the first in raster order among equals.
func shortlist(cs []corner, g grid, k int) []corner {
	starts := make([]int, g.cells()+1)
	for _, c := range cs {
		starts[g.cell(c.i)+1]++
	}
	for n := 1; n < len(starts); n++ {
		starts[n] += starts[n-1]
	}
	byCell := make([]corner, len(cs))
	next := slices.Clone(starts[:g.cells()])
	for _, c := range cs { // raster order kept within a cell
		n := g.cell(c.i)
		byCell[next[n]] = c
		next[n]++
	}
	out := cs[:0]
	for n := range g.cells() {
		bucket := byCell[starts[n]:starts[n+1]]
		if len(bucket) > k {
			slices.SortStableFunc(bucket, func(a, b corner) int { return cmp.Compare(b.fast, a.fast) })
			bucket = bucket[:k]
		}
		out = append(out, bucket...)
	}
	return out
}

// lowLook searches the cells of g in which found has no corner again at
// threshold t, and returns found with what that adds.
func (l *level) lowLook(g grid, found []corner, t int, score []uint16) []corner {
	busy := make([]bool, g.cells())
	for _, c := range found {
		busy[g.cell(c.i)] = true
	}
	for n, b := range busy {
		if !b {
			found = l.fast(g.rect(n), t, score, found)
		}
	}
	return found
}

// peak reports whether c's FAST score is a maximum of its 3×3
// neighbourhood; of equal neighbours only the first in raster order is.
func (l *level) peak(c corner, score []uint16) bool {
	i, s := int(c.i), c.fast
	for _, j := range [4]int{i - l.w - 1, i - l.w, i - l.w + 1, i - 1} {
		if score[j] >= s {
			return false
		}
	}
	for _, j := range [4]int{i + 1, i + l.w - 1, i + l.w, i + l.w + 1} {
		if score[j] > s {
			return false
		}
	}
	return true
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

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}
