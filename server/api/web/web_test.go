package web

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/labstack/echo/v4"
)

func TestServe(t *testing.T) {
	static := fstest.MapFS{
		"index.html": {Data: []byte("<!doctype html><title>pixmatch</title>")},
		"app.js":     {Data: []byte("export {}")},
		"sw.js":      {Data: []byte("self.addEventListener('fetch', () => {})")},
		".hidden":    {Data: []byte("no")},
	}
	h := &Handler{Static: static, Dist: fstest.MapFS{}}
	e := echo.New()
	h.Register(e)
	e.GET("/", h.Index)
	get := func(path, etag string) *httptest.ResponseRecorder {
		req := httptest.NewRequest(http.MethodGet, path, nil)
		if etag != "" {
			req.Header.Set("If-None-Match", etag)
		}
		rec := httptest.NewRecorder()
		e.ServeHTTP(rec, req)
		return rec
	}
	tests := []struct {
		path, ctype string
		status      int
	}{
		{"/", "text/html; charset=utf-8", 200},
		{"/app/app.js", "text/javascript; charset=utf-8", 200},
		{"/sw.js", "text/javascript; charset=utf-8", 200},
		{"/app/.hidden", "", 404},
		{"/app/../../etc/passwd", "", 404},
		{"/app/dist/pixmatch.wasm", "", 404},
		{"/app/missing.js", "", 404},
	}
	for _, tt := range tests {
		rec := get(tt.path, "")
		if rec.Code != tt.status || (tt.ctype != "" && rec.Header().Get("Content-Type") != tt.ctype) {
			t.Errorf("GET %s: %d %q, want %d %q", tt.path, rec.Code, rec.Header().Get("Content-Type"), tt.status, tt.ctype)
		}
	}
	if rec := get("/app/dist/pixmatch.wasm", ""); !strings.Contains(rec.Body.String(), "make wasm") {
		t.Errorf("a missing module does not say how to build it: %s", rec.Body)
	}
	first := get("/app/app.js", "")
	tag := first.Header().Get("ETag")
	if tag == "" || first.Header().Get("Cache-Control") != "no-cache" {
		t.Fatalf("headers: %v", first.Header())
	}
	if rec := get("/app/app.js", tag); rec.Code != http.StatusNotModified {
		t.Errorf("revalidation with the ETag: %d, want 304", rec.Code)
	}
	if rec := get("/sw.js", ""); rec.Header().Get("Service-Worker-Allowed") != "/" {
		t.Error("the service worker may not control /")
	}
}
