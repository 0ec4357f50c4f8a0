package worker

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"image"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"github.com/pixmatch/pixmatch/server/config"
	"github.com/pixmatch/pixmatch/server/gallery"
	"github.com/pixmatch/pixmatch/server/store"
	"github.com/pixmatch/pixmatch/server/store/d1"
	"github.com/pixmatch/pixmatch/server/store/d1/d1test"
	"github.com/pixmatch/pixmatch/server/store/sqlite"
	"github.com/pixmatch/pixmatch/shared/distort"
	"github.com/pixmatch/pixmatch/shared/fingerprint"
	"github.com/pixmatch/pixmatch/shared/testphoto"
)

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

// openEdge opens a D1 store on a D1-mode database, as a Worker does.
func openEdge(t *testing.T) *d1.Store {
	t.Helper()
	st, err := d1.Open(context.Background(), d1test.Open(t), &d1.MemoryBlobs{})
	if err != nil {
		t.Fatal(err)
	}
	return st
}

// twins opens a server's service (SQLite, indexes in memory) and a
// Worker's (D1, WithLookup), each with one gallery, and returns them with
// their galleries' IDs.
func twins(t *testing.T) (server, edge *gallery.Service, gs, ge int64) {
	t.Helper()
	ctx := context.Background()
	lite, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "pixmatch.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { lite.Close() })
	cloud := openEdge(t)
	var ids [2]int64
	for i, st := range []store.Store{lite, cloud} {
		g, err := gallery.NewAdmin(st).CreateGallery(ctx, store.Gallery{Name: "g"})
		if err != nil {
			t.Fatal(err)
		}
		ids[i] = g.ID
	}
	// The comparison is of answers, not of speed: near misses are slow
	// in SQLite under the race detector on a busy machine.
	cfg := config.Default()
	cfg.Search.Timeout = time.Minute
	if server, err = gallery.Open(ctx, lite, cfg); err != nil {
		t.Fatal(err)
	}
	if edge, err = gallery.Open(ctx, cloud, cfg, gallery.WithLookup(Lookup{cloud})); err != nil {
		t.Fatal(err)
	}
	return server, edge, ids[0], ids[1]
}

// TestLookupAnswersAsTheServer: the same targets added to a server and
// to a Worker, the same queries (edited photos of targets, and photos of
// none) find the same targets at the same distances and scores, matches
// and near misses alike.
func TestLookupAnswersAsTheServer(t *testing.T) {
	ctx := context.Background()
	server, edge, gs, ge := twins(t)
	names := testphoto.Names()
	targets, others := names[:4], names[4:6]
	for i, name := range targets {
		for _, side := range []struct {
			svc *gallery.Service
			g   int64
		}{{server, gs}, {edge, ge}} {
			pic, err := side.svc.Pictures.Read(ctx, testphoto.File(name), gallery.Policy{})
			if err != nil {
				t.Fatal(err)
			}
			nt := gallery.NewTarget()
			nt.ID, nt.Name, nt.Active = fmt.Sprintf("target-%d", i), name, i%4 != 3
			if _, err := side.svc.Targets.Add(ctx, side.g, nt, pic, gallery.AddOptions{}); err != nil {
				t.Fatal(err)
			}
		}
	}
	edits := map[string]func(image.Image) image.Image{
		"half size": distort.Scale(0.5), "mirrored": distort.Mirror, "turned": distort.Rotate(1),
	}
	found := 0
	for i, name := range append(targets, others...) {
		for edit, apply := range edits {
			fp, err := fingerprint.Query(apply(testphoto.Image(name)))
			if err != nil {
				t.Fatal(err)
			}
			// Near misses are looked up with more flips (d1.MaxBudget),
			// slow in SQLite under the race detector: a few queries.
			for _, near := range []bool{false, true}[:1+boolInt(edit == "half size" && i%3 == 0)] {
				o := gallery.SearchOptions{Limit: 5, Near: near}
				want := search(t, server, gs, fp, o)
				got := search(t, edge, ge, fp, o)
				if !reflect.DeepEqual(got, want) {
					t.Errorf("%s, %s, near %v: the Worker finds %v, the server %v", name, edit, near, got, want)
				}
				found += len(want)
			}
		}
	}
	if found == 0 {
		t.Fatal("the server found nothing: the comparison proves nothing")
	}
	t.Logf("both found the same %d matches and near misses", found)
}

// search returns the IDs, distances and scores a hash-tier search finds.
func search(t *testing.T, svc *gallery.Service, g int64, fp fingerprint.Fingerprint, o gallery.SearchOptions) []string {
	t.Helper()
	ms, err := svc.Recognition.SearchQuery(context.Background(), g, func(context.Context) (gallery.Query, error) {
		return gallery.Query{Print: fp}, nil
	}, o)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, m := range ms {
		out = append(out, fmt.Sprintf("%s@%d(%.3f)", m.Target.ID, m.Distance, m.Score))
	}
	return out
}

// TestFirstUse: an empty store gets one gallery and one key from the
// environment; a store with a gallery gets nothing; unset values are
// generated.
func TestFirstUse(t *testing.T) {
	ctx := context.Background()
	env := map[string]string{EnvInstance: "shop", EnvAppID: "app-1", EnvAPIKey: "key-1", EnvAPISecret: "secret-1"}
	st := openEdge(t)
	for range 2 {
		if err := FirstUse(ctx, st, func(k string) string { return env[k] }, quiet); err != nil {
			t.Fatal(err)
		}
	}
	gs, err := st.Galleries(ctx)
	if err != nil || len(gs) != 1 || gs[0].Name != "shop" || gs[0].AppID != "app-1" {
		t.Errorf("galleries after first use: %+v, %v", gs, err)
	}
	ks, err := st.Keys(ctx)
	if err != nil || len(ks) != 1 || ks[0].ID != "key-1" || ks[0].Secret != "secret-1" || ks[0].Gallery != 0 {
		t.Errorf("keys after first use: %+v, %v", ks, err)
	}

	bare := openEdge(t)
	if err := FirstUse(ctx, bare, func(string) string { return "" }, quiet); err != nil {
		t.Fatal(err)
	}
	gs, _ = bare.Galleries(ctx)
	ks, _ = bare.Keys(ctx)
	if len(gs) != 1 || gs[0].Name != "default" || gs[0].AppID == "" || len(ks) != 1 || ks[0].ID == "" || ks[0].Secret == "" {
		t.Errorf("first use without the variables: %+v, %+v", gs, ks)
	}
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// TestAnswersUncompressed: the Worker's app gzips nothing, even for a
// client that accepts gzip (the web app's page, a sync batch), since the
// Workers runtime gzips a body marked gzip again.
func TestAnswersUncompressed(t *testing.T) {
	env := map[string]string{EnvAppID: "app-1", EnvAPIKey: "key-1", EnvAPISecret: "secret-1"}
	h, err := New(context.Background(), d1test.Open(t), &d1.MemoryBlobs{}, func(k string) string { return env[k] }, quiet)
	if err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{"/", "/app/app.js"} {
		req := httptest.NewRequest(http.MethodGet, path, nil)
		req.Header.Set("Accept-Encoding", "gzip, deflate, br")
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != http.StatusOK || rec.Header().Get("Content-Encoding") != "" || !bytes.Contains(rec.Body.Bytes(), []byte("pixmatch")) {
			t.Errorf("GET %s: HTTP %d, Content-Encoding %q, %.40q", path, rec.Code, rec.Header().Get("Content-Encoding"), rec.Body.Bytes())
		}
	}
}

// TestSearchLimitsOutliveTheService: a Worker's service lasts one
// request, so the searches counted against a gallery's daily allowance
// live in D1: a second service over the same database (the next request)
// refuses the search the first one's used up.
func TestSearchLimitsOutliveTheService(t *testing.T) {
	ctx := context.Background()
	st := openEdge(t)
	g, err := gallery.NewAdmin(st).CreateGallery(ctx, store.Gallery{Name: "g", DailySearches: 1})
	if err != nil {
		t.Fatal(err)
	}
	search := func() error {
		svc, err := gallery.Open(ctx, st, config.Default(), gallery.WithLookup(Lookup{st}), gallery.WithCounter(st))
		if err != nil {
			t.Fatal(err)
		}
		_, err = svc.Recognition.SearchQuery(ctx, g.ID, func(context.Context) (gallery.Query, error) { return gallery.Query{}, nil }, gallery.SearchOptions{})
		return err
	}
	if err := search(); !errors.Is(err, gallery.ErrNoActiveTargets) {
		t.Fatalf("the first search: %v, want it admitted (and finding no active target)", err)
	}
	if err := search(); !errors.Is(err, gallery.ErrDailyLimit) {
		t.Errorf("the second search, in another service: %v, want ErrDailyLimit", err)
	}
}
