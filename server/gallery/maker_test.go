package gallery

import (
	"bytes"
	"context"
	"testing"
	"time"

	"github.com/pixmatch/pixmatch/server/config"
	"github.com/pixmatch/pixmatch/server/store"
	"github.com/pixmatch/pixmatch/server/store/sqlite"
	"github.com/pixmatch/pixmatch/shared/distort"
	"github.com/pixmatch/pixmatch/shared/quality"
	"github.com/pixmatch/pixmatch/shared/testphoto"
)

// openMaker opens a service WithRecordMaker on a new SQLite database,
// with a gallery, its maker held off (as by requests keeping every core
// busy) until the test calls release. The service is closed when the
// test ends.
func openMaker(t *testing.T) (svc *Service, st *sqlite.Store, g store.Gallery, release func()) {
	t.Helper()
	svc, st, g = openWith(t, WithRecordMaker(nil))
	t.Cleanup(func() { svc.Close(context.Background()) })
	unhurried(svc)
	svc.cfg.Search.Timeout = time.Minute // records made under the race detector
	const held = 1 << 20
	svc.maker.busy.Add(held)
	return svc, st, g, func() { svc.maker.busy.Add(-held) }
}

// tilted is a camera frame of a test photo printed and tilted 35° on
// grass: the hash tier does not find it, the feature tier does.
func tilted(t *testing.T, name string) func(context.Context) (*Picture, error) {
	shoot, _ := distort.CameraCatalogue()[1].Locate(distort.Params{Seed: 3, Scene: distort.Mirror(testphoto.Image("grass"))})
	frame, _ := shoot(testphoto.Image(name))
	return given(picture(t, name, func(imageT) imageT { return frame }))
}

// waitMade waits until the service has no record left to make.
func waitMade(t *testing.T, svc *Service) {
	t.Helper()
	for deadline := time.Now().Add(30 * time.Second); svc.Targets.Unfeatured() > 0; time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("%d records still to make after 30 s", svc.Targets.Unfeatured())
		}
	}
}

// TestCameraFrameFindsTargetJustAdded adds two targets through a service
// whose maker is held off, so that their records wait: the answers carry
// no grade, the feature tier holds neither, and a search for a copy (the
// hash tier) finds its target without making any record. A camera frame
// of the first, searched at once, is found by the feature tier all the
// same: the search makes the records of the adds acknowledged before it.
func TestCameraFrameFindsTargetJustAdded(t *testing.T) {
	ctx := context.Background()
	svc, _, g, _ := openMaker(t)
	var ids []string
	for _, n := range []string{"coffee", "rocket"} {
		tg, err := svc.Targets.Add(ctx, g.ID, Target{Name: n, Active: true}, picture(t, n), AddOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if tg.Grade != nil {
			t.Errorf("%s: graded %+v before its record was made", n, *tg.Grade)
		}
		ids = append(ids, tg.ID)
	}
	sh, _ := svc.shelf(g.ID)
	if n := svc.Targets.Unfeatured(); n != 2 || has(sh.tier, ids[0]) {
		t.Fatalf("before any search: %d records to make, in the tier %v; want 2, false", n, has(sh.tier, ids[0]))
	}
	ms, err := svc.Recognition.Search(ctx, g.ID, given(picture(t, "coffee")), SearchOptions{Limit: 1})
	if err != nil || len(ms) != 1 || ms[0].Target.ID != ids[0] || svc.Targets.Unfeatured() != 2 {
		t.Fatalf("a copy: %+v, %v, %d records to make; want the target by the hash tier alone", ms, err, svc.Targets.Unfeatured())
	}
	ms, err = svc.Recognition.Search(ctx, g.ID, tilted(t, "coffee"), SearchOptions{Limit: 1})
	if err != nil || len(ms) != 1 || ms[0].Target.ID != ids[0] || ms[0].Distance != -1 || len(ms[0].Corners) != 4 {
		t.Fatalf("a camera frame right after the add: %+v, %v; want the target, located by the feature tier", ms, err)
	}
	if n := svc.Targets.Unfeatured(); n != 0 {
		t.Errorf("%d records to make after the camera search, want 0", n)
	}
	for _, id := range ids {
		if tg, err := svc.Targets.Get(ctx, g.ID, id, false); err != nil || tg.Grade == nil {
			t.Errorf("%s after its record was made: grade %v, %v", id, tg.Grade, err)
		}
	}
}

// TestRecordMadeAfterAdd adds a picture through a service with a record
// maker and through one without: the maker reads the picture to add with
// similar pictures allowed (Policy.Added) for its fingerprint alone, and
// waits while it is held off; once let go it stores the same record and
// the same grade as the add that made them itself, as a change of the
// target.
func TestRecordMadeAfterAdd(t *testing.T) {
	ctx := context.Background()
	svc, st, g, release := openMaker(t)
	pic, err := svc.Pictures.Read(ctx, testphoto.File("coffee"), Policy{Added: true})
	if err != nil || pic.feat != nil || pic.grade != (quality.Sample{}) {
		t.Fatalf("read to be added: %v; feature plane %v, grade sample %v, want neither", err, pic.feat != nil, pic.grade != (quality.Sample{}))
	}
	tg, err := svc.Targets.Add(ctx, g.ID, Target{Name: "coffee", Active: true}, pic, AddOptions{})
	if err != nil {
		t.Fatal(err)
	}
	time.Sleep(100 * time.Millisecond)
	if n := svc.Targets.Unfeatured(); n != 1 {
		t.Fatalf("the maker made a record while every core was busy: %d to make", n)
	}
	before, _ := st.Gallery(ctx, g.ID)
	release()
	waitMade(t, svc)
	after, _ := st.Gallery(ctx, g.ID)
	if after.Version != before.Version+1 {
		t.Errorf("the record moved the gallery's version %d -> %d, want one change", before.Version, after.Version)
	}

	now, nst, ng := open(t)
	want, err := now.Targets.Add(ctx, ng.ID, Target{Name: "coffee", Active: true}, picture(t, "coffee"), AddOptions{})
	if err != nil {
		t.Fatal(err)
	}
	got, err := svc.Targets.Get(ctx, g.ID, tg.ID, false)
	if err != nil || got.Grade == nil || *got.Grade != *want.Grade {
		t.Errorf("grade made later %+v (%v), made at the add %+v", got.Grade, err, want.Grade)
	}
	if a, b := records(t, st, g.ID, tg.ID), records(t, nst, ng.ID, want.ID); !bytes.Equal(a, b) {
		t.Errorf("the record made later (%d bytes) is not the one made at the add (%d bytes)", len(a), len(b))
	}
}

// records reads a target's stored feature record.
func records(t *testing.T, st store.Store, gallery int64, id string) []byte {
	t.Helper()
	rs, err := st.TargetFeatures(context.Background(), gallery, []string{id})
	if err != nil {
		t.Fatal(err)
	}
	return rs[id]
}

// TestPendingRecordSurvivesRestart stops a service whose maker was held
// off with a record to make: the next start finds the target waiting
// (the empty record stored with it says so), and RemakeFeatures makes
// its record and its grade.
func TestPendingRecordSurvivesRestart(t *testing.T) {
	ctx := context.Background()
	svc, st, g, _ := openMaker(t)
	tg, err := svc.Targets.Add(ctx, g.ID, Target{Name: "rocket", Active: true}, picture(t, "rocket"), AddOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if err := svc.Close(ctx); err != nil {
		t.Fatal(err)
	}
	again, err := Open(ctx, st, config.Default())
	if err != nil {
		t.Fatal(err)
	}
	if n := again.Targets.Unfeatured(); n != 1 {
		t.Fatalf("after a restart %d records to make, want 1", n)
	}
	if made, err := again.Targets.RemakeFeatures(ctx, 0, nil); made != 1 || err != nil {
		t.Fatalf("RemakeFeatures made %d, %v", made, err)
	}
	got, err := again.Targets.Get(ctx, g.ID, tg.ID, false)
	if err != nil || got.Grade == nil || len(records(t, st, g.ID, tg.ID)) == 0 {
		t.Fatalf("after RemakeFeatures: grade %v, %v", got.Grade, err)
	}
	ms, err := again.Recognition.Search(ctx, g.ID, tilted(t, "rocket"), SearchOptions{Limit: 1})
	if err != nil || len(ms) != 1 || ms[0].Target.ID != tg.ID || ms[0].Corners == nil {
		t.Fatalf("a camera frame after the restart: %+v, %v", ms, err)
	}
}

// TestReplacedPictureGetsItsOwnRecord replaces a target's picture while
// its first picture's record waits, and replaces the picture of a target
// whose record was made: each ends with its latest picture's record and
// grade, and the feature tier finds neither by its old picture.
func TestReplacedPictureGetsItsOwnRecord(t *testing.T) {
	ctx := context.Background()
	svc, st, g, release := openMaker(t)
	a, err := svc.Targets.Add(ctx, g.ID, Target{Name: "a", Active: true}, picture(t, "coffee"), AddOptions{})
	if err != nil {
		t.Fatal(err)
	}
	b, err := svc.Targets.Add(ctx, g.ID, Target{Name: "b", Active: true}, picture(t, "grass"), AddOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Recognition.Search(ctx, g.ID, tilted(t, "grass"), SearchOptions{Limit: 1}); err != nil {
		t.Fatal(err) // makes both records
	}
	for _, u := range []struct{ id, to string }{{a.ID, "rocket"}, {b.ID, "chelsea"}} {
		if _, err := svc.Targets.Update(ctx, g.ID, u.id, Patch{Picture: picture(t, u.to)}); err != nil {
			t.Fatal(err)
		}
	}
	if n := svc.Targets.Unfeatured(); n != 2 {
		t.Fatalf("%d records to make after two pictures replaced, want 2", n)
	}
	if got := records(t, st, g.ID, b.ID); len(got) != 0 {
		t.Fatalf("the replaced picture's record (%d bytes) is still stored", len(got))
	}
	release()
	waitMade(t, svc)
	now, nst, ng := open(t)
	for _, u := range []struct{ id, to string }{{a.ID, "rocket"}, {b.ID, "chelsea"}} {
		want, err := now.Targets.Add(ctx, ng.ID, Target{Name: u.to, Active: true}, picture(t, u.to), AddOptions{})
		if err != nil {
			t.Fatal(err)
		}
		got, _ := svc.Targets.Get(ctx, g.ID, u.id, false)
		if got.Grade == nil || *got.Grade != *want.Grade || !bytes.Equal(records(t, st, g.ID, u.id), records(t, nst, ng.ID, want.ID)) {
			t.Errorf("%s: not the record and grade of its picture %s", u.id, u.to)
		}
	}
	for _, old := range []string{"coffee", "grass"} {
		ms, err := svc.Recognition.Search(ctx, g.ID, tilted(t, old), SearchOptions{Limit: 1})
		if err != nil || len(ms) != 0 && ms[0].Corners != nil {
			t.Errorf("a camera frame of the replaced %s: %+v, %v", old, ms, err)
		}
	}
}
