package feature

import (
	"math"
	"slices"
	"testing"

	"github.com/pixmatch/pixmatch/shared/testphoto"
)

// TestEnrolGradesAsStable holds Enrol to what it replaces: its own
// features are Extract's and its count is Stable's, whatever views it
// adds.
func TestEnrolGradesAsStable(t *testing.T) {
	withViews := EnrolOptions{Views: []View{{Tilt: 50, Axis: 90, Side: 400}}, PerView: 50, BagShare: 0.25, Bag: 400}
	for _, name := range []string{"astronaut", "coffee"} {
		plane := Plane(testphoto.Image(name), TargetOptions)
		own := Extract(plane, TargetOptions)
		stable := Stable(plane, own)
		for _, o := range []EnrolOptions{DefaultEnrolOptions, withViews} {
			e := Enrol(plane, o)
			if !slices.Equal(e.Own, own) || e.Stable != stable {
				t.Errorf("%s %+v: %d own features, stable %d; Extract %d, Stable %d", name, o, len(e.Own), e.Stable, len(own), stable)
			}
			if o.PerView == 0 && !slices.Equal(e.Features, own) {
				t.Errorf("%s: no view adds features, yet the enrolment has %d, not the %d own", name, len(e.Features), len(own))
			}
		}
	}
}

// TestEnrolMapsViewsBack checks the features a view adds: each is one of
// the view's own features, moved into the target's plane so that the
// view maps it back to where the view found it, within the 1/16 pixel a
// record rounds to; none is one the target's features already account
// for; and the bag's share of them is as asked.
func TestEnrolMapsViewsBack(t *testing.T) {
	plane := Plane(testphoto.Image("chelsea"), TargetOptions)
	v := View{Tilt: 50, Axis: 90, Side: 400}
	o := EnrolOptions{Views: []View{v}, PerView: 60, BagShare: 0.25, Bag: 400}
	e := Enrol(plane, o)
	own := len(e.Own)
	if len(e.Features) <= own {
		t.Fatalf("the views added nothing: %d features, %d own", len(e.Features), own)
	}
	// What each view (the grade's two and v) saw, and its map.
	type shot struct {
		to   func(x, y float64) (Point, bool)
		seen []Feature
	}
	var shots []shot
	for _, sv := range append(slices.Clone(stableViews), stableView{tilt: v.Tilt, axis: v.Axis, side: v.Side}) {
		img, to, _ := sv.take(plane)
		shots = append(shots, shot{to, Extract(img, QueryOptions)})
	}
	isOwn := map[Descriptor]bool{}
	for _, f := range e.Own {
		isOwn[f.Desc] = true
	}
	added, inBag := 0, 0
	w, h := float32(plane.Rect.Dx()), float32(plane.Rect.Dy())
	for i, f := range e.Features {
		if isOwn[f.Desc] {
			continue
		}
		added++
		if i < o.Bag {
			inBag++
		}
		if f.X < 0 || f.Y < 0 || f.X >= w || f.Y >= h {
			t.Errorf("added feature at (%.2f, %.2f), outside the %v×%v plane", f.X, f.Y, w, h)
		}
		found := false
		for _, sh := range shots {
			p, ok := sh.to(float64(f.X), float64(f.Y))
			for _, s := range sh.seen {
				if s.Desc == f.Desc && ok && math.Hypot(p.X-float64(s.X), p.Y-float64(s.Y)) < 0.1 {
					found = true
				}
			}
		}
		if !found {
			t.Errorf("added feature at (%.2f, %.2f): no view found it where it maps to", f.X, f.Y)
		}
	}
	// The grade's two views and this one add at most PerView each.
	if added > 3*o.PerView || inBag != min(added, 100) {
		t.Errorf("%d features added (at most %d), %d of them in the bag of %d (want %d)", added, 3*o.PerView, inBag, o.Bag, min(added, 100))
	}
}
