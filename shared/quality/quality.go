// Package quality grades how well an image will work as a recognition
// target, the "grade" of EasyAR Cloud Recognition: -1 for an unusable
// image, then 0 (easy) to 4 (hard).
//
// # Method
//
// The image is reduced by area averaging to a grey plane whose long side
// is exactly 320 pixels, so the grade does not depend on the resolution it
// was uploaded at; a smaller image is used at its own size, since
// enlarging adds no detail. That plane is the tracking scale. The same
// plane reduced to a long side of 160 is the detection scale, the coarse
// view a recogniser has of a distant or small target.
//
// On each scale, Shi–Tomasi corners are found: the minimum eigenvalue of
// the structure tensor (Sobel gradients, 5×5 binomial window) above a
// fixed contrast threshold, kept where it is the largest in its 5×5
// neighbourhood. From the corners:
//
//   - feature count is how many there are;
//   - feature distribution is the share of the cells of a 5×5 grid that
//     hold at least a quarter of an even share of them;
//   - distinctiveness is the share of the 128 strongest corners whose 8×8
//     patch, normalised to zero mean and unit variance, correlates at 0.9
//     or more with the patch of another corner at least a patch away
//     (repetitive textures and checkerboards have twins everywhere). On
//     the detection plane a patch spans twice as much of the picture as
//     on the tracking plane;
//   - patch ambiguity (tracking) is the share of the 64 strongest corners
//     whose patch correlates at 0.9 or more with the patch 3 to 6 pixels
//     away, where a frame-to-frame tracker would slip;
//   - patch contrast (tracking) is the median standard deviation of the
//     8×8 tiles of the plane.
//
// One detection metric is not about corners but about what the feature
// tier (shared/camera) recognises a print by: feature stability grades
// how many of the picture's local features, found as for a target, a
// synthetic camera finds again in the harder of two views — tilted 50°,
// and small in the frame and turned 30° (feature.Stable) — against the
// 20 a verification needs. It weighs most in the detection rate.
//
// Each metric is graded 0..4 with fixed thresholds. A rate is the rounded
// weighted mean of its metrics, but never better than one step above the
// worst of them, so one bad metric cannot hide behind good ones.
//
// An image is bad (every metric -1) when a side is under 16 pixels, when
// it is nearly uniform, or when it has almost no corners. The corner
// threshold is absolute, as in real detectors, so a photo washed out to a
// tenth of its contrast has almost none and is bad too; heavy blur keeps
// a few coarse corners and grades 3 or 4.
//
// The corner metrics are integer arithmetic, so they are the same for the
// same pixels wherever the package runs (it builds for js/wasm); the
// stability's synthetic views use floating point.
package quality

import (
	"image"

	"github.com/pixmatch/pixmatch/shared/feature"
)

// Limits below which an image is unusable.
const (
	// minSide is the smallest width or height accepted, in input pixels:
	// below it there is no structure worth a grade.
	minSide = 16
	// minStdDev is the smallest standard deviation of the grey levels, on
	// a 0..255 scale: below it the picture is a flat field with at most
	// sensor or compression noise.
	minStdDev = 4
	// minCorners is the fewest corners, on both planes together, of an
	// image that is not bad: fewer cannot be matched or tracked at all.
	// A single plane with fewer has its distinctiveness and ambiguity
	// graded worst.
	minCorners = 12
	// minCornerScore is the Shi–Tomasi threshold, in squared grey levels
	// per pixel: across its weaker direction a corner must change by about
	// 4 grey levels per pixel, averaged over the window. That is well above
	// JPEG noise, and blur or lost contrast push real corners under it.
	minCornerScore = 16
)

// Report is the grade of one image; every metric is 0 (best) .. 4 (worst),
// and all are -1 when the image is unusable (Bad). The JSON names are
// those of the CRS target object and /grade/detail.
type Report struct {
	// DetectableRate is the overall ease of recognising the image, the
	// /grade/detection grade, from the four detectable metrics.
	DetectableRate int `json:"detectableRate"`
	// DetectableDistinctiveness, DetectableFeatureCount and
	// DetectableFeatureDistribution grade the corners of the coarse
	// detection view: how unlike each other, how many, how spread out.
	DetectableDistinctiveness     int `json:"detectableDistinctiveness"`
	DetectableFeatureCount        int `json:"detectableFeatureCount"`
	DetectableFeatureDistribution int `json:"detectableFeatureDistribution"`
	// DetectableFeatureStability grades how many of the image's local
	// features a camera finds again in a hard view (feature.Stable): what
	// the feature tier needs to recognise a print in a camera frame.
	DetectableFeatureStability int `json:"detectableFeatureStability"`
	// TrackableRate is the overall ease of tracking the image, the
	// /grade/tracking grade, from the five trackable metrics.
	TrackableRate int `json:"trackableRate"`
	// TrackableDistinctiveness, TrackableFeatureCount and
	// TrackableFeatureDistribution grade the corners of the finer
	// tracking view the same way.
	TrackableDistinctiveness     int `json:"trackableDistinctiveness"`
	TrackableFeatureCount        int `json:"trackableFeatureCount"`
	TrackableFeatureDistribution int `json:"trackableFeatureDistribution"`
	// TrackablePatchContrast grades the local contrast of the image.
	TrackablePatchContrast int `json:"trackablePatchContrast"`
	// TrackablePatchAmbiguity grades how often a patch looks like its
	// own near surroundings, where a tracker could slip.
	TrackablePatchAmbiguity int `json:"trackablePatchAmbiguity"`
}

// Assess grades img, a decoded image already turned upright.
func Assess(img image.Image) Report {
	return SampleOf(img).Assess(feature.StableOf(img))
}

// Bad reports whether the image is unusable as a target.
func (r Report) Bad() bool {
	return r.DetectableRate < 0
}

// Detection returns the grade of POST /grade/detection: -1 for a bad image,
// otherwise 0 (easy) .. 4 (hard) to recognise. It is DetectableRate.
func (r Report) Detection() int {
	return r.DetectableRate
}

// Tracking returns the grade of POST /grade/tracking: -1 for a bad image,
// otherwise 0 (easy) .. 4 (hard) to track. It is TrackableRate.
func (r Report) Tracking() int {
	return r.TrackableRate
}

// badReport is the report of an unusable image.
var badReport = Report{-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1}

// Thresholds of the metric grades: a value at or past the first entry
// grades 0, at or past the second 1, and so on; beyond the last, 4. They
// were set on real photographs (the test set) so that sharp detailed
// photos land on 0–1, photos dominated by sky or smooth surfaces on 2–3,
// and blurred or repetitive ones on 3–4.
var (
	// Corners on the detection plane (160 px). Sharp detailed photos give
	// 110–230, fine random textures 400–600, mostly smooth photos 40–50;
	// a heavy blur leaves 5–190, mostly under 70.
	detectCountSteps = [4]int{240, 150, 90, 45}
	// Corners on the tracking plane (320 px). Sharp detailed photos give
	// 380–670, fine textures 1600–2100, mostly smooth photos 70–270; a
	// heavy blur leaves almost none.
	trackCountSteps = [4]int{700, 420, 240, 120}
	// Percent of grid cells covered. Whole-frame photos cover 76–100 %;
	// a subject on a plain background (a flower, a rocket) about half.
	coverageSteps = [4]int{88, 72, 56, 36}
	// Percent of corners with a twin elsewhere; lower is better.
	// Non-repetitive photos stay under 15 %, a field of similar stars or
	// coins reaches 25–55 %, bricks 80–90 %, tiled patterns 100 %.
	twinSteps = [4]int{12, 25, 40, 60}
	// Percent of corners with a look-alike patch nearby; lower is better.
	// Sharp photos stay under 15 %; blur and fine weaves exceed 60 %.
	ambiguitySteps = [4]int{20, 35, 50, 70}
	// Median 8×8 tile standard deviation, grey levels. Textured photos
	// reach 13–30, photos with large smooth areas 1–7.
	contrastSteps = [4]int{14, 9, 5, 3}
	// Features found again in the hardest synthetic view (feature.Stable),
	// against the 20 inliers a verification needs: 4, 3, 2 and 1 times
	// that. Sharp detailed photos keep 55–90, a subject on a plain
	// background, gravel or a field of stars 20–40, a brick wall 15.
	stableSteps = [4]int{80, 60, 40, 20}
)

// grade turns measurements and the count of stable features into a
// report.
func grade(m measurements, stable int) Report {
	if m.width < minSide || m.height < minSide || m.stdDev < minStdDev ||
		m.detect.corners+m.track.corners < minCorners {
		return badReport
	}
	dd, dc, dr := gradeScale(m.detect, detectCountSteps)
	td, tc, tr := gradeScale(m.track, trackCountSteps)
	r := Report{
		DetectableDistinctiveness:     dd,
		DetectableFeatureCount:        dc,
		DetectableFeatureDistribution: dr,
		TrackableDistinctiveness:      td,
		TrackableFeatureCount:         tc,
		TrackableFeatureDistribution:  tr,
		TrackablePatchContrast:        gradeAtLeast(m.track.patchContrast, contrastSteps),
		TrackablePatchAmbiguity:       gradeAtMost(m.track.ambiguity, ambiguitySteps),
		DetectableFeatureStability:    gradeAtLeast(stable, stableSteps),
	}
	if m.track.corners < minCorners {
		r.TrackablePatchAmbiguity = 4 // too few patches to judge
	}
	r.DetectableRate = rate(
		weighted{r.DetectableFeatureCount, 2},
		weighted{r.DetectableDistinctiveness, 2},
		weighted{r.DetectableFeatureDistribution, 1},
		weighted{r.DetectableFeatureStability, 3},
	)
	r.TrackableRate = rate(
		weighted{r.TrackableFeatureCount, 2},
		weighted{r.TrackableDistinctiveness, 1},
		weighted{r.TrackableFeatureDistribution, 1},
		weighted{r.TrackablePatchContrast, 1},
		weighted{r.TrackablePatchAmbiguity, 1},
	)
	return r
}

// gradeScale grades the distinctiveness, feature count and feature
// distribution of one scale. A scale with fewer than minCorners corners
// gets the worst distinctiveness: a handful of points proves nothing.
func gradeScale(s scale, countSteps [4]int) (distinct, count, spread int) {
	distinct = gradeAtMost(s.twins, twinSteps)
	if s.corners < minCorners {
		distinct = 4
	}
	return distinct, gradeAtLeast(s.corners, countSteps), gradeAtLeast(s.coverage, coverageSteps)
}

// weighted is a metric grade and its weight in a rate.
type weighted struct{ grade, weight int }

// rate is the weighted mean of the grades, rounded half up, but at least
// the worst grade minus one.
func rate(ms ...weighted) int {
	sum, total, worst := 0, 0, 0
	for _, m := range ms {
		sum += m.grade * m.weight
		total += m.weight
		worst = max(worst, m.grade)
	}
	return max((2*sum+total)/(2*total), worst-1)
}

// gradeAtLeast grades a value where more is better.
func gradeAtLeast(v int, steps [4]int) int {
	for g, s := range steps {
		if v >= s {
			return g
		}
	}
	return 4
}

// gradeAtMost grades a value where less is better.
func gradeAtMost(v int, steps [4]int) int {
	for g, s := range steps {
		if v <= s {
			return g
		}
	}
	return 4
}
