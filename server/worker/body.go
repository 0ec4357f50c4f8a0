//go:build js && wasm

package worker

import (
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"
	"strings"
	"syscall/js"

	"github.com/pixmatch/pixmatch/server/budget"
)

// The bodies of requests worker.mjs marked with BodyMarkHeader: a
// deadline passed, which the app answers as a body sent too slowly (CRS
// 408/19), and no room, which it answers busy (CRS 21/503, Alibaba
// DeniedRequest).
var (
	errLateBody = fmt.Errorf("the body did not arrive in time: %w", os.ErrDeadlineExceeded)
	errBusyBody = fmt.Errorf("the isolate holds all the bodies it may read ahead: %w", budget.ErrBusy)
)

// WholeBody has h read each request's body from bytes read in one piece
// before the request's turn: worker.mjs reads a body of at most the
// largest an API reads (MaxWholeBody) from the client in its own
// request's context, so this waits on no client, and hands the Go
// instance one request at a time. A request it marked with
// BodyMarkHeader "read N" has its body in worker.mjs's keeping, taken
// here as the bytes they are (pixmatchTakeBody); "late" (the body did
// not come in time) or "busy" (no room for it) gets a body that fails
// with a passed deadline, or busy. worker.mjs marks every body it reads;
// one it leaves unread declared more than the largest, and is refused
// by the app for its length before a byte of it is read.
//
// The body stays in JavaScript until the app reads it: its read copies
// the bytes straight into its own buffer (jsBody), the one copy of the
// body in Go, charged to the isolate's budget of bodies by the app (see
// Shared). A body the app refuses by its length alone is never copied,
// and when the request ends the body lets go of the runtime's bytes:
// syumai/workers keeps a request reachable for a while after its answer,
// and a copy held by it kept each large body in the Go instance's heap
// for several requests after its own (six searches of 10 MB PNGs took
// the instance from 22 to 78 MB and had it retired; TestUnderWorkerd's
// large bodies). Handed over as the bytes worker.mjs read, a body takes
// no Request copy in the runtime, no stream read back, and no wait:
// syumai/workers v0.33.0 would read it chunk by chunk from its
// ReadableStream, each chunk a promise the Go instance waits for idle,
// with two callbacks (js.FuncOf) made for it, one of which it never
// releases.
func WholeBody(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if mark := r.Header.Get(BodyMarkHeader); mark != "" {
			r.Header.Del(BodyMarkHeader)
			b := markedBody(mark)
			defer b.Close()
			r.Body, r.ContentLength = b, int64(b.n)
			if b.err != nil {
				r.ContentLength = -1
			}
		}
		h.ServeHTTP(w, r)
	})
}

// markedBody returns the body of a request worker.mjs marked with mark.
func markedBody(mark string) *jsBody {
	n, read := strings.CutPrefix(mark, "read ")
	if !read {
		if mark == "busy" {
			return &jsBody{err: errBusyBody}
		}
		return &jsBody{err: errLateBody}
	}
	id, err := strconv.Atoi(n)
	if err != nil {
		return &jsBody{err: fmt.Errorf("worker.mjs marked a body %q", mark)}
	}
	u := js.Global().Call("pixmatchTakeBody", id)
	if u.Type() != js.TypeObject {
		return &jsBody{err: fmt.Errorf("worker.mjs keeps no body %d", id)}
	}
	return newJSBody(u)
}

// jsBody reads a body worker.mjs read whole, a Uint8Array, copying each
// read's bytes from it into the reader's buffer: one crossing into
// JavaScript a read, so a reader of a known length (budget.ReadAll) reads
// it in one. Reading it after its Close, or after its error, gives that
// error again; a closed one reads as its end.
type jsBody struct {
	u      js.Value // undefined once closed
	off, n int
	err    error
}

// newJSBody returns the body read as u.
func newJSBody(u js.Value) *jsBody {
	return &jsBody{u: u, n: u.Get("length").Int()}
}

// Read copies the next bytes of the body into p.
func (b *jsBody) Read(p []byte) (int, error) {
	if b.err != nil {
		return 0, b.err
	}
	if b.off >= b.n {
		return 0, io.EOF
	}
	k := min(len(p), b.n-b.off)
	if k == 0 {
		return 0, nil
	}
	src := b.u
	if b.off > 0 || k < b.n {
		src = b.u.Call("subarray", b.off, b.off+k)
	}
	js.CopyBytesToGo(p[:k], src)
	b.off += k
	return k, nil
}

// Close lets go of the runtime's bytes; the body reads as ended.
func (b *jsBody) Close() error {
	b.u, b.off = js.Undefined(), b.n
	return nil
}

// goBytes copies the JavaScript Uint8Array u into a new Go slice.
func goBytes(u js.Value) []byte {
	b := make([]byte, u.Get("length").Int())
	js.CopyBytesToGo(b, u)
	return b
}

// jsBytes returns a JavaScript Uint8Array holding a copy of b.
func jsBytes(b []byte) js.Value {
	u := js.Global().Get("Uint8Array").New(len(b))
	js.CopyBytesToJS(u, b)
	return u
}
