package sync_test

import (
	"bytes"
	"context"
	"image"
	"image/png"
	"math"
	"reflect"
	"strconv"
	"testing"

	"github.com/pixmatch/pixmatch/server/gallery"
	"github.com/pixmatch/pixmatch/server/internal/testserver"
	"github.com/pixmatch/pixmatch/shared/camera"
	"github.com/pixmatch/pixmatch/shared/distort"
	"github.com/pixmatch/pixmatch/shared/feature"
	"github.com/pixmatch/pixmatch/shared/fingerprint"
	"github.com/pixmatch/pixmatch/shared/syncwire"
	"github.com/pixmatch/pixmatch/shared/testphoto"

	pmsync "github.com/pixmatch/pixmatch/server/api/sync"
)

// newFollower returns a follower of s's gallery holding nothing.
func newFollower(t *testing.T, s *testserver.Server) *follower {
	return &follower{t: t, s: s, token: token(t, s, `"READ"`), state: syncwire.NewState(int(fingerprint.Windows))}
}

// wantRecords fails t unless the follower holds, for each target of
// tgs and only for those, the synced cut of the record the server stores.
func (f *follower) wantRecords(tgs ...gallery.Target) {
	f.t.Helper()
	ids := make([]string, len(tgs))
	for i, tg := range tgs {
		ids[i] = tg.ID
	}
	stored, err := f.s.Service.Sync.Records(context.Background(), f.s.Gallery.ID, ids)
	if err != nil {
		f.t.Fatal(err)
	}
	want := map[string]feature.Record{}
	for _, tg := range tgs {
		r, ok := stored[tg.ID]
		if !ok {
			f.t.Fatalf("the server has no record of %s", tg.Name)
		}
		want[strconv.FormatInt(tg.Seq, 10)] = pmsync.Synced(r, pmsync.FeaturesPerTarget)
	}
	if got := f.state.Records(); !reflect.DeepEqual(got, want) {
		f.t.Fatalf("the follower holds records of %d targets, want %d: %v", len(got), len(want), ids)
	}
	if f.state.FeatureVersion() != int(feature.Version) {
		f.t.Fatalf("FeatureVersion() = %d, want %d", f.state.FeatureVersion(), feature.Version)
	}
}

// shot returns a camera frame of a print of photo tilted 35° on grass,
// and where the print's corners are in it.
func shot(photo string) (image.Image, distort.Quad) {
	take, _ := distort.CameraCatalogue()[1].Locate(distort.Params{Seed: 5, Scene: distort.Mirror(testphoto.Image("grass"))})
	return take(testphoto.Image(photo))
}

// locates verifies a camera shot of photo against the follower's records
// as the browser does, and returns the Seq of the best target found (0
// for none) and how far, in frame pixels, its corners are from the
// print's.
func (f *follower) locates(photo string) (uint64, float64) {
	f.t.Helper()
	frame, truth := shot(photo)
	plane := feature.Plane(frame, feature.QueryOptions)
	q := feature.Extract(plane, feature.QueryOptions)
	recs := f.state.Records()
	ids := make([]string, 0, len(recs))
	for id := range recs {
		ids = append(ids, id)
	}
	found, err := camera.Verify(context.Background(), q, plane.Rect.Dx(), plane.Rect.Dy(), ids, recs, feature.DefaultVerifyOptions)
	if err != nil {
		f.t.Fatal(err)
	}
	if len(found) == 0 {
		return 0, math.Inf(1)
	}
	scale := float64(frame.Bounds().Dx()) / float64(plane.Rect.Dx())
	off := 0.0
	for k, c := range found[0].Verdict.Corners {
		off = max(off, math.Hypot(c.X*scale-truth[k].X, c.Y*scale-truth[k].Y))
	}
	seq, _ := strconv.ParseUint(found[0].ID, 10, 64)
	return seq, off
}

// TestFollowFeatureRecords follows a small gallery: its active targets
// come with their synced feature records, which find a print in a camera
// shot and say where it is; a new picture brings its new record, a
// deactivation or a deletion takes the record away.
func TestFollowFeatureRecords(t *testing.T) {
	s := testserver.New(t)
	coffee, rocket, chelsea := add(t, s, "coffee", "coffee"), add(t, s, "rocket", "rocket"), add(t, s, "chelsea", "chelsea")
	off := false
	if _, err := s.Service.Targets.Update(context.Background(), s.Gallery.ID, rocket.ID, gallery.Patch{Active: &off}); err != nil {
		t.Fatal(err)
	}
	f := newFollower(t, s)
	if code, kind := f.sync(); code != 200 || kind != syncwire.Snapshot {
		t.Fatalf("first sync: HTTP %d, kind %v", code, kind)
	}
	f.wantRecords(coffee, chelsea)
	if seq, px := f.locates("coffee"); seq != uint64(coffee.Seq) || px > 20 {
		t.Fatalf("a camera shot of coffee: found seq %d, corners %.1f px off; want seq %d within 20 px", seq, px, coffee.Seq)
	}
	before := f.state.Records()[strconv.FormatInt(coffee.Seq, 10)]

	// Coffee gets the astronaut's picture, rocket is activated, chelsea
	// deleted.
	pic, err := s.Service.Pictures.Read(context.Background(), testphoto.File("astronaut"), gallery.Policy{})
	if err != nil {
		t.Fatal(err)
	}
	if coffee, err = s.Service.Targets.Update(context.Background(), s.Gallery.ID, coffee.ID, gallery.Patch{Picture: pic}); err != nil {
		t.Fatal(err)
	}
	on := true
	if rocket, err = s.Service.Targets.Update(context.Background(), s.Gallery.ID, rocket.ID, gallery.Patch{Active: &on}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Service.Targets.Delete(context.Background(), s.Gallery.ID, chelsea.ID); err != nil {
		t.Fatal(err)
	}
	if code, kind := f.sync(); code != 200 || kind != syncwire.Delta || f.gaps != 0 {
		t.Fatalf("sync after the changes: HTTP %d, kind %v, %d gaps; want a delta", code, kind, f.gaps)
	}
	f.wantRecords(coffee, rocket)
	if reflect.DeepEqual(f.state.Records()[strconv.FormatInt(coffee.Seq, 10)], before) {
		t.Fatal("coffee's record did not change with its picture")
	}
	if seq, px := f.locates("astronaut"); seq != uint64(coffee.Seq) || px > 20 {
		t.Fatalf("a camera shot of the astronaut: found seq %d, corners %.1f px off; want seq %d (coffee, with its new picture) within 20 px", seq, px, coffee.Seq)
	}
	if seq, _ := f.locates("chelsea"); seq != 0 {
		t.Fatalf("a camera shot of the deleted chelsea found seq %d", seq)
	}

	// A follower that starts over holds the same.
	fresh := newFollower(t, s)
	fresh.sync()
	sameState(t, fresh.state, f.state)
}

// sameState fails t unless two copies hold the same.
func sameState(t *testing.T, got, want *syncwire.State) {
	t.Helper()
	g, w := got.Snapshot(), want.Snapshot()
	if !reflect.DeepEqual(g, w) {
		t.Fatalf("the copies differ: %d records at version %d, %d at version %d", len(g.Records), g.To, len(w.Records), w.To)
	}
}

// tiny returns a small PNG of part of a test photo, quick to enrol.
func tiny(t *testing.T, i int) []byte {
	t.Helper()
	img := testphoto.Image("coins")
	b := img.Bounds()
	x, y := (i*7)%(b.Dx()-64), (i*13)%(b.Dy()-48)
	var buf bytes.Buffer
	if err := png.Encode(&buf, img.(interface {
		SubImage(image.Rectangle) image.Image
	}).SubImage(image.Rect(x, y, x+64, y+48))); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// addTiny adds n small targets, named tiny-first… on.
func addTiny(t *testing.T, s *testserver.Server, first, n int) {
	t.Helper()
	for i := first; i < first+n; i++ {
		pic, err := s.Service.Pictures.Read(context.Background(), tiny(t, i), gallery.Policy{})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.Service.Targets.Add(context.Background(), s.Gallery.ID, gallery.Target{Name: "tiny-" + strconv.Itoa(i), Active: true}, pic, gallery.AddOptions{}); err != nil {
			t.Fatal(err)
		}
	}
}

// TestFeatureRecordsOnlyForSmallGalleries grows a gallery of
// FeatureTargets active targets by one: its followers then get codes
// only, and those that held records fetch a snapshot without them;
// brought back to FeatureTargets by a deactivation, they get records
// again.
func TestFeatureRecordsOnlyForSmallGalleries(t *testing.T) {
	s := testserver.New(t)
	coffee := add(t, s, "coffee", "coffee")
	addTiny(t, s, 0, pmsync.FeatureTargets-1)
	f := newFollower(t, s)
	f.sync()
	if f.state.FeatureVersion() != int(feature.Version) || f.state.Records()[strconv.FormatInt(coffee.Seq, 10)].Features == nil {
		t.Fatalf("with %d active targets the follower holds %d records of version %d; want records, coffee's among them",
			pmsync.FeatureTargets, f.state.RecordLen(), f.state.FeatureVersion())
	}

	addTiny(t, s, pmsync.FeatureTargets, 1)
	if code, kind := f.sync(); code != 200 || kind != syncwire.Snapshot || f.gaps != 1 {
		t.Fatalf("past %d active targets: HTTP %d, kind %v, %d gaps; want a snapshot after a gap", pmsync.FeatureTargets, code, kind, f.gaps)
	}
	if f.state.FeatureVersion() != 0 || f.state.RecordLen() != 0 || f.state.Len() != pmsync.FeatureTargets+1 {
		t.Fatalf("past %d active targets the follower holds %d targets, %d records of version %d; want %d targets, no records",
			pmsync.FeatureTargets, f.state.Len(), f.state.RecordLen(), f.state.FeatureVersion(), pmsync.FeatureTargets+1)
	}
	fresh := newFollower(t, s)
	fresh.sync()
	sameState(t, fresh.state, f.state)

	off := false
	if _, err := s.Service.Targets.Update(context.Background(), s.Gallery.ID, coffee.ID, gallery.Patch{Active: &off}); err != nil {
		t.Fatal(err)
	}
	if code, kind := f.sync(); code != 200 || kind != syncwire.Snapshot || f.gaps != 2 {
		t.Fatalf("back to %d active targets: HTTP %d, kind %v, %d gaps; want a snapshot after a gap", pmsync.FeatureTargets, code, kind, f.gaps)
	}
	if f.state.FeatureVersion() != int(feature.Version) || f.state.RecordLen() == 0 || f.state.Records()[strconv.FormatInt(coffee.Seq, 10)].Features != nil {
		t.Fatalf("back to %d active targets the follower holds %d records of version %d; want records of the active targets only",
			pmsync.FeatureTargets, f.state.RecordLen(), f.state.FeatureVersion())
	}
}
