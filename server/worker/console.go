//go:build js && wasm

package worker

import (
	"bytes"
	"io"
	"syscall/js"
)

// Console returns a writer that hands each write to console.log as one
// string, less its final newline: the Workers runtime's log (wrangler
// tail, the dashboard's logs). Each write of a slog handler is one
// record, so one line is one call into JavaScript. Go's os.Stderr on
// js/wasm goes through wasm_exec.js's emulated file system instead: a
// callback made and released, the bytes copied into a Uint8Array and
// decoded there, a goroutine waiting on the callback.
func Console() io.Writer {
	return console{js.Global().Get("console")}
}

// console writes to the console object it holds.
type console struct{ js js.Value }

// Write logs p as one line.
func (c console) Write(p []byte) (int, error) {
	c.js.Call("log", string(bytes.TrimSuffix(p, []byte("\n"))))
	return len(p), nil
}
