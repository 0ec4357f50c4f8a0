//go:build js && wasm

package worker

import (
	"bytes"
	"errors"
	"io"
	"net/http"
	"syscall/js"

	"github.com/pixmatch/pixmatch/server/config"
)

// rawBodyGetter is what syumai/workers' request body offers besides
// io.ReadCloser: the ReadableStream it reads from.
type rawBodyGetter interface {
	GetRawJSBody() js.Value
}

// WholeBody has h read each request's body, when its Content-Length is
// at most the largest body an API reads (MaxWholeBody), as bytes read in
// one piece by the runtime.
//
// syumai/workers v0.33.0 reads a body chunk by chunk from its
// ReadableStream, each chunk a promise the Go instance waits for idle,
// with two callbacks (js.FuncOf) made for it, one of which it never
// releases. Here the runtime reads the whole body natively (a Response's
// arrayBuffer) and the Go instance waits once and copies once. A body
// without a Content-Length, or larger, streams as before (and is refused
// by the app's own limits). A body that cannot be read reads as the
// runtime's error.
func WholeBody(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		raw, ok := r.Body.(rawBodyGetter)
		if ok && r.ContentLength > 0 && r.ContentLength <= MaxWholeBody() {
			b, err := readWhole(raw.GetRawJSBody())
			r.Body = io.NopCloser(io.MultiReader(bytes.NewReader(b), errReader{err}))
		}
		h.ServeHTTP(w, r)
	})
}

// MaxWholeBody is the largest body WholeBody reads in one piece: the
// largest an API of the app reads.
func MaxWholeBody() int64 {
	c := config.Default()
	return max(c.CRS.MaxBodyBytes(), c.Alibaba.MaxBodyBytes)
}

// readWhole reads the ReadableStream stream to its end.
func readWhole(stream js.Value) ([]byte, error) {
	type result struct {
		v   js.Value
		err error
	}
	done := make(chan result, 1)
	then := js.FuncOf(func(_ js.Value, args []js.Value) any {
		done <- result{v: args[0]}
		return nil
	})
	defer then.Release()
	catch := js.FuncOf(func(_ js.Value, args []js.Value) any {
		done <- result{err: errors.New("read the request body: " + args[0].Call("toString").String())}
		return nil
	})
	defer catch.Release()
	js.Global().Get("Response").New(stream).Call("arrayBuffer").Call("then", then, catch)
	res := <-done // the body's read ends, at worst with the request
	if res.err != nil {
		return nil, res.err
	}
	view := js.Global().Get("Uint8Array").New(res.v)
	b := make([]byte, view.Get("byteLength").Int())
	js.CopyBytesToGo(b, view)
	return b, nil
}

// errReader reads as its error, or as the end when it has none.
type errReader struct{ err error }

// Read returns the reader's error, or io.EOF.
func (e errReader) Read([]byte) (int, error) {
	if e.err != nil {
		return 0, e.err
	}
	return 0, io.EOF
}
