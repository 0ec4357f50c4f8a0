package feature

import (
	"errors"
	"math"
	"math/rand/v2"
	"testing"
)

// TestVerifyRefinesUnderFit gives VerifyPairs only 14 of the true pairs
// of a frame that shows 60 target features in every test pose (with as
// many false matches and unrelated features around them): fewer than
// MinInliers, refused without the second matching. Under the first fit
// the second matching finds the rest: the target is found with its
// outline within 3 px. The same 14 pairs taken from false matches alone
// find nothing.
func TestVerifyRefinesUnderFit(t *testing.T) {
	rng := rand.New(rand.NewPCG(31, 32))
	o := DefaultVerifyOptions
	without := o
	without.Refine.From = 0
	for _, vw := range fitViews {
		h := camera(vw.v, targetW, targetH, frameW, frameH)
		s := synth(rng, h, 500, 60, 60, 300)
		var few, wrong []Pair
		for _, p := range Match(s.query, s.target, o.Match) {
			at, ok := h.Project(position(&s.target[p.Target].Keypoint))
			q := position(&s.query[p.Query].Keypoint)
			true_ := ok && (at.X-q.X)*(at.X-q.X)+(at.Y-q.Y)*(at.Y-q.Y) < 9
			if true_ && len(few) < 14 {
				few = append(few, p)
			}
			if !true_ && len(wrong) < 14 {
				wrong = append(wrong, p)
			}
		}
		if len(few) < 14 {
			t.Fatalf("%s: %d true pairs matched", vw.name, len(few))
		}
		if _, err := verifyPairs(s.query, frameW, frameH, s.target, targetW, targetH, few, without); !errors.Is(err, errTooFewPairs) {
			t.Errorf("%s: 14 pairs without the second matching: %v, want %v", vw.name, err, errTooFewPairs)
		}
		v, err := verifyPairs(s.query, frameW, frameH, s.target, targetW, targetH, few, o)
		if err != nil || v.Inliers < 50 {
			t.Errorf("%s: 14 true pairs: %v, %d inliers of 60", vw.name, err, v.Inliers)
		} else if e := cornerError(v.H, h); e > 3 {
			t.Errorf("%s: corners %.2f px off", vw.name, e)
		}
		if v, err := verifyPairs(s.query, frameW, frameH, s.target, targetW, targetH, wrong, o); err == nil {
			t.Errorf("%s: 14 false matches found the target with %d inliers", vw.name, v.Inliers)
		}
	}
}

// flipFirst returns d with its first n bits flipped: n bits from d.
func flipFirst(d Descriptor, n int) Descriptor {
	for i := range n {
		d[i/64] ^= 1 << (i % 64)
	}
	return d
}

// withKeypoint returns f turned to angle and of the given size.
func withKeypoint(f Feature, angle float32, size float32) Feature {
	f.Angle, f.Size = angle, size
	return f
}

// TestMatchUnder pairs each target feature with the query feature its
// image lands near, only within the radius, the distance and the ratio,
// turned and scaled as the fit turns and scales it.
func TestMatchUnder(t *testing.T) {
	rng := rand.New(rand.NewPCG(33, 34))
	d := randomDescriptor(rng)
	target := []Feature{feature(Point{100, 100}, d)}
	o := DefaultRefineOptions
	shift := Homography{1, 0, 20, 0, 1, 10, 0, 0, 1} // (100, 100) → (120, 110)
	for _, c := range []struct {
		name  string
		query []Feature
		want  int // the query feature paired, -1 for none
	}{
		{"at the image", []Feature{feature(Point{121, 112}, flipFirst(d, 30))}, 0},
		{"beyond the radius", []Feature{feature(Point{131, 110}, d)}, -1},
		{"too far in bits", []Feature{feature(Point{120, 110}, flipFirst(d, o.MaxDistance+1))}, -1},
		{"the nearer of two", []Feature{feature(Point{118, 110}, flipFirst(d, 40)), feature(Point{122, 110}, flipFirst(d, 10))}, 1},
		{"two as near", []Feature{feature(Point{118, 110}, flipFirst(d, 20)), feature(Point{122, 110}, flipFirst(d, 21))}, -1},
		{"off the frame", []Feature{feature(Point{120, 110}, d)}, -1},
		{"turned 40°", []Feature{withKeypoint(feature(Point{120, 110}, d), 40*math.Pi/180, 31)}, -1},
		{"turned 20°", []Feature{withKeypoint(feature(Point{120, 110}, d), -20*math.Pi/180+2*math.Pi, 31)}, 0},
		{"three times the size", []Feature{withKeypoint(feature(Point{120, 110}, d), 0, 93)}, -1},
		{"a third of the size", []Feature{withKeypoint(feature(Point{120, 110}, d), 0, 10)}, -1},
		{"1.8 times the size", []Feature{withKeypoint(feature(Point{120, 110}, d), 0, 56)}, 0},
	} {
		fw := frameW
		if c.name == "off the frame" {
			fw = 110
		}
		pairs := matchUnder(shift, c.query, fw, frameH, target, o)
		got := -1
		if len(pairs) == 1 {
			got = pairs[0].Query
		}
		if len(pairs) > 1 || got != c.want {
			t.Errorf("%s: pairs %+v, want query feature %d", c.name, pairs, c.want)
		}
	}
}

// BenchmarkMatchUnder times the second matching of a member seen at 50°
// (500 target features, 60 of them in the frame's 500 with 60 false
// matches and 380 unrelated features), under its true homography.
func BenchmarkMatchUnder(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 1))
	h := camera(fitViews[4].v, targetW, targetH, frameW, frameH)
	s := synth(rng, h, 500, 60, 60, 380)
	n := 0
	for b.Loop() {
		n += len(matchUnder(h, s.query, frameW, frameH, s.target, DefaultRefineOptions))
	}
	b.ReportMetric(float64(n)/float64(b.N), "pairs")
}
