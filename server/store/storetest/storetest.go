// Package storetest checks that an implementation of store.Store keeps the
// interface's promises. Every implementation's tests call Run, so that the
// embedded SQLite store, PostgreSQL and Cloudflare D1 behave alike.
package storetest

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"math/rand/v2"
	"reflect"
	"testing"

	"github.com/pixmatch/pixmatch/server/store"
)

// Run runs the conformance tests as subtests of t. open must return a new,
// empty store for each call and close it when its test ends (t.Cleanup).
func Run(t *testing.T, open func(t *testing.T) store.Store) {
	tests := []struct {
		name string
		test func(t *testing.T, s store.Store)
	}{
		{"Galleries", testGalleries},
		{"UpdateGallery", testUpdateGallery},
		{"DeleteGallery", testDeleteGallery},
		{"Keys", testKeys},
		{"Settings", testSettings},
		{"TargetRoundTrip", testTargetRoundTrip},
		{"LargeValues", testLargeValues},
		{"CreateTargetErrors", testCreateTargetErrors},
		{"UpdateTarget", testUpdateTarget},
		{"DeleteTargets", testDeleteTargets},
		{"Changes", testChanges},
		{"Targets", testTargets},
		{"TargetsByID", testTargetsByID},
		{"Features", testFeatures},
		{"EachTarget", testEachTarget},
		{"TargetByImage", testTargetByImage},
		{"TargetByName", testTargetByName},
		{"Seq", testSeq},
		{"Snapshot", testSnapshot},
		{"Tasks", testTasks},
		{"RunningTasks", testRunningTasks},
		{"ConcurrentTasks", testConcurrentTasks},
		{"FailRunningTasks", testFailRunningTasks},
		{"CancelledContext", testCancelledContext},
		{"ConcurrentWriters", testConcurrentWriters},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.test(t, open(t))
		})
	}
}

// baseTime is the creation time of Target(_, 0, _): 2024-01-01 UTC.
const baseTime int64 = 1704067200000

// TargetID returns the ID Target gives target n, in UUID form.
func TargetID(n int) string {
	return fmt.Sprintf("7a1e0000-0000-4000-8000-%012d", n)
}

// Target returns target n of the gallery: every field set to a value
// derived from n, an image of imageSize pseudo-random bytes seeded by n with
// its SHA-256, and a creation time n seconds after 2024-01-01, so that
// targets made in order of n are listed in that order.
func Target(gallery int64, n, imageSize int) store.Target {
	img := image(n, imageSize)
	return store.Target{
		Gallery:       gallery,
		ID:            TargetID(n),
		Name:          fmt.Sprintf("target %d", n),
		Size:          fmt.Sprintf("%d.5", n%40+1),
		Meta:          fmt.Sprintf("meta of target %d", n),
		Type:          "ImageTarget",
		Active:        n%2 == 0,
		AllowSimilar:  n%3 == 0,
		Extra:         fmt.Sprintf(`{"n":%d}`, n),
		ProductID:     fmt.Sprintf("product-%d", n/3),
		PicName:       fmt.Sprintf("pic-%d.jpg", n),
		Category:      int32(n % 100),
		IntAttr:       [4]int32{int32(n), -int32(n), 1 << 30, int32(n % 7)},
		StrAttr:       [4]string{fmt.Sprint(n), "red", "", "é"},
		CustomContent: fmt.Sprintf("custom %d", n),
		Region:        "10,200,20,300",
		Image:         img,
		ImageSHA256:   sha256.Sum256(img),
		Width:         640 + n%10,
		Height:        480 + n%10,
		Fingerprint:   fingerprint(n),
		Grade:         []byte{byte(n), 2, 3},
		Created:       baseTime + int64(n)*1000,
		Modified:      baseTime + int64(n)*1000 + 1,
	}
}

// image returns size pseudo-random bytes seeded by n.
func image(n, size int) []byte {
	var seed [32]byte
	binary.LittleEndian.PutUint64(seed[:], uint64(n))
	b := make([]byte, size)
	rand.NewChaCha8(seed).Read(b)
	return b
}

func fingerprint(n int) []byte {
	b := make([]byte, 24)
	binary.BigEndian.PutUint64(b, uint64(n)*0x9e3779b97f4a7c15)
	b[23] = 1
	return b
}

// withoutImage returns t as a listing reports it.
func withoutImage(t store.Target) store.Target {
	t.Image = nil
	return t
}

func newGallery(t *testing.T, s store.Store, name string) store.Gallery {
	t.Helper()
	g, err := s.CreateGallery(context.Background(), store.Gallery{Name: name, AppID: "app-" + name})
	if err != nil {
		t.Fatalf("CreateGallery(%q): %v", name, err)
	}
	return g
}

// createTargets creates targets first..last-1 of the gallery.
func createTargets(t *testing.T, s store.Store, gallery int64, first, last int) {
	t.Helper()
	for n := first; n < last; n++ {
		if _, err := s.CreateTarget(context.Background(), Target(gallery, n, 256)); err != nil {
			t.Fatalf("CreateTarget(%d): %v", n, err)
		}
	}
}

func wantErr(t *testing.T, what string, err, want error) {
	t.Helper()
	if !errors.Is(err, want) {
		t.Errorf("%s: error %v, want one wrapping %v", what, err, want)
	}
}

func testGalleries(t *testing.T, s store.Store) {
	ctx := context.Background()
	alpha, err := s.CreateGallery(ctx, store.Gallery{
		Name: "alpha", AppID: "app-alpha", Capacity: 1000, QPS: 5, DailySearches: 10000, DAU: true,
	})
	if err != nil {
		t.Fatalf("CreateGallery(alpha): %v", err)
	}
	beta, err := s.CreateGallery(ctx, store.Gallery{Name: "beta", AppID: "app-beta", Suspended: true, Created: baseTime})
	if err != nil {
		t.Fatalf("CreateGallery(beta): %v", err)
	}
	if alpha.ID == 0 || alpha.ID == beta.ID || alpha.Version != 0 || alpha.Created == 0 {
		t.Errorf("created galleries %+v and %+v: want distinct non-zero IDs, version 0, a creation time", alpha, beta)
	}
	if beta.Created != baseTime {
		t.Errorf("beta.Created = %d, want the given %d", beta.Created, baseTime)
	}

	lookups := []struct {
		name string
		get  func() (store.Gallery, error)
		want store.Gallery
	}{
		{"Gallery(alpha)", func() (store.Gallery, error) { return s.Gallery(ctx, alpha.ID) }, alpha},
		{"Gallery(beta)", func() (store.Gallery, error) { return s.Gallery(ctx, beta.ID) }, beta},
		{"GalleryByName(alpha)", func() (store.Gallery, error) { return s.GalleryByName(ctx, "alpha") }, alpha},
		{"GalleryByName(beta)", func() (store.Gallery, error) { return s.GalleryByName(ctx, "beta") }, beta},
		{"GalleryByAppID(alpha)", func() (store.Gallery, error) { return s.GalleryByAppID(ctx, "app-alpha") }, alpha},
		{"GalleryByAppID(beta)", func() (store.Gallery, error) { return s.GalleryByAppID(ctx, "app-beta") }, beta},
	}
	for _, l := range lookups {
		got, err := l.get()
		if err != nil || got != l.want {
			t.Errorf("%s = %+v, %v; want %+v", l.name, got, err, l.want)
		}
	}

	failures := []struct {
		name string
		err  func() error
		want error
	}{
		{"Gallery(missing)", func() error { _, err := s.Gallery(ctx, beta.ID+1000); return err }, store.ErrNotFound},
		{"GalleryByName(missing)", func() error { _, err := s.GalleryByName(ctx, "gamma"); return err }, store.ErrNotFound},
		{"GalleryByAppID(missing)", func() error { _, err := s.GalleryByAppID(ctx, "app-gamma"); return err }, store.ErrNotFound},
		{"CreateGallery(taken name)", func() error {
			_, err := s.CreateGallery(ctx, store.Gallery{Name: "alpha", AppID: "app-other"})
			return err
		}, store.ErrExists},
		{"CreateGallery(taken app ID)", func() error {
			_, err := s.CreateGallery(ctx, store.Gallery{Name: "other", AppID: "app-beta"})
			return err
		}, store.ErrExists},
	}
	for _, f := range failures {
		wantErr(t, f.name, f.err(), f.want)
	}

	all, err := s.Galleries(ctx)
	if err != nil || !reflect.DeepEqual(all, []store.Gallery{alpha, beta}) {
		t.Errorf("Galleries() = %+v, %v; want [alpha beta] as created", all, err)
	}
}

func testUpdateGallery(t *testing.T, s store.Store) {
	ctx := context.Background()
	g := newGallery(t, s, "alpha")
	createTargets(t, s, g.ID, 0, 2)
	g.Version = 2

	changed := g
	changed.Capacity, changed.QPS, changed.DailySearches = 7, 3, 500
	changed.DAU, changed.Suspended = true, true
	changed.Version = 99 // not the caller's to set
	if err := s.UpdateGallery(ctx, changed); err != nil {
		t.Fatalf("UpdateGallery: %v", err)
	}
	want := changed
	want.Version = g.Version
	if got, err := s.Gallery(ctx, g.ID); err != nil || got != want {
		t.Errorf("after UpdateGallery, Gallery = %+v, %v; want %+v", got, err, want)
	}

	missing := g
	missing.ID += 1000
	wantErr(t, "UpdateGallery(missing)", s.UpdateGallery(ctx, missing), store.ErrNotFound)
}

func testDeleteGallery(t *testing.T, s store.Store) {
	ctx := context.Background()
	doomed := newGallery(t, s, "doomed")
	kept := newGallery(t, s, "kept")
	createTargets(t, s, doomed.ID, 0, 3)
	createTargets(t, s, kept.ID, 0, 2)
	keys := []store.Key{
		{ID: "bound", Secret: "s1", Gallery: doomed.ID, Created: baseTime},
		{ID: "other", Secret: "s2", Gallery: kept.ID, Created: baseTime + 1},
		{ID: "global", Secret: "s3", Created: baseTime + 2},
	}
	for _, k := range keys {
		if err := s.CreateKey(ctx, k); err != nil {
			t.Fatalf("CreateKey(%s): %v", k.ID, err)
		}
	}

	if err := s.DeleteGallery(ctx, doomed.ID); err != nil {
		t.Fatalf("DeleteGallery: %v", err)
	}
	_, err := s.Gallery(ctx, doomed.ID)
	wantErr(t, "Gallery(deleted)", err, store.ErrNotFound)
	_, err = s.Target(ctx, doomed.ID, TargetID(0), false)
	wantErr(t, "Target of deleted gallery", err, store.ErrNotFound)
	_, err = s.Key(ctx, "bound")
	wantErr(t, "Key bound to deleted gallery", err, store.ErrNotFound)
	if n, err := s.CountTargets(ctx, doomed.ID); err != nil || n != 0 {
		t.Errorf("CountTargets(deleted) = %d, %v; want 0", n, err)
	}
	if cs, err := s.Changes(ctx, doomed.ID, 0, 0); err != nil || len(cs) != 0 {
		t.Errorf("Changes(deleted) = %v, %v; want none", cs, err)
	}
	wantErr(t, "DeleteGallery(deleted)", s.DeleteGallery(ctx, doomed.ID), store.ErrNotFound)

	// Nothing of the other gallery, nor the unbound key, is touched.
	if got, err := s.Keys(ctx); err != nil || !reflect.DeepEqual(got, keys[1:]) {
		t.Errorf("Keys() = %+v, %v; want %+v", got, err, keys[1:])
	}
	if n, err := s.CountTargets(ctx, kept.ID); err != nil || n != 2 {
		t.Errorf("CountTargets(kept) = %d, %v; want 2", n, err)
	}
	if cs, err := s.Changes(ctx, kept.ID, 0, 0); err != nil || len(cs) != 2 {
		t.Errorf("Changes(kept) = %v, %v; want 2", cs, err)
	}
	if g, err := s.Gallery(ctx, kept.ID); err != nil || g.Version != 2 {
		t.Errorf("Gallery(kept) = %+v, %v; want version 2", g, err)
	}
}

func testKeys(t *testing.T, s store.Store) {
	ctx := context.Background()
	g := newGallery(t, s, "alpha")
	bound := store.Key{ID: "crs-api-key", Secret: "secret-1", Gallery: g.ID, Created: baseTime}
	global := store.Key{ID: "LTAI5tExample", Secret: "secret-2", Created: baseTime + 1}
	for _, k := range []store.Key{bound, global} {
		if err := s.CreateKey(ctx, k); err != nil {
			t.Fatalf("CreateKey(%s): %v", k.ID, err)
		}
	}
	for _, want := range []store.Key{bound, global} {
		if got, err := s.Key(ctx, want.ID); err != nil || got != want {
			t.Errorf("Key(%s) = %+v, %v; want %+v", want.ID, got, err, want)
		}
	}
	if got, err := s.Keys(ctx); err != nil || !reflect.DeepEqual(got, []store.Key{bound, global}) {
		t.Errorf("Keys() = %+v, %v; want both, oldest first", got, err)
	}

	failures := []struct {
		name string
		err  error
		want error
	}{
		{"CreateKey(taken)", s.CreateKey(ctx, store.Key{ID: bound.ID, Secret: "x"}), store.ErrExists},
		{"Key(missing)", func() error { _, err := s.Key(ctx, "missing"); return err }(), store.ErrNotFound},
		{"DeleteKey(missing)", s.DeleteKey(ctx, "missing"), store.ErrNotFound},
	}
	for _, f := range failures {
		wantErr(t, f.name, f.err, f.want)
	}

	if err := s.DeleteKey(ctx, bound.ID); err != nil {
		t.Fatalf("DeleteKey: %v", err)
	}
	_, err := s.Key(ctx, bound.ID)
	wantErr(t, "Key(deleted)", err, store.ErrNotFound)
	if got, err := s.Keys(ctx); err != nil || !reflect.DeepEqual(got, []store.Key{global}) {
		t.Errorf("after DeleteKey, Keys() = %+v, %v; want only %s", got, err, global.ID)
	}
}

func testSettings(t *testing.T, s store.Store) {
	ctx := context.Background()
	_, err := s.Setting(ctx, "token-key")
	wantErr(t, "Setting(unset)", err, store.ErrNotFound)

	steps := []struct{ name, value string }{
		{"token-key", "first"},
		{"other", "unrelated"},
		{"token-key", "second"}, // replaces
		{"empty", ""},
	}
	want := map[string]string{}
	for _, st := range steps {
		if err := s.PutSetting(ctx, st.name, st.value); err != nil {
			t.Fatalf("PutSetting(%q, %q): %v", st.name, st.value, err)
		}
		want[st.name] = st.value
		for name, value := range want {
			if got, err := s.Setting(ctx, name); err != nil || got != value {
				t.Errorf("after PutSetting(%q), Setting(%q) = %q, %v; want %q", st.name, name, got, err, value)
			}
		}
	}
}
