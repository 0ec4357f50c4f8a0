package feature

import "math"

// RANSACOptions tunes FitHomography.
type RANSACOptions struct {
	// Threshold is the largest distance, in pixels of the query frame,
	// between a target point's image and its matched query point for the
	// pair to count as an inlier.
	Threshold float64
	// Confidence is the probability wanted of having drawn at least one
	// sample of inliers only; with the inlier share of the best fit so far
	// it sets how many samples are drawn (at most MaxIterations).
	Confidence float64
	// MaxIterations bounds the samples drawn, degenerate ones included.
	MaxIterations int
	// MinInliers, when positive, is the least number of inliers the
	// caller will accept: sampling also stops once a fit with that many
	// would have been found with the confidence wanted. It spares a
	// hopeless pair of pictures most of the samples; a fit with fewer
	// inliers may still be returned.
	MinInliers int
	// Seed seeds the sampler: the same inputs and seed give the same fit,
	// bit for bit.
	Seed uint64
}

// DefaultRANSACOptions are the fitter's settings for a query frame whose
// long side is about 640 pixels: a 5-pixel threshold, as in the anchor
// run (camera-anchors.md §1), and 99.5 % confidence. The adaptive count
// then draws about 80 samples at 50 % inliers, 200 at 40 % and 3,300 at
// 20 %; the bound of 5,000 keeps that confidence down to 18 % inliers.
// Draws the shape test rejects cost little, and Verify sets MinInliers,
// which ends the search for a hopeless pair of pictures early.
var DefaultRANSACOptions = RANSACOptions{Threshold: 5, Confidence: 0.995, MaxIterations: 5000, Seed: 1}

// Fit is a homography found by FitHomography and the correspondences it
// explains.
type Fit struct {
	H       Homography
	Inliers []int // indexes of the inlier correspondences, ascending
}

// minSampleHeight is the least height, in pixels, of each of the four
// triangles a sample's points form, in both planes: below it three points
// are as good as collinear, and the sample does not fix a homography.
const minSampleHeight = 2

// FitHomography finds the homography that maps the most points from[i]
// (the target's plane) to within o.Threshold pixels of to[i] (the query
// frame), by RANSAC:
//
//   - Samples of four correspondences are drawn with a PRNG seeded by
//     o.Seed. A sample is skipped when three of its points are nearly
//     collinear in either plane, or when its four triangles do not keep
//     their orientation from one plane to the other: a camera's view of a
//     print keeps every triangle's orientation, while a mirrored map
//     reverses them all. About nine random samples in ten fail this test,
//     before any solving.
//   - Each sample's exact homography (normalised DLT, an 8×8 solve) is
//     scored by its inliers, ties broken by the sum of squared errors
//     capped at the threshold (MSAC); a point the homography puts beyond
//     the horizon is an outlier, and a homography that puts its own
//     sample there is dropped.
//   - Each new best is refitted by least squares on its inliers and kept
//     if that scores better (local optimisation), and the number of
//     samples still needed is recomputed from its inlier share: sampling
//     stops as soon as o.Confidence is reached.
//   - The best is refitted so again, and its inliers recounted, until the
//     score stops improving. (Minimising the
//     distances in the query frame instead, by Levenberg–Marquardt, was
//     measured on the test scenes: 1.5 % smaller corner errors, not worth
//     its code.)
//
// It reports false when from and to differ in length, hold fewer than
// four pairs, or no sample yields a homography that explains a fifth pair
// beside its own four. Whether a fit is plausible and enough is the
// caller's to judge (see CheckOutline and Verify).
func FitHomography(from, to []Point, o RANSACOptions) (Fit, bool) {
	if len(from) != len(to) || len(from) < 4 {
		return Fit{}, false
	}
	tf, ok1 := normaliser(from)
	tt, ok2 := normaliser(to)
	if !ok1 || !ok2 {
		return Fit{}, false
	}
	r := ransac{from: from, to: to, tf: tf, tt: tt, thr2: o.Threshold * o.Threshold}
	r.nf, r.nt = make([]Point, len(from)), make([]Point, len(to))
	for i := range from {
		r.nf[i], r.nt[i] = tf.apply(from[i]), tt.apply(to[i])
	}
	best, ok := r.search(o)
	if !ok {
		return Fit{}, false
	}
	best = r.polish(best)
	if best.count <= 4 {
		return Fit{}, false
	}
	h := best.h
	if h[8] > 0 {
		for i := range h {
			h[i] /= best.h[8]
		}
	}
	return Fit{H: h, Inliers: r.inliers(&best.h, nil)}, true
}

// ransac holds one FitHomography run: the points in pixels and normalised.
type ransac struct {
	from, to []Point
	nf, nt   []Point
	tf, tt   similarity
	thr2     float64
}

// model is a candidate homography in pixels and its score.
type model struct {
	h     Homography
	count int     // inliers
	cost  float64 // sum of squared errors, each capped at the threshold
}

func (m model) better(n model) bool {
	return m.count > n.count || m.count == n.count && m.cost < n.cost
}

// search draws samples until the confidence or the iteration bound is
// reached, and returns the best model, or false when no sample gave one.
func (r *ransac) search(o RANSACOptions) (model, bool) {
	rng := newSampler(o.Seed, 0x72616e736163) // "ransac"
	var best model
	found := false
	limit := o.MaxIterations
	if o.MinInliers > 0 {
		limit = min(limit, samplesNeeded(o.MinInliers, len(r.from), o.Confidence))
	}
	var f, t [4]Point
	var idx [4]int
	for it := 0; it < limit; it++ {
		r.draw(rng, &idx)
		if !r.wellShaped(&idx) {
			continue
		}
		for k, i := range idx {
			f[k], t[k] = r.nf[i], r.nt[i]
		}
		hn, ok := fromFour(&f, &t)
		if !ok {
			continue
		}
		m := r.score(r.pixels(hn), best.count)
		if m.count < 4 || found && !m.better(best) {
			continue // worse, or its own sample is beyond its horizon: no view
		}
		best, found = r.optimise(m), true
		limit = min(limit, samplesNeeded(best.count, len(r.from), o.Confidence))
	}
	return best, found
}

// draw picks four distinct correspondences.
func (r *ransac) draw(rng *sampler, idx *[4]int) {
	n := len(r.from)
	for k := 0; k < len(idx); {
		i := rng.intN(n)
		drawn := false
		for _, j := range idx[:k] {
			drawn = drawn || j == i
		}
		if !drawn {
			idx[k] = i
			k++
		}
	}
}

// wellShaped reports whether the sample's four triangles are tall enough
// in both planes and keep their orientation from the target's plane to
// the query frame.
//
// A triangle abc's orientation is +1 clockwise on the screen (y down),
// −1 counter-clockwise, and 0 when its height is below minSampleHeight
// (the height over the longest side is the least of the three: |cross|
// / longest side). It is worked out here, not in a function of its own:
// in WebAssembly eight calls a sample cost more than the arithmetic.
func (r *ransac) wellShaped(idx *[4]int) bool {
	var planes [2][4]Point // the sample in the target's plane, in the frame
	for k, i := range idx {
		planes[0][k], planes[1][k] = r.from[i], r.to[i]
	}
	for _, tri := range [4][3]uint8{{0, 1, 2}, {0, 1, 3}, {0, 2, 3}, {1, 2, 3}} {
		var turn [2]int
		for p := range planes {
			a, b, c := planes[p][tri[0]], planes[p][tri[1]], planes[p][tri[2]]
			abx, aby, acx, acy := b.X-a.X, b.Y-a.Y, c.X-a.X, c.Y-a.Y
			cross := abx*acy - aby*acx
			bcx, bcy := c.X-b.X, c.Y-b.Y
			long2 := greater(greater(abx*abx+aby*aby, acx*acx+acy*acy), bcx*bcx+bcy*bcy)
			switch {
			case !(cross*cross >= minSampleHeight*minSampleHeight*long2) || long2 == 0:
				return false // too flat
			case cross > 0:
				turn[p] = 1
			default:
				turn[p] = -1
			}
		}
		if turn[0] != turn[1] {
			return false
		}
	}
	return true
}

// samplesNeeded returns how many samples give the confidence conf of
// drawing one of inliers only, when inliers of n pairs are inliers.
func samplesNeeded(inliers, n int, conf float64) int {
	p := math.Pow(float64(inliers)/float64(n), 4)
	if p >= 1 {
		return 1
	}
	if !(p > 0) {
		return math.MaxInt32
	}
	k := math.Log(1-conf) / math.Log(1-p)
	if math.IsNaN(k) || k > math.MaxInt32 {
		return math.MaxInt32
	}
	return max(1, int(math.Ceil(k)))
}

// pixels turns a homography between the normalised planes into one
// between the planes in pixels. The normalisations are similarities with
// a last row (0, 0, 1), so w, and its sign, are unchanged.
func (r *ransac) pixels(hn Homography) Homography {
	return r.tt.inverse().Mul(hn).Mul(r.tf.matrix())
}

// score counts h's inliers and sums its capped squared errors. It stops
// early, returning a model worse than any with beat inliers, once so many
// pairs are outliers that fewer than beat can be inliers.
func (r *ransac) score(h Homography, beat int) model {
	m := model{h: h}
	outliers := 0
	to, thr2 := r.to[:len(r.from)], r.thr2
	for i, p := range r.from {
		// fits, written out: too large to inline, and a call per pair
		// costs WebAssembly a third of RANSAC.
		x, y, w := h.apply(p)
		dx, dy := x-to[i].X*w, y-to[i].Y*w
		if d := dx*dx + dy*dy; w > 0 && d < thr2*w*w {
			m.count++
			m.cost += d / (w * w)
			continue
		}
		m.cost += thr2
		if outliers++; outliers > len(r.from)-beat {
			m.count = -1
			return m
		}
	}
	return m
}

// fits reports whether h maps from[i] to within the threshold of to[i],
// and if so the squared distance. The test is made before dividing by w,
// and fails for a point with no image (w ≤ 0) or a NaN.
func (r *ransac) fits(h *Homography, i int) (float64, bool) {
	x, y, w := h.apply(r.from[i])
	q := r.to[i]
	dx, dy := x-q.X*w, y-q.Y*w
	d := dx*dx + dy*dy
	if !(w > 0 && d < r.thr2*w*w) {
		return 0, false
	}
	return d / (w * w), true
}

// inliers appends to dst the indexes of h's inliers.
func (r *ransac) inliers(h *Homography, dst []int) []int {
	for i := range r.from {
		if _, ok := r.fits(h, i); ok {
			dst = append(dst, i)
		}
	}
	return dst
}

// optimise refits m by linear least squares on its inliers and returns
// the better of the two.
func (r *ransac) optimise(m model) model {
	if m.count < 5 {
		return m // four pairs: the refit is the sample's own homography
	}
	f, t := r.subset(r.inliers(&m.h, nil))
	hn, ok := leastSquares(f, t)
	if !ok {
		return m
	}
	if n := r.score(r.pixels(hn), 0); n.better(m) {
		return n
	}
	return m
}

// polish optimises m, which changes its inliers, again and again while
// that improves its score (a few times at most).
func (r *ransac) polish(m model) model {
	for range 4 {
		n := r.optimise(m)
		if !n.better(m) {
			break
		}
		m = n
	}
	return m
}

// subset returns the normalised points of the correspondences idx.
func (r *ransac) subset(idx []int) (f, t []Point) {
	f, t = make([]Point, len(idx)), make([]Point, len(idx))
	for k, i := range idx {
		f[k], t[k] = r.nf[i], r.nt[i]
	}
	return f, t
}
