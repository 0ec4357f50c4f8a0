package gallery

import (
	"context"
	"math"
	"testing"

	"github.com/pixmatch/pixmatch/shared/distort"
	"github.com/pixmatch/pixmatch/shared/feature"
	"github.com/pixmatch/pixmatch/shared/testphoto"
)

// TestFeatureTierFindsPrint adds the test photos and searches with each
// printed, tilted 35°, on a photo no target shows: the feature tier finds
// it where the hash tier cannot, with its corners where the print is; and
// the answer survives a restart (the records come from the store).
func TestFeatureTierFindsPrint(t *testing.T) {
	ctx := context.Background()
	svc, st, g := open(t)
	names := testphoto.Names()[:6]
	ids := map[string]string{}
	for _, n := range names {
		tg, err := svc.Targets.Add(ctx, g.ID, Target{Name: n, Active: true}, picture(t, n), AddOptions{})
		if err != nil {
			t.Fatal(err)
		}
		ids[n] = tg.ID
	}
	search := func(svc *Service) {
		t.Helper()
		shoot, _ := distort.CameraCatalogue()[1].Locate(distort.Params{Seed: 3, Scene: distort.Mirror(testphoto.Image("grass"))})
		for _, n := range names {
			frame, corners := shoot(testphoto.Image(n))
			ms, err := svc.Recognition.Search(ctx, g.ID, given(picture(t, n, func(imageT) imageT { return frame })), SearchOptions{Limit: 3})
			if err != nil {
				t.Fatal(err)
			}
			if len(ms) == 0 || ms[0].Target.ID != ids[n] {
				t.Errorf("%s printed and tilted 35°: %+v", n, ms)
				continue
			}
			if ms[0].Score < 0.5 || ms[0].Distance != -1 || len(ms[0].Corners) != 4 {
				t.Errorf("%s: score %.2f, distance %d, corners %v: want a feature-tier match", n, ms[0].Score, ms[0].Distance, ms[0].Corners)
				continue
			}
			for k, c := range ms[0].Corners {
				if math.Hypot(c.X-corners[k].X, c.Y-corners[k].Y) > 20 { // 2.5 % of the frame's diagonal
					t.Errorf("%s: corner %d at %v, the print's at %v", n, k, c, corners[k])
				}
			}
		}
	}
	search(svc)
	again, err := Open(ctx, st, svc.cfg)
	if err != nil {
		t.Fatal(err)
	}
	search(again)
	// A deleted target is not found any more.
	if _, err := again.Targets.Delete(ctx, g.ID, ids[names[0]]); err != nil {
		t.Fatal(err)
	}
	shoot, _ := distort.CameraCatalogue()[1].Locate(distort.Params{Seed: 3, Scene: distort.Mirror(testphoto.Image("grass"))})
	frame, _ := shoot(testphoto.Image(names[0]))
	if ms, _ := again.Recognition.Search(ctx, g.ID, given(picture(t, names[0], func(imageT) imageT { return frame })), SearchOptions{Limit: 3}); len(ms) != 0 {
		t.Errorf("a deleted target was found: %+v", ms)
	}
}

// TestStaleFeatureRecordsMadeAnew stores a feature record of another
// version, as a database from an older pixmatch holds, and checks that
// Open makes the record anew from the stored picture.
func TestStaleFeatureRecordsMadeAnew(t *testing.T) {
	ctx := context.Background()
	svc, st, g := open(t)
	tg, err := svc.Targets.Add(ctx, g.ID, Target{Name: "coffee", Active: true}, picture(t, "coffee"), AddOptions{})
	if err != nil {
		t.Fatal(err)
	}
	stale := []byte{0xff, 0xff, 1, 0, 1, 0, 0, 0} // version 65535, no features
	if err := st.SetFeatures(ctx, g.ID, tg.ID, stale); err != nil {
		t.Fatal(err)
	}
	again, err := Open(ctx, st, svc.cfg)
	if err != nil {
		t.Fatal(err)
	}
	recs, err := st.TargetFeatures(ctx, g.ID, []string{tg.ID})
	if err != nil {
		t.Fatal(err)
	}
	var r feature.Record
	if err := r.UnmarshalBinary(recs[tg.ID]); err != nil || len(r.Features) == 0 {
		t.Fatalf("the stale record was not made anew: %v, %d features", err, len(r.Features))
	}
	shoot, _ := distort.CameraCatalogue()[0].Locate(distort.Params{Seed: 1, Scene: distort.Mirror(testphoto.Image("grass"))})
	frame, _ := shoot(testphoto.Image("coffee"))
	ms, err := again.Recognition.Search(ctx, g.ID, given(picture(t, "coffee", func(imageT) imageT { return frame })), SearchOptions{Limit: 1})
	if err != nil || len(ms) == 0 || ms[0].Target.ID != tg.ID || ms[0].Corners == nil {
		t.Fatalf("search after the record was made anew: %+v, %v", ms, err)
	}
}
