package web

import (
	"bytes"
	"compress/gzip"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/labstack/echo/v4"
)

// appJS is a script large enough for gzip to pay.
var appJS = []byte(strings.Repeat("export const greeting = 'hello from pixmatch';\n", 200))

// newServer serves a small app over loopback, as app.New routes it.
func newServer(t *testing.T) *httptest.Server {
	t.Helper()
	static := fstest.MapFS{
		"index.html": {Data: []byte("<!doctype html><title>pixmatch</title>")},
		"app.js":     {Data: appJS},
		"sw.js":      {Data: []byte("self.addEventListener('fetch', () => {})")},
		".hidden":    {Data: []byte("no")},
		"sub/x.js":   {Data: []byte("export {}")},
	}
	h := New(static, fstest.MapFS{})
	e := echo.New()
	h.Routes(e)
	e.GET("/", h.Index)
	srv := httptest.NewServer(e)
	t.Cleanup(srv.Close)
	return srv
}

// fetch sends a request with the given headers and returns the answer
// and its body, as sent (never decompressed).
func fetch(t *testing.T, srv *httptest.Server, method, path string, headers ...string) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, srv.URL+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	client := &http.Client{Transport: &http.Transport{DisableCompression: true}}
	res, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return res, body
}

func TestServe(t *testing.T) {
	srv := newServer(t)
	tests := []struct {
		path, ctype string
		status      int
	}{
		{"/", "text/html; charset=utf-8", 200},
		{"/app/app.js", "text/javascript; charset=utf-8", 200},
		{"/app/sub/x.js", "text/javascript; charset=utf-8", 200},
		{"/sw.js", "text/javascript; charset=utf-8", 200},
		{"/app/.hidden", "", 404},
		{"/app/sub", "", 404},
		{"/app/../../etc/passwd", "", 404},
		{"/app/dist/pixmatch.wasm", "", 404},
		{"/app/missing.js", "", 404},
	}
	for _, tt := range tests {
		res, _ := fetch(t, srv, http.MethodGet, tt.path)
		if res.StatusCode != tt.status || (tt.ctype != "" && res.Header.Get("Content-Type") != tt.ctype) {
			t.Errorf("GET %s: %d %q, want %d %q", tt.path, res.StatusCode, res.Header.Get("Content-Type"), tt.status, tt.ctype)
		}
	}
	if _, body := fetch(t, srv, http.MethodGet, "/app/dist/pixmatch.wasm"); !bytes.Contains(body, []byte("make wasm")) {
		t.Errorf("a missing module does not say how to build it: %s", body)
	}
	res, body := fetch(t, srv, http.MethodGet, "/app/app.js")
	if !bytes.Equal(body, appJS) || res.Header.Get("Cache-Control") != "no-cache" || res.Header.Get("ETag") == "" {
		t.Fatalf("GET /app/app.js: %d bytes, headers %v", len(body), res.Header)
	}
	if res, _ := fetch(t, srv, http.MethodGet, "/sw.js"); res.Header.Get("Service-Worker-Allowed") != "/" {
		t.Error("the service worker may not control /")
	}
}

// TestSecurityHeaders checks that every answer of the app, found or
// not, full or not modified, carries the security headers.
func TestSecurityHeaders(t *testing.T) {
	srv := newServer(t)
	res, _ := fetch(t, srv, http.MethodGet, "/app/app.js")
	tag := res.Header.Get("ETag")
	answers := []struct {
		method, path string
		headers      []string
		status       int
	}{
		{"GET", "/", nil, 200},
		{"HEAD", "/", nil, 200},
		{"GET", "/sw.js", nil, 200},
		{"GET", "/app/app.js", nil, 200},
		{"GET", "/app/app.js", []string{"If-None-Match", tag}, 304},
		{"GET", "/app/app.js", []string{"Range", "bytes=0-9"}, 206},
		{"GET", "/app/missing.js", nil, 404},
		{"GET", "/app/dist/pixmatch.wasm", nil, 404},
	}
	want := map[string]string{
		"Content-Security-Policy": ContentSecurityPolicy,
		"X-Content-Type-Options":  "nosniff",
		"X-Frame-Options":         "DENY",
		"Referrer-Policy":         "no-referrer",
	}
	for _, a := range answers {
		res, _ := fetch(t, srv, a.method, a.path, a.headers...)
		if res.StatusCode != a.status {
			t.Errorf("%s %s %v: %d, want %d", a.method, a.path, a.headers, res.StatusCode, a.status)
		}
		for k, v := range want {
			if got := res.Header.Get(k); got != v {
				t.Errorf("%s %s %v: %s %q, want %q", a.method, a.path, a.headers, k, got, v)
			}
		}
	}
	for _, directive := range []string{"frame-ancestors 'none'", "script-src 'self' 'wasm-unsafe-eval'", "connect-src 'self'"} {
		if !strings.Contains(ContentSecurityPolicy, directive) {
			t.Errorf("the policy lacks %s", directive)
		}
	}
	if strings.Contains(ContentSecurityPolicy, "unsafe-inline") || strings.Contains(ContentSecurityPolicy, "'unsafe-eval'") {
		t.Errorf("the policy allows inline code or eval: %s", ContentSecurityPolicy)
	}
}

// TestConditional checks If-None-Match as http.ServeContent reads it: a
// list of tags, weak tags and * match; other tags do not.
func TestConditional(t *testing.T) {
	srv := newServer(t)
	res, _ := fetch(t, srv, http.MethodGet, "/app/app.js")
	tag := res.Header.Get("ETag")
	tests := []struct {
		match  string
		status int
	}{
		{tag, 304},
		{`"other", ` + tag, 304},
		{`"a","b",` + tag + `,"c"`, 304},
		{"W/" + tag, 304},
		{`"other", W/` + tag, 304},
		{"*", 304},
		{`"other"`, 200},
		{`"other", "more"`, 200},
		{strings.Trim(tag, `"`), 200}, // not a quoted tag
	}
	for _, tt := range tests {
		res, body := fetch(t, srv, http.MethodGet, "/app/app.js", "If-None-Match", tt.match)
		if res.StatusCode != tt.status {
			t.Errorf("If-None-Match %s: %d, want %d", tt.match, res.StatusCode, tt.status)
		}
		if tt.status == 304 && (len(body) != 0 || res.Header.Get("ETag") != tag) {
			t.Errorf("If-None-Match %s: 304 with %d bytes and ETag %q", tt.match, len(body), res.Header.Get("ETag"))
		}
		if tt.status == 200 && !bytes.Equal(body, appJS) {
			t.Errorf("If-None-Match %s: 200 with %d bytes, want the file", tt.match, len(body))
		}
	}
}

// TestGzip checks the gzip variant: chosen only when Accept-Encoding
// allows it, decoding to the file's exact bytes, with its own ETag.
func TestGzip(t *testing.T) {
	srv := newServer(t)
	plain, body := fetch(t, srv, http.MethodGet, "/app/app.js")
	if plain.Header.Get("Content-Encoding") != "" || !bytes.Equal(body, appJS) {
		t.Fatalf("without Accept-Encoding: %q, %d bytes", plain.Header.Get("Content-Encoding"), len(body))
	}
	zipped, body := fetch(t, srv, http.MethodGet, "/app/app.js", "Accept-Encoding", "br;q=1.0, gzip;q=0.8, *;q=0.1")
	if zipped.Header.Get("Content-Encoding") != "gzip" {
		t.Fatalf("Accept-Encoding gzip: Content-Encoding %q", zipped.Header.Get("Content-Encoding"))
	}
	if len(body) >= len(appJS) || zipped.Header.Get("Content-Length") != strconv.Itoa(len(body)) {
		t.Errorf("gzip: %d bytes (Content-Length %s) for a file of %d", len(body), zipped.Header.Get("Content-Length"), len(appJS))
	}
	r, err := gzip.NewReader(bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if decoded, err := io.ReadAll(r); err != nil || !bytes.Equal(decoded, appJS) {
		t.Errorf("the gzip variant decodes to %d bytes (%v), want the file's %d exactly", len(decoded), err, len(appJS))
	}
	gzTag, tag := zipped.Header.Get("ETag"), plain.Header.Get("ETag")
	if gzTag == "" || gzTag == tag {
		t.Errorf("ETags: gzip %q, identity %q: want two distinct tags", gzTag, tag)
	}
	for _, res := range []*http.Response{plain, zipped} {
		if res.Header.Get("Vary") != "Accept-Encoding" {
			t.Errorf("Vary %q, want Accept-Encoding", res.Header.Get("Vary"))
		}
	}
	for _, refused := range []string{"gzip;q=0", "gzip; q=0.000, *", "identity", "br", "*;q=0", "gzip;q=nonsense"} {
		res, body := fetch(t, srv, http.MethodGet, "/app/app.js", "Accept-Encoding", refused)
		if res.Header.Get("Content-Encoding") != "" || !bytes.Equal(body, appJS) || res.Header.Get("ETag") != tag {
			t.Errorf("Accept-Encoding %q: Content-Encoding %q, %d bytes, ETag %q: want the file as it is",
				refused, res.Header.Get("Content-Encoding"), len(body), res.Header.Get("ETag"))
		}
	}
	if res, _ := fetch(t, srv, http.MethodGet, "/app/app.js", "Accept-Encoding", "gzip", "If-None-Match", gzTag); res.StatusCode != 304 {
		t.Errorf("revalidating the gzip variant: %d, want 304", res.StatusCode)
	}
	if res, _ := fetch(t, srv, http.MethodGet, "/app/app.js", "Accept-Encoding", "gzip", "If-None-Match", tag); res.StatusCode != 200 {
		t.Errorf("the identity tag revalidating the gzip variant: %d, want 200", res.StatusCode)
	}
	if res, _ := fetch(t, srv, http.MethodGet, "/sw.js", "Accept-Encoding", "gzip"); res.Header.Get("Content-Encoding") != "" || res.Header.Get("Vary") != "" {
		t.Errorf("a file gzip does not shrink: Content-Encoding %q, Vary %q", res.Header.Get("Content-Encoding"), res.Header.Get("Vary"))
	}
}

// TestHeadAndRange checks HEAD (the headers of GET, no body) and Range.
func TestHeadAndRange(t *testing.T) {
	srv := newServer(t)
	for _, enc := range []string{"", "gzip"} {
		get, body := fetch(t, srv, http.MethodGet, "/app/app.js", "Accept-Encoding", enc)
		head, none := fetch(t, srv, http.MethodHead, "/app/app.js", "Accept-Encoding", enc)
		if head.StatusCode != 200 || len(none) != 0 {
			t.Errorf("HEAD (Accept-Encoding %q): %d with %d bytes of body, want 200 and none", enc, head.StatusCode, len(none))
		}
		for _, k := range []string{"Content-Length", "Content-Type", "Content-Encoding", "ETag"} {
			if head.Header.Get(k) != get.Header.Get(k) {
				t.Errorf("HEAD (Accept-Encoding %q): %s %q, GET has %q", enc, k, head.Header.Get(k), get.Header.Get(k))
			}
		}
		if get.Header.Get("Content-Length") != strconv.Itoa(len(body)) {
			t.Errorf("GET (Accept-Encoding %q): Content-Length %s for %d bytes", enc, get.Header.Get("Content-Length"), len(body))
		}
	}
	res, part := fetch(t, srv, http.MethodGet, "/app/app.js", "Range", "bytes=7-12")
	if res.StatusCode != http.StatusPartialContent || !bytes.Equal(part, appJS[7:13]) {
		t.Errorf("Range bytes=7-12: %d %q, want 206 %q", res.StatusCode, part, appJS[7:13])
	}
	if res, _ := fetch(t, srv, http.MethodGet, "/app/app.js", "Range", "bytes=99999-"); res.StatusCode != http.StatusRequestedRangeNotSatisfiable {
		t.Errorf("a range past the end: %d, want 416", res.StatusCode)
	}
}

func TestAcceptsGzip(t *testing.T) {
	tests := []struct {
		header string
		want   bool
	}{
		{"", false},
		{"gzip", true},
		{"GZIP", true},
		{"x-gzip", true},
		{"gzip, deflate, br, zstd", true},
		{"br;q=1.0, gzip;q=0.8, *;q=0.1", true},
		{"*", true},
		{"*;q=0.5", true},
		{"gzip;q=0", false},
		{"gzip;q=0.0, *", false},
		{"*, gzip;q=0", false},
		{"*;q=0", false},
		{"deflate, br", false},
		{"identity", false},
		{"gzip;q=2", false},
		{"gzip;q=x", false},
		{"gzip ; q=0.001", true},
	}
	for _, tt := range tests {
		if got := acceptsGzip([]string{tt.header}); got != tt.want {
			t.Errorf("acceptsGzip(%q) = %v, want %v", tt.header, got, tt.want)
		}
	}
	if !acceptsGzip([]string{"br", "gzip"}) {
		t.Error("gzip in a second Accept-Encoding line is ignored")
	}
}
