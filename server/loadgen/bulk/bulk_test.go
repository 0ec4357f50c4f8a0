package bulk

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/pixmatch/pixmatch/server/config"
	"github.com/pixmatch/pixmatch/server/gallery"
	"github.com/pixmatch/pixmatch/server/loadgen"
	"github.com/pixmatch/pixmatch/server/store"
	"github.com/pixmatch/pixmatch/server/store/sqlite"
	"github.com/pixmatch/pixmatch/shared/fingerprint"
	"github.com/pixmatch/pixmatch/shared/imagefile"
	"github.com/pixmatch/pixmatch/shared/match"
)

// TestSeedIsFoundAsEnrolled seeds a gallery, continues the seeding, and
// opens a server's service on the store: every target is there, named
// and numbered as the API would have added it, with a feature record (so
// the server makes none in the background), and a search for a copy of
// each finds it. A target made from its drawn pixels (not its file) has
// a fingerprint within a few bits of the file's.
func TestSeedIsFoundAsEnrolled(t *testing.T) {
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	g, err := st.CreateGallery(ctx, store.Gallery{Name: "g", AppID: "app"})
	if err != nil {
		t.Fatal(err)
	}
	if n, err := Seed(ctx, st, g.ID, Options{Targets: 2, Seed: 5}); err != nil || n != 2 {
		t.Fatalf("seeded %d: %v", n, err)
	}
	if n, err := Seed(ctx, st, g.ID, Options{Targets: 4, Seed: 5, Workers: 2}); err != nil || n != 2 {
		t.Fatalf("seeded on %d: %v", n, err)
	}
	svc, err := gallery.Open(ctx, st, config.Default())
	if err != nil {
		t.Fatal(err)
	}
	if n := svc.Targets.Unfeatured(); n != 0 {
		t.Errorf("%d targets without a feature record", n)
	}
	for i := range 4 {
		data, err := loadgen.TargetJPEG(5, i)
		if err != nil {
			t.Fatal(err)
		}
		read := func(ctx context.Context) (*gallery.Picture, error) {
			return svc.Pictures.Read(ctx, data, gallery.Policy{Search: true})
		}
		ms, err := svc.Recognition.Search(ctx, g.ID, read, gallery.SearchOptions{Limit: 1})
		if err != nil || len(ms) != 1 || ms[0].Target.Name != loadgen.Name(i) || ms[0].Target.Meta == "" {
			t.Fatalf("target %d: %v %+v", i, err, ms)
		}
	}

	tmpl, err := st.Target(ctx, g.ID, mustID(t, svc, g.ID), false)
	if err != nil {
		t.Fatal(err)
	}
	files, err := exact(ctx, 5, 2, 2)
	if err != nil {
		t.Fatal(err)
	}
	drawn, err := row(tmpl, 5, 9, files, [][]byte{files[0]})
	if err != nil {
		t.Fatal(err)
	}
	var fromPixels fingerprint.Fingerprint
	if err := fromPixels.UnmarshalBinary(drawn.Fingerprint); err != nil {
		t.Fatal(err)
	}
	data, err := loadgen.TargetJPEG(5, 9)
	if err != nil {
		t.Fatal(err)
	}
	img, info, err := imagefile.Decode(data, imagefile.Limits{})
	if err != nil {
		t.Fatal(err)
	}
	query, err := fingerprint.QueryOf(fingerprint.Plane(img, info.Upright()))
	if err != nil {
		t.Fatal(err)
	}
	if d := match.Distance(query, fromPixels); d > fingerprint.Threshold/2 {
		t.Errorf("drawn target 9: distance %d from its file's query fingerprint", d)
	}
}

// mustID returns the ID of a target of the gallery.
func mustID(t *testing.T, svc *gallery.Service, g int64) string {
	t.Helper()
	ts, err := svc.Targets.List(context.Background(), g, store.Page{Limit: 1})
	if err != nil || len(ts) == 0 {
		t.Fatal(err)
	}
	return ts[0].ID
}
