package fetch

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"testing"
)

func TestPost(t *testing.T) {
	var got string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		got = r.Method + " " + r.Header.Get("Content-Type") + " " + string(b)
		if r.URL.Path == "/refuse" {
			w.WriteHeader(http.StatusServiceUnavailable)
		}
	}))
	defer srv.Close()
	allowed := &Fetcher{Allow: []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}}
	if err := allowed.Post(context.Background(), srv.URL+"/done", "application/json", []byte(`{"a":1}`)); err != nil {
		t.Fatal(err)
	}
	if got != `POST application/json {"a":1}` {
		t.Errorf("server saw %q", got)
	}
	if err := allowed.Post(context.Background(), srv.URL+"/refuse", "text/plain", nil); !errors.Is(err, ErrNotFound) {
		t.Errorf("503 answer: %v", err)
	}
	if err := (&Fetcher{}).Post(context.Background(), srv.URL+"/done", "text/plain", nil); !errors.Is(err, ErrForbidden) {
		t.Errorf("loopback without Allow: %v", err)
	}
}
