// Package web holds the browser app pixmatch serves at /: its pages,
// scripts and styles (static/), and the WebAssembly module built from
// wasm/ (dist/, written by `make wasm`). Both are embedded into the server
// binary.
package web

import "io/fs"

// Static returns the app's files: index.html, the scripts, the styles,
// the service worker (static.go). The Cloudflare Worker (js/wasm) embeds
// index.html alone: its static assets serve the rest (static_js.go).
func Static() fs.FS { return sub(static, "static") }

// Dist returns the built module: pixmatch.wasm and wasm_exec.js, when
// `make wasm` has run before the server was built (dist.go). The
// Cloudflare Worker (js/wasm) embeds none: its static assets serve them
// (dist_js.go).
func Dist() fs.FS { return sub(dist, "dist") }

func sub(f fs.FS, dir string) fs.FS {
	s, err := fs.Sub(f, dir)
	if err != nil {
		panic(err) // the directory is embedded (static.go, dist.go)
	}
	return s
}
