package e2e

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/pixmatch/pixmatch/server/internal/testserver"
	"github.com/pixmatch/pixmatch/shared/feature"
	"github.com/pixmatch/pixmatch/shared/testphoto"
)

// Targets of the feature tier in the browser: what a phone should manage.
const (
	featuresTargetMS = 30
	cameraTargetFPS  = 10
)

// BenchmarkBrowserFeatures times the module's features export (the
// query a camera frame sends the server) on two 640×480 frames: the
// photo the fingerprint benchmark uses, letterboxed on grey, and the
// camera shot of a print on grass, a frame of dense texture. The
// baseline is the module's query fingerprint of the same frame, in the
// same run. ms/op is the extraction of the first frame in the module
// (plane and features), whole-ms/op the export (with the fingerprint),
// page-ms/op the call as the page makes it (the pixels to the worker and
// back).
func BenchmarkBrowserFeatures(b *testing.B) {
	s := newSite(b)
	br := newBrowser(b, s.URL(), benchLimit)
	br.open("/")
	br.openModule("")
	shot, _ := cameraShot()
	frames := []struct {
		name string
		js   string
	}{{"astronaut letterboxed", "window.frameA"}, {"camera shot on grass", "window.frameB"}}
	br.putFrame(frameOf(testphoto.Image("astronaut"), clipWidth, clipHeight))
	br.exec(`window.frameA = benchFrame`)
	br.putFrame(shot)
	br.exec(`window.frameB = benchFrame`)
	type sample struct {
		Page, Extract, Whole, Fingerprint float64
		Count                             int
	}
	timed := func(frame string) string {
		return fmt.Sprintf(`(async () => {
			const t0 = performance.now();
			const q = await benchPM.features(%[1]s);
			const page = performance.now() - t0;
			const { ms } = await benchPM.search(%[1]s, { limit: 1 });
			return { page, extract: q.ms.plane + q.ms.features, whole: q.ms.plane + q.ms.features + q.ms.fingerprint,
				fingerprint: ms.fingerprint, count: q.count };
		})()`, frame)
	}
	samples := make([][]sample, len(frames))
	for _, f := range frames {
		eval[sample](br, timed(f.js)) // the first call compiles the module's code paths
	}
	for b.Loop() {
		for i, f := range frames {
			samples[i] = append(samples[i], eval[sample](br, timed(f.js)))
		}
	}
	for i, f := range frames {
		pick := func(get func(sample) float64) []float64 {
			var xs []float64
			for _, s := range samples[i] {
				xs = append(xs, get(s))
			}
			return xs
		}
		extract, whole := pick(func(s sample) float64 { return s.Extract }), pick(func(s sample) float64 { return s.Whole })
		page, print := pick(func(s sample) float64 { return s.Page }), pick(func(s sample) float64 { return s.Fingerprint })
		if i == 0 {
			b.ReportMetric(median(extract), "ms/op")
			b.ReportMetric(median(whole), "whole-ms/op")
			b.ReportMetric(median(page), "page-ms/op")
			b.ReportMetric(median(extract)/median(print), "x-fingerprint")
		}
		b.Logf("%s, %d features, ms: extraction %s (target ≤ %d); the whole export %s; the call from the page %s; the query fingerprint %s; extraction %.1f× the fingerprint",
			f.name, samples[i][0].Count, spread(extract), featuresTargetMS, spread(whole), spread(page), spread(print), median(extract)/median(print))
	}
}

// BenchmarkBrowserCamera runs the Camera tab on a fake camera (30 frames
// a second of the camera shot) against a server of 10,000 targets with
// feature records, and samples, once a second, the rate of the answers
// drawn (ms/op is a second's; fps/op is the rate). The baseline, in the
// same run, is the same loop with the server taken away (the module's
// local search alone).
func BenchmarkBrowserCamera(b *testing.B) {
	const n = 10_000
	srv := testserver.New(b)
	(&crsClient{t: b, base: srv.URL()}).addPhotos(shotTarget, "rocket", "chelsea")
	started := time.Now()
	populate(b, srv, n, decoys(b))
	b.Logf("wrote %d targets of %d features into the database in %v", n, feature.TargetOptions.Max, time.Since(started).Round(time.Millisecond))
	started = time.Now()
	s := serve(b, srv.Reopen())
	b.Logf("the server opened them in %v", time.Since(started).Round(time.Millisecond))
	frame, truth := cameraShot()
	br := newBrowser(b, s.URL(), benchLimit, fakeCamera(writeClip(b, "shot", frame, 30, 30))...)
	br.open("/")
	br.connect()
	first := br.cameraOutline(frame.Rect.Dx(), truth)
	b.Logf("outline %.0f ms after the first frame, by the %s", first.Since, first.Via)

	type second struct {
		FPS      float64 `json:"fps"`
		Via      string  `json:"via"`
		Features float64 `json:"features"`
		Placed   bool    `json:"placed"`
	}
	sampleJS := fmt.Sprintf(`(async () => {
		await new Promise((r) => setTimeout(r, 1000));
		const l = pixmatchApp.lastCamera;
		return { fps: l.fps, via: l.via, features: l.ms.features || 0, placed: %s(l.corners, e2e.el('video').videoWidth) };
	})()`, cornersJS(truth, frame.Rect.Dx()))
	seen := len(s.requests("/search/features"))
	var fps, extract []float64
	placed := 0
	for b.Loop() {
		r := eval[second](br, sampleJS)
		if r.Via != "server" {
			b.Errorf("a second answered by the %q, want the server", r.Via)
		}
		fps = append(fps, r.FPS)
		extract = append(extract, r.Features)
		if r.Placed {
			placed++
		}
	}
	var server []float64
	for _, h := range s.requests("/search/features")[seen:] {
		server = append(server, float64(h.Took)/float64(time.Millisecond))
	}

	// The baseline: the server taken away, the browser answers alone.
	br.exec(`pixmatchApp.session.setReachable(false)`)
	eval[second](br, sampleJS)
	var local []float64
	for range 3 {
		local = append(local, eval[second](br, sampleJS).FPS)
	}
	b.ReportMetric(median(fps), "fps")
	b.ReportMetric(median(fps)/median(local), "x-local")
	b.Logf("with %d targets: frames a second %s (target ≥ %d), the outline in place in %d of %d seconds; ms of the features in the module %s, of the server's /search/features %s",
		n+3, spread(fps), cameraTargetFPS, placed, len(fps), spread(extract), spread(server))
	b.Logf("baseline, the browser alone (local search, no server): frames a second %s; with the server %.2f× that", spread(local), median(fps)/median(local))
}

// median returns the median of xs, 0 for none.
func median(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := slices.Sorted(slices.Values(xs))
	return s[len(s)/2]
}

// decoys returns a maker of made-up feature records for populate: each of
// feature.TargetOptions.Max features, descriptors of real photos' features
// with a few bits changed (so that they fall into the words real pictures
// use), at random places of a 640×480 plane. The photos the benchmarks
// show (the shot's target and scene) are left out.
func decoys(tb testing.TB) func(*rand.Rand) []byte {
	tb.Helper()
	var pool []feature.Feature
	for _, name := range testphoto.Names() {
		if name == shotTarget || name == shotScene {
			continue
		}
		plane := feature.Plane(testphoto.Image(name), feature.TargetOptions)
		pool = append(pool, feature.Extract(plane, feature.TargetOptions)...)
	}
	return func(rng *rand.Rand) []byte {
		fs := make([]feature.Feature, feature.TargetOptions.Max)
		for i := range fs {
			f := pool[rng.IntN(len(pool))]
			f.X, f.Y = float32(rng.IntN(640*8))/8, float32(rng.IntN(480*8))/8
			for range 8 {
				bit := rng.IntN(feature.Bits)
				f.Desc[bit/64] ^= 1 << (bit % 64)
			}
			fs[i] = f
		}
		b, err := feature.Record{Width: 640, Height: 480, Features: fs}.MarshalBinary()
		if err != nil {
			tb.Fatal(err)
		}
		return b
	}
}
