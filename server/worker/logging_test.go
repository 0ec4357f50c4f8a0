//go:build linux

package worker

import (
	"bytes"
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pixmatch/pixmatch/server/store/d1"
	"github.com/pixmatch/pixmatch/server/store/d1/d1test"
)

// lockedBuffer is a log's output, written by the requests' goroutines.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// TestRequestLines: the Worker's app over D1, with its log filtered by
// Requests, logs no access line for requests that went well (a /ping, a
// refused search) unless all is set, then one per request; the lines
// that are not access lines (the store opened) pass either way.
func TestRequestLines(t *testing.T) {
	for _, all := range []bool{false, true} {
		var out lockedBuffer
		log := slog.New(Requests(slog.NewTextHandler(&out, nil), all))
		db, blobs := d1test.Open(t), &d1.MemoryBlobs{}
		env := map[string]string{EnvAPIKey: workerdKey, EnvAPISecret: workerdSecret, EnvAppID: workerdAppID}
		h := NewIsolate(func(ctx context.Context) (*d1.Store, error) { return d1.Open(ctx, db, blobs) },
			func(k string) string { return env[k] }, log)
		srv := httptest.NewServer(h)
		for _, path := range []string{"/ping", "/search"} {
			res, err := http.Post(srv.URL+path, "application/json", strings.NewReader(`{}`))
			if err != nil {
				t.Fatal(err)
			}
			res.Body.Close()
		}
		srv.Close()
		lines := strings.Count(out.String(), "msg="+accessLine+" ")
		if want := map[bool]int{false: 0, true: 2}[all]; lines != want {
			t.Errorf("all=%v: %d access lines, want %d:\n%s", all, lines, want, out.String())
		}
		if !strings.Contains(out.String(), Opened) {
			t.Errorf("all=%v: no line %q:\n%s", all, Opened, out.String())
		}
	}
}

// TestRequestLinesKept: an access line of a request that failed on the
// Worker's side (5xx) or took SlowRequest is logged whatever all says.
func TestRequestLinesKept(t *testing.T) {
	var out bytes.Buffer
	log := slog.New(Requests(slog.NewTextHandler(&out, nil), false)).With("isolate", 1)
	for _, r := range []struct {
		status int
		took   time.Duration
		kept   bool
	}{{200, time.Millisecond, false}, {404, SlowRequest - 1, false}, {500, time.Millisecond, true}, {200, SlowRequest, true}} {
		out.Reset()
		log.LogAttrs(context.Background(), slog.LevelInfo, accessLine,
			slog.String("path", "/search"), slog.Int(accessStatus, r.status), slog.Duration(accessDuration, r.took))
		if kept := out.Len() > 0; kept != r.kept {
			t.Errorf("HTTP %d in %v: logged %v, want %v", r.status, r.took, kept, r.kept)
		}
	}
}
