//go:build linux

package worker

import (
	"context"
	"database/sql"
	"encoding/base64"
	"flag"
	"image"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	imagesearch "github.com/alibabacloud-go/imagesearch-20201214/v4/client"
	"github.com/alibabacloud-go/tea/dara"
	_ "modernc.org/sqlite" // TestMeasureWorkerd writes the local D1 file

	"github.com/pixmatch/pixmatch/server/store/d1"
	"github.com/pixmatch/pixmatch/server/store/storetest"
	"github.com/pixmatch/pixmatch/server/worker/workerdtest"
	"github.com/pixmatch/pixmatch/shared/bow"
	"github.com/pixmatch/pixmatch/shared/camera"
	"github.com/pixmatch/pixmatch/shared/distort"
	"github.com/pixmatch/pixmatch/shared/feature"
	"github.com/pixmatch/pixmatch/shared/fingerprint"
	"github.com/pixmatch/pixmatch/shared/testphoto"
)

var (
	measure        = flag.Bool("measure", false, "run TestMeasureWorkerd: searches of a large gallery under workerd")
	measureTargets = flag.Int("targets", 10_000, "TestMeasureWorkerd's gallery size")
	measureRounds  = flag.Int("rounds", 15, "TestMeasureWorkerd's requests of each kind")
	measureOnly    = flag.String("only", "", "TestMeasureWorkerd's kinds of request: those whose name holds one of these comma-separated words (all when empty)")
	measureProfile = flag.String("profile", "", "a folder TestMeasureWorkerd writes a V8 CPU profile of the isolate to, for each kind of request (none when empty)")
	measureSeeded  = flag.String("seeded", "", "a folder TestMeasureWorkerd keeps its seeded local D1 and R2 in: seeded when empty, copied from when not")
)

// TestMeasureWorkerd measures requests to the Worker under wrangler dev
// with a gallery of -targets targets: one real photo and the rest of
// random codes and random bags of words (BagFeatures words each, their
// feature records those of decoy pictures), written straight into the local D1 file
// while wrangler is stopped. For /ping (a request's floor: the app
// assembled), searches that find the photo's copy, searches that find
// nothing (both tiers run: the same photo each time, or each time
// another, whose shortlist the isolate has not read yet), and searches
// of a camera frame of the photo
// (the feature tier finds it; sent as a picture and as its features), it
// logs the wall time at the client and the CPU time workerd
// spent per request (its utime+stime from /proc, before and after the
// requests of a kind, divided by their number), and the memory after
// them: the Go instance's (the peak worker.mjs logs) and workerd's
// resident set, and how many instances were retired. The copy found is
// half the photo's size (240×240); a large copy (960×960) shows what the
// size of a query costs. Run it with
//
//	go test ./server/worker -run MeasureWorkerd -v -args -measure
//
// -only copy,ping measures those kinds alone; -seeded DIR keeps the
// seeded gallery in DIR and starts the next runs from a copy of it.
func TestMeasureWorkerd(t *testing.T) {
	if !*measure {
		t.Skip("a measurement: run with -measure")
	}
	state := t.TempDir()
	names := testphoto.Names()
	if !seeded(t, state) {
		w, _ := startWorkerd(t, state)
		w.crs(http.MethodPost, "/targets", map[string]string{"image": photo(t, names[0], same), "name": "real"}).want(t, "create", 200, 0)
		for i := range decoys {
			img := base64.StdEncoding.EncodeToString(encodeJPEG(t, decoy(uint64(i))))
			w.crs(http.MethodPost, "/targets", map[string]string{"image": img, "name": "decoy-" + strconv.Itoa(i)}).want(t, "create decoy", 200, 0)
		}
		w.Stop()
		seed(t, localD1(t, state), *measureTargets-1-decoys)
		keepSeeded(t, state)
	}
	w, cold, inspector := startMeasured(t, state)
	t.Logf("restart to the first /ping: %v", cold.Round(time.Millisecond))
	if rss, err := w.RSS(); err == nil {
		t.Logf("after the first /ping: Go memory %.1f MB, workerd RSS %.1f MB", float64(goMemory(w.Log()))/1e6, float64(rss)/1e6)
	}
	copyOf := base64.StdEncoding.EncodeToString(encodeJPEG(t, distort.Scale(0.5)(testphoto.Image(names[0]))))
	large := base64.StdEncoding.EncodeToString(encodeJPEG(t, distort.Scale(2)(testphoto.Image(names[0])))) // 960×960, a phone's photo scaled down
	other := base64.StdEncoding.EncodeToString(testphoto.File(names[5]))
	frame, features := cameraFrame(t, names[0])
	var others []string // the other photos, for searches that read new shortlists
	for _, n := range names[1:] {
		others = append(others, base64.StdEncoding.EncodeToString(testphoto.File(n)))
	}
	next := 0
	sdk, _ := w.sdk(workerdSecret)
	for _, r := range []struct {
		what string
		send func() reply
	}{
		{"ping", func() reply { return w.crs(http.MethodGet, "/ping", nil) }},
		{"search of a copy (found)", func() reply { return w.crs(http.MethodPost, "/search", map[string]string{"image": copyOf}) }},
		{"search of another photo (17)", func() reply { return w.crs(http.MethodPost, "/search", map[string]string{"image": other}) }},
		{"search of another photo, a new one each time (17)", func() reply {
			next++
			return w.crs(http.MethodPost, "/search", map[string]string{"image": others[next%len(others)]})
		}},
		{"search of a large copy (960×960)", func() reply { return w.crs(http.MethodPost, "/search", map[string]string{"image": large}) }},
		{"search of a copy through Alibaba (near misses too)", func() reply { return alibabaSearch(t, sdk, copyOf) }},
		{"search of a camera frame (found)", func() reply { return w.crs(http.MethodPost, "/search", map[string]string{"image": frame}) }},
		{"search of a camera frame's features (found)", func() reply {
			return w.crs(http.MethodPost, "/search/features", map[string]string{"features": features})
		}},
	} {
		if !measured(r.what) {
			continue
		}
		first, err := w.CPU()
		if err != nil {
			t.Fatal(err)
		}
		r.send() // the isolate warm; the first search that needs the vocabulary loads it
		n := *measureRounds
		before, err := w.CPU()
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("%s: the first request's workerd CPU %v", r.what, (before - first).Round(time.Millisecond))
		prof := startProfile(t, inspector, r.what)
		var took []time.Duration
		for range n {
			took = append(took, r.send().took)
		}
		after, _ := w.CPU()
		stopProfile(t, prof, r.what, n)
		slices.Sort(took)
		rss, _ := w.RSS()
		t.Logf("%d targets, %s: wall median %v (%v to %v); workerd CPU %v a request; Go memory %.1f MB, workerd RSS %.1f MB; %d instances retired so far",
			*measureTargets, r.what, took[n/2].Round(time.Millisecond), took[0].Round(time.Millisecond),
			took[n-1].Round(time.Millisecond), ((after - before) / time.Duration(n)).Round(time.Millisecond),
			float64(goMemory(w.Log()))/1e6, float64(rss)/1e6, strings.Count(w.Log(), "retired Go instance stopped"))
	}
}

// startMeasured starts wrangler dev on state, with its inspector on a
// free port when -profile asks for profiles, and returns that port ("" without).
func startMeasured(t *testing.T, state string) (*workerd, time.Duration, string) {
	t.Helper()
	if *measureProfile == "" {
		w, cold := startWorkerd(t, state)
		return w, cold, ""
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := strconv.Itoa(ln.Addr().(*net.TCPAddr).Port)
	ln.Close()
	w, cold := workerdtest.StartArgs(t, state, map[string]string{
		EnvAPIKey: workerdKey, EnvAPISecret: workerdSecret, EnvAppID: workerdAppID,
	}, "--inspector-port", port)
	return &workerd{w, t}, cold, port
}

// startProfile starts a profile of the isolate for the requests what,
// when -profile asks for one.
func startProfile(t *testing.T, inspector, what string) *workerdtest.Profiler {
	t.Helper()
	if inspector == "" {
		return nil
	}
	name := strings.NewReplacer(" ", "-", "(", "", ")", "", "×", "x", "'", "").Replace(what) + ".cpuprofile"
	p, err := workerdtest.StartProfile(inspector, filepath.Join(*measureProfile, name))
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// stopProfile stops p and logs the isolate's busy time a request over
// the n requests what, and where it went.
func stopProfile(t *testing.T, p *workerdtest.Profiler, what string, n int) {
	t.Helper()
	if p == nil {
		return
	}
	prof, err := p.Stop()
	if err != nil {
		t.Fatal(err)
	}
	per := func(d time.Duration) string { return (d / time.Duration(n)).Round(100 * time.Microsecond).String() }
	var parts []string
	for _, s := range prof.Inclusive(profiled...) {
		parts = append(parts, s.Name+" "+per(s.Time))
	}
	busy, waits := prof.Busy()
	t.Logf("%s: the isolate busy %s a request, back from a wait %.1f times (V8's profile); inclusive: %s",
		what, per(busy), float64(waits)/float64(n), strings.Join(parts, ", "))
	h := prof.Heap
	t.Logf("%s: the isolate's JavaScript heap %.1f MB used of %.1f, array buffers %.1f MB (garbage not yet collected included)",
		what, float64(h.Used)/1e6, float64(h.Total)/1e6, float64(h.ArrayBuffers)/1e6)
	for _, s := range prof.Top(20) {
		t.Logf("    %8s  %s", per(s.Time), s.Name)
	}
}

// profiled names the parts of a profile stopProfile sums: D1's client,
// R2's, the Response syumai/workers makes, the glue, the collector.
var profiled = []string{"(garbage collector)", "(program)", "d1-api", "fetch", "Response", "Headers", "wasm_exec", "runtime.mjs"}

// measured reports whether -only asks for the kind of request what.
func measured(what string) bool {
	if *measureOnly == "" {
		return true
	}
	for _, word := range strings.Split(*measureOnly, ",") {
		if word != "" && strings.Contains(what, word) {
			return true
		}
	}
	return false
}

// seeded copies the state -seeded keeps (a gallery of -targets targets
// seeded by an earlier run) into state, and reports whether it did.
func seeded(t *testing.T, state string) bool {
	t.Helper()
	dir := filepath.Join(*measureSeeded, strconv.Itoa(*measureTargets))
	if *measureSeeded == "" {
		return false
	}
	if _, err := os.Stat(dir); err != nil {
		return false
	}
	if err := os.CopyFS(state, os.DirFS(dir)); err != nil {
		t.Fatal(err)
	}
	t.Logf("the seeded gallery copied from %s", dir)
	return true
}

// keepSeeded keeps the seeded state in -seeded, when given, for the next
// runs.
func keepSeeded(t *testing.T, state string) {
	t.Helper()
	if *measureSeeded == "" {
		return
	}
	if err := os.CopyFS(filepath.Join(*measureSeeded, strconv.Itoa(*measureTargets)), os.DirFS(state)); err != nil {
		t.Fatal(err)
	}
}

// alibabaSearch sends an Alibaba SearchImageByPic of the picture b64 (its
// lookup reaches near misses, twice the match threshold: far more of
// D1's SQLite work than a CRS search's) and returns its time.
func alibabaSearch(t *testing.T, sdk *imagesearch.Client, b64 string) reply {
	t.Helper()
	start := time.Now()
	r, err := sdk.SearchImageByPic(&imagesearch.SearchImageByPicRequest{InstanceName: instance,
		PicContent: dara.String(b64), Num: dara.Int32(5)})
	if err != nil || len(r.Body.Auctions) == 0 {
		t.Errorf("SearchImageByPic of a copy: %v, %+v", err, r)
	}
	return reply{HTTP: 200, took: time.Since(start)}
}

// goMemory returns the last size of the Go instance's memory worker.mjs
// logged (its peak), in bytes, or 0.
func goMemory(log string) int64 {
	const line = "pixmatch: the Go instance's memory grew to "
	i := strings.LastIndex(log, line)
	if i < 0 {
		return 0
	}
	n, _ := strconv.ParseInt(strings.Fields(log[i+len(line):])[0], 10, 64)
	return n
}

// localD1 returns the file of the local D1 database wrangler keeps in
// state.
func localD1(t *testing.T, state string) string {
	t.Helper()
	files, _ := filepath.Glob(filepath.Join(state, "v3", "d1", "miniflare-D1DatabaseObject", "*.sqlite"))
	files = slices.DeleteFunc(files, func(f string) bool { return filepath.Base(f) == "metadata.sqlite" })
	if len(files) != 1 {
		t.Fatalf("local D1 files: %v", files)
	}
	return files[0]
}

// seed adds n targets of random codes to the gallery of the D1 database
// file path, through the D1 store on modernc SQLite.
func seed(t *testing.T, path string, n int) {
	t.Helper()
	ctx := context.Background()
	// Without the write-ahead log while seeding: each target's bag
	// rewrites hundreds of pages, and the log grew by gigabytes.
	db, err := sql.Open("sqlite", path+"?_pragma=journal_mode(OFF)&_pragma=synchronous(OFF)")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	db.SetMaxOpenConns(1)
	defer func() {
		if _, err := db.Exec(`PRAGMA journal_mode = WAL`); err != nil { // as workerd keeps it
			t.Error(err)
		}
	}()
	st, err := d1.Open(ctx, db, &d1.MemoryBlobs{})
	if err != nil {
		t.Fatal(err)
	}
	gs, err := st.Galleries(ctx)
	if err != nil || len(gs) != 1 {
		t.Fatalf("galleries: %v, %v", gs, err)
	}
	rng := rand.New(rand.NewPCG(3, 3))
	st.SetBagger(func(context.Context, []byte) (*d1.Bag, error) { return randomBag(rng), nil })
	for i := range n {
		fp := fingerprint.Fingerprint{Version: fingerprint.Version}
		for win := range fingerprint.Windows {
			fp.Codes = append(fp.Codes, fingerprint.Code{Window: win, Hash: rng.Uint64()})
		}
		tg := storetest.Target(gs[0].ID, i, 0)
		tg.Image, tg.Active, tg.Features = nil, true, []byte("seeded")
		tg.Fingerprint, _ = fp.MarshalBinary()
		if _, err := st.CreateTarget(ctx, tg); err != nil {
			t.Fatal(err)
		}
	}
	// Their records are the decoys', in R2, so that a shortlist reads and
	// verifies as many records as it would in a real gallery, most of them
	// of pictures other than the one searched for.
	if _, err := db.ExecContext(ctx, `UPDATE targets SET features_key = (
			SELECT d.features_key FROM targets AS d WHERE d.gallery_id = targets.gallery_id AND d.name = 'decoy-' || (targets.seq % ?))
		WHERE name <> 'real' AND name NOT LIKE 'decoy-%'`, decoys); err != nil {
		t.Fatal(err)
	}
}

// decoys is how many pictures of no photo's (decoy) the measured gallery
// holds, whose records its random targets share.
const decoys = 64

// decoy returns a 480×480 picture of shapes of many greys on a gradient,
// textured: a target with corners to spare and nothing of a photo.
func decoy(seed uint64) image.Image {
	rng := rand.New(rand.NewPCG(seed, 17))
	img := image.NewGray(image.Rect(0, 0, 480, 480))
	for y := range 480 {
		for x := range 480 {
			img.Pix[y*480+x] = uint8((x + y) * 255 / 960)
		}
	}
	for range 60 {
		cx, cy, rx, ry := rng.IntN(480), rng.IntN(480), 8+rng.IntN(60), 8+rng.IntN(60)
		grey, round := uint8(rng.IntN(256)), rng.IntN(2) == 0
		for y := max(cy-ry, 0); y < min(cy+ry, 480); y++ {
			for x := max(cx-rx, 0); x < min(cx+rx, 480); x++ {
				dx, dy := float64(x-cx)/float64(rx), float64(y-cy)/float64(ry)
				if !round || dx*dx+dy*dy <= 1 {
					img.Pix[y*480+x] = grey
				}
			}
		}
	}
	return distort.Noise(6, seed)(img)
}

// randomBag returns a bag of camera.BagFeatures random words and turns.
func randomBag(rng *rand.Rand) *d1.Bag {
	fs := make([]bow.Feature, camera.BagFeatures)
	for i := range fs {
		fs[i] = bow.Feature{Word: uint32(rng.IntN(1 << 15)), Turn: uint8(rng.IntN(bow.Turns))}
	}
	return &d1.Bag{Size: len(fs), Words: bow.Group(fs, 1<<15)}
}

// cameraFrame returns a camera frame of the photo name (a print tilted
// 35° on a lawn), as a JPEG file and as its feature record, each base64.
func cameraFrame(t *testing.T, name string) (frame, features string) {
	t.Helper()
	img, _ := cameraShot(name)
	plane := feature.Plane(img, feature.QueryOptions)
	record, err := feature.Record{Width: plane.Rect.Dx(), Height: plane.Rect.Dy(), Features: feature.Extract(plane, feature.QueryOptions)}.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	return base64.StdEncoding.EncodeToString(encodeJPEG(t, img)), base64.StdEncoding.EncodeToString(record)
}
