package worker

import (
	"net/http"
	"net/http/httptest"
	"runtime"
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
