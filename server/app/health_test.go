package app_test

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pixmatch/pixmatch/server/app"
	"github.com/pixmatch/pixmatch/server/config"
	"github.com/pixmatch/pixmatch/server/gallery"
	"github.com/pixmatch/pixmatch/server/internal/testserver"
	"github.com/pixmatch/pixmatch/server/jobs"
	"github.com/pixmatch/pixmatch/server/store"
	"github.com/pixmatch/pixmatch/server/store/sqlite"
)

// probe GETs path and returns the status and the decoded body.
func probe(t *testing.T, url, path string) (int, map[string]string) {
	t.Helper()
	res, err := http.Get(url + path)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var body map[string]string
	if err := json.NewDecoder(res.Body).Decode(&body); err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
	return res.StatusCode, body
}

// newServer serves a new database with one gallery over loopback,
// logging to log, and returns the server, its store (for tests that
// break it) and its data folder.
func newServer(t *testing.T, log *slog.Logger, opts ...app.Option) (*httptest.Server, *sqlite.Store, string) {
	t.Helper()
	ctx := context.Background()
	dir := t.TempDir()
	st, err := sqlite.Open(ctx, filepath.Join(dir, "pixmatch.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	if _, err := st.CreateGallery(ctx, store.Gallery{Name: testserver.Instance, AppID: testserver.AppID}); err != nil {
		t.Fatal(err)
	}
	svc, err := gallery.Open(ctx, st, config.Default())
	if err != nil {
		t.Fatal(err)
	}
	runner := jobs.New(ctx, log)
	t.Cleanup(func() { runner.Stop(ctx) })
	h, err := app.New(ctx, svc, log, append([]app.Option{app.WithJobs(runner)}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv, st, dir
}

// TestHealthAndReadiness checks /healthz and /readyz on a serving
// server: both 200 without an API key; then, with its store closed under
// it (a lost disk, say), /healthz still 200 while /readyz answers 503
// with a short reason that shows no server path.
func TestHealthAndReadiness(t *testing.T) {
	srv, st, dir := newServer(t, slog.New(slog.DiscardHandler))
	if code, body := probe(t, srv.URL, "/healthz"); code != 200 || body["status"] != "ok" {
		t.Fatalf("/healthz: %d %v", code, body)
	}
	if code, body := probe(t, srv.URL, "/readyz"); code != 200 || body["status"] != "ok" {
		t.Fatalf("/readyz: %d %v", code, body)
	}
	st.Close()
	code, body := probe(t, srv.URL, "/readyz")
	if code != http.StatusServiceUnavailable || body["status"] != "unavailable" || body["reason"] == "" {
		t.Fatalf("/readyz with the store closed: %d %v", code, body)
	}
	if strings.Contains(body["reason"], dir) || strings.Contains(body["reason"], ".db") {
		t.Fatalf("/readyz shows a server path: %q", body["reason"])
	}
	if code, _ := probe(t, srv.URL, "/healthz"); code != 200 {
		t.Fatalf("/healthz with the store closed: %d", code)
	}
}
