package worker

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"image/png"
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
	"github.com/pixmatch/pixmatch/shared/testphoto"
)

// side is one of two services holding the same gallery.
type side struct {
	svc *gallery.Service
	g   int64
}

// featureTwins opens a server's service (SQLite, both tiers in memory)
// and a Worker's (D1 with the feature tier's bags, both tiers looked up
// per search), each with one gallery.
func featureTwins(t *testing.T) (server, edge side, cloud *d1.Store) {
	t.Helper()
	ctx := context.Background()
	lite, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "pixmatch.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { lite.Close() })
	if cloud, err = OpenStore(ctx, d1test.Open(t), &d1.MemoryBlobs{}); err != nil {
		t.Fatal(err)
	}
	cfg := config.Default()
	// Answers are compared, not speed: enrolments and camera searches
	// are slow under the race detector on a busy machine.
	cfg.Search.Timeout, cfg.Images.FeatureTimeout = 10*time.Minute, 10*time.Minute
	for i, st := range []store.Store{lite, cloud} {
		g, err := gallery.NewAdmin(st).CreateGallery(ctx, store.Gallery{Name: "g"})
		if err != nil {
			t.Fatal(err)
		}
		opts := []gallery.Option{gallery.WithLookup(Lookup{cloud}), gallery.WithFeatureLookup(Features{cloud})}
		svc, err := gallery.Open(ctx, st, cfg, opts[:2*i]...)
		if err != nil {
			t.Fatal(err)
		}
		*[]*side{&server, &edge}[i] = side{svc, g.ID}
	}
	return server, edge, cloud
}

// add adds the photo name as the target id to both sides.
func add(t *testing.T, id, name string, active bool, sides ...side) {
	t.Helper()
	ctx := context.Background()
	for _, s := range sides {
		pic, err := s.svc.Pictures.Read(ctx, testphoto.File(name), gallery.Policy{})
		if err != nil {
			t.Fatal(err)
		}
		nt := gallery.NewTarget()
		nt.ID, nt.Name, nt.Active, nt.AllowSimilar = id, name, active, true
		nt.ProductID, nt.PicName = id, "front" // Replace finds it by these
		if _, err := s.svc.Targets.Add(ctx, s.g, nt, pic, gallery.AddOptions{Replace: true}); err != nil {
			t.Fatal(err)
		}
	}
}

// findIn returns what a search of frame finds, corners included.
func findIn(t *testing.T, s side, frame []byte, o gallery.SearchOptions) []string {
	t.Helper()
	ctx := context.Background()
	ms, err := s.svc.Recognition.Search(ctx, s.g, func(ctx context.Context) (*gallery.Picture, error) {
		return s.svc.Pictures.Read(ctx, frame, gallery.Policy{Search: true})
	}, o)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, m := range ms {
		out = append(out, fmt.Sprintf("%s@%d(%.4f)%.2f", m.Target.ID, m.Distance, m.Score, m.Corners))
	}
	return out
}

// encoded returns img as a PNG file.
func encoded(t *testing.T, img image.Image) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// TestFeaturesAnswerAsTheServer: the same targets added to a server and
// to a Worker (one inactive, one replaced by another picture, one
// deleted), the same camera frames — tilted, turned, pasted small into
// a scene, covered — find the same targets, by the same tier, with the
// same scores and the same corners, and the Worker finds the prints a
// server finds. A frame of no target finds nothing on both.
func TestFeaturesAnswerAsTheServer(t *testing.T) {
	ctx := context.Background()
	server, edge, cloud := featureTwins(t)
	names := testphoto.Names()
	targets := names[:4]
	for i, name := range targets {
		add(t, fmt.Sprintf("target-%d", i), name, i != 2, server, edge)
	}
	add(t, "target-3", names[5], true, server, edge) // a new picture: new words listed, the old ones gone
	for _, s := range []side{server, edge} {
		if _, err := s.svc.Targets.Delete(ctx, s.g, "target-1"); err != nil {
			t.Fatal(err)
		}
	}
	scene := distort.Mirror(testphoto.Image("grass"))
	options := []gallery.SearchOptions{{Limit: 3}, {Limit: 3, Near: true, DistinctProducts: true}}
	found := 0
	for i, name := range append(targets, names[5]) {
		e := distort.CameraCatalogue()[i]
		shoot, _ := e.Locate(distort.Params{Seed: uint64(i), Scene: scene})
		frame, _ := shoot(testphoto.Image(name))
		o := options[i%2]
		want := findIn(t, server, encoded(t, frame), o)
		got := findIn(t, edge, encoded(t, frame), o)
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s, %s, %+v: the Worker finds %v, the server %v", name, e.Name, o, got, want)
		}
		found += len(want)
	}
	if found < 2 { // target-0 and target-3 (its new picture): the others are deleted, inactive or replaced
		t.Fatalf("the server found %d prints: the comparison proves little", found)
	}
	lists, err := cloud.Lists(ctx, edge.g, []uint32{0})
	if err != nil || lists.Docs != 3 {
		t.Errorf("the Worker's tier lists %+v targets (%v), want the 3 left", lists, err)
	}
	t.Logf("both found the same %d prints", found)
}
