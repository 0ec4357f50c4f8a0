package e2e

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"image"
	"math/rand/v2"
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"

	"github.com/pixmatch/pixmatch/server/internal/testserver"
	"github.com/pixmatch/pixmatch/server/store"
	"github.com/pixmatch/pixmatch/shared/feature"
	"github.com/pixmatch/pixmatch/shared/fingerprint"
	"github.com/pixmatch/pixmatch/shared/testphoto"
)

// benchLimit bounds a benchmark's browser session.
const benchLimit = 10 * time.Minute

// Targets of the benchmarks: what a phone should manage.
const (
	fingerprintTargetMS = 10
	searchTargetMS      = 5
	interactiveTargetMS = 1000
	firstSyncTargetMB   = 3
)

// openModule opens a Pixmatch instance of its own in the page, as
// window.benchPM, on the test gallery with the given access token.
func (b *browser) openModule(token string) {
	b.t.Helper()
	b.exec(fmt.Sprintf(`(async () => {
		const { Pixmatch } = await import('/app/pixmatch.js');
		window.benchPM = await Pixmatch.open({ appId: %s, token: %s });
	})()`, jsString(testserver.AppID), jsString(token)))
}

// putFrame hands the page a picture's pixels as window.benchFrame, an
// ImageData.
func (b *browser) putFrame(img *image.NRGBA) {
	b.t.Helper()
	b.exec(fmt.Sprintf(`(() => {
		const bin = atob(%s);
		const data = new Uint8ClampedArray(bin.length);
		for (let i = 0; i < bin.length; i++) data[i] = bin.charCodeAt(i);
		window.benchFrame = new ImageData(data, %d, %d);
	})()`, jsString(base64.StdEncoding.EncodeToString(img.Pix)), img.Rect.Dx(), img.Rect.Dy()))
}

// mean returns the mean of xs.
func mean(xs []float64) float64 {
	var sum float64
	for _, x := range xs {
		sum += x
	}
	return sum / float64(max(1, len(xs)))
}

// spread describes xs: smallest, median and largest.
func spread(xs []float64) string {
	if len(xs) == 0 {
		return "no samples"
	}
	s := slices.Sorted(slices.Values(xs))
	return fmt.Sprintf("min %.2f, median %.2f, max %.2f over %d", s[0], s[len(s)/2], s[len(s)-1], len(s))
}

// BenchmarkBrowserFingerprint times the module's query fingerprint of a
// 640×480 camera frame: ms/op as the page sees it (the pixels copied to
// the worker and the codes back), module-ms/op inside the module.
func BenchmarkBrowserFingerprint(b *testing.B) {
	s := newSite(b)
	br := newBrowser(b, s.URL(), benchLimit)
	br.open("/")
	br.openModule("")
	br.putFrame(frameOf(testphoto.Image("astronaut"), clipWidth, clipHeight))
	const timed = `(async () => {
		const t0 = performance.now();
		await benchPM.fingerprint(benchFrame, 'query');
		const page = performance.now() - t0;
		const { ms } = await benchPM.search(benchFrame, { limit: 1 });
		return [page, ms.fingerprint];
	})()`
	eval[[2]float64](br, timed) // the first call compiles the module's code paths
	var page, module []float64
	for b.Loop() {
		r := eval[[2]float64](br, timed)
		page = append(page, r[0])
		module = append(module, r[1])
	}
	b.ReportMetric(mean(page), "ms/op")
	b.ReportMetric(mean(module), "module-ms/op")
	b.Logf("640×480 query fingerprint, ms in the page: %s; in the module: %s (target ≤ %d ms)",
		spread(page), spread(module), fingerprintTargetMS)
}

// BenchmarkBrowserSearch syncs a gallery of 50,000 targets (the largest
// sent match.Browser codes) and one of 100,000 (sent match.Compact codes)
// into the page, then times searches of it: ms/op is the module's search
// of the index, total-ms/op the page's whole call (fingerprint and
// search).
func BenchmarkBrowserSearch(b *testing.B) {
	for _, n := range []int{50_000, 100_000} {
		b.Run(fmt.Sprintf("%dk", n/1000), func(b *testing.B) { browserSearch(b, n) })
	}
}

func browserSearch(b *testing.B, n int) {
	srv := testserver.New(b)
	started := time.Now()
	populate(b, srv, n, noFeatures)
	b.Logf("wrote %d targets into the database in %v", n, time.Since(started).Round(time.Millisecond))
	s := serve(b, srv.Reopen())
	br := newBrowser(b, s.URL(), benchLimit)
	br.open("/")
	br.openModule(s.api().token())

	type synced struct {
		MS      float64 `json:"ms"`
		Count   int     `json:"count"`
		Changed bool    `json:"changed"`
	}
	const syncJS = `(async () => {
		const t0 = performance.now();
		const r = await benchPM.sync();
		return { ms: performance.now() - t0, count: r.count, changed: r.changed };
	})()`
	seen := len(s.requests("/sync/"))
	first := eval[synced](br, syncJS)
	if first.Count != n || !first.Changed {
		b.Fatalf("first sync: %+v, want %d targets", first, n)
	}
	reqs := s.requests("/sync/")[seen:]
	var sent int64
	for _, r := range reqs {
		sent += r.Bytes
	}
	b.ReportMetric(first.MS, "first-sync-ms")
	b.ReportMetric(float64(sent), "first-sync-bytes")
	b.Logf("first sync of %d targets: %d request(s), %d bytes (%.2f MB; target ≤ %d MB), %.0f ms in the page",
		n, len(reqs), sent, float64(sent)/1e6, firstSyncTargetMB, first.MS)

	seen = len(s.requests("/sync/"))
	again := eval[synced](br, syncJS)
	reqs = s.requests("/sync/")[seen:]
	if again.Changed || len(reqs) != 1 || reqs[0].Status != http.StatusNotModified {
		b.Errorf("a sync with no change: %+v with requests %+v, want one 304", again, reqs)
	}
	b.Logf("sync with no change: %d request(s) %+v, %.1f ms in the page", len(reqs), reqs, again.MS)

	br.putFrame(frameOf(testphoto.Image("astronaut"), clipWidth, clipHeight))
	const timed = `(async () => {
		const t0 = performance.now();
		const { ms } = await benchPM.search(benchFrame, { limit: 5 });
		return [performance.now() - t0, ms.search];
	})()`
	eval[[2]float64](br, timed)
	var total, search []float64
	for b.Loop() {
		r := eval[[2]float64](br, timed)
		total = append(total, r[0])
		search = append(search, r[1])
	}
	b.ReportMetric(mean(search), "ms/op")
	b.ReportMetric(mean(total), "total-ms/op")
	b.Logf("search of %d targets, ms in the module: %s (target ≤ %d ms); whole call from the page: %s",
		n, spread(search), searchTargetMS, spread(total))
}

// noFeatures returns the feature record of a target without features:
// the feature tier leaves it out, as it would a plain picture.
func noFeatures(*rand.Rand) []byte {
	b, _ := feature.Record{Width: 640, Height: 480}.MarshalBinary()
	return b
}

// populate writes n active targets with random codes, and the feature
// records features makes, straight into the server's database, in one
// transaction, as n creations would: each one a new gallery version, its
// seq, and an entry in the change log. The server must be reopened to
// see them.
func populate(tb testing.TB, srv *testserver.Server, n int, features func(*rand.Rand) []byte) {
	tb.Helper()
	ctx := context.Background()
	tx, err := srv.SQL().BeginTx(ctx, nil)
	if err != nil {
		tb.Fatal(err)
	}
	defer tx.Rollback()
	var version int64
	if err := tx.QueryRowContext(ctx, `SELECT version FROM galleries WHERE id = ?`, srv.Gallery.ID).Scan(&version); err != nil {
		tb.Fatal(err)
	}
	addTarget, err := tx.PrepareContext(ctx, `INSERT INTO targets (gallery_id, id, seq, created, modified,
		name, size, type, active, allow_similar, product_id, pic_name, category,
		int_attr1, int_attr2, int_attr3, int_attr4, str_attr1, str_attr2, str_attr3, str_attr4,
		region, width, height, image_sha256, fingerprint, grade, extra, custom_content, meta, image)
		VALUES (?, ?, ?, ?, ?, ?, '20', 'ImageTarget', 1, 1, ?, ?, 0, 0, 0, 0, 0, '', '', '', '',
		'', 640, 480, ?, ?, x'', '', '', '', x'')`)
	if err != nil {
		tb.Fatal(err)
	}
	logChange, err := tx.PrepareContext(ctx, `INSERT INTO changes (gallery_id, version, target_id, seq, op, at) VALUES (?, ?, ?, ?, ?, ?)`)
	if err != nil {
		tb.Fatal(err)
	}
	addFeatures, err := tx.PrepareContext(ctx, `INSERT INTO target_features (gallery_id, id, features) VALUES (?, ?, ?)`)
	if err != nil {
		tb.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	at := time.Now().UnixMilli()
	for i := range n {
		seq := version + int64(i) + 1
		id := fmt.Sprintf("%08x-0000-4000-8000-%012x", rng.Uint32(), seq)
		name := fmt.Sprintf("target-%06d", i)
		fp, err := randomFingerprint(rng).MarshalBinary()
		if err != nil {
			tb.Fatal(err)
		}
		sum := sha256.Sum256([]byte(id))
		if _, err := addTarget.ExecContext(ctx, srv.Gallery.ID, id, seq, at, at, name, id, name, sum[:], fp); err != nil {
			tb.Fatalf("target %d: %v", i, err)
		}
		if _, err := logChange.ExecContext(ctx, srv.Gallery.ID, seq, id, seq, int64(store.OpPut), at); err != nil {
			tb.Fatalf("change %d: %v", seq, err)
		}
		if _, err := addFeatures.ExecContext(ctx, srv.Gallery.ID, id, features(rng)); err != nil {
			tb.Fatalf("features %d: %v", i, err)
		}
	}
	if _, err := tx.ExecContext(ctx, `UPDATE galleries SET version = ? WHERE id = ?`, version+int64(n), srv.Gallery.ID); err != nil {
		tb.Fatal(err)
	}
	if err := tx.Commit(); err != nil {
		tb.Fatal(err)
	}
}

// randomFingerprint returns a made-up target fingerprint shaped like a
// photograph's without a border: a code of every window but Trimmed,
// each with random words.
func randomFingerprint(rng *rand.Rand) fingerprint.Fingerprint {
	fp := fingerprint.Fingerprint{Version: fingerprint.Version}
	for w := fingerprint.Whole; w < fingerprint.Windows; w++ {
		if w == fingerprint.Trimmed {
			continue
		}
		c := fingerprint.Code{Window: w, Hash: rng.Uint64()}
		for i := range c.Checks {
			c.Checks[i] = rng.Uint64()
		}
		fp.Codes = append(fp.Codes, c)
	}
	return fp
}

// readyHookJS records, in every document, when pixmatchApp.ready
// resolves: window.e2eReadyAt, in ms since the navigation started.
const readyHookJS = `Object.defineProperty(window, 'pixmatchApp', {
  configurable: true,
  set(app) {
    let ready = app.ready;
    Object.defineProperty(app, 'ready', {
      configurable: true, enumerable: true,
      get: () => ready,
      set(p) { ready = p; p.then(() => { window.e2eReadyAt = performance.now(); }); },
    });
    Object.defineProperty(window, 'pixmatchApp', { value: app, writable: true, configurable: true });
  },
});`

// BenchmarkBrowserPageInteractive times a load of the app with a warm
// cache (the service worker in control, a synced gallery kept in
// IndexedDB): from the start of the navigation to pixmatchApp.ready.
func BenchmarkBrowserPageInteractive(b *testing.B) {
	s := newSite(b)
	s.api().addPhotos("astronaut", "coffee", "chelsea")
	br := newBrowser(b, s.URL(), benchLimit)
	br.call("install the ready hook", func(ctx context.Context) error {
		_, err := chromedp.Call(ctx, page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{Source: readyHookJS})
		return err
	})
	br.open("/")
	br.connect()
	br.exec(`navigator.serviceWorker.ready.then(() => undefined)`)
	br.reload()
	if !eval[bool](br, `navigator.serviceWorker.controller !== null`) {
		b.Fatal("the service worker does not control the page")
	}
	var ms []float64
	for b.Loop() {
		br.do("reload", chromedp.Reload())
		ms = append(ms, eval[float64](br, `pixmatchApp.ready.then(() => window.e2eReadyAt)`))
	}
	b.ReportMetric(mean(ms), "ms/op")
	b.Logf("navigation start to pixmatchApp.ready, warm, ms: %s (target ≤ %d ms)", spread(ms), interactiveTargetMS)
}
