package feature

import (
	"image"

	"github.com/pixmatch/pixmatch/shared/luma"
)

// Options choose how many features Extract finds and where it looks.
type Options struct {
	// Max is the most features returned.
	Max int
	// MaxSide is the working resolution: a longer plane is first reduced
	// so its long side is MaxSide (0 keeps it as given).
	MaxSide int
	// Levels is the number of pyramid levels (1 to MaxLevels).
	Levels int
	// Scale is the ratio of sizes between consecutive levels (1.05 to 2).
	Scale float64
	// Threshold is the FAST threshold in grey levels (1 to 254).
	Threshold int
	// LowThreshold is the FAST threshold of a second look into the grid
	// cells where Threshold found nothing (0: no second look).
	LowThreshold int
	// Cell is the side of the grid cells, in pixels of each level (at
	// least 8); CellCap the features a cell may give before every cell
	// has given its own (at least 1).
	Cell, CellCap int
}

// MaxLevels is the most pyramid levels Extract builds.
const MaxLevels = 16

// TargetOptions are the options for the picture of an enrolled target:
// 500 features, within the budget of a record read for verification
// (22.5 KB) and of what an index keeps in memory for each feature.
var TargetOptions = Options{
	Max:          500,
	MaxSide:      640,
	Levels:       8,
	Scale:        1.2,
	Threshold:    20,
	LowThreshold: 7,
	Cell:         32,
	CellCap:      3,
}

// QueryOptions are the options for a query picture or camera frame: twice
// a target's features, as the print may fill only part of the frame, on
// a coarser pyramid (see the package documentation).
var QueryOptions = Options{
	Max:          1000,
	MaxSide:      640,
	Levels:       4,
	Scale:        1.41,
	Threshold:    20,
	LowThreshold: 7,
	Cell:         32,
	CellCap:      3,
}

// normal returns o with every field brought into its documented range,
// so that no Options make Extract fail.
func (o Options) normal() Options {
	o.Max = max(o.Max, 0)
	o.MaxSide = max(o.MaxSide, 0)
	o.Levels = min(max(o.Levels, 1), MaxLevels)
	if !(o.Scale >= 1.05) { // NaN too
		o.Scale = 1.05
	}
	o.Scale = min(o.Scale, 2)
	o.Threshold = min(max(o.Threshold, 1), 254)
	o.LowThreshold = min(max(o.LowThreshold, 0), o.Threshold)
	o.Cell = max(o.Cell, 8)
	o.CellCap = max(o.CellCap, 1)
	return o
}

// Plane returns the grey plane of img that Extract works on with o: its
// luminance (shared/luma, transparent pixels over white) with the long
// side reduced to o.MaxSide by area averaging. Pictures no larger keep
// their size.
func Plane(img image.Image, o Options) *image.Gray {
	o = o.normal()
	if o.MaxSide == 0 {
		return luma.FromImage(img, 0)
	}
	// A cheap whole-pixel reduction to at most twice the working side
	// first: the area averaging then reads at most four times its output.
	return working(compact(luma.FromImage(img, 2*o.MaxSide)), o.MaxSide).gray()
}

// working returns l reduced so that its long side is maxSide, or l itself
// when it is no longer (or maxSide is 0).
func working(l *level, maxSide int) *level {
	long := max(l.w, l.h)
	if maxSide <= 0 || long <= maxSide {
		return l
	}
	return shrink(l, max(1, (l.w*maxSide+long/2)/long), max(1, (l.h*maxSide+long/2)/long))
}
