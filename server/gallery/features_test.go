package gallery

import (
	"bytes"
	"context"
	"math"
	"reflect"
	"slices"
	"testing"

	"github.com/pixmatch/pixmatch/server/store"
	"github.com/pixmatch/pixmatch/shared/camera"
	"github.com/pixmatch/pixmatch/shared/distort"
	"github.com/pixmatch/pixmatch/shared/feature"
	"github.com/pixmatch/pixmatch/shared/testphoto"
)

// TestFeatureTierFindsPrint adds the test photos and searches with each
// printed, tilted 35°, on a photo no target shows: the feature tier finds
// it where the hash tier cannot, with its corners where the print is; and
// the answer survives a restart (the records come from the store). The
// brick wall is left out: its grade calls it a poor target (a repeated
// pattern, at most 20 features found again in a hard view, the least a
// verification accepts), and at 35° it is verified or not by a few
// inliers either way.
func TestFeatureTierFindsPrint(t *testing.T) {
	ctx := context.Background()
	svc, st, g := open(t)
	names := slices.DeleteFunc(testphoto.Names(), func(n string) bool { return n == "brick" })[:6]
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
// version and a damaged one, as a database from an older pixmatch or a
// torn disk holds, and a target whose stored picture no longer decodes.
// Open serves at once with the hash tier for them; RemakeFeatures then
// makes the two records anew from the stored pictures and reports the
// third, which keeps the hash tier alone.
func TestStaleFeatureRecordsMadeAnew(t *testing.T) {
	ctx := context.Background()
	svc, st, g := open(t)
	var ids []string
	for _, n := range []string{"coffee", "rocket", "grass"} {
		tg, err := svc.Targets.Add(ctx, g.ID, Target{Name: n, Active: true}, picture(t, n), AddOptions{})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, tg.ID)
	}
	stale := []byte{0xff, 0xff, 1, 0, 1, 0, 0, 0} // version 65535, no features
	if err := st.SetFeatures(ctx, g.ID, ids[0], stale); err != nil {
		t.Fatal(err)
	}
	if err := st.SetFeatures(ctx, g.ID, ids[1], []byte{1, 2, 3}); err != nil {
		t.Fatal(err)
	}
	broken, err := st.Target(ctx, g.ID, ids[2], false)
	if err != nil {
		t.Fatal(err)
	}
	broken.Image = []byte("not a picture any more")
	if _, err := st.UpdateTarget(ctx, broken); err != nil {
		t.Fatal(err)
	}
	if err := st.SetFeatures(ctx, g.ID, ids[2], stale); err != nil {
		t.Fatal(err)
	}
	again, err := Open(ctx, st, svc.cfg)
	if err != nil {
		t.Fatal(err)
	}
	if n := again.Targets.Unfeatured(); n != 3 {
		t.Fatalf("Unfeatured %d after Open, want 3", n)
	}
	shoot, _ := distort.CameraCatalogue()[0].Locate(distort.Params{Seed: 1, Scene: distort.Mirror(testphoto.Image("grass"))})
	frame, _ := shoot(testphoto.Image("coffee"))
	camera := given(picture(t, "coffee", func(imageT) imageT { return frame }))
	if ms, err := again.Recognition.Search(ctx, g.ID, camera, SearchOptions{Limit: 1}); err != nil || len(ms) != 0 && ms[0].Corners != nil {
		t.Fatalf("a target without a record was located: %+v, %v", ms, err)
	}
	stopped, cancel := context.WithCancel(ctx)
	cancel()
	if made, err := again.Targets.RemakeFeatures(stopped, 0, nil); made != 0 || err == nil || again.Targets.Unfeatured() != 3 {
		t.Fatalf("RemakeFeatures after its context ended: made %d, %v, %d left", made, err, again.Targets.Unfeatured())
	}
	var skipped []string
	made, err := again.Targets.RemakeFeatures(ctx, 0, func(_ int64, id string, err error) { skipped = append(skipped, id) })
	if err != nil || made != 2 || len(skipped) != 1 || skipped[0] != ids[2] {
		t.Fatalf("RemakeFeatures made %d, skipped %v, %v; want 2 made and %s skipped", made, skipped, err, ids[2])
	}
	if n := again.Targets.Unfeatured(); n != 0 {
		t.Errorf("Unfeatured %d after RemakeFeatures", n)
	}
	recs, err := st.TargetFeatures(ctx, g.ID, ids[:2])
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range ids[:2] {
		var r feature.Record
		if err := r.UnmarshalBinary(recs[id]); err != nil || len(r.Features) == 0 {
			t.Fatalf("%s: the record was not made anew: %v, %d features", id, err, len(r.Features))
		}
	}
	ms, err := again.Recognition.Search(ctx, g.ID, camera, SearchOptions{Limit: 1})
	if err != nil || len(ms) == 0 || ms[0].Target.ID != ids[0] || ms[0].Corners == nil {
		t.Fatalf("search after the record was made anew: %+v, %v", ms, err)
	}
}

// TestEarlierEnrolmentMadeAnew stores a target's record as a pixmatch
// from before enrolments synthesised views made it — its own features
// alone, unmarked. Open puts it into the feature tier at once (a frame
// of the print is found and located) and leaves it for RemakeFeatures,
// which stores the enrolment's record with the views' features (and
// their cells, as the add stored them).
func TestEarlierEnrolmentMadeAnew(t *testing.T) {
	ctx := context.Background()
	svc, st, g := open(t)
	tg, err := svc.Targets.Add(ctx, g.ID, Target{Name: "coffee", Active: true}, picture(t, "coffee"), AddOptions{})
	if err != nil {
		t.Fatal(err)
	}
	stored := func() feature.Record {
		t.Helper()
		recs, err := st.TargetFeatures(ctx, g.ID, []string{tg.ID})
		if err != nil {
			t.Fatal(err)
		}
		var r feature.Record
		if err := r.UnmarshalBinary(recs[tg.ID]); err != nil {
			t.Fatal(err)
		}
		return r
	}
	now := stored()
	keepsCells(t, now)
	earlier := earlierRecord(t, "coffee")
	if now.Enrolment != feature.EnrolmentVersion || len(now.Features) <= len(earlier.Features) {
		t.Fatalf("an added target's record: enrolment %d, %d features (its own %d)", now.Enrolment, len(now.Features), len(earlier.Features))
	}
	again := reopenWith(t, svc, st, g.ID, tg.ID, earlier)
	if ms, err := again.Recognition.Search(ctx, g.ID, cameraFrame(t, "coffee"), SearchOptions{Limit: 1}); err != nil || len(ms) == 0 || ms[0].Corners == nil {
		t.Fatalf("the earlier record is not searched: %+v, %v", ms, err)
	}
	if made, err := again.Targets.RemakeFeatures(ctx, 0, nil); made != 1 || err != nil {
		t.Fatalf("RemakeFeatures made %d, %v", made, err)
	}
	if r := stored(); r.Enrolment != feature.EnrolmentVersion || !reflect.DeepEqual(r, now) {
		t.Errorf("the record made anew: enrolment %d, %d features, %d cells; want %d of each as enrolled", r.Enrolment, len(r.Features), len(r.Cells), len(now.Features))
	}
}

// keepsCells fails the test unless r keeps its features' cells in the
// shipped vocabulary's nodes, as a verification through it sorts them
// (camera.Guide).
func keepsCells(t *testing.T, r feature.Record) {
	t.Helper()
	v, err := camera.Vocabulary()
	if err != nil {
		t.Fatal(err)
	}
	want := r
	camera.Guide(v, &want)
	if r.Guide == 0 || r.Guide != want.Guide || !reflect.DeepEqual(r.Cells, want.Cells) {
		t.Errorf("the record keeps %d cells named %x; want the %d of the vocabulary's nodes (%x)", len(r.Cells), r.Guide, len(want.Cells), want.Guide)
	}
}

// TestRemakeTakesRecordMadeElsewhere: a target waiting for its record of
// the current enrolment, whose record another server of the database has
// made meanwhile, takes the stored record instead of making it again —
// shown by storing the record of another picture (rocket): after
// RemakeFeatures nothing was made, the stored record is left as it was,
// and a camera frame of the rocket finds the target.
func TestRemakeTakesRecordMadeElsewhere(t *testing.T) {
	ctx := context.Background()
	svc, st, g := open(t)
	tg, err := svc.Targets.Add(ctx, g.ID, Target{Name: "coffee", Active: true}, picture(t, "coffee"), AddOptions{})
	if err != nil {
		t.Fatal(err)
	}
	again := reopenWith(t, svc, st, g.ID, tg.ID, earlierRecord(t, "coffee"))
	// Another server's record: the rocket's, enrolled in a gallery of its own.
	other, ost, og := open(t)
	rocket, err := other.Targets.Add(ctx, og.ID, Target{Name: "rocket", Active: true}, picture(t, "rocket"), AddOptions{})
	if err != nil {
		t.Fatal(err)
	}
	recs, err := ost.TargetFeatures(ctx, og.ID, []string{rocket.ID})
	if err != nil {
		t.Fatal(err)
	}
	if err := st.SetFeatures(ctx, g.ID, tg.ID, recs[rocket.ID]); err != nil {
		t.Fatal(err)
	}
	if made, err := again.Targets.RemakeFeatures(ctx, 0, nil); made != 0 || err != nil {
		t.Fatalf("RemakeFeatures made %d, %v; want the stored record taken", made, err)
	}
	if n := again.Targets.Unfeatured(); n != 0 {
		t.Fatalf("Unfeatured %d after RemakeFeatures", n)
	}
	if now, err := st.TargetFeatures(ctx, g.ID, []string{tg.ID}); err != nil || !bytes.Equal(now[tg.ID], recs[rocket.ID]) {
		t.Fatalf("the stored record was changed (%v)", err)
	}
	if ms, err := again.Recognition.Search(ctx, g.ID, cameraFrame(t, "rocket"), SearchOptions{Limit: 1}); err != nil || len(ms) == 0 || ms[0].Target.ID != tg.ID || ms[0].Corners == nil {
		t.Fatalf("a frame of the taken record's picture: %+v, %v", ms, err)
	}
}

// earlierRecord is the record a test photo had before enrolment
// synthesised views: its own features, no enrolment byte.
func earlierRecord(t *testing.T, name string) feature.Record {
	plane := feature.Plane(testphoto.Image(name), feature.TargetOptions)
	return feature.Record{Width: plane.Rect.Dx(), Height: plane.Rect.Dy(), Features: feature.Extract(plane, feature.TargetOptions)}
}

// reopenWith stores r as the record of target id and opens the store
// again, which finds the target waiting for RemakeFeatures.
func reopenWith(t *testing.T, svc *Service, st store.Store, gallery int64, id string, r feature.Record) *Service {
	t.Helper()
	ctx := context.Background()
	b, err := r.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	if err := st.SetFeatures(ctx, gallery, id, b); err != nil {
		t.Fatal(err)
	}
	again, err := Open(ctx, st, svc.cfg)
	if err != nil {
		t.Fatal(err)
	}
	if n := again.Targets.Unfeatured(); n != 1 {
		t.Fatalf("Unfeatured %d after Open, want 1", n)
	}
	return again
}

// cameraFrame is the first camera recipe's frame of a test photo, on grass.
func cameraFrame(t *testing.T, name string) func(context.Context) (*Picture, error) {
	shoot, _ := distort.CameraCatalogue()[0].Locate(distort.Params{Seed: 1, Scene: distort.Mirror(testphoto.Image("grass"))})
	frame, _ := shoot(testphoto.Image(name))
	return given(picture(t, name, func(imageT) imageT { return frame }))
}

// TestRemadeRecordsReachFollowers remakes the stale records of an active
// and an inactive target. In a gallery whose followers copy records
// (synced at least its active targets) the active target's new record is
// a change the next delta carries, and the service's version is the
// store's; in a larger gallery (synced below it) no version changes.
func TestRemadeRecordsReachFollowers(t *testing.T) {
	ctx := context.Background()
	for _, synced := range []int{0, 1} {
		svc, st, g := open(t)
		var ids []string
		for i, n := range []string{"coffee", "rocket"} {
			tg, err := svc.Targets.Add(ctx, g.ID, Target{Name: n, Active: i == 0}, picture(t, n), AddOptions{})
			if err != nil {
				t.Fatal(err)
			}
			ids = append(ids, tg.ID)
		}
		for _, id := range ids {
			if err := st.SetFeatures(ctx, g.ID, id, []byte{0xff, 0xff, 1, 0, 1, 0, 0, 0}); err != nil {
				t.Fatal(err)
			}
		}
		again, err := Open(ctx, st, svc.cfg)
		if err != nil {
			t.Fatal(err)
		}
		before, _ := again.Galleries.ByID(g.ID)
		if made, err := again.Targets.RemakeFeatures(ctx, synced, nil); made != 2 || err != nil {
			t.Fatalf("synced %d: RemakeFeatures made %d, %v; want 2", synced, made, err)
		}
		after, _ := again.Galleries.ByID(g.ID)
		stored, err := st.Gallery(ctx, g.ID)
		if err != nil {
			t.Fatal(err)
		}
		d, err := again.Sync.Changed(ctx, g.ID, before.Version, 100)
		if err != nil {
			t.Fatal(err)
		}
		var put []string
		for _, c := range d.Put {
			put = append(put, c.Target.ID)
		}
		want := map[int]int{0: 0, 1: 1}[synced]
		if len(put) != want || want == 1 && put[0] != ids[0] || after.Version != stored.Version || after.Version != before.Version+int64(want) {
			t.Errorf("synced %d: the delta puts %v (want %d: %s), version %d → %d, stored %d",
				synced, put, want, ids[0], before.Version, after.Version, stored.Version)
		}
	}
}

// TestCopyNeedsNoFeatureTier: a copy of a target, which the hash tier
// matches, is answered without the feature tier (no corners, no features
// extracted), unless the search asks to locate it; a search for more
// matches than the hash tier has still runs the feature tier.
func TestCopyNeedsNoFeatureTier(t *testing.T) {
	ctx := context.Background()
	svc, _, g := open(t)
	tg, err := svc.Targets.Add(ctx, g.ID, Target{Name: "coffee", Active: true}, picture(t, "coffee"), AddOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		o       SearchOptions
		located bool
	}{
		{SearchOptions{Limit: 1}, false},
		{SearchOptions{Limit: 1, Locate: true}, true},
		{SearchOptions{Limit: 2}, true},
	} {
		pic := picture(t, "coffee")
		ms, err := svc.Recognition.Search(ctx, g.ID, given(pic), tc.o)
		if err != nil || len(ms) != 1 || ms[0].Target.ID != tg.ID || ms[0].Distance < 0 {
			t.Fatalf("%+v: %+v, %v; want the coffee by the hash tier", tc.o, ms, err)
		}
		if got := ms[0].Corners != nil; got != tc.located {
			t.Errorf("%+v: corners %v, want located %v", tc.o, ms[0].Corners, tc.located)
		}
	}
}
