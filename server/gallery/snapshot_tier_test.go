package gallery

import (
	"bytes"
	"context"
	"encoding/binary"
	"hash/crc32"
	"maps"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/pixmatch/pixmatch/shared/camera"
	"github.com/pixmatch/pixmatch/shared/distort"
	"github.com/pixmatch/pixmatch/shared/feature"
	"github.com/pixmatch/pixmatch/shared/testphoto"
)

// photoRecords are the feature records of the test photos as targets,
// by name, made once for every test that needs them.
var photoRecords = sync.OnceValue(func() map[string]feature.Record {
	out := map[string]feature.Record{}
	for _, n := range testphoto.Names() {
		plane := feature.Plane(testphoto.Image(n), feature.TargetOptions)
		out[n] = feature.Record{Width: plane.Rect.Dx(), Height: plane.Rect.Dy(), Features: feature.Extract(plane, feature.TargetOptions), Enrolment: feature.EnrolmentVersion}
	}
	return out
})

// featuredGallery is a snapGallery of n shaped targets whose first
// active ones hold the test photos' feature records (photos, by name) and
// the next decoys records drawn from the photos' features, a few bits of
// each changed, set without a change as a record remade in the
// background is.
func featuredGallery(t *testing.T, n, decoys int) (*snapGallery, map[string]string) {
	t.Helper()
	ctx := context.Background()
	sg := newSnapGallery(t, n)
	records := photoRecords()
	names := testphoto.Names()
	var pool []feature.Feature
	for _, name := range names {
		pool = append(pool, records[name].Features...)
	}
	ids := slices.Sorted(maps.Keys(sg.prints))
	photos := map[string]string{}
	rnd := rand.New(rand.NewPCG(5, 6))
	for _, id := range ids {
		tg, err := sg.st.Target(ctx, sg.g.ID, id, false)
		if err != nil {
			t.Fatal(err)
		}
		var r feature.Record
		switch {
		case len(photos) < len(names) && tg.Active:
			name := names[len(photos)]
			r, photos[name] = records[name], id
		case decoys > 0:
			r, decoys = decoyRecord(rnd, pool), decoys-1
		case len(photos) == len(names):
			return sg, photos
		default:
			continue
		}
		b, err := r.MarshalBinary()
		if err != nil {
			t.Fatal(err)
		}
		if err := sg.st.SetFeatures(ctx, sg.g.ID, id, b); err != nil {
			t.Fatal(err)
		}
	}
	return sg, photos
}

// decoyRecord returns a record of camera.BagFeatures features drawn from
// pool, each with a few bits changed.
func decoyRecord(rnd *rand.Rand, pool []feature.Feature) feature.Record {
	fs := make([]feature.Feature, camera.BagFeatures)
	for k := range fs {
		f := pool[rnd.IntN(len(pool))]
		for range 8 {
			bit := rnd.IntN(feature.Bits)
			f.Desc[bit/64] ^= 1 << (bit % 64)
		}
		fs[k] = f
	}
	return feature.Record{Width: 640, Height: 640, Features: fs, Enrolment: feature.EnrolmentVersion}
}

// frames returns a camera frame of each named photo: printed, tilted 35°,
// on a photo no target shows.
func frames(t *testing.T, names []string) []*Picture {
	t.Helper()
	shoot, _ := distort.CameraCatalogue()[1].Locate(distort.Params{Seed: 3, Scene: distort.Mirror(testphoto.Image("grass"))})
	var out []*Picture
	for _, n := range names {
		frame, _ := shoot(testphoto.Image(n))
		out = append(out, picture(t, n, func(imageT) imageT { return frame }))
	}
	return out
}

// sameTier fails unless the two services' feature tiers of the gallery
// hold the same targets, shortlist the frames alike (targets and scores),
// note the same targets pending, and answer the frames' searches alike;
// it returns how many searches found their photo's target.
func sameTier(t *testing.T, got, want *Service, g int64, pics []*Picture, photos []string) int {
	t.Helper()
	a, _ := got.shelf(g)
	b, _ := want.shelf(g)
	if a.tier.Len() != b.tier.Len() {
		t.Fatalf("the tiers hold %d and %d targets", a.tier.Len(), b.tier.Len())
	}
	if x, y := slices.Sorted(slices.Values(a.pending)), slices.Sorted(slices.Values(b.pending)); !slices.Equal(x, y) {
		t.Fatalf("pending: %d targets, from the rows %d", len(x), len(y))
	}
	found := 0
	for i, pic := range pics {
		q := queryFeatures(pic)
		if x, y := a.tier.Shortlist(q, camera.Shortlist), b.tier.Shortlist(q, camera.Shortlist); !reflect.DeepEqual(x, y) {
			t.Fatalf("frame %d: shortlist %v, from the rows %v", i, x, y)
		}
		x, err1 := got.Recognition.Search(context.Background(), g, given(pic), SearchOptions{Limit: 3})
		y, err2 := want.Recognition.Search(context.Background(), g, given(pic), SearchOptions{Limit: 3})
		if err1 != nil || err2 != nil || !reflect.DeepEqual(x, y) {
			t.Fatalf("frame %d: found %+v (%v), from the rows %+v (%v)", i, x, err1, y, err2)
		}
		if len(x) > 0 && x[0].Target.ID == photos[i] {
			found++
		}
	}
	return found
}

// TestSnapshotTierAnswersAsRecords opens a gallery with feature records
// from a snapshot that later writes overtook — a photo's target deleted,
// another given a third photo's record, a decoy's record replaced, a
// target added with a photo's record, and a record remade in the
// background (saved without a change) for a target the snapshot's tier
// lacks — and from its rows: the two tiers hold the same targets,
// shortlist camera frames alike, note the same targets pending and
// answer the frames' searches alike.
func TestSnapshotTierAnswersAsRecords(t *testing.T) {
	ctx := context.Background()
	sg, photos := featuredGallery(t, 600, 300)
	sg.snapshot(t)
	names := testphoto.Names()
	records := photoRecords()
	setRecord := func(id string, r feature.Record, logged bool) {
		t.Helper()
		b, err := r.MarshalBinary()
		if err != nil {
			t.Fatal(err)
		}
		if !logged {
			err = sg.st.SetFeatures(ctx, sg.g.ID, id, b)
		} else if tg, err2 := sg.st.Target(ctx, sg.g.ID, id, false); err2 != nil {
			err = err2
		} else {
			tg.Features = b
			_, err = sg.st.UpdateTarget(ctx, tg)
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	if _, err := sg.st.DeleteTargets(ctx, sg.g.ID, []string{photos[names[0]]}); err != nil {
		t.Fatal(err)
	}
	setRecord(photos[names[1]], records[names[2]], true)
	ids := slices.Sorted(maps.Keys(sg.prints))
	featured := map[string]bool{}
	for _, id := range photos {
		featured[id] = true
	}
	unfeatured := slices.DeleteFunc(slices.Clone(ids), func(id string) bool { return featured[id] })
	rnd := rand.New(rand.NewPCG(7, 8))
	setRecord(unfeatured[0], decoyRecord(rnd, records[names[3]].Features), true)
	added := slices.Collect(maps.Keys(populate(t, sg.path, sg.g.ID, 5, 9)))
	setRecord(added[0], records[names[0]], false) // its creation is logged: the log names it
	setRecord(unfeatured[len(unfeatured)-1], records[names[4]], false)
	var log bytes.Buffer
	snap, rows := sg.open(t, true, &log), sg.open(t, false, nil)
	if !fromSnapshot(snap, sg.g.ID) {
		t.Fatalf("the snapshot was not used: %s", log.String())
	}
	pics := frames(t, names[:6])
	want := []string{added[0], photos[names[1]], photos[names[2]], photos[names[3]], photos[names[4]], photos[names[5]]}
	if found := sameTier(t, snap, rows, sg.g.ID, pics, want); found < 3 {
		t.Errorf("%d of the %d frames found their target", found, len(pics))
	}
	if err := snap.Close(ctx); err != nil {
		t.Fatal(err)
	}
}

// tierAt returns where the feature tier starts in a snapshot file.
func tierAt(b []byte) int {
	target := int(binary.LittleEndian.Uint32(b[48:]))
	return 52 + target + int(binary.LittleEndian.Uint64(b[len(b)-12:]))
}

// TestSnapshotTierIgnored gives Open snapshots whose hash index it can
// use but whose feature tier it must not — another vocabulary, feature
// version or bag size, or none (a snapshot of the previous format) —
// and checks that the tier is read from the records instead, said so in
// the log, equal to one read from the rows, and that Close writes the
// snapshot anew, tier included. A byte of the tier changed is damage: the
// whole snapshot is ignored.
func TestSnapshotTierIgnored(t *testing.T) {
	ctx := context.Background()
	relabelTier := func(off int, v uint32) func(b []byte) []byte {
		return func(b []byte) []byte { return relabel(b, tierAt(b)+off, 4, uint64(v)) }
	}
	cases := []struct {
		name   string
		damage func(b []byte) []byte
		whole  bool // the whole snapshot ignored, not its tier alone
	}{
		{"another vocabulary", func(b []byte) []byte {
			at := tierAt(b) + 16
			return relabel(b, at, 1, uint64(b[at]^1))
		}, false},
		{"another feature version", relabelTier(8, uint32(feature.Version)+1), false},
		{"another bag size", relabelTier(12, camera.BagFeatures+1), false},
		{"the previous format", func(b []byte) []byte {
			b = append(b[:tierAt(b):tierAt(b)], 0, 0, 0, 0)
			return relabel(b, 8, 4, oldSnapshotFormat)
		}, false},
		{"a byte of the tier changed", func(b []byte) []byte { b[tierAt(b)+100] ^= 2; return b }, true},
	}
	names := testphoto.Names()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			sg, photos := featuredGallery(t, 200, 30)
			file := filepath.Join(sg.snaps, "1.snap")
			if err := os.WriteFile(file, c.damage(sg.snapshot(t)), 0o600); err != nil {
				t.Fatal(err)
			}
			var log bytes.Buffer
			snap, rows := sg.open(t, true, &log), sg.open(t, false, nil)
			msg := "feature tier of the snapshot ignored"
			if c.whole {
				msg = "snapshot ignored: reading the gallery's targets"
			}
			if fromSnapshot(snap, sg.g.ID) || !strings.Contains(log.String(), msg) {
				t.Fatalf("the tier was used, or its refusal not logged: %q", log.String())
			}
			sameIndex(t, snap, rows, sg.g.ID, sg.prints)
			want := make([]string, 4)
			for i, n := range names[:4] {
				want[i] = photos[n]
			}
			if found := sameTier(t, snap, rows, sg.g.ID, frames(t, names[:4]), want); found < 2 {
				t.Errorf("%d of 4 frames found their target", found)
			}
			if err := snap.Close(ctx); err != nil {
				t.Fatal(err)
			}
			log.Reset()
			if again := sg.open(t, true, &log); !fromSnapshot(again, sg.g.ID) {
				t.Fatalf("the snapshot Close wrote was not used: %s", log.String())
			} else {
				again.snaps.stop()
			}
		})
	}
}

// TestSnapshotTierCutShort cuts the tier short in a file whose checksum
// is made right: the tier is refused, not half used, and read from the
// records.
func TestSnapshotTierCutShort(t *testing.T) {
	sg, _ := featuredGallery(t, 50, 5)
	b := sg.snapshot(t)
	at := tierAt(b)
	cut := append(bytes.Clone(b[:at+200]), b[len(b)-12:]...)
	binary.LittleEndian.PutUint32(cut[len(cut)-4:], crc32.Checksum(cut[:len(cut)-4], snapshotTable))
	if err := os.WriteFile(filepath.Join(sg.snaps, "1.snap"), cut, 0o600); err != nil {
		t.Fatal(err)
	}
	var log bytes.Buffer
	snap := sg.open(t, true, &log)
	if fromSnapshot(snap, sg.g.ID) || !strings.Contains(log.String(), "feature tier of the snapshot ignored") {
		t.Fatalf("a tier cut short was used, or its refusal not logged: %q", log.String())
	}
	if sh, _ := snap.shelf(sg.g.ID); sh.tier.Len() != 5+len(testphoto.Names()) {
		t.Fatalf("the tier read from the records holds %d targets", sh.tier.Len())
	}
	snap.snaps.stop()
}

// TestSnapshotKeepsRemakesPending opens a gallery one of whose records
// is of an earlier enrolment (stored by an older pixmatch): it waits for
// RemakeFeatures. The snapshot written at Close then holds no tier, so the
// next start reads the records again and finds the target still pending,
// not taken for made; once remade, the next snapshot holds the tier.
func TestSnapshotKeepsRemakesPending(t *testing.T) {
	ctx := context.Background()
	sg, photos := featuredGallery(t, 60, 0)
	id := photos[testphoto.Names()[0]]
	old := photoRecords()[testphoto.Names()[0]]
	old.Enrolment = 0
	b, err := old.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	if err := sg.st.SetFeatures(ctx, sg.g.ID, id, b); err != nil {
		t.Fatal(err)
	}
	pending := func(svc *Service) []string {
		sh, err := svc.shelf(sg.g.ID)
		if err != nil {
			t.Fatal(err)
		}
		sh.mu.Lock()
		defer sh.mu.Unlock()
		return slices.Clone(sh.pending)
	}
	for round := range 2 {
		svc := sg.open(t, true, new(bytes.Buffer))
		if p := pending(svc); !slices.Contains(p, id) {
			t.Fatalf("start %d: pending %v, want %s among them", round, p, id)
		}
		if err := svc.Close(ctx); err != nil {
			t.Fatal(err)
		}
	}
	svc := sg.open(t, true, new(bytes.Buffer))
	if _, err := svc.Targets.RemakeFeatures(ctx, 0, nil); err != nil {
		t.Fatal(err)
	}
	if err := svc.Close(ctx); err != nil {
		t.Fatal(err)
	}
	var log bytes.Buffer
	again := sg.open(t, true, &log)
	defer again.Close(ctx)
	sh, _ := again.shelf(sg.g.ID)
	if p := pending(again); slices.Contains(p, id) || !has(sh.tier, id) {
		t.Errorf("after the remake: pending %v, the tier has the target: %v", p, has(sh.tier, id))
	}
	if strings.Contains(log.String(), "tier") {
		t.Errorf("the tier was not taken from the snapshot after the remake: %s", log.String())
	}
}
