// Package workertest checks the browser side of pixmatch end to end,
// without a browser: Node runs the Web Worker web/static/pixmatch-worker.js
// with the module built from wasm/, and the worker syncs and searches a
// gallery served by a real pixmatch server on loopback. The package has
// tests only.
package workertest
