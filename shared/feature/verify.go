package feature

import (
	"errors"
	"math"
)

// VerifyOptions tunes Verify.
type VerifyOptions struct {
	Match   MatchOptions
	RANSAC  RANSACOptions
	Outline OutlineLimits
	// MinInliers is the least number of inliers, each target feature
	// counted once, for the target to be found; Score is 0.5 there. Less
	// than 5 counts as 5: any four pairs fit a homography exactly.
	MinInliers int
	// Refine is the second matching, under the first fit.
	Refine RefineOptions
	// MinSpread is the least area of the convex hull of the inliers in the
	// target's plane, as a fraction of the target's area. Pairs that match
	// one textured patch of the target to one patch of the frame can fit a
	// plausible-looking homography with many inliers, all huddled in that
	// patch; a camera's view of the print spreads its inliers over the
	// part of the print in the frame.
	MinSpread float64
}

// DefaultVerifyOptions are Verify's settings for a query frame whose long
// side is about 640 pixels.
//
// MinInliers is 20, as in the anchor run on real photos (camera-anchors.md
// §1), where 20 kept non-member false matches at 1 in 200 and 15 let 7 in.
// Matches that are wrong in place stay well below it (TestVerifyChance,
// any count accepted, 300 pairs): at random places they reach 5 inliers,
// huddled in one patch of each picture 11.
//
// On the quality harness (make bench-quality: 10,000 entries, 1,027
// non-member queries, each photo of the 79 left out of the gallery
// shot by every camera recipe and three reference edits), 20 lets no
// non-member through: wrong fits of unrelated pictures reached 17
// inliers, and the only ones above 20 were edited copies of gallery
// pictures (the harness leaves them out since). 25 and 30 cost 0.7 and
// 1.6 points of the camera recipes' recall and guard against nothing
// measured, so 20 stays.
//
// MinSpread is 2 %. Of 1,200 huddled sets (σ 8 to 12 px, 300 pairs),
// 1.4 % passed every other check, with up to 69 inliers; their inliers
// covered at most 1.1 % of the target. A frame showing as little of the
// print as the outline's MaxArea allows (a sixteenth) leaves 6 %.
var DefaultVerifyOptions = VerifyOptions{
	Match:      DefaultMatchOptions,
	RANSAC:     DefaultRANSACOptions,
	Outline:    DefaultOutlineLimits,
	MinInliers: 20,
	Refine:     DefaultRefineOptions,
	MinSpread:  0.02,
}

// Verdict is where Verify found the target in the frame.
type Verdict struct {
	Inliers int        // matched target features the homography explains
	H       Homography // from the target's plane to the frame
	// Corners are the target's corners in the frame, clockwise from its
	// top-left: the images of (0, 0), (w, 0), (w, h) and (0, h).
	Corners [4]Point
	// Score is 1 − MinInliers / (2·Inliers): 0.5 at MinInliers, 0.75 at
	// twice as many, 0.875 at four times, approaching 1. (Like
	// fingerprint.Score, it is 0.5 at the acceptance threshold; it
	// rises with the evidence instead of falling with a distance.)
	Score float64
}

// verify's reasons for a refusal besides the outline's.
var (
	errSize          = errors.New("feature: a frame or target without pixels")
	errTooFewPairs   = errors.New("feature: too few matched pairs")
	errNoFit         = errors.New("feature: no homography fits the pairs")
	errTooFewInliers = errors.New("feature: too few inliers")
	errHuddled       = errors.New("feature: the inliers cover too little of the target")
)

// Verify looks for the target (targetW×targetH, the plane its features
// were extracted from) in the query frame (frameW×frameH) and reports
// whether it is there and where: it matches the features, fits a
// homography by RANSAC, checks the target's outline in the frame, and
// counts the inliers against o.MinInliers. It is deterministic for
// o.RANSAC.Seed. Features whose positions are not finite are ignored.
//
// When it reports false, the Verdict holds what was established before
// the step that failed (inliers, homography, corners), with Score 0.
func Verify(query []Feature, frameW, frameH int, target []Feature, targetW, targetH int, o VerifyOptions) (Verdict, bool) {
	v, err := verify(query, frameW, frameH, target, targetW, targetH, o)
	return v, err == nil
}

// VerifyPairs is Verify with the matching done by the caller: pairs are
// of query and target features (MatchWithin's, made with o.Match), and
// every later step is Verify's. A pair naming a feature beyond query or
// target is ignored.
func VerifyPairs(query []Feature, frameW, frameH int, target []Feature, targetW, targetH int, pairs []Pair, o VerifyOptions) (Verdict, bool) {
	v, err := verifyPairs(query, frameW, frameH, target, targetW, targetH, pairs, o)
	return v, err == nil
}

// verify is Verify, with the reason for a refusal.
func verify(query []Feature, frameW, frameH int, target []Feature, targetW, targetH int, o VerifyOptions) (Verdict, error) {
	if frameW <= 0 || frameH <= 0 || targetW <= 0 || targetH <= 0 {
		return Verdict{}, errSize
	}
	return verifyPairs(query, frameW, frameH, target, targetW, targetH, Match(query, target, o.Match), o)
}

// verifyPairs is VerifyPairs, with the reason for a refusal.
func verifyPairs(query []Feature, frameW, frameH int, target []Feature, targetW, targetH int, pairs []Pair, o VerifyOptions) (Verdict, error) {
	var v Verdict
	if frameW <= 0 || frameH <= 0 || targetW <= 0 || targetH <= 0 {
		return v, errSize
	}
	need := max(o.MinInliers, 5)
	from, to, targetOf := correspond(query, target, pairs)
	enough := need
	if o.Refine.From > 0 {
		enough = min(need, max(o.Refine.From, 5))
	}
	paired := distinct(targetOf)
	if paired < enough {
		return v, errTooFewPairs
	}
	// RANSAC stops early once a fit of need inliers would have been found:
	// that spares a wrong target most of the samples. With fewer pairs
	// than need, only a fit the second matching takes further can help,
	// and the search aims at enough.
	ro := o.RANSAC
	ro.MinInliers = max(ro.MinInliers, need)
	if paired < need {
		ro.MinInliers = max(o.RANSAC.MinInliers, enough)
	}
	fit, ok := FitHomography(from, to, ro)
	if !ok {
		return v, errNoFit
	}
	v.H, v.Inliers = fit.H, explained(fit, targetOf)
	if o.Refine.From > 0 && v.Inliers >= o.Refine.From {
		// The second matching, under the fit (RefineOptions).
		f2, t2, of2 := correspond(query, target, matchUnder(fit.H, query, frameW, frameH, target, o.Refine))
		if again, ok := FitHomography(f2, t2, ro); ok {
			if n := explained(again, of2); n > v.Inliers {
				fit, from = again, f2
				v.H, v.Inliers = fit.H, n
			}
		}
	}
	spread := make([]Point, len(fit.Inliers))
	for k, i := range fit.Inliers {
		spread[k] = from[i]
	}
	if v.Inliers < need {
		return v, errTooFewInliers
	}
	if v.Corners, ok = fit.H.Corners(targetW, targetH); !ok {
		return v, ErrOutlineHorizon
	}
	if err := CheckOutline(v.Corners, targetW, targetH, frameW, frameH, o.Outline); err != nil {
		return v, err
	}
	if hullArea(spread) < o.MinSpread*float64(targetW)*float64(targetH) {
		return v, errHuddled
	}
	v.Score = 1 - float64(need)/(2*float64(v.Inliers))
	return v, nil
}

// correspond returns the positions of the pairs' target features (from)
// and query features (to) and each pair's target feature, leaving out
// pairs naming a feature beyond query or target or at no finite place.
func correspond(query, target []Feature, pairs []Pair) (from, to []Point, targetOf []int) {
	from, to = make([]Point, 0, len(pairs)), make([]Point, 0, len(pairs))
	targetOf = make([]int, 0, len(pairs))
	for _, p := range pairs {
		if uint(p.Query) >= uint(len(query)) || uint(p.Target) >= uint(len(target)) {
			continue
		}
		f, t := position(&target[p.Target].Keypoint), position(&query[p.Query].Keypoint)
		if finite(f) && finite(t) {
			from, to = append(from, f), append(to, t)
			targetOf = append(targetOf, p.Target)
		}
	}
	return from, to, targetOf
}

// explained counts the target features among a fit's inliers.
func explained(fit Fit, targetOf []int) int {
	ids := make([]int, len(fit.Inliers))
	for k, i := range fit.Inliers {
		ids[k] = targetOf[i]
	}
	return distinct(ids)
}

func position(k *Keypoint) Point { return Point{float64(k.X), float64(k.Y)} }

func finite(p Point) bool {
	return !math.IsNaN(p.X) && !math.IsNaN(p.Y) && !math.IsInf(p.X, 0) && !math.IsInf(p.Y, 0)
}

// distinct counts the distinct values in s.
func distinct(s []int) int {
	seen := make(map[int]struct{}, len(s))
	for _, v := range s {
		seen[v] = struct{}{}
	}
	return len(seen)
}
