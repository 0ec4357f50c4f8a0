package gallery

import (
	"context"
	"testing"

	"github.com/pixmatch/pixmatch/shared/distort"
	"github.com/pixmatch/pixmatch/shared/match"
)

// TestSearchConfirmsPartialMatches: the hash tier matches a corner crop
// of a picture with the same shading as a target but another texture (as
// the quality harness's smooth crops met corners of other pictures); the
// feature tier, verifying the target's record, refutes it: no match, and
// a near neighbour scored below 0.5 when asked for. A corner crop of the
// target itself is still found.
func TestSearchConfirmsPartialMatches(t *testing.T) {
	ctx := context.Background()
	svc, _, g := open(t)
	smooth := func(img imageT) imageT { return distort.Blur(12)(img) }
	textured := func(seed uint64) func(imageT) imageT {
		return func(img imageT) imageT { return distort.Noise(25, seed)(smooth(img)) }
	}
	corner := distort.CropCorner(0.8, 1)
	tg, err := svc.Targets.Add(ctx, g.ID, Target{Name: "t", Active: true}, picture(t, "grass", textured(2)), AddOptions{})
	if err != nil {
		t.Fatal(err)
	}
	sh, err := svc.live(g.ID)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name  string
		edits []func(imageT) imageT
		found bool
	}{
		{"a corner of another texture", []func(imageT) imageT{textured(1), corner}, false},
		{"a corner of the target", []func(imageT) imageT{textured(2), corner}, true},
	} {
		pic := picture(t, "grass", c.edits...)
		q, err := queryOf(pic)
		if err != nil {
			t.Fatal(err)
		}
		hits, err := match.Search(ctx, sh.index, q.Print, match.Options{Limit: 1})
		if err != nil || len(hits) != 1 || !hits[0].Partial() {
			t.Fatalf("%s: the hash tier finds %+v (%v), want a match on part of the target", c.name, hits, err)
		}
		ms, err := svc.Recognition.Search(ctx, g.ID, given(pic), SearchOptions{Limit: 3})
		if err != nil {
			t.Fatal(err)
		}
		if got := len(ms) == 1 && ms[0].Target.ID == tg.ID && ms[0].Score >= 0.5; got != c.found {
			t.Errorf("%s: %+v, want found %v", c.name, ms, c.found)
		}
		near, err := svc.Recognition.Search(ctx, g.ID, given(pic), SearchOptions{Limit: 3, Near: true})
		if err != nil {
			t.Fatal(err)
		}
		if len(near) != 1 || near[0].Target.ID != tg.ID || (near[0].Score >= 0.5) != c.found || near[0].Distance != hits[0].Distance {
			t.Errorf("%s, near neighbours too: %+v", c.name, near)
		}
	}
}
