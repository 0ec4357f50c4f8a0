package feature

import "image"

// grid divides the part of a level where keypoints may be into square
// cells, so that corners can be taken from all over the picture.
type grid struct {
	r          image.Rectangle // the part of the level: edge pixels in from its border
	w          int             // the level's width
	side       int             // a cell's side
	cols, rows int
}

// newGrid returns the grid of cells of the given side over level l.
func newGrid(l *level, side int) grid {
	r := image.Rect(edge, edge, l.w-edge, l.h-edge)
	return grid{r: r, w: l.w, side: side, cols: (r.Dx() + side - 1) / side, rows: (r.Dy() + side - 1) / side}
}

// cells returns the number of cells.
func (g grid) cells() int { return g.cols * g.rows }

// cell returns the cell of the level's pixel i, which must lie in g.r.
// (Unsigned division: the browser's build checks a signed one for
// overflow in a call.)
func (g grid) cell(i int32) int {
	u, w, side := uint(i), uint(g.w), uint(g.side)
	x, y := u%w-uint(g.r.Min.X), u/w-uint(g.r.Min.Y)
	return int(y/side)*g.cols + int(x/side)
}

// rect returns the pixels of cell n.
func (g grid) rect(n int) image.Rectangle {
	x, y := g.r.Min.X+(n%g.cols)*g.side, g.r.Min.Y+(n/g.cols)*g.side
	return image.Rect(x, y, x+g.side, y+g.side).Intersect(g.r)
}
