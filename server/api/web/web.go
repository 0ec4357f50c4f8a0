// Package web serves the browser app: the page at /, the service worker
// at /sw.js, the app's files under /app/ and the WebAssembly module under
// /app/dist/.
package web

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"mime"
	"net/http"
	"path"
	"strings"
	"sync"

	"github.com/labstack/echo/v4"
)

// Handler serves the app's files.
type Handler struct {
	Static fs.FS // index.html, sw.js, scripts, styles
	Dist   fs.FS // pixmatch.wasm, wasm_exec.js

	etags sync.Map // "fs-name\x00file" → ETag of content that never changes while serving
}

func init() {
	mime.AddExtensionType(".wasm", "application/wasm")
	mime.AddExtensionType(".webmanifest", "application/manifest+json")
	mime.AddExtensionType(".mjs", "text/javascript")
}

// Register adds the routes under /app/ and /sw.js to e. The page at / is
// served by Index, which the caller routes (GET / is shared with the
// Alibaba API).
func (h *Handler) Register(e *echo.Echo) {
	e.GET("/sw.js", func(c echo.Context) error { return h.serve(c, h.Static, "sw.js") })
	e.GET("/app/dist/*", func(c echo.Context) error { return h.serve(c, h.Dist, c.Param("*")) })
	e.GET("/app/*", func(c echo.Context) error { return h.serve(c, h.Static, c.Param("*")) })
}

// Index serves the app's page.
func (h *Handler) Index(c echo.Context) error { return h.serve(c, h.Static, "index.html") }

// serve answers one file of fsys. The app's files are revalidated on every
// load (the service worker keeps the offline copy), so a new server
// version is picked up at once.
func (h *Handler) serve(c echo.Context, fsys fs.FS, name string) error {
	name = path.Clean("/" + name)[1:]
	if name == "" || strings.HasPrefix(name, ".") {
		return echo.ErrNotFound
	}
	data, err := fs.ReadFile(fsys, name)
	if errors.Is(err, fs.ErrNotExist) {
		if strings.HasSuffix(name, ".wasm") || name == "wasm_exec.js" {
			return echo.NewHTTPError(http.StatusNotFound, "the browser module is not built: run make wasm, then rebuild the server")
		}
		return echo.ErrNotFound
	}
	if err != nil {
		return err
	}
	tag := h.etag(fsys, name, data)
	hdr := c.Response().Header()
	hdr.Set("Cache-Control", "no-cache")
	hdr.Set("ETag", tag)
	if match := c.Request().Header.Get("If-None-Match"); match == tag {
		return c.NoContent(http.StatusNotModified)
	}
	ctype := mime.TypeByExtension(path.Ext(name))
	if ctype == "" {
		ctype = http.DetectContentType(data)
	}
	if name == "sw.js" {
		hdr.Set("Service-Worker-Allowed", "/")
	}
	return c.Blob(http.StatusOK, ctype, data)
}

// etag returns a strong validator for a file, computed once: the files
// are embedded (or, in tests, fixed for the server's life).
func (h *Handler) etag(fsys fs.FS, name string, data []byte) string {
	key := fmt.Sprintf("%p\x00%s", fsys, name)
	if tag, ok := h.etags.Load(key); ok {
		return tag.(string)
	}
	sum := sha256.Sum256(data)
	tag := `"` + hex.EncodeToString(sum[:12]) + `"`
	h.etags.Store(key, tag)
	return tag
}
