// Package web serves the browser app: the page at /, the service worker
// at /sw.js, the app's files under /app/ and the WebAssembly module under
// /app/dist/.
//
// Every answer carries the app's security headers (see headers.go): a
// Content-Security-Policy that allows only what the app does, nosniff,
// no framing and no referrer. Files are served with http.ServeContent:
// GET and HEAD, Range, and conditional requests on a strong ETag
// (If-None-Match with a list of tags, weak tags and *). They are
// revalidated on every load (Cache-Control: no-cache; the service worker
// keeps the offline copy), so a new server version is picked up at once.
// A file that gzip makes at least a tenth smaller is also served gzipped
// to a request whose Accept-Encoding allows it, with its own ETag and
// Vary: Accept-Encoding; it is compressed once, on first request.
package web

import (
	"bytes"
	"errors"
	"io/fs"
	"mime"
	"net/http"
	"path"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/labstack/echo/v4"
)

// Handler serves the app's files.
type Handler struct {
	static fs.FS // index.html, sw.js, scripts, styles
	dist   fs.FS // pixmatch.wasm, wasm_exec.js

	mu    sync.Mutex
	files map[string]*file // "static/name", "dist/name" → a file read once
}

// New returns the handler serving the app's static files and the built
// module (dist).
func New(static, dist fs.FS) *Handler { return &Handler{static: static, dist: dist} }

func init() {
	mime.AddExtensionType(".wasm", "application/wasm")
	mime.AddExtensionType(".webmanifest", "application/manifest+json")
	mime.AddExtensionType(".mjs", "text/javascript")
}

// Routes adds the routes under /app/ and /sw.js to e, for GET and
// HEAD, and HEAD /. The page at GET / is served by Index, which the
// caller routes (GET / is shared with the Alibaba API).
func (h *Handler) Routes(e *echo.Echo) {
	routes := map[string]echo.HandlerFunc{
		"/sw.js":      func(c echo.Context) error { return h.serve(c, "static", "sw.js") },
		"/app/dist/*": func(c echo.Context) error { return h.serve(c, "dist", c.Param("*")) },
		"/app/*":      func(c echo.Context) error { return h.serve(c, "static", c.Param("*")) },
	}
	for p, handler := range routes {
		e.GET(p, handler)
		e.HEAD(p, handler)
	}
	e.HEAD("/", h.Index)
}

// Index serves the app's page.
func (h *Handler) Index(c echo.Context) error { return h.serve(c, "static", "index.html") }

// serve answers one file of the static files or of the module (dir is
// "static" or "dist").
func (h *Handler) serve(c echo.Context, dir, name string) error {
	hdr := c.Response().Header()
	secure(hdr)
	name = path.Clean("/" + name)[1:]
	if name == "" || strings.HasPrefix(name, ".") {
		return echo.ErrNotFound
	}
	f, err := h.file(dir, name)
	if errors.Is(err, fs.ErrNotExist) {
		if dir == "dist" {
			return echo.NewHTTPError(http.StatusNotFound, "the browser module is not built: run make wasm, then rebuild the server")
		}
		return echo.ErrNotFound
	}
	if err != nil {
		return err
	}
	hdr.Set("Cache-Control", "no-cache")
	hdr.Set("Content-Type", f.ctype)
	if dir == "static" && name == "sw.js" {
		hdr.Set("Service-Worker-Allowed", "/")
	}
	var w http.ResponseWriter = c.Response()
	body, tag := f.data, f.tag
	if f.gz != nil {
		hdr.Add("Vary", "Accept-Encoding")
		if acceptsGzip(c.Request().Header.Values("Accept-Encoding")) {
			body, tag = f.gz, f.gzTag
			hdr.Set("Content-Encoding", "gzip")
			w = &lengthWriter{ResponseWriter: w, n: len(body)}
		}
	}
	hdr.Set("ETag", tag)
	http.ServeContent(w, c.Request(), "", time.Time{}, bytes.NewReader(body))
	return nil
}

// lengthWriter declares the length of a whole precompressed body, which
// http.ServeContent leaves out when Content-Encoding is set (it cannot
// know that the body it is given is the encoded one): a download of the
// module then shows its progress, and HEAD tells its size.
type lengthWriter struct {
	http.ResponseWriter
	n int
}

// WriteHeader sets Content-Length on a 200 before writing the header.
func (w *lengthWriter) WriteHeader(code int) {
	if code == http.StatusOK {
		w.Header().Set("Content-Length", strconv.Itoa(w.n))
	}
	w.ResponseWriter.WriteHeader(code)
}

// file returns a file of dir, read and compressed on its first request.
// Only files that exist are kept: a request for any other name costs a
// lookup, never memory.
func (h *Handler) file(dir, name string) (*file, error) {
	fsys := h.static
	if dir == "dist" {
		fsys = h.dist
	}
	key := dir + "/" + name
	h.mu.Lock()
	f, ok := h.files[key]
	h.mu.Unlock()
	if !ok {
		info, err := fs.Stat(fsys, name)
		if err != nil {
			return nil, err
		}
		if info.IsDir() {
			return nil, fs.ErrNotExist
		}
		h.mu.Lock()
		if h.files == nil {
			h.files = map[string]*file{}
		}
		if f, ok = h.files[key]; !ok {
			f = &file{}
			h.files[key] = f
		}
		h.mu.Unlock()
	}
	f.once.Do(func() { f.err = f.load(fsys, name) })
	return f, f.err
}
