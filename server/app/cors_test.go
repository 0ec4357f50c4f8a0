package app_test

import (
	"log/slog"
	"net/http"
	"testing"

	"github.com/pixmatch/pixmatch/server/app"
)

// preflight sends a browser's CORS preflight for a signed JSON POST to
// /search/ from origin and returns the response's headers.
func preflight(t *testing.T, base, origin string) http.Header {
	t.Helper()
	req, _ := http.NewRequest(http.MethodOptions, base+"/search/", nil)
	req.Header.Set("Origin", origin)
	req.Header.Set("Access-Control-Request-Method", "POST")
	req.Header.Set("Access-Control-Request-Headers", "content-type")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	return res.Header
}

// TestCORS checks the allow-list: an allowed origin's preflight and
// request are answered for it (X-Request-Id readable), another origin
// gets no grant, and a server without the option grants none.
func TestCORS(t *testing.T) {
	const shop, evil = "https://shop.example", "https://evil.example"
	srv, _, _ := newServer(t, slog.New(slog.DiscardHandler), app.WithCORS([]string{shop}))
	h := preflight(t, srv.URL, shop)
	if h.Get("Access-Control-Allow-Origin") != shop || h.Get("Access-Control-Allow-Methods") == "" ||
		h.Get("Access-Control-Allow-Headers") == "" {
		t.Fatalf("preflight from %s: %v", shop, h)
	}
	if h := preflight(t, srv.URL, evil); h.Get("Access-Control-Allow-Origin") != "" {
		t.Fatalf("preflight from %s granted: %v", evil, h)
	}
	req, _ := http.NewRequest(http.MethodGet, srv.URL+"/ping", nil)
	req.Header.Set("Origin", shop)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.Header.Get("Access-Control-Allow-Origin") != shop || res.Header.Get("Access-Control-Expose-Headers") != "X-Request-Id" {
		t.Fatalf("GET /ping from %s: %d %v", shop, res.StatusCode, res.Header)
	}

	plain, _, _ := newServer(t, slog.New(slog.DiscardHandler))
	if h := preflight(t, plain.URL, shop); h.Get("Access-Control-Allow-Origin") != "" {
		t.Fatalf("preflight granted without --cors-origin: %v", h)
	}
	for _, bad := range []string{"shop.example", "https://shop.example/app", "ftp://shop.example", "https://u@shop.example"} {
		if app.CheckOrigin(bad) == nil {
			t.Errorf("origin %q accepted", bad)
		}
	}
	if app.CheckOrigin(shop) != nil || app.CheckOrigin("http://127.0.0.1:5173") != nil {
		t.Errorf("a good origin refused")
	}
}
