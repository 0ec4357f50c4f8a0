package storetest

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/pixmatch/pixmatch/server/store"
)

// wantState checks the gallery's version and its whole change log.
func wantState(t *testing.T, s store.Store, gallery int64, want []store.Change) {
	t.Helper()
	ctx := context.Background()
	g, err := s.Gallery(ctx, gallery)
	if err != nil {
		t.Fatalf("Gallery: %v", err)
	}
	if g.Version != int64(len(want)) {
		t.Errorf("gallery version %d, want %d", g.Version, len(want))
	}
	got, err := s.Changes(ctx, gallery, 0, 0)
	if err != nil {
		t.Fatalf("Changes: %v", err)
	}
	if len(got) != len(want) {
		t.Fatalf("change log has %d entries, want %d: %+v", len(got), len(want), got)
	}
	for i := range got {
		if got[i].At == 0 {
			t.Errorf("change %d has no time", got[i].Version)
		}
		got[i].At, got[i].Seq = 0, 0 // testSeq checks Seq
		if got[i] != want[i] {
			t.Errorf("change %d = %+v, want %+v", i, got[i], want[i])
		}
	}
}

func put(v int64, n int) store.Change {
	return store.Change{Version: v, TargetID: TargetID(n), Op: store.OpPut}
}

func del(v int64, n int) store.Change {
	return store.Change{Version: v, TargetID: TargetID(n), Op: store.OpDelete}
}

func testTargetRoundTrip(t *testing.T, s store.Store) {
	ctx := context.Background()
	g := newGallery(t, s, "alpha")
	want := Target(g.ID, 1, 50<<10)
	v, err := s.CreateTarget(ctx, want)
	if err != nil || v != 1 {
		t.Fatalf("CreateTarget = %d, %v; want version 1", v, err)
	}
	got, err := s.Target(ctx, g.ID, want.ID, true)
	if err != nil || !sameTargets(got, want) {
		t.Errorf("Target(image=true) = %+v, %v\nwant %+v", withoutImage(got), err, withoutImage(want))
	}
	got, err = s.Target(ctx, g.ID, want.ID, false)
	if err != nil || got.Image != nil || !sameTargets(got, withoutImage(want)) {
		t.Errorf("Target(image=false) = %+v (image %d bytes), %v; want the same without image",
			got, len(got.Image), err)
	}
	wantState(t, s, g.ID, []store.Change{put(1, 1)})
}

func testLargeValues(t *testing.T, s store.Store) {
	ctx := context.Background()
	g := newGallery(t, s, "alpha")
	want := Target(g.ID, 1, 4<<20)
	want.Meta = strings.Repeat("métadonnée ", (2<<20)/12)
	if _, err := s.CreateTarget(ctx, want); err != nil {
		t.Fatalf("CreateTarget with 4 MB image and 2 MB meta: %v", err)
	}
	got, err := s.Target(ctx, g.ID, want.ID, true)
	if err != nil || !bytes.Equal(got.Image, want.Image) || got.Meta != want.Meta {
		t.Errorf("Target = image %d bytes, meta %d bytes, %v; want them as stored (%d, %d)",
			len(got.Image), len(got.Meta), err, len(want.Image), len(want.Meta))
	}
	list, err := s.Targets(ctx, g.ID, store.Page{Limit: 10})
	if err != nil || len(list) != 1 || list[0].Meta != want.Meta || list[0].Image != nil {
		t.Errorf("Targets = %d targets, %v; want the one with its meta and no image", len(list), err)
	}
}

func testCreateTargetErrors(t *testing.T, s store.Store) {
	ctx := context.Background()
	g := newGallery(t, s, "alpha")
	other := newGallery(t, s, "beta")
	createTargets(t, s, g.ID, 0, 1)

	taken := Target(g.ID, 0, 100) // same ID, different content
	taken.Name = "impostor"
	tests := []struct {
		name   string
		target store.Target
		want   error
	}{
		{"taken ID", taken, store.ErrExists},
		{"missing gallery", Target(other.ID+1000, 5, 100), store.ErrNotFound},
	}
	for _, tt := range tests {
		_, err := s.CreateTarget(ctx, tt.target)
		wantErr(t, "CreateTarget("+tt.name+")", err, tt.want)
	}
	got, err := s.Target(ctx, g.ID, TargetID(0), false)
	if err != nil || got.Name != "target 0" {
		t.Errorf("after a refused duplicate, Target = %+v, %v; want the original", got, err)
	}
	wantState(t, s, g.ID, []store.Change{put(1, 0)})

	// An ID is unique within its gallery only.
	if v, err := s.CreateTarget(ctx, Target(other.ID, 0, 100)); err != nil || v != 1 {
		t.Errorf("CreateTarget(same ID, other gallery) = %d, %v; want version 1", v, err)
	}
}

func testUpdateTarget(t *testing.T, s store.Store) {
	ctx := context.Background()
	g := newGallery(t, s, "alpha")
	createTargets(t, s, g.ID, 0, 2)
	original := Target(g.ID, 0, 256)

	// Without an image: every other field is replaced, the image kept.
	noImage := Target(g.ID, 7, 0)
	noImage.ID = original.ID
	noImage.Image = nil
	noImage.ImageSHA256, noImage.Width, noImage.Height = [32]byte{1}, 1, 1
	if v, err := s.UpdateTarget(ctx, noImage); err != nil || v != 3 {
		t.Fatalf("UpdateTarget(no image) = %d, %v; want version 3", v, err)
	}
	want := noImage
	want.Image, want.ImageSHA256 = original.Image, original.ImageSHA256
	want.Width, want.Height = original.Width, original.Height
	if got, err := s.Target(ctx, g.ID, original.ID, true); err != nil || !sameTargets(got, want) {
		t.Errorf("after UpdateTarget(no image), Target = %+v, %v\nwant %+v", withoutImage(got), err, withoutImage(want))
	}

	// With an image: the image and its description are replaced too.
	withImage := Target(g.ID, 8, 300)
	withImage.ID = original.ID
	if v, err := s.UpdateTarget(ctx, withImage); err != nil || v != 4 {
		t.Fatalf("UpdateTarget(image) = %d, %v; want version 4", v, err)
	}
	if got, err := s.Target(ctx, g.ID, original.ID, true); err != nil || !sameTargets(got, withImage) {
		t.Errorf("after UpdateTarget(image), Target = %+v, %v\nwant %+v", withoutImage(got), err, withoutImage(withImage))
	}
	if got, err := s.TargetByImage(ctx, g.ID, withImage.ImageSHA256); err != nil || got.ID != original.ID {
		t.Errorf("TargetByImage(new image) = %q, %v; want %q", got.ID, err, original.ID)
	}
	_, err := s.TargetByImage(ctx, g.ID, original.ImageSHA256)
	wantErr(t, "TargetByImage(replaced image)", err, store.ErrNotFound)

	_, err = s.UpdateTarget(ctx, Target(g.ID, 9, 10))
	wantErr(t, "UpdateTarget(missing)", err, store.ErrNotFound)
	wantState(t, s, g.ID, []store.Change{put(1, 0), put(2, 1), put(3, 0), put(4, 0)})
}

func testDeleteTargets(t *testing.T, s store.Store) {
	ctx := context.Background()
	g := newGallery(t, s, "alpha")
	createTargets(t, s, g.ID, 0, 6)
	log := []store.Change{put(1, 0), put(2, 1), put(3, 2), put(4, 3), put(5, 4), put(6, 5)}

	if v, err := s.DeleteTargets(ctx, g.ID, []string{TargetID(1)}); err != nil || v != 7 {
		t.Fatalf("DeleteTargets(1) = %d, %v; want version 7", v, err)
	}
	log = append(log, del(7, 1))
	if v, err := s.DeleteTargets(ctx, g.ID, []string{TargetID(4), TargetID(2)}); err != nil || v != 9 {
		t.Fatalf("DeleteTargets(4, 2) = %d, %v; want version 9", v, err)
	}
	log = append(log, del(8, 4), del(9, 2))
	wantState(t, s, g.ID, log)

	// All or nothing: one missing ID leaves the others in place.
	missing := TargetID(99)
	_, err := s.DeleteTargets(ctx, g.ID, []string{TargetID(0), missing, TargetID(3)})
	wantErr(t, "DeleteTargets(with a missing ID)", err, store.ErrNotFound)
	if err != nil && !strings.Contains(err.Error(), missing) {
		t.Errorf("DeleteTargets error %q does not name the missing ID %s", err, missing)
	}
	_, err = s.DeleteTargets(ctx, g.ID, []string{TargetID(0), TargetID(1)}) // 1 is already gone
	wantErr(t, "DeleteTargets(with a deleted ID)", err, store.ErrNotFound)
	wantState(t, s, g.ID, log)

	for n, present := range []bool{true, false, false, true, false, true} {
		_, err := s.Target(ctx, g.ID, TargetID(n), false)
		if present && err != nil {
			t.Errorf("Target(%d): %v; want it kept", n, err)
		}
		if !present {
			wantErr(t, "Target(deleted)", err, store.ErrNotFound)
		}
	}
	if n, err := s.CountTargets(ctx, g.ID); err != nil || n != 3 {
		t.Errorf("CountTargets = %d, %v; want 3", n, err)
	}
}

func testChanges(t *testing.T, s store.Store) {
	ctx := context.Background()
	g := newGallery(t, s, "alpha")
	createTargets(t, s, g.ID, 0, 2) // versions 1, 2
	updated := Target(g.ID, 0, 10)
	updated.Name = "renamed"
	if _, err := s.UpdateTarget(ctx, updated); err != nil { // 3
		t.Fatal(err)
	}
	if _, err := s.DeleteTargets(ctx, g.ID, []string{TargetID(1)}); err != nil { // 4
		t.Fatal(err)
	}
	log := []store.Change{put(1, 0), put(2, 1), put(3, 0), del(4, 1)}
	wantState(t, s, g.ID, log)

	tests := []struct {
		since int64
		limit int
		want  []store.Change
	}{
		{0, 0, log},
		{0, 2, log[:2]},
		{1, 2, log[1:3]},
		{2, 10, log[2:]},
		{3, 1, log[3:]},
		{4, 10, nil},
		{10, 10, nil},
	}
	for _, tt := range tests {
		got, err := s.Changes(ctx, g.ID, tt.since, tt.limit)
		for i := range got {
			got[i].At, got[i].Seq = 0, 0 // checked by testSeq
		}
		if err != nil || len(got) != len(tt.want) || (len(got) > 0 && !reflect.DeepEqual(got, tt.want)) {
			t.Errorf("Changes(since %d, limit %d) = %+v, %v; want %+v", tt.since, tt.limit, got, err, tt.want)
		}
	}
}

func testTargets(t *testing.T, s store.Store) {
	ctx := context.Background()
	g := newGallery(t, s, "alpha")
	other := newGallery(t, s, "beta")
	createTargets(t, s, g.ID, 0, 10)
	createTargets(t, s, other.ID, 100, 103)

	tests := []struct {
		page        store.Page
		first, last int // targets first..last-1 expected
	}{
		{store.Page{Offset: 0, Limit: 3}, 0, 3},
		{store.Page{Offset: 3, Limit: 3}, 3, 6},
		{store.Page{Offset: 8, Limit: 5}, 8, 10},
		{store.Page{Offset: 9, Limit: 1}, 9, 10},
		{store.Page{Offset: 10, Limit: 5}, 10, 10},
		{store.Page{Offset: 50, Limit: 5}, 10, 10},
		{store.Page{Offset: 0, Limit: 100}, 0, 10},
		{store.Page{Offset: 0, Limit: 0}, 0, 10}, // no limit
		{store.Page{Offset: 4, Limit: 0}, 4, 10},
	}
	for _, tt := range tests {
		got, err := s.Targets(ctx, g.ID, tt.page)
		var want []store.Target
		for n := tt.first; n < tt.last; n++ {
			want = append(want, withoutImage(Target(g.ID, n, 256)))
		}
		if err != nil || len(got) != len(want) || (len(got) > 0 && !sameTargets(got, want)) {
			t.Errorf("Targets(%+v) = %d targets %v, %v; want targets %d..%d without images",
				tt.page, len(got), ids(got), err, tt.first, tt.last-1)
		}
	}
	for _, c := range []struct {
		gallery int64
		want    int
	}{{g.ID, 10}, {other.ID, 3}, {other.ID + 1000, 0}} {
		if n, err := s.CountTargets(ctx, c.gallery); err != nil || n != c.want {
			t.Errorf("CountTargets(%d) = %d, %v; want %d", c.gallery, n, err, c.want)
		}
	}
}

func ids(ts []store.Target) []string {
	var out []string
	for _, t := range ts {
		out = append(out, t.ID)
	}
	return out
}

func testEachTarget(t *testing.T, s store.Store) {
	ctx := context.Background()
	g := newGallery(t, s, "alpha")
	other := newGallery(t, s, "beta")
	createTargets(t, s, g.ID, 0, 20)
	createTargets(t, s, other.ID, 100, 102)

	var got []store.Target
	err := s.EachTarget(ctx, g.ID, func(t store.Target) error {
		got = append(got, t)
		return nil
	})
	if err != nil || len(got) != 20 {
		t.Fatalf("EachTarget visited %d targets, %v; want 20", len(got), err)
	}
	for n, tg := range got {
		if want := withoutImage(Target(g.ID, n, 256)); !sameTargets(tg, want) {
			t.Errorf("EachTarget's target %d = %+v\nwant %+v", n, tg, want)
		}
	}

	stop := errors.New("enough")
	calls := 0
	err = s.EachTarget(ctx, g.ID, func(store.Target) error {
		calls++
		if calls == 3 {
			return stop
		}
		return nil
	})
	if !errors.Is(err, stop) || calls != 3 {
		t.Errorf("EachTarget stopped after %d calls with %v; want 3 calls and fn's error", calls, err)
	}
}

func testTargetByImage(t *testing.T, s store.Store) {
	ctx := context.Background()
	g := newGallery(t, s, "alpha")
	other := newGallery(t, s, "beta")
	createTargets(t, s, g.ID, 0, 5)
	createTargets(t, s, other.ID, 10, 11)

	tests := []struct {
		gallery int64
		sum     [32]byte
		want    string // target ID, or "" for ErrNotFound
	}{
		{g.ID, Target(g.ID, 3, 256).ImageSHA256, TargetID(3)},
		{g.ID, Target(g.ID, 0, 256).ImageSHA256, TargetID(0)},
		{other.ID, Target(other.ID, 10, 256).ImageSHA256, TargetID(10)},
		{g.ID, Target(other.ID, 10, 256).ImageSHA256, ""}, // another gallery's image
		{g.ID, sha256.Sum256([]byte("never stored")), ""},
	}
	for _, tt := range tests {
		got, err := s.TargetByImage(ctx, tt.gallery, tt.sum)
		if tt.want == "" {
			wantErr(t, "TargetByImage(absent)", err, store.ErrNotFound)
			continue
		}
		if err != nil || got.ID != tt.want || got.ImageSHA256 != tt.sum || got.Gallery != tt.gallery {
			t.Errorf("TargetByImage(%d, %x) = %s, %v; want %s", tt.gallery, tt.sum[:4], got.ID, err, tt.want)
		}
	}
	testTargetByImageAndName(t, s, g.ID)
}

// testTargetByImageAndName finds a target by its image file and name,
// leaving one target out: the same target again, to CRS.
func testTargetByImageAndName(t *testing.T, s store.Store, gallery int64) {
	ctx := context.Background()
	first := Target(gallery, 1, 256)
	twin := Target(gallery, 20, 256) // first's file under another name
	twin.Image, twin.ImageSHA256 = first.Image, first.ImageSHA256
	if _, err := s.CreateTarget(ctx, twin); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, except string
		want         string // target ID, or "" for ErrNotFound
	}{
		{first.Name, "", TargetID(1)},
		{twin.Name, "", TargetID(20)},
		{twin.Name, TargetID(1), TargetID(20)},
		{first.Name, TargetID(1), ""}, // the target itself is left out
		{"target 3", "", ""},          // another target's name, another file
	}
	for _, tt := range tests {
		got, err := s.TargetByImageAndName(ctx, gallery, first.ImageSHA256, tt.name, tt.except)
		if tt.want == "" {
			wantErr(t, "TargetByImageAndName(absent or left out)", err, store.ErrNotFound)
			continue
		}
		if err != nil || got.ID != tt.want || got.Image != nil {
			t.Errorf("TargetByImageAndName(%q, except %q) = %s, %v; want %s", tt.name, tt.except, got.ID, err, tt.want)
		}
	}
}

func testCancelledContext(t *testing.T, s store.Store) {
	g := newGallery(t, s, "alpha")
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := s.CreateTarget(ctx, Target(g.ID, 0, 100))
	wantErr(t, "CreateTarget(cancelled)", err, context.Canceled)
	_, err = s.DeleteTargets(ctx, g.ID, []string{TargetID(0)})
	if err == nil {
		t.Error("DeleteTargets(cancelled) succeeded")
	}
	_, err = s.Target(context.Background(), g.ID, TargetID(0), false)
	wantErr(t, "Target after a cancelled create", err, store.ErrNotFound)
	wantState(t, s, g.ID, nil)
}

func testConcurrentWriters(t *testing.T, s store.Store) { ConcurrentWriters(t, s) }

// ConcurrentWriters has several goroutines create, update and delete
// targets at once, through the given stores in turn (several stores on
// one database stand for several servers): every write must get its own
// version, with no gaps, and the change log must hold exactly one entry
// per version, as each store reads it.
func ConcurrentWriters(t *testing.T, stores ...store.Store) {
	const writers, each = 6, 15
	ctx := context.Background()
	s := stores[0]
	g := newGallery(t, s, "alpha")

	var (
		mu       sync.Mutex
		versions []int64
		wg       sync.WaitGroup
	)
	record := func(v int64, err error) {
		if err != nil {
			t.Error(err)
			return
		}
		mu.Lock()
		versions = append(versions, v)
		mu.Unlock()
	}
	for w := range writers {
		s := stores[w%len(stores)]
		wg.Go(func() {
			for i := range each {
				n := w*each + i
				record(s.CreateTarget(ctx, Target(g.ID, n, 1024)))
				if i%5 == 4 { // every fifth target is updated, then the one before deleted
					tg := Target(g.ID, n, 0)
					tg.Image = nil
					tg.Name = "updated"
					record(s.UpdateTarget(ctx, tg))
					record(s.DeleteTargets(ctx, g.ID, []string{TargetID(n - 1)}))
				}
			}
		})
	}
	wg.Wait()

	slices.Sort(versions)
	const total = writers * (each + 2*each/5)
	if len(versions) != total {
		t.Fatalf("%d writes succeeded, want %d", len(versions), total)
	}
	for i, v := range versions {
		if v != int64(i+1) {
			t.Fatalf("versions returned are not 1..%d without gaps or repeats: position %d holds %d", total, i, v)
		}
	}
	for _, s := range stores {
		gal, err := s.Gallery(ctx, g.ID)
		if err != nil || gal.Version != total {
			t.Errorf("Gallery version = %d, %v; want %d", gal.Version, err, total)
		}
		cs, err := s.Changes(ctx, g.ID, 0, 0)
		if err != nil || len(cs) != total {
			t.Fatalf("Changes = %d entries, %v; want %d", len(cs), err, total)
		}
		for i, c := range cs {
			if c.Version != int64(i+1) {
				t.Fatalf("change %d has version %d", i, c.Version)
			}
		}
		if n, err := s.CountTargets(ctx, g.ID); err != nil || n != writers*(each-each/5) {
			t.Errorf("CountTargets = %d, %v; want %d", n, err, writers*(each-each/5))
		}
	}
}

// testTargetsByID reads targets by ID in one call: in the order asked,
// each once, with or without images, skipping IDs that do not exist or
// belong to another gallery.
func testTargetsByID(t *testing.T, s store.Store) {
	ctx := context.Background()
	g := newGallery(t, s, "alpha")
	other := newGallery(t, s, "beta")
	createTargets(t, s, g.ID, 0, 600)
	createTargets(t, s, other.ID, 1000, 1002)

	ask := []string{TargetID(7), TargetID(3), "missing", TargetID(1000), TargetID(7), TargetID(599)}
	got, err := s.TargetsByID(ctx, g.ID, ask, false)
	want := []store.Target{withoutImage(Target(g.ID, 7, 256)), withoutImage(Target(g.ID, 3, 256)), withoutImage(Target(g.ID, 599, 256))}
	if err != nil || !sameTargets(got, want) {
		t.Errorf("TargetsByID(%v) = %v, %v; want targets 7, 3, 599 without images", ask, ids(got), err)
	}
	withImages, err := s.TargetsByID(ctx, g.ID, []string{TargetID(5)}, true)
	if err != nil || len(withImages) != 1 || !sameTargets(withImages[0], Target(g.ID, 5, 256)) {
		t.Errorf("TargetsByID with images = %v, %v; want target 5 with its image", ids(withImages), err)
	}
	var all []string // more IDs than a statement may bind as parameters on D1
	for n := 599; n >= 0; n-- {
		all = append(all, TargetID(n))
	}
	got, err = s.TargetsByID(ctx, g.ID, all, false)
	if err != nil || len(got) != 600 || got[0].ID != TargetID(599) || got[599].ID != TargetID(0) {
		t.Errorf("TargetsByID of 600 IDs: %d targets, %v", len(got), err)
	}
	if got, err := s.TargetsByID(ctx, g.ID, nil, false); err != nil || len(got) != 0 {
		t.Errorf("TargetsByID(nil) = %v, %v; want none", ids(got), err)
	}
}

// testFeatures keeps feature records with their targets: written by a
// create, replaced by an update that carries one and kept by one that
// does not, read by ID and all at once, and gone with the target and
// with its gallery.
func testFeatures(t *testing.T, s store.Store) {
	ctx := context.Background()
	g := newGallery(t, s, "alpha")
	other := newGallery(t, s, "beta")
	with := func(n int, f string) store.Target {
		tg := Target(g.ID, n, 64)
		tg.Features = []byte(f)
		return tg
	}
	for n := range 3 {
		if _, err := s.CreateTarget(ctx, with(n, fmt.Sprint("features of ", n))); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := s.CreateTarget(ctx, Target(g.ID, 3, 64)); err != nil { // without a record
		t.Fatal(err)
	}
	o := Target(other.ID, 100, 64)
	o.Features = []byte("other")
	if _, err := s.CreateTarget(ctx, o); err != nil {
		t.Fatal(err)
	}
	got, err := s.TargetFeatures(ctx, g.ID, []string{TargetID(0), TargetID(2), TargetID(3), TargetID(100), "missing"})
	if err != nil || len(got) != 2 || string(got[TargetID(0)]) != "features of 0" || string(got[TargetID(2)]) != "features of 2" {
		t.Errorf("TargetFeatures = %q, %v; want the records of targets 0 and 2", got, err)
	}
	if row, err := s.Target(ctx, g.ID, TargetID(0), true); err != nil || row.Features != nil {
		t.Errorf("Target read its feature record (%q, %v); reads leave it nil", row.Features, err)
	}
	keep := Target(g.ID, 1, 64)
	keep.Name = "renamed"
	if _, err := s.UpdateTarget(ctx, keep); err != nil {
		t.Fatal(err)
	}
	if _, err := s.UpdateTarget(ctx, with(2, "new features of 2")); err != nil {
		t.Fatal(err)
	}
	if _, err := s.UpdateTarget(ctx, with(3, "first features of 3")); err != nil {
		t.Fatal(err)
	}
	if _, err := s.DeleteTargets(ctx, g.ID, []string{TargetID(0)}); err != nil {
		t.Fatal(err)
	}
	all := map[string]string{}
	err = s.EachFeatures(ctx, g.ID, func(id string, f []byte) error {
		all[id] = string(f)
		return nil
	})
	want := map[string]string{TargetID(1): "features of 1", TargetID(2): "new features of 2", TargetID(3): "first features of 3"}
	if err != nil || fmt.Sprint(all) != fmt.Sprint(want) {
		t.Errorf("EachFeatures = %v, %v; want %v", all, err, want)
	}
	before, _ := s.Gallery(ctx, g.ID)
	if err := s.SetFeatures(ctx, g.ID, TargetID(1), []byte("remade")); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.TargetFeatures(ctx, g.ID, []string{TargetID(1)}); string(got[TargetID(1)]) != "remade" {
		t.Errorf("after SetFeatures the record is %q", got[TargetID(1)])
	}
	if after, _ := s.Gallery(ctx, g.ID); after.Version != before.Version {
		t.Errorf("SetFeatures moved the gallery's version %d -> %d", before.Version, after.Version)
	}
	wantErr(t, "SetFeatures of a missing target", s.SetFeatures(ctx, g.ID, "missing", []byte("x")), store.ErrNotFound)
	// An empty record (a record still to make) replaces the stored one.
	if _, err := s.UpdateTarget(ctx, with(2, "")); err != nil {
		t.Fatal(err)
	}
	if got, err := s.TargetFeatures(ctx, g.ID, []string{TargetID(2)}); err != nil || len(got[TargetID(2)]) != 0 {
		t.Errorf("after an update with an empty record the record is %q, %v; want it empty", got[TargetID(2)], err)
	}
	if err := s.DeleteGallery(ctx, other.ID); err != nil {
		t.Fatal(err)
	}
	if got, err := s.TargetFeatures(ctx, other.ID, []string{TargetID(100)}); err != nil || len(got) != 0 {
		t.Errorf("the feature record of a deleted gallery's target: %q, %v", got, err)
	}
}
