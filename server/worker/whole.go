//go:build js && wasm

package worker

import (
	"bytes"
	"net/http"
	"syscall/js"
)

// rawBodyWriter is what syumai/workers' response writer offers besides
// http.ResponseWriter: a body handed over as a JavaScript value, sent as
// it is.
type rawBodyWriter interface {
	WriteRawJSBody(body js.Value)
}

// Whole has h's answers handed to the runtime in one piece: the status,
// the headers and the whole body as one Uint8Array.
//
// syumai/workers v0.33.0 otherwise streams a body without a
// Content-Length through a ReadableStream whose pull and cancel callbacks
// (js.FuncOf) it never releases: each answer left about 60 KB in the Go
// instance, harmless while every request had an instance of its own, a
// leak now that an isolate's instance serves all its requests (its memory
// grew from 10 to 61 MB over 900 requests). A body in one piece takes
// neither callbacks nor goroutines. The app's answers are small (JSON,
// thumbnails, sync batches) and were read whole by the runtime anyway.
func Whole(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		raw, ok := w.(rawBodyWriter)
		if !ok {
			h.ServeHTTP(w, r)
			return
		}
		b := &buffered{header: w.Header()}
		h.ServeHTTP(b, r)
		if b.status != 0 {
			w.WriteHeader(b.status)
		}
		raw.WriteRawJSBody(jsBytes(b.body.Bytes()))
	})
}

// buffered is a response writer that keeps the body in memory.
type buffered struct {
	header http.Header
	status int
	body   bytes.Buffer
}

// Header returns the header of the answer.
func (b *buffered) Header() http.Header { return b.header }

// WriteHeader keeps the first status written.
func (b *buffered) WriteHeader(status int) {
	if b.status == 0 {
		b.status = status
	}
}

// Write adds p to the body.
func (b *buffered) Write(p []byte) (int, error) {
	if b.status == 0 {
		b.status = http.StatusOK
	}
	return b.body.Write(p)
}

// Flush does nothing: the body goes out whole.
func (b *buffered) Flush() {}
