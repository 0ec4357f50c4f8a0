package feature

import (
	"image"
	"math"
	"slices"
)

// # Views synthesised at enrolment
//
// A print seen steeply tilted or small in a camera frame shows patches
// that none of the target's own features describe: foreshortened by the
// tilt, or blurred together at a scale coarser than the target's pyramid
// reaches with enough features. ASIFT's remedy is to show the target to a
// synthetic camera at enrolment and keep what it sees. Enrol does so with
// the synthetic views of Stable (whose counts grade the target) and the
// extra views of EnrolOptions: each view's features (QueryOptions, as a
// frame's) that no feature of the target already accounts for — their
// nearest target feature by descriptor, passing the ratio test, lies
// within stableDistance of where the view put them — are mapped back
// into the target's plane through the view's inverse, and added to the
// target's features. A feature whose patch does not lie wholly on the
// target in the view (on its border with the view's plain background) is
// left out: a real frame has another background there.

// EnrolOptions choose the views Enrol synthesises and what it keeps of
// them.
type EnrolOptions struct {
	// Views are shot besides the grade's (Stable's) views.
	Views []View
	// PerView is the most features a view may add, its strongest first.
	PerView int
	// BagShare is the share of the first Bag features of the result that
	// are a view's: the bag of words the feature tier keeps of a target
	// is its first features (shared/camera), so the share says how much
	// of it describes the synthetic views.
	BagShare float64
	// Bag is the size of the bag BagShare is a share of.
	Bag int
}

// View is a shot of the synthetic camera: the target tilted by Tilt
// degrees about an axis through its centre turned Axis degrees from its
// vertical, then turned by Turn degrees in the frame, its long side Side
// pixels.
type View struct {
	Tilt, Axis, Turn float64
	Side             int
}

// DefaultEnrolOptions are what the server enrols targets with, chosen by
// measurement (make bench-quality's -tune mode; QUALITY.md): besides the
// grade's two views (tilted 50° about the vertical; small and turned),
// three more tilted 50° about axes turned 45°, 90° and 135°, each adding
// at most 100 features to the record and none to the bag. Over the camera
// recipes (bag 500, shortlist 40) they raised 50° tilts from 81.2 to
// 86.6 %, prints at a tenth of the frame from 79.9 to 83.7 %, the mean
// from 94.6 to 95.6 % (recall@1 of the tuning sweep); put in the bag
// instead of the target's own weakest features they cost recall (a
// quarter of a bag of 400: 1.1 points less).
var DefaultEnrolOptions = EnrolOptions{
	Views: []View{
		{Tilt: 50, Axis: 45, Side: 400},
		{Tilt: 50, Axis: 90, Side: 400},
		{Tilt: 50, Axis: 135, Side: 400},
	},
	PerView: 100,
}

// Enrolment is what Enrol makes of a target's plane.
type Enrolment struct {
	// Features are the target's own (Extract with TargetOptions) and the
	// views' added ones, in the order a bag of words takes them: what its
	// record keeps.
	Features []Feature
	// Own are the target's own features, strongest first: what it is
	// looked for with as a query (the similar check).
	Own []Feature
	// Stable is Stable of the target's own features.
	Stable int
}

// Enrol extracts a target's features from its plane, grades them as
// Stable does, and adds what the synthetic views of o find (see above).
func Enrol(plane *image.Gray, o EnrolOptions) Enrolment {
	own := Extract(plane, TargetOptions)
	w, h := plane.Rect.Dx(), plane.Rect.Dy()
	if w < 16 || h < 16 || len(own) == 0 {
		return Enrolment{Features: own, Own: own}
	}
	fewest := len(own)
	var added []Feature
	views := make([]stableView, 0, len(stableViews)+len(o.Views))
	views = append(views, stableViews...)
	for _, v := range o.Views {
		views = append(views, stableView{tilt: v.Tilt, axis: v.Axis, turn: v.Turn, side: v.Side})
	}
	for i, v := range views {
		found, extra := v.look(plane, own, o.PerView)
		if i < len(stableViews) {
			fewest = min(fewest, found)
		}
		added = append(added, extra...)
	}
	return Enrolment{Features: interleave(own, added, o), Own: own, Stable: fewest}
}

// look shoots plane with v and returns how many of the target's features
// fs it finds again, and at most n of the view's features that none of fs
// accounts for, mapped into plane, strongest first.
func (v stableView) look(plane *image.Gray, fs []Feature, n int) (found int, extra []Feature) {
	shot, to, from := v.take(plane)
	seen := Extract(shot, QueryOptions)
	accounted := make([]bool, len(seen))
	for _, p := range Match(seen, fs, DefaultMatchOptions) {
		want, ok := to(float64(fs[p.Target].X), float64(fs[p.Target].Y))
		got := seen[p.Query]
		if ok && math.Hypot(want.X-float64(got.X), want.Y-float64(got.Y)) <= stableDistance {
			found++
			accounted[p.Query] = true
		}
	}
	for i, f := range seen {
		if len(extra) >= n {
			break
		}
		if accounted[i] {
			continue
		}
		if g, ok := back(f, from); ok {
			extra = append(extra, g)
		}
	}
	return found, extra
}

// back maps a view's feature f into the target's plane with from, false
// when its patch does not lie wholly on the target: its centre and the
// four points half its size away along the axes all come from the plane.
func back(f Feature, from func(x, y float64) (Point, bool)) (Feature, bool) {
	x, y, r := float64(f.X), float64(f.Y), float64(f.Size)/2
	c, ok := from(x, y)
	if !ok {
		return Feature{}, false
	}
	var far float64
	for _, d := range [4][2]float64{{-r, 0}, {r, 0}, {0, -r}, {0, r}} {
		p, ok := from(x+d[0], y+d[1])
		if !ok {
			return Feature{}, false
		}
		far = max(far, math.Hypot(p.X-c.X, p.Y-c.Y))
	}
	g := f
	g.X, g.Y = eighth(c.X), eighth(c.Y)
	g.Size = min(eighth(2*far), MaxRecordSide-1)
	return g, true
}

// eighth rounds v to 1/8, the precision of a record.
func eighth(v float64) float32 { return float32(math.Round(v*8) / 8) }

// interleave orders a target's own features and the views' added ones as
// a bag takes them: of the first o.Bag, a share o.BagShare are added
// ones, spread evenly among the own; then the rest of the own, then the
// rest of the added.
func interleave(own, added []Feature, o EnrolOptions) []Feature {
	out := make([]Feature, 0, len(own)+len(added))
	bagAdded := min(len(added), int(math.Round(o.BagShare*float64(o.Bag))))
	bagOwn := min(len(own), max(o.Bag-bagAdded, 0))
	i, j := 0, 0
	for i < bagOwn || j < bagAdded {
		// Take an added feature when the added ones are behind their share.
		if j < bagAdded && (i >= bagOwn || j*(bagOwn+bagAdded) < (i+j)*bagAdded) {
			out = append(out, added[j])
			j++
		} else {
			out = append(out, own[i])
			i++
		}
	}
	out = append(out, own[i:]...)
	out = append(out, added[j:]...)
	return slices.Clip(out)
}
