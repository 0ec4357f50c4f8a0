package worker

import (
	"net/http"
	"net/http/httptest"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"testing"
)

// TestRetiring: an instance whose live heap is below the bound is not
// retired; once a request leaves more than the bound live, retire is
// called, once however many requests follow.
func TestRetiring(t *testing.T) {
	var kept [][]byte
	grow := false
	h := http.HandlerFunc(func(http.ResponseWriter, *http.Request) {
		if grow {
			kept = append(kept, make([]byte, 64<<20))
		}
		runtime.GC() // the live heap as the request leaves it
	})
	retired := 0
	r := Retiring(h, 48<<20, func() { retired++ })
	serve := func() { r.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, "/ping", nil)) }
	serve()
	if retired != 0 {
		t.Fatalf("retired below the bound")
	}
	grow = true
	serve()
	grow = false
	serve()
	if retired != 1 {
		t.Errorf("retired %d times past the bound, want 1", retired)
	}
	runtime.KeepAlive(kept)
}

// TestCollecting: a request whose body is large runs after a collection
// when the heap holds garbage enough, and only then: not for a small
// body over the same garbage, nor for a large one over a heap just
// collected.
func TestCollecting(t *testing.T) {
	defer debug.SetGCPercent(debug.SetGCPercent(-1)) // no collection but the ones counted
	runtime.GC()
	h := Collecting(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}), 1<<20, 8<<20)
	cycles := func() uint64 {
		s := []metrics.Sample{{Name: "/gc/cycles/total:gc-cycles"}}
		metrics.Read(s)
		return s[0].Value.Uint64()
	}
	serve := func(what string, body int64, want uint64) {
		t.Helper()
		r := httptest.NewRequest(http.MethodPost, "/search", nil)
		r.ContentLength = body
		before := cycles()
		h.ServeHTTP(httptest.NewRecorder(), r)
		if got := cycles() - before; got != want {
			t.Errorf("%s: %d collections, want %d", what, got, want)
		}
	}
	for range 16 {
		garbage = make([]byte, 1<<20)
	}
	garbage = nil
	serve("a body of 100 KB over 16 MB of garbage", 100<<10, 0)
	serve("a body of 2 MB over 16 MB of garbage", 2<<20, 1)
	serve("a body of 2 MB over a heap just collected", 2<<20, 0)
}

// garbage is where TestCollecting's garbage passes through, so that the
// compiler keeps its allocations.
var garbage []byte
