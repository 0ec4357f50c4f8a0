package sync

import (
	"bytes"
	"compress/gzip"
	"context"
	"flag"
	"math/rand/v2"
	"reflect"
	"slices"
	"strconv"
	"testing"

	"github.com/pixmatch/pixmatch/shared/camera"
	"github.com/pixmatch/pixmatch/shared/distort"
	"github.com/pixmatch/pixmatch/shared/feature"
	"github.com/pixmatch/pixmatch/shared/fingerprint"
	"github.com/pixmatch/pixmatch/shared/index"
	"github.com/pixmatch/pixmatch/shared/match"
	"github.com/pixmatch/pixmatch/shared/syncwire"
	"github.com/pixmatch/pixmatch/shared/testphoto"
)

// levelsOf returns a record whose features are on the levels given, in
// that order, each with a distinct descriptor.
func levelsOf(levels ...int) feature.Record {
	r := feature.Record{Width: 640, Height: 480}
	for i, l := range levels {
		r.Features = append(r.Features, feature.Feature{Keypoint: feature.Keypoint{Octave: int8(l)}, Desc: feature.Descriptor{uint64(i)}})
	}
	return r
}

// perLevel counts the features of r on each level.
func perLevel(r feature.Record) map[int8]int {
	n := map[int8]int{}
	for _, f := range r.Features {
		n[f.Octave]++
	}
	return n
}

// TestSynced checks the cut of a record a follower is sent: each level an
// equal share, a level with fewer features leaving its share to the
// others, the first features of each level kept, in the record's order,
// without the nodes a server's record keeps.
func TestSynced(t *testing.T) {
	rnd := rand.New(rand.NewPCG(1, 2))
	var levels []int
	for l, n := range []int{200, 120, 80, 50, 30, 15, 5} {
		for range n {
			levels = append(levels, l)
		}
	}
	rnd.Shuffle(len(levels), func(i, j int) { levels[i], levels[j] = levels[j], levels[i] })
	r := levelsOf(levels...)
	kept := slices.Clone(r.Features)
	got := synced(r, 250)
	// 250 over 7 levels: 35 each, of which levels 4, 5 and 6 take 30, 15
	// and 5; the 60 left go to levels 0 to 3, 15 each.
	want := map[int8]int{0: 50, 1: 50, 2: 50, 3: 50, 4: 30, 5: 15, 6: 5}
	if n := perLevel(got); !reflect.DeepEqual(n, want) {
		t.Fatalf("kept per level %v, want %v", n, want)
	}
	if got.Width != r.Width || got.Height != r.Height {
		t.Fatalf("plane %d×%d, want %d×%d", got.Width, got.Height, r.Width, r.Height)
	}
	for _, in := range []feature.Record{r, levelsOf(0, 0, 3)} { // cut, and whole
		in.Guide, in.Cells = 7, make([]uint32, len(in.Features))
		if got := synced(in, 250); got.Guide != 0 || got.Cells != nil || in.Cells == nil {
			t.Fatalf("a record keeping its nodes is sent with %d cells named %d (its own left with %d)", len(got.Cells), got.Guide, len(in.Cells))
		}
	}
	// The kept features are the first of their level, in order.
	seen := map[int8]int{}
	j := 0
	for _, f := range r.Features {
		if seen[f.Octave] < want[f.Octave] {
			if j >= len(got.Features) || got.Features[j] != f {
				t.Fatalf("kept feature %d is not the next of the record's first of each level", j)
			}
			j++
		}
		seen[f.Octave]++
	}
	if !reflect.DeepEqual(r.Features, kept) {
		t.Fatal("synced modified the record")
	}
	// A record of no more features than asked for is sent whole.
	small := levelsOf(0, 0, 3)
	if got := synced(small, 3); !reflect.DeepEqual(got, small) {
		t.Fatalf("a record of 3 features cut to 3: %+v", got)
	}
	if got := synced(levelsOf(0, 0, 0, 0), 2); len(got.Features) != 2 {
		t.Fatalf("a record of one level cut to 2: %d features", len(got.Features))
	}
}

// TestSyncedPhotoRecord cuts the record of a photo, as the server stores
// it, to FeaturesPerTarget features, and sends it.
func TestSyncedPhotoRecord(t *testing.T) {
	if FeaturesPerTarget > syncwire.MaxFeatures {
		t.Fatalf("FeaturesPerTarget %d is more than a batch carries (%d)", FeaturesPerTarget, syncwire.MaxFeatures)
	}
	p := feature.Plane(testphoto.Image("astronaut"), feature.TargetOptions)
	r := feature.Record{Width: p.Rect.Dx(), Height: p.Rect.Dy(), Features: feature.Extract(p, feature.TargetOptions)}
	got := synced(r, FeaturesPerTarget)
	if want := min(len(r.Features), FeaturesPerTarget); len(got.Features) != want {
		t.Fatalf("%d features kept of %d, want %d", len(got.Features), len(r.Features), want)
	}
	t.Logf("kept per level %v of %v", perLevel(got), perLevel(r))
	b := syncwire.Batch{Kind: syncwire.Snapshot, Fingerprint: fingerprint.Version, Tables: int(fingerprint.Windows),
		FeatureVersion: int(feature.Version), To: 1, Records: []syncwire.Record{{Seq: 1, Active: true, Codes: []index.Code{{}}, Features: &got}}}
	if _, err := syncwire.Encode(b); err != nil {
		t.Fatal(err)
	}
}

// randomFeatures returns n random features as a record holds them
// exactly, on a 640×480 plane: the worst case for gzip.
func randomFeatures(rnd *rand.Rand, n int) []feature.Feature {
	fs := make([]feature.Feature, n)
	for i := range fs {
		f := &fs[i]
		f.X, f.Y = float32(rnd.IntN(8*640))/8, float32(rnd.IntN(8*480))/8
		f.Size = float32(rnd.IntN(8*200)) / 8
		f.Response = rnd.Float32() * 1e8
		f.Octave = int8(rnd.IntN(feature.MaxLevels))
		for k := range f.Desc {
			f.Desc[k] = rnd.Uint64()
		}
	}
	return fs
}

// firstSyncBudget is the most bytes a first sync may take on the wire.
const firstSyncBudget = 3 << 20

// TestFirstSyncSize encodes, as the handler sends it, the first sync of a
// gallery of FeatureTargets active targets, each with its browser codes
// and a record of FeaturesPerTarget random features, and checks that it
// fits the budget of a first sync.
func TestFirstSyncSize(t *testing.T) {
	rnd := rand.New(rand.NewPCG(3, 4))
	b := newBatch(syncwire.Snapshot, match.Browser)
	b.FeatureVersion, b.To = int(feature.Version), FeatureTargets
	for seq := range FeatureTargets {
		codes := make([]index.Code, 2)
		for i := range codes {
			codes[i] = index.Code{Table: i, Key: rnd.Uint64(), Checks: [index.Checks]uint64{rnd.Uint64(), rnd.Uint64()}}
		}
		r := &feature.Record{Width: 640, Height: 480, Features: randomFeatures(rnd, FeaturesPerTarget)}
		b.Records = append(b.Records, syncwire.Record{Seq: uint64(seq + 1), Active: true, Codes: codes, Name: "poster-" + strconv.Itoa(seq), Features: r})
	}
	data, err := syncwire.Encode(b)
	if err != nil {
		t.Fatal(err)
	}
	var z bytes.Buffer
	w, _ := gzip.NewWriterLevel(&z, gzip.BestCompression)
	w.Write(data)
	w.Close()
	t.Logf("a first sync of %d targets with %d features each: %d bytes, %d gzipped (%.1f KB a target)",
		FeatureTargets, FeaturesPerTarget, len(data), z.Len(), float64(z.Len())/FeatureTargets/1024)
	if z.Len() > firstSyncBudget {
		t.Fatalf("%d bytes gzipped, over the budget of %d", z.Len(), firstSyncBudget)
	}
}

var measureFlag = flag.Bool("measure", false, "TestMeasureSyncedFeatures: how many camera shots the synced records find")

// TestMeasureSyncedFeatures prints, with -measure, how many camera shots
// of the test photos (each recipe of distort.CameraCatalogue, two seeds,
// on the next photo mirrored) a follower holding the records of all of
// them finds, and finds as the right target, with records cut to each
// number of features, the strongest or spread over the levels: the
// numbers FeaturesPerTarget was chosen by.
func TestMeasureSyncedFeatures(t *testing.T) {
	if !*measureFlag {
		t.Skip("a measurement, not a test: run with -measure -v")
	}
	names := testphoto.Names()
	full := map[string]feature.Record{}
	for _, n := range names {
		p := feature.Plane(testphoto.Image(n), feature.TargetOptions)
		full[n] = feature.Record{Width: p.Rect.Dx(), Height: p.Rect.Dy(), Features: feature.Extract(p, feature.TargetOptions)}
	}
	type shot struct {
		target, recipe string
		q              []feature.Feature
		w, h           int
	}
	var shots []shot
	for i, n := range names {
		scene := distort.Mirror(testphoto.Image(names[(i+1)%len(names)]))
		for _, e := range distort.CameraCatalogue() {
			for seed := range uint64(2) {
				take, _ := e.Locate(distort.Params{Seed: seed + 1, Scene: scene})
				frame, _ := take(testphoto.Image(n))
				p := feature.Plane(frame, feature.QueryOptions)
				shots = append(shots, shot{n, e.Name, feature.Extract(p, feature.QueryOptions), p.Rect.Dx(), p.Rect.Dy()})
			}
		}
	}
	strongest := func(r feature.Record, k int) feature.Record {
		r.Features = r.Features[:min(k, len(r.Features))]
		return r
	}
	for _, cut := range []struct {
		name string
		f    func(feature.Record, int) feature.Record
	}{{"strongest", strongest}, {"spread", synced}} {
		for _, k := range []int{150, 200, 250, 300, 500} {
			recs := map[string]feature.Record{}
			for n, r := range full {
				recs[n] = cut.f(r, k)
			}
			right, wrong, by := 0, 0, map[string]int{}
			for _, s := range shots {
				found, _ := camera.Verify(context.Background(), s.q, s.w, s.h, names, recs, feature.DefaultVerifyOptions)
				if len(found) > 0 && found[0].ID == s.target {
					right++
					by[s.recipe]++
				}
				for _, f := range found {
					if f.ID != s.target {
						wrong++
					}
				}
			}
			t.Logf("%-9s %3d: %5.1f %% right (%d of %d), %d wrong %v", cut.name, k,
				100*float64(right)/float64(len(shots)), right, len(shots), wrong, by)
		}
	}
}
