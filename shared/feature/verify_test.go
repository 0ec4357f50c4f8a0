package feature

import (
	"errors"
	"math"
	"math/rand/v2"
	"slices"
	"testing"
	"time"
)

// synthViews are synthetic features of a target and of a frame that sees it.
type synthViews struct {
	query, target []Feature
}

// feature returns a feature at p with descriptor d.
func feature(p Point, d Descriptor) Feature {
	return Feature{Keypoint: Keypoint{X: float32(p.X), Y: float32(p.Y), Size: 31}, Desc: d}
}

// synth returns a target of nT features at random places and
// orientations and a frame under h that sees nIn of them (1 px of noise,
// up to 20 descriptor bits changed, turned and scaled as h turns and
// scales their patch), beside nFalse features close in descriptor to
// other target features but at random places and orientations (false
// matches), and nOther unrelated ones, in a random order.
func synth(rng *rand.Rand, h Homography, nT, nIn, nFalse, nOther int) synthViews {
	var v synthViews
	turned := func(f Feature) Feature {
		f.Angle = float32(rng.Float64() * 2 * math.Pi)
		return f
	}
	for range nT {
		p := Point{rng.Float64() * targetW, rng.Float64() * targetH}
		v.target = append(v.target, turned(feature(p, randomDescriptor(rng))))
	}
	randomFrame := func() Point { return Point{rng.Float64() * frameW, rng.Float64() * frameH} }
	for i, in := 0, 0; in < nIn && i < nT; i++ {
		t := v.target[i]
		q, ok := h.Project(position(&t.Keypoint))
		// The patch's step along its orientation, a pixel long, as h maps it.
		e, ok2 := h.Project(Point{float64(t.X) + math.Cos(float64(t.Angle)), float64(t.Y) + math.Sin(float64(t.Angle))})
		if !ok || !ok2 || q.X < 0 || q.Y < 0 || q.X >= frameW || q.Y >= frameH {
			continue
		}
		f := feature(Point{q.X + rng.NormFloat64(), q.Y + rng.NormFloat64()}, flipBits(rng, t.Desc, rng.IntN(20)))
		f.Angle = float32(math.Mod(math.Atan2(e.Y-q.Y, e.X-q.X)+2*math.Pi, 2*math.Pi))
		f.Size = t.Size * float32(math.Hypot(e.X-q.X, e.Y-q.Y))
		v.query = append(v.query, f)
		in++
	}
	for range nFalse {
		d := v.target[rng.IntN(nT)].Desc
		v.query = append(v.query, turned(feature(randomFrame(), flipBits(rng, d, rng.IntN(20)))))
	}
	for range nOther {
		v.query = append(v.query, turned(feature(randomFrame(), randomDescriptor(rng))))
	}
	rng.Shuffle(len(v.query), func(i, j int) { v.query[i], v.query[j] = v.query[j], v.query[i] })
	return v
}

// TestVerify finds the target in every test pose, among as many false
// matches as true ones and unrelated features, with its outline within
// 3 px and the score the inlier count gives.
func TestVerify(t *testing.T) {
	rng := rand.New(rand.NewPCG(19, 20))
	o := DefaultVerifyOptions
	for _, vw := range fitViews {
		h := camera(vw.v, targetW, targetH, frameW, frameH)
		s := synth(rng, h, 500, 60, 60, 300)
		v, err := verify(s.query, frameW, frameH, s.target, targetW, targetH, o)
		if err != nil {
			t.Errorf("%s: %v (%d inliers)", vw.name, err, v.Inliers)
			continue
		}
		if e := cornerError(v.H, h); e > 3 {
			t.Errorf("%s: corners %.2f px off", vw.name, e)
		}
		if c, _ := v.H.Corners(targetW, targetH); c != v.Corners {
			t.Errorf("%s: corners %v, the homography's are %v", vw.name, v.Corners, c)
		}
		if v.Inliers < 55 || v.Inliers > 62 {
			t.Errorf("%s: %d inliers of 60", vw.name, v.Inliers)
		}
		if want := 1 - 20/(2*float64(v.Inliers)); v.Score != want {
			t.Errorf("%s: score %v, want %v", vw.name, v.Score, want)
		}
	}
}

// TestVerifyScore: 0.5 exactly at MinInliers, rising with the count.
func TestVerifyScore(t *testing.T) {
	h := camera(fitViews[0].v, targetW, targetH, frameW, frameH)
	for _, c := range []struct {
		inliers int
		want    float64
	}{{19, 0}, {20, 0.5}, {40, 0.75}, {80, 0.875}} {
		rng := rand.New(rand.NewPCG(21, 22))
		s := synth(rng, h, 200, c.inliers, 0, 0)
		v, ok := Verify(s.query, frameW, frameH, s.target, targetW, targetH, DefaultVerifyOptions)
		if v.Score != c.want || ok != (c.want > 0) {
			t.Errorf("%d inliers: %v, score %v (%d inliers), want %v", c.inliers, ok, v.Score, v.Inliers, c.want)
		}
	}
}

// TestVerifyRefuses: what is not a camera's pose of the target is refused,
// for its reason, and each refusal leaves Score 0. Where a reason is
// named, the checks before it passed.
func TestVerifyRefuses(t *testing.T) {
	rng := rand.New(rand.NewPCG(23, 24))
	mirror := Homography{-1, 0, targetW, 0, 1, 0, 0, 0, 1}
	clean := synth(rng, camera(fitViews[3].v, targetW, targetH, frameW, frameH), 300, 80, 0, 0)
	dup := slices.Clone(clean.query[:1])
	for range 100 {
		dup = append(dup, clean.query[0])
	}
	cases := []struct {
		name string
		v    synthViews
		fw   int
		want error
	}{
		{"mirrored", synth(rng, camera(fitViews[1].v, targetW, targetH, frameW, frameH).Mul(mirror), 300, 80, 0, 0), frameW, nil},
		{"false matches only", synth(rng, Identity, 300, 0, 200, 100), frameW, nil},
		{"19 features", synthViews{clean.query[:19], clean.target}, frameW, errTooFewInliers},
		{"9 features", synthViews{clean.query[:9], clean.target}, frameW, errTooFewPairs},
		{"one feature 101 times", synthViews{dup, clean.target}, frameW, errTooFewPairs},
		{"no target features", synthViews{clean.query, nil}, frameW, errTooFewPairs},
		{"a frame 0 pixels wide", clean, 0, errSize},
		{"tiny: 0.3 % of the frame", synth(rng, camera(pose{F: 1, Dist: 15}, targetW, targetH, frameW, frameH), 3000, 40, 0, 0), frameW, ErrOutlineArea},
		// One of the 1.4 % of huddled sets that pass every other check, here
		// with 69 inliers; their hulls cover at most 1.1 % of the target.
		{"huddled", huddled(rand.New(rand.NewPCG(87, 33)), 300, 8), frameW, errHuddled},
	}
	for _, c := range cases {
		v, err := verify(c.v.query, c.fw, frameH, c.v.target, targetW, targetH, DefaultVerifyOptions)
		if err == nil || c.want != nil && !errors.Is(err, c.want) || v.Score != 0 {
			t.Errorf("%s: %v (%d inliers, score %v), want %v", c.name, err, v.Inliers, v.Score, c.want)
		}
	}
}

// huddled returns pairs that match one patch of the target to one patch
// of the frame, every target feature to a random feature of the frame's
// patch: what a textured area matched by its texture alone looks like.
func huddled(rng *rand.Rand, n int, sigma float64) synthViews {
	cf := Point{sigma*3 + rng.Float64()*(targetW-sigma*6), sigma*3 + rng.Float64()*(targetH-sigma*6)}
	ct := Point{sigma*3 + rng.Float64()*(frameW-sigma*6), sigma*3 + rng.Float64()*(frameH-sigma*6)}
	var v synthViews
	for range n {
		d := randomDescriptor(rng)
		f := Point{cf.X + sigma*rng.NormFloat64(), cf.Y + sigma*rng.NormFloat64()}
		q := Point{ct.X + sigma*rng.NormFloat64(), ct.Y + sigma*rng.NormFloat64()}
		v.target, v.query = append(v.target, feature(f, d)), append(v.query, feature(q, d))
	}
	return v
}

// chancePairs returns n exact descriptor matches at independent random
// places in the target and the frame.
func chancePairs(rng *rand.Rand, n int) synthViews {
	var v synthViews
	for range n {
		d := randomDescriptor(rng)
		v.target = append(v.target, feature(Point{rng.Float64() * targetW, rng.Float64() * targetH}, d))
		v.query = append(v.query, feature(Point{rng.Float64() * frameW, rng.Float64() * frameH}, d))
	}
	return v
}

// TestVerifyChance measures how many inliers matches that are wrong in
// place reach — at random places, and huddled in one patch of each
// picture — when any count is accepted (MinInliers 5), and fails when
// chance reaches DefaultVerifyOptions' MinInliers: the evidence for it.
// (TestVerifyRefuses holds a huddled set that only the spread check
// stops.)
func TestVerifyChance(t *testing.T) {
	rng := rand.New(rand.NewPCG(25, 26))
	anyCount := DefaultVerifyOptions
	anyCount.MinInliers = 5
	trials := []struct {
		name string
		make func() synthViews
	}{
		{"random places", func() synthViews { return chancePairs(rng, 300) }},
		{"huddled σ 10 px", func() synthViews { return huddled(rng, 300, 10) }},
		{"huddled σ 30 px", func() synthViews { return huddled(rng, 300, 30) }},
	}
	const runs = 20
	for _, tr := range trials {
		most := 0
		for range runs {
			s := tr.make()
			if v, ok := Verify(s.query, frameW, frameH, s.target, targetW, targetH, anyCount); ok {
				most = max(most, v.Inliers)
			}
		}
		t.Logf("%s, %d runs of 300 pairs: at most %d inliers", tr.name, runs, most)
		if most >= DefaultVerifyOptions.MinInliers {
			t.Errorf("%s: chance reached %d inliers", tr.name, most)
		}
	}
}

// BenchmarkVerify times Verify of one shortlisted target, 500 features
// against a frame's 500 — a member seen at 50° (60 true matches among 60
// false and 380 unrelated features) and a non-member (60 false matches,
// which run RANSAC to its bound) — in alternation with Match alone on the
// same features, and reports Verify's time as a multiple of matching's.
func BenchmarkVerify(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 1))
	h := camera(fitViews[4].v, targetW, targetH, frameW, frameH)
	member := synth(rng, h, 500, 60, 60, 380)
	other := synth(rng, h, 500, 0, 60, 440)
	for _, c := range []struct {
		name string
		v    synthViews
	}{{"member", member}, {"non-member", other}} {
		b.Run(c.name, func(b *testing.B) {
			var base, ours time.Duration
			for b.Loop() {
				t0 := time.Now()
				sink += len(Match(c.v.query, c.v.target, DefaultMatchOptions))
				t1 := time.Now()
				v, _ := Verify(c.v.query, frameW, frameH, c.v.target, targetW, targetH, DefaultVerifyOptions)
				sink += v.Inliers
				base += t1.Sub(t0)
				ours += time.Since(t1)
			}
			b.ReportMetric(float64(ours.Microseconds())/float64(b.N), "µs/verify")
			b.ReportMetric(float64(ours)/float64(base), "x-Match")
		})
	}
}

// TestVerifyPairs: given Match's pairs, VerifyPairs is Verify; pairs
// naming features that do not exist are ignored, and too few pairs for
// the second matching are refused before any fit.
func TestVerifyPairs(t *testing.T) {
	rng := rand.New(rand.NewPCG(23, 24))
	o := DefaultVerifyOptions
	for _, vw := range fitViews {
		h := camera(vw.v, targetW, targetH, frameW, frameH)
		s := synth(rng, h, 500, 60, 60, 300)
		want, wantOK := Verify(s.query, frameW, frameH, s.target, targetW, targetH, o)
		pairs := Match(s.query, s.target, o.Match)
		got, ok := VerifyPairs(s.query, frameW, frameH, s.target, targetW, targetH, pairs, o)
		if ok != wantOK || got != want {
			t.Errorf("%s: VerifyPairs %v %+v, Verify %v %+v", vw.name, ok, got, wantOK, want)
		}
		bad := append(slices.Clone(pairs), Pair{Query: len(s.query)}, Pair{Target: -1}, Pair{Query: -5, Target: len(s.target) + 3})
		if got, ok := VerifyPairs(s.query, frameW, frameH, s.target, targetW, targetH, bad, o); ok != wantOK || got != want {
			t.Errorf("%s: with pairs out of range %v %+v, want %v %+v", vw.name, ok, got, wantOK, want)
		}
	}
	s := synth(rng, Homography{1, 0, 0, 0, 1, 0, 0, 0, 1}, 500, 60, 0, 0)
	pairs := Match(s.query, s.target, o.Match)[:o.Refine.From-1]
	if _, err := verifyPairs(s.query, frameW, frameH, s.target, targetW, targetH, pairs, o); !errors.Is(err, errTooFewPairs) {
		t.Errorf("%d pairs: %v, want %v", len(pairs), err, errTooFewPairs)
	}
}
