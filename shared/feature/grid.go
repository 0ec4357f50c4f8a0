package feature

import "image"

// grid divides the part of a level where keypoints may be into square
// cells, so that corners can be taken from all over the picture.
type grid struct {
	r          image.Rectangle // the part of the level: edge pixels in from its border
	w          int             // the level's width
	side       int             // a cell's side
	cols, rows int
	// The first cell of the row of cells of each row of pixels, and the
	// column of cells of each column of pixels, so that the tens of
	// thousands of corners of a textured level find their cells by two
	// look-ups rather than four divisions (inside g.r only: the tables
	// are the scratch's, and hold another level's values elsewhere).
	rowFirst, colCell []int32
	// The first pixel of the row of pixels cell last looked in, and the
	// first cell of its row of cells.
	first, base int
}

// newGrid returns the grid of cells of the given side over level l, its
// tables in s.
func newGrid(l *level, side int, s *scratch) grid {
	r := image.Rect(edge, edge, l.w-edge, l.h-edge)
	g := grid{r: r, w: l.w, side: side, cols: (r.Dx() + side - 1) / side, rows: (r.Dy() + side - 1) / side, first: -l.w}
	s.rowFirst, s.colCell = grow(s.rowFirst, l.h), grow(s.colCell, l.w)
	g.rowFirst, g.colCell = s.rowFirst, s.colCell
	for y := r.Min.Y; y < r.Max.Y; y++ {
		g.rowFirst[y] = int32((y - r.Min.Y) / side * g.cols)
	}
	for x := r.Min.X; x < r.Max.X; x++ {
		g.colCell[x] = int32((x - r.Min.X) / side)
	}
	return g
}

// cells returns the number of cells.
func (g grid) cells() int { return g.cols * g.rows }

// cell returns the cell of the level's pixel i, which must lie in g.r.
// It keeps the row of pixels last asked about: corners come row by row,
// and finding a row takes a division. (Unsigned: the browser's build
// checks a signed one for overflow in a call.)
func (g *grid) cell(i int32) int {
	x := uint(int(i) - g.first)
	if x >= uint(g.w) {
		y := uint(i) / uint(g.w)
		g.first, g.base = int(y*uint(g.w)), int(g.rowFirst[y])
		x = uint(i) - uint(g.first)
	}
	return g.base + int(g.colCell[x])
}

// rect returns the pixels of cell n.
func (g grid) rect(n int) image.Rectangle {
	x, y := g.r.Min.X+(n%g.cols)*g.side, g.r.Min.Y+(n/g.cols)*g.side
	return image.Rect(x, y, x+g.side, y+g.side).Intersect(g.r)
}
