package sync

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/pixmatch/pixmatch/server/auth"
	"github.com/pixmatch/pixmatch/server/config"
	"github.com/pixmatch/pixmatch/server/gallery"
	"github.com/pixmatch/pixmatch/server/store"
	"github.com/pixmatch/pixmatch/server/store/sqlite"
	"github.com/pixmatch/pixmatch/shared/fingerprint"
)

var benchCache = flag.String("benchcache", "", "a folder keeping the first-sync benchmark's gallery between runs (default: made anew in a temporary folder)")

// syncTargets is the size of the first-sync benchmark's gallery.
const syncTargets = 100_000

// BenchmarkFirstSync serves the first sync of a gallery of 100,000
// targets (ten random codes each, in SQLite) to a browser that asks for
// gzip, as the web app's first start does: made anew for each request
// (an empty snapshot cache, as before the cache) and from the cache. It
// reports the cached request's time and the ratio of the uncached one to
// it, and the bytes sent.
func BenchmarkFirstSync(b *testing.B) {
	ctx := context.Background()
	st, err := sqlite.Open(ctx, syncGallery(b))
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	svc, err := gallery.Open(ctx, st, config.Default())
	if err != nil {
		b.Fatal(err)
	}
	keys := benchKeys{}
	h := New(svc, &auth.Verifier{Keys: keys}, slog.New(slog.NewTextHandler(io.Discard, nil)))
	e := echo.New()
	h.Routes(e)
	first := func() int {
		p := map[string]string{"apiKey": "bench", "appId": "bench", "since": "0", "timestamp": strconv.FormatInt(time.Now().UnixMilli(), 10)}
		p["signature"] = auth.Sign(p, "bench")
		req := httptest.NewRequest(http.MethodGet, "/sync/bench?since=0&apiKey=bench&timestamp="+p["timestamp"]+"&signature="+p["signature"], nil)
		req.Header.Set("Accept-Encoding", "gzip")
		rec := httptest.NewRecorder()
		e.ServeHTTP(rec, req)
		if rec.Code != http.StatusOK {
			b.Fatalf("first sync: HTTP %d: %s", rec.Code, rec.Body.String())
		}
		return rec.Body.Len()
	}
	const uncachedRuns = 5
	began := time.Now()
	for range uncachedRuns {
		h.snapshots = newSnapshotCache(snapshotCacheBytes)
		first()
	}
	uncached := time.Since(began) / uncachedRuns
	size := first() // fills the cache
	b.ResetTimer()
	for b.Loop() {
		first()
	}
	cached := b.Elapsed() / time.Duration(b.N)
	b.ReportMetric(float64(uncached)/float64(cached), "x-uncached")
	b.ReportMetric(float64(uncached.Microseconds())/1000, "ms-uncached")
	b.ReportMetric(float64(size)/1e6, "MB-sent")
}

// benchKeys is the benchmark gallery's one API key.
type benchKeys struct{}

func (benchKeys) Credential(_ context.Context, id string) (auth.Credential, error) {
	if id != "bench" {
		return auth.Credential{}, auth.ErrUnknownKey
	}
	return auth.Credential{ID: id, Secret: "bench"}, nil
}

// syncGallery returns the path of a database holding the benchmark's
// gallery, made (a minute or two) unless -benchcache keeps one.
func syncGallery(b *testing.B) string {
	dir := *benchCache
	if dir == "" {
		dir = b.TempDir()
	} else if err := os.MkdirAll(dir, 0o700); err != nil {
		b.Fatal(err)
	}
	path := filepath.Join(dir, fmt.Sprintf("sync-%d-fp%d.db", syncTargets, fingerprint.Version))
	ctx := context.Background()
	if st, err := sqlite.Open(ctx, path); err == nil {
		done, err := st.Setting(ctx, "bench")
		st.Close()
		if err == nil && done == "complete" {
			return path
		}
	}
	for _, suffix := range []string{"", "-wal", "-shm"} {
		os.Remove(path + suffix)
	}
	st, err := sqlite.Open(ctx, path)
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	g, err := st.CreateGallery(ctx, store.Gallery{Name: "bench", AppID: "bench"})
	if err != nil {
		b.Fatal(err)
	}
	rnd := rand.New(rand.NewPCG(3, 4))
	for i := range syncTargets {
		fp := fingerprint.Fingerprint{Version: fingerprint.Version, Codes: make([]fingerprint.Code, 10)}
		for k := range fp.Codes {
			c := &fp.Codes[k]
			c.Window, c.Hash = fingerprint.Window(k%int(fingerprint.Windows)), rnd.Uint64()
			for j := range c.Checks {
				c.Checks[j] = rnd.Uint64()
			}
		}
		print, err := fp.MarshalBinary()
		if err != nil {
			b.Fatal(err)
		}
		id := fmt.Sprintf("target-%06d", i)
		t := store.Target{Gallery: g.ID, ID: id, Name: id, ProductID: id, PicName: id, Active: true,
			Image: []byte(id), Fingerprint: print, Grade: []byte{1}}
		t.ImageSHA256[0], t.ImageSHA256[1], t.ImageSHA256[2] = byte(i), byte(i>>8), byte(i>>16)
		if _, err := st.CreateTarget(ctx, t); err != nil {
			b.Fatal(err)
		}
	}
	if err := st.PutSetting(ctx, "bench", "complete"); err != nil {
		b.Fatal(err)
	}
	return path
}
