package gallery

import (
	"cmp"
	"context"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"testing"
	"time"

	"github.com/pixmatch/pixmatch/server/config"
	"github.com/pixmatch/pixmatch/server/store"
	"github.com/pixmatch/pixmatch/server/store/sqlite"
	"github.com/pixmatch/pixmatch/shared/camera"
	"github.com/pixmatch/pixmatch/shared/distort"
	"github.com/pixmatch/pixmatch/shared/feature"
	"github.com/pixmatch/pixmatch/shared/fingerprint"
	"github.com/pixmatch/pixmatch/shared/match"
	"github.com/pixmatch/pixmatch/shared/testphoto"
)

var benchCache = flag.String("benchcache", "", "a folder keeping the camera benchmark's gallery between runs (default: made anew in a temporary folder)")

// cameraTargets is the size of the camera benchmark's gallery;
// decoyVersion names how its decoys are made, for -benchcache.
const (
	cameraTargets = 100_000
	decoyVersion  = 2
)

// BenchmarkCameraSearch searches a gallery of 100,000 targets, in SQLite,
// with camera frames of 7 of them: each of the first half of the test
// photos printed and shot by every recipe of distort.CameraCatalogue on
// another photo. It reports
// the median and 99th percentile of a whole search (query fingerprint,
// query features, both tiers, verification, reading the records), the
// ratio of the median to the hash tier alone in the same run (the query
// fingerprint and its index search, what a search cost before the
// feature tier), how many frames were found, the time Open takes to load
// the gallery, and the memory a target costs: the whole service's heap
// and a feature tier alone.
//
// Every test photo is a target; the other 99,986 targets are decoys:
// each has random hash codes and 500 features drawn from the features of
// the second half of the photos, whole and at half size (at random
// places, with a few bits flipped), so the words of the feature tier are
// spread as real descriptors' are and a query's words have long posting
// lists — but no decoy holds a feature of a queried photo.
// Building them takes a few minutes; -benchcache keeps them.
func BenchmarkCameraSearch(b *testing.B) {
	ctx := context.Background()
	path, ids := cameraGallery(b)
	st, err := sqlite.Open(ctx, path)
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	heap := heapAfterGC()
	t0 := time.Now()
	svc, err := Open(ctx, st, config.Default())
	if err != nil {
		b.Fatal(err)
	}
	opened := time.Since(t0)
	perTarget := float64(heapAfterGC()-heap) / cameraTargets
	sh := svc.shelfList()[0]
	if n := sh.tier.Len(); n != cameraTargets {
		b.Fatalf("the tier holds %d targets", n)
	}
	tierBytes := tierPerTarget(b, st, sh.id)
	queries := cameraQueries(b, svc)

	var took, base []time.Duration
	found := 0
	for i := 0; b.Loop(); i++ {
		q := queries[i%len(queries)]
		t0 := time.Now()
		ms, err := svc.Recognition.Search(ctx, sh.id, given(q.pic), SearchOptions{Limit: 1})
		t1 := time.Now()
		if err != nil {
			b.Fatal(err)
		}
		fp, err := q.pic.prints(fingerprint.QueryOf)
		if err == nil {
			_, err = match.Search(ctx, sh.index, fp, match.Options{Limit: 1})
		}
		if err != nil {
			b.Fatal(err)
		}
		took, base = append(took, t1.Sub(t0)), append(base, time.Since(t1))
		if len(ms) > 0 && ms[0].Target.ID == ids[q.photo] {
			found++
		}
	}
	slices.Sort(took)
	slices.Sort(base)
	at := func(ds []time.Duration, p float64) float64 {
		return float64(ds[min(len(ds)-1, int(p*float64(len(ds))))].Microseconds()) / 1000
	}
	b.ReportMetric(at(took, 0.5), "ms-median")
	b.ReportMetric(at(took, 0.99), "ms-p99")
	b.ReportMetric(at(took, 0.5)/at(base, 0.5), "x-hash-tier")
	b.ReportMetric(100*float64(found)/float64(len(took)), "%found")
	b.ReportMetric(opened.Seconds(), "s-open")
	b.ReportMetric(perTarget, "B/target")
	b.ReportMetric(tierBytes, "tier-B/target")
}

// heapAfterGC returns the live heap after a collection.
func heapAfterGC() uint64 {
	runtime.GC()
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}

// tierPerTarget returns the heap a feature tier of the gallery's records
// takes, per target.
func tierPerTarget(b *testing.B, st store.Store, gallery int64) float64 {
	vocab, err := camera.Vocabulary()
	if err != nil {
		b.Fatal(err)
	}
	heap := heapAfterGC()
	tier := camera.New(vocab)
	err = st.EachFeatures(context.Background(), gallery, func(id string, data []byte) error {
		var r feature.Record
		if err := r.UnmarshalBinary(data); err != nil {
			return err
		}
		tier.Put(id, r.Features)
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
	used := float64(heapAfterGC()-heap) / float64(tier.Len())
	runtime.KeepAlive(tier)
	return used
}

// cameraQuery is a camera frame of a test photo.
type cameraQuery struct {
	photo string
	pic   *Picture
}

// cameraQueries shoots each of the queried photos with every camera
// recipe, on the mirror image of the next photo (no target shows a mirror
// image).
func cameraQueries(b *testing.B, svc *Service) []cameraQuery {
	names := testphoto.Names()
	var out []cameraQuery
	for i, n := range names[:len(names)/2] {
		scene := distort.Mirror(testphoto.Image(names[(i+1)%len(names)]))
		for k, e := range distort.CameraCatalogue() {
			shoot, ok := e.Locate(distort.Params{Seed: uint64(100*i + k), Scene: scene})
			if !ok {
				continue
			}
			frame, _ := shoot(testphoto.Image(n))
			pic, err := svc.Pictures.Read(context.Background(), jpegOf(b, frame), Policy{})
			if err != nil {
				b.Fatal(err)
			}
			out = append(out, cameraQuery{photo: n, pic: pic})
		}
	}
	return out
}

// cameraGallery returns the path of the benchmark's database and the IDs
// of the test photos' targets in it, building it unless -benchcache
// holds one complete for these versions of the fingerprint, the features
// and their enrolment.
func cameraGallery(b *testing.B) (string, map[string]string) {
	dir := *benchCache
	if dir == "" {
		dir = b.TempDir()
	} else if err := os.MkdirAll(dir, 0o700); err != nil {
		b.Fatal(err)
	}
	path := filepath.Join(dir, fmt.Sprintf("camera-%d-fp%d-f%d-e%d-d%d.db", cameraTargets, fingerprint.Version, feature.Version, feature.EnrolmentVersion, decoyVersion))
	ctx := context.Background()
	if st, err := sqlite.Open(ctx, path); err == nil {
		ids, err := benchIDs(ctx, st)
		st.Close()
		if err == nil {
			return path, ids
		}
	}
	for _, suffix := range []string{"", "-wal", "-shm"} {
		os.Remove(path + suffix)
	}
	buildCameraGallery(b, path)
	st, err := sqlite.Open(ctx, path)
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	ids, err := benchIDs(ctx, st)
	if err != nil {
		b.Fatal(err)
	}
	return path, ids
}

// benchIDs returns the IDs of the test photos' targets of a complete
// benchmark database.
func benchIDs(ctx context.Context, st *sqlite.Store) (map[string]string, error) {
	if done, err := st.Setting(ctx, "bench"); err != nil || done != "complete" {
		return nil, fmt.Errorf("incomplete benchmark gallery: %q, %v", done, err)
	}
	g, err := st.GalleryByName(ctx, "bench")
	if err != nil {
		return nil, err
	}
	ids := map[string]string{}
	for _, n := range testphoto.Names() {
		t, err := st.TargetByName(ctx, g.ID, n, n)
		if err != nil {
			return nil, err
		}
		ids[n] = t.ID
	}
	return ids, nil
}

// buildCameraGallery adds the test photos as targets, then the decoys.
func buildCameraGallery(b *testing.B, path string) {
	ctx := context.Background()
	svc, st, g := benchService(b, path)
	defer st.Close()
	var pool []feature.Feature // what decoys are made of
	var codes int
	names := testphoto.Names()
	for i, n := range names {
		pic, err := svc.Pictures.Read(ctx, testphoto.File(n), Policy{})
		if err != nil {
			b.Fatal(err)
		}
		if _, err := svc.Targets.Add(ctx, g.ID, Target{Name: n, ProductID: n, PicName: n, Active: true}, pic, AddOptions{}); err != nil {
			b.Fatal(err)
		}
		fp, err := pic.prints(fingerprint.TargetOf)
		if err != nil {
			b.Fatal(err)
		}
		codes = max(codes, len(fp.Codes))
		if i >= len(names)/2 {
			pool = append(pool, pic.features(feature.TargetOptions)...)
			half := distort.Scale(0.5)(testphoto.Image(n))
			pool = append(pool, feature.Extract(feature.Plane(half, feature.TargetOptions), feature.TargetOptions)...)
		}
	}
	rnd := rand.New(rand.NewPCG(1, 2))
	for i := len(testphoto.Names()); i < cameraTargets; i++ {
		if _, err := st.CreateTarget(ctx, decoy(b, rnd, g.ID, i, pool, codes)); err != nil {
			b.Fatal(err)
		}
	}
	if err := st.PutSetting(ctx, "bench", "complete"); err != nil {
		b.Fatal(err)
	}
}

// decoy returns a target of random hash codes and a feature record drawn
// from pool.
func decoy(b *testing.B, rnd *rand.Rand, gallery int64, i int, pool []feature.Feature, codes int) store.Target {
	fp := fingerprint.Fingerprint{Version: fingerprint.Version, Codes: make([]fingerprint.Code, codes)}
	for k := range fp.Codes {
		c := &fp.Codes[k]
		c.Window = fingerprint.Window(k % int(fingerprint.Windows))
		c.Hash = rnd.Uint64()
		for j := range c.Checks {
			c.Checks[j] = rnd.Uint64()
		}
	}
	print, err := fp.MarshalBinary()
	if err != nil {
		b.Fatal(err)
	}
	const side = 640
	fs := make([]feature.Feature, feature.TargetOptions.Max)
	for k := range fs {
		f := pool[rnd.IntN(len(pool))]
		f.X = float32(rnd.IntN(8*(side-32))+8*16) / 8
		f.Y = float32(rnd.IntN(8*(side-32))+8*16) / 8
		for range 8 {
			bit := rnd.IntN(feature.Bits)
			f.Desc[bit/64] ^= 1 << (bit % 64)
		}
		fs[k] = f
	}
	slices.SortStableFunc(fs, func(a, b feature.Feature) int { return cmp.Compare(b.Response, a.Response) })
	record, err := feature.Record{Width: side, Height: side, Features: fs, Enrolment: feature.EnrolmentVersion}.MarshalBinary()
	if err != nil {
		b.Fatal(err)
	}
	id := fmt.Sprintf("decoy-%06d", i)
	t := store.Target{Gallery: gallery, ID: id, Name: id, ProductID: id, PicName: id, Active: true,
		Image: []byte(id), Fingerprint: print, Grade: []byte{1}, Features: record}
	t.ImageSHA256[0], t.ImageSHA256[1], t.ImageSHA256[2] = byte(i), byte(i>>8), byte(i>>16)
	return t
}
