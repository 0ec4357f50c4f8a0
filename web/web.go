// Package web holds the browser app pixmatch serves at /: its pages,
// scripts and styles (static/), and the WebAssembly module built from
// wasm/ (dist/, written by `make wasm`). Both are embedded into the server
// binary.
package web

import (
	"embed"
	"io/fs"
)

//go:embed static
var static embed.FS

// Static returns the app's files: index.html, the scripts, the styles,
// the service worker.
func Static() fs.FS { return sub(static, "static") }

// Dist returns the built module: pixmatch.wasm and wasm_exec.js, when
// `make wasm` has run before the server was built (dist.go). The
// Cloudflare Worker (js/wasm) embeds none: its static assets serve them
// (dist_js.go).
func Dist() fs.FS { return sub(dist, "dist") }

func sub(f fs.FS, dir string) fs.FS {
	s, err := fs.Sub(f, dir)
	if err != nil {
		panic(err) // the directory is embedded above
	}
	return s
}
