package gallery

import (
	"context"
	"errors"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/pixmatch/pixmatch/server/budget"
	"github.com/pixmatch/pixmatch/server/config"
	"github.com/pixmatch/pixmatch/server/store"
	"github.com/pixmatch/pixmatch/server/store/sqlite"
	"github.com/pixmatch/pixmatch/shared/distort"
	"github.com/pixmatch/pixmatch/shared/fingerprint"
	"github.com/pixmatch/pixmatch/shared/testphoto"
)

func open(t testing.TB) (*Service, *sqlite.Store, store.Gallery) {
	t.Helper()
	return openWith(t)
}

// openWith opens a service with opts on a new SQLite database, with a
// gallery; the store is closed when the test ends.
func openWith(t testing.TB, opts ...Option) (*Service, *sqlite.Store, store.Gallery) {
	t.Helper()
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	svc, err := Open(ctx, st, config.Default(), opts...)
	if err != nil {
		t.Fatal(err)
	}
	g, err := svc.Galleries.Create(ctx, store.Gallery{Name: "g", AppID: "app"})
	if err != nil {
		t.Fatal(err)
	}
	return svc, st, g
}

func picture(t *testing.T, name string, edits ...func(img imageT) imageT) *Picture {
	t.Helper()
	data := testphoto.File(name)
	if len(edits) > 0 {
		img := testphoto.Image(name)
		for _, e := range edits {
			img = e(img)
		}
		data = jpegOf(t, img)
	}
	pic, err := testService.Pictures.Read(context.Background(), data, Policy{})
	if err != nil {
		t.Fatal(err)
	}
	return pic
}

// testService decodes the pictures of tests that have no service of
// their own at hand.
var testService = bare(config.Default())

// bare is a service without a store: enough to decode pictures.
func bare(cfg config.Config) *Service {
	s := &Service{cfg: cfg, decodes: budget.New(cfg.Server.DecodeBytes)}
	s.Pictures = &Pictures{s}
	return s
}

// given is the search source of a picture decoded already.
func given(p *Picture) func(context.Context) (*Picture, error) {
	return func(context.Context) (*Picture, error) { return p, nil }
}

// crs is how the CRS dialect adds: no duplicates, nothing similar.
var crs = AddOptions{RefuseDuplicate: true, RefuseSimilar: true}

func TestAddSearchUpdateDelete(t *testing.T) {
	ctx := context.Background()
	svc, _, g := open(t)
	added := map[string]string{}
	for _, name := range []string{"coffee", "chelsea", "rocket"} {
		tg, err := svc.Targets.Add(ctx, g.ID, Target{Name: name, Active: true}, picture(t, name), crs)
		if err != nil {
			t.Fatal(err)
		}
		added[name] = tg.ID
	}
	if n, _ := svc.Targets.CountContext(t.Context(), g.ID); n != 3 {
		t.Fatalf("count %d", n)
	}
	if v, _ := svc.Galleries.ByID(g.ID); v.Version != 3 {
		t.Fatalf("version %d after three adds", v.Version)
	}
	ms, err := svc.Recognition.Search(ctx, g.ID, given(picture(t, "chelsea", distort.Rotate(1))), SearchOptions{Limit: 3})
	if err != nil || len(ms) != 1 || ms[0].Target.ID != added["chelsea"] || ms[0].Score < 0.5 {
		t.Fatalf("search: %v %+v", err, ms)
	}
	off := false
	if _, err := svc.Targets.Update(ctx, g.ID, added["chelsea"], Patch{Active: &off}); err != nil {
		t.Fatal(err)
	}
	if ms, _ := svc.Recognition.Search(ctx, g.ID, given(picture(t, "chelsea")), SearchOptions{}); len(ms) != 0 {
		t.Fatalf("inactive target found: %+v", ms)
	}
	if ms, _ := svc.Recognition.Similar(ctx, g.ID, picture(t, "chelsea")); len(ms) != 1 {
		t.Fatalf("similar misses the inactive target: %+v", ms)
	}
	_, err = svc.Targets.Add(ctx, g.ID, Target{Name: "again"}, picture(t, "coffee", distort.JPEG(50)), crs)
	var similar *SimilarError
	if !errors.As(err, &similar) || similar.Matches[0].Target.ID != added["coffee"] {
		t.Fatalf("similar add: %v", err)
	}
	if _, err := svc.Targets.Add(ctx, g.ID, Target{Name: "coffee"}, picture(t, "coffee"), AddOptions{RefuseDuplicate: true}); !errors.Is(err, ErrDuplicate) {
		t.Fatalf("duplicate add (same file, same name): %v", err)
	}
	_, err = svc.Targets.Add(ctx, g.ID, Target{Name: "again"}, picture(t, "coffee"), crs)
	if !errors.As(err, &similar) || similar.Matches[0].Distance != 0 {
		t.Fatalf("the same file under another name, similar refused: %v", err)
	}
	if _, err := svc.Targets.Delete(ctx, g.ID, added["coffee"], "missing"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("delete with a missing ID: %v", err)
	}
	if n, _ := svc.Targets.CountContext(t.Context(), g.ID); n != 3 {
		t.Fatalf("failed delete removed targets: count %d", n)
	}
	if _, err := svc.Targets.Delete(ctx, g.ID, added["coffee"], added["rocket"]); err != nil {
		t.Fatal(err)
	}
	if ms, _ := svc.Recognition.Search(ctx, g.ID, given(picture(t, "rocket")), SearchOptions{}); len(ms) != 0 {
		t.Fatalf("deleted target found: %+v", ms)
	}
}

// TestReopenRefingerprintsStaleTargets stores a fingerprint of an unknown
// algorithm version and checks that Open makes a new one from the image,
// logged as a change the service's version counts (followers copy it).
func TestReopenRefingerprintsStaleTargets(t *testing.T) {
	ctx := context.Background()
	svc, st, g := open(t)
	added, err := svc.Targets.Add(ctx, g.ID, Target{Name: "coffee", Active: true}, picture(t, "coffee"), AddOptions{})
	if err != nil {
		t.Fatal(err)
	}
	tg, err := st.Target(ctx, g.ID, added.ID, false)
	if err != nil {
		t.Fatal(err)
	}
	tg.Fingerprint = []byte{0xff, 0xff, 1, 0, 1, 2, 3, 4, 5, 6, 7, 8} // version 65535
	if _, err := st.UpdateTarget(ctx, tg); err != nil {
		t.Fatal(err)
	}
	svc2, err := Open(ctx, st, config.Default())
	if err != nil {
		t.Fatal(err)
	}
	ms, err := svc2.Recognition.Search(ctx, g.ID, given(picture(t, "coffee")), SearchOptions{})
	if err != nil || len(ms) != 1 {
		t.Fatalf("search after re-fingerprinting: %v %+v", err, ms)
	}
	stored, _ := st.Target(ctx, g.ID, tg.ID, false)
	var fp fingerprint.Fingerprint
	if err := fp.UnmarshalBinary(stored.Fingerprint); err != nil {
		t.Fatalf("stored fingerprint not renewed: %v", err)
	}
	held, _ := svc2.Galleries.ByID(g.ID)
	if sg, err := st.Gallery(ctx, g.ID); err != nil || held.Version != sg.Version {
		t.Errorf("the service holds version %d after re-fingerprinting, the store %d (%v)", held.Version, sg.Version, err)
	}
}

// TestRefresh picks up galleries changed behind the service's back.
func TestRefresh(t *testing.T) {
	ctx := context.Background()
	svc, st, g := open(t)
	other, err := st.CreateGallery(ctx, store.Gallery{Name: "other", AppID: "other"})
	if err != nil {
		t.Fatal(err)
	}
	g.QPS = 3
	if err := st.UpdateGallery(ctx, g); err != nil {
		t.Fatal(err)
	}
	if err := svc.Refresh(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Galleries.ByAppID("other"); err != nil {
		t.Fatalf("new gallery not loaded: %v", err)
	}
	if got, _ := svc.Galleries.ByID(g.ID); got.QPS != 3 {
		t.Fatalf("QPS %d after refresh, want 3", got.QPS)
	}
	if err := st.DeleteGallery(ctx, other.ID); err != nil {
		t.Fatal(err)
	}
	if err := svc.Refresh(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Galleries.ByAppID("other"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("deleted gallery still served: %v", err)
	}
}

// unhurried lifts the deadline of fingerprinting for a test of many
// pictures at once: under the race detector, on two loaded cores, 28
// derivations together outlast the production limit, which is not what
// such a test is about.
func unhurried(svc *Service) { svc.cfg.Images.FeatureTimeout = 5 * time.Minute }

// TestConcurrentWritesAndSearches runs adds, updates and searches at once.
func TestConcurrentWritesAndSearches(t *testing.T) {
	ctx := context.Background()
	svc, _, g := open(t)
	unhurried(svc)
	names := testphoto.Names()
	var wg sync.WaitGroup
	for i, name := range names {
		wg.Add(2)
		go func() {
			defer wg.Done()
			tg, err := svc.Targets.Add(ctx, g.ID, Target{Name: name, Active: true}, picture(t, name), AddOptions{})
			if err != nil {
				t.Error(err)
				return
			}
			n := "renamed"
			if _, err := svc.Targets.Update(ctx, g.ID, tg.ID, Patch{Name: &n}); err != nil {
				t.Error(err)
			}
		}()
		go func() {
			defer wg.Done()
			svc.Recognition.Search(ctx, g.ID, given(picture(t, names[(i+1)%len(names)])), SearchOptions{})
		}()
	}
	wg.Wait()
	if v, _ := svc.Galleries.ByID(g.ID); v.Version != int64(2*len(names)) {
		t.Fatalf("version %d, want %d", v.Version, 2*len(names))
	}
	for _, name := range names {
		ms, err := svc.Recognition.Search(ctx, g.ID, given(picture(t, name)), SearchOptions{})
		if err != nil || len(ms) == 0 || ms[0].Target.Name != "renamed" {
			t.Fatalf("%s: %v %+v", name, err, ms)
		}
	}
}
