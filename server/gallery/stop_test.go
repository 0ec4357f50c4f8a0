package gallery

import (
	"context"
	"image"
	"image/color"
	"image/draw"
	"slices"
	"testing"

	"github.com/pixmatch/pixmatch/shared/camera"
	"github.com/pixmatch/pixmatch/shared/distort"
	"github.com/pixmatch/pixmatch/shared/testphoto"
)

// TestSearchStopsAtItsLength shows two prints side by side in one frame,
// which the hash tier does not match: the grass photo, and the flower
// photo at 70 % of its size, which the shortlist names first though the
// grass verifies with more inliers. A search of two targets finds both
// (the feature tier did not stop at the first); a search listing near
// neighbours (the Alibaba API's) verifies the whole shortlist and ranks
// the grass first; a search of one finds the flower, the first of the
// two in the shortlist — it stopped there (camera.VerifyFirst) — where
// verifying the whole shortlist would have answered the grass.
func TestSearchStopsAtItsLength(t *testing.T) {
	ctx := context.Background()
	svc, _, g := open(t)
	names := []string{"grass", "flower", "chelsea", "coffee", "rocket"}
	ids := map[string]string{}
	for _, n := range names {
		tg, err := svc.Targets.Add(ctx, g.ID, Target{Name: n, Active: true}, picture(t, n), AddOptions{})
		if err != nil {
			t.Fatal(err)
		}
		ids[tg.ID] = n
	}
	a, b := testphoto.Image("grass"), distort.Scale(0.7)(testphoto.Image("flower"))
	frame := image.NewRGBA(image.Rect(0, 0, a.Bounds().Dx()+b.Bounds().Dx()+60, max(a.Bounds().Dy(), b.Bounds().Dy())+40))
	draw.Draw(frame, frame.Bounds(), image.NewUniform(color.Gray{Y: 120}), image.Point{}, draw.Src)
	draw.Draw(frame, a.Bounds().Add(image.Pt(20, 20)), a, a.Bounds().Min, draw.Src)
	draw.Draw(frame, b.Bounds().Add(image.Pt(40+a.Bounds().Dx(), 20)), b, b.Bounds().Min, draw.Src)
	pic := picture(t, names[0], func(imageT) imageT { return frame })

	// found returns the names of the targets found, best first.
	found := func(o SearchOptions) []string {
		t.Helper()
		ms, err := svc.Recognition.Search(ctx, g.ID, given(pic), o)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, m := range ms {
			if m.Score >= 0.5 && m.Distance != -1 {
				t.Fatalf("the hash tier matched %s: the frame does not test the feature tier", ids[m.Target.ID])
			}
			if m.Score >= 0.5 {
				out = append(out, ids[m.Target.ID])
			}
		}
		return out
	}
	q, err := queryOf(pic)
	if err != nil {
		t.Fatal(err)
	}
	sh, err := svc.live(g.ID)
	if err != nil {
		t.Fatal(err)
	}
	var order []string
	for _, h := range sh.tier.Shortlist(q.features(), camera.Shortlist) {
		if n := ids[h.ID]; n == "grass" || n == "flower" {
			order = append(order, n)
		}
	}
	if !slices.Equal(order, []string{"flower", "grass"}) {
		t.Fatalf("the shortlist names %v in that order: the frame no longer tests the stop", order)
	}
	if got := found(SearchOptions{Limit: 5, Near: true}); !slices.Equal(got, []string{"grass", "flower"}) {
		t.Fatalf("a search listing near neighbours found %v, want grass then flower", got)
	}
	if got := found(SearchOptions{Limit: 2}); !slices.Equal(got, []string{"grass", "flower"}) {
		t.Fatalf("a search of two found %v, want grass then flower", got)
	}
	if got := found(SearchOptions{Limit: 1}); !slices.Equal(got, []string{"flower"}) {
		t.Fatalf("a search of one found %v, want flower, the first of the two in the shortlist", got)
	}
}
