package quality

import "image"

// Scales and window sizes of the measurements.
const (
	// trackSide is the long side of the plane tracking is judged on: about
	// the resolution a phone tracker matches a target at.
	trackSide = 320
	// detectSide is the long side of the plane detection is judged on: the
	// coarse view a recogniser has of a small or distant target.
	detectSide = 160
	// gridCells is the number of rows and columns of the grid that
	// feature distribution is counted on.
	gridCells = 5
	// pairLimit caps how many of the strongest corners are compared with
	// each other for twins: the cost is quadratic, and the strongest are
	// the ones a recogniser would keep.
	pairLimit = 128
	// ambiguityLimit caps how many of the strongest corners get the
	// local-window ambiguity search, the costliest measurement.
	ambiguityLimit = 64
	// twinPercent is the correlation, in percent, above which two patches
	// are taken for each other.
	twinPercent = 90
	// twinDistance is how far apart, in pixels of its plane, a twin must
	// be: overlapping patches of one structure are not repetition.
	twinDistance = patchSide
	// ambiguityNear and ambiguityFar bound the shifts, in pixels of the
	// tracking plane, searched for a look-alike patch: from just beyond
	// the corner's own blur to the search radius of a frame-to-frame
	// tracker.
	ambiguityNear, ambiguityFar = 3, 6
	// contrastTile is the side of the tiles patch contrast is measured on.
	contrastTile = 8
)

// A scale holds the corners found on one plane and what they say about it.
type scale struct {
	corners       int // corners above the threshold
	coverage      int // percent of grid cells holding a fair share of them
	twins         int // percent of the strongest with a twin elsewhere
	ambiguity     int // percent of the strongest with a look-alike nearby (tracking only)
	patchContrast int // median tile standard deviation, grey levels (tracking only)
}

// measurements are the raw numbers a Report is graded from.
type measurements struct {
	width, height int // of the input image
	stdDev        int // of the tracking plane, grey levels
	detect, track scale
}

// Sample is what grading needs of a picture: its size and its plane at
// the tracking scale. A server takes it right after decoding, drops the
// decoded picture, and grades later; the grade is the same as Assess's.
type Sample struct {
	Width, Height int // of the input image
	plane         *image.Gray
}

// SampleOf takes the sample of img.
func SampleOf(img image.Image) Sample {
	b := img.Bounds()
	s := Sample{Width: b.Dx(), Height: b.Dy()}
	if s.Width >= minSide && s.Height >= minSide {
		s.plane = workPlane(img, trackSide)
	}
	return s
}

// Assess grades the picture the sample was taken of, stable being
// feature.Stable of its features as a target.
func (s Sample) Assess(stable int) Report { return grade(measure(s), stable) }

// measure computes the raw measurements of a sample.
func measure(s Sample) measurements {
	m := measurements{width: s.Width, height: s.Height}
	if s.plane == nil {
		return m
	}
	tp := s.plane
	m.stdDev = stdDev(tp)
	if m.stdDev < minStdDev {
		return m
	}
	dp := shrink(tp, detectSide)
	m.detect = measureScale(dp, false)
	m.track = measureScale(tp, true)
	return m
}

// measureScale finds the corners of p and measures them; tracking adds the
// measurements only a tracker cares about.
func measureScale(p *image.Gray, tracking bool) scale {
	cs := detectCorners(p, minCornerScore)
	s := scale{corners: len(cs), coverage: coverage(cs, p.Rect.Dx(), p.Rect.Dy())}
	strongest := cs[:min(len(cs), pairLimit)]
	s.twins = twinShare(p, strongest, twinDistance, twinPercent)
	if tracking {
		s.ambiguity = ambiguousShare(p, cs[:min(len(cs), ambiguityLimit)], ambiguityNear, ambiguityFar, twinPercent)
		s.patchContrast = medianTileStdDev(p, contrastTile)
	}
	return s
}

// coverage returns the percentage of the cells of a gridCells×gridCells
// grid over a w×h plane that hold at least a quarter of an even share of
// the corners (and at least one): features bunched in one spot leave the
// rest of the target unrecognisable when that spot is hidden or blurred.
func coverage(cs []corner, w, h int) int {
	if len(cs) == 0 {
		return 0
	}
	var count [gridCells * gridCells]int
	for _, c := range cs {
		count[(c.y*gridCells/h)*gridCells+c.x*gridCells/w]++
	}
	need := max(1, len(cs)/(4*gridCells*gridCells))
	held := 0
	for _, n := range count {
		if n >= need {
			held++
		}
	}
	return 100 * held / len(count)
}
