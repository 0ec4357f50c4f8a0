package app_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"log/slog"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/pixmatch/pixmatch/server/app"
	"github.com/pixmatch/pixmatch/server/metrics"
)

// syncBuffer is a log destination safe for the server's goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

// lines returns the JSON log lines written so far.
func (s *syncBuffer) lines(t *testing.T) []map[string]any {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []map[string]any
	sc := bufio.NewScanner(bytes.NewReader(s.b.Bytes()))
	for sc.Scan() {
		var m map[string]any
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
			t.Fatalf("log line %q: %v", sc.Text(), err)
		}
		out = append(out, m)
	}
	return out
}

// get sends a GET and returns the status and the request ID the
// response carries.
func get(t *testing.T, url string) (int, string) {
	t.Helper()
	res, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	return res.StatusCode, res.Header.Get("X-Request-Id")
}

// TestAccessLog checks the access line of a served and of a refused
// request (request ID as the response carries it, method, path, status,
// catalogue code, duration), then floods the server with refused
// requests: their lines stay within the rate limit, the others are
// counted as dropped, a served request is still logged, and no other
// line at Info repeats each refusal.
func TestAccessLog(t *testing.T) {
	var buf syncBuffer
	m := metrics.New()
	srv, _, _ := newServer(t, slog.New(slog.NewJSONHandler(&buf, nil)), app.WithMetrics(m, true))

	status, id := get(t, srv.URL+"/ping")
	if status != 200 || id == "" {
		t.Fatalf("GET /ping: %d, request ID %q", status, id)
	}
	refusal := srv.URL + "/?Action=Detail&InstanceName=default"
	status, refusedID := get(t, refusal)
	if status != 403 {
		t.Fatalf("unsigned call: %d", status)
	}
	byID := map[string]map[string]any{}
	for _, l := range buf.lines(t) {
		if l["msg"] == "request" {
			byID[l["id"].(string)] = l
		}
	}
	if l := byID[id]; l == nil || l["level"] != "INFO" || l["method"] != "GET" || l["path"] != "/ping" ||
		l["status"] != 200.0 || l["api"] != "crs" || l["duration"] == nil || l["code"] != nil {
		t.Fatalf("access line of GET /ping: %v", l)
	}
	if l := byID[refusedID]; l == nil || l["status"] != 403.0 || l["code"] != "NoPermission" || l["api"] != "alibaba" || l["err"] == nil {
		t.Fatalf("access line of the refusal: %v", l)
	}

	const flood = 200
	start := time.Now()
	for range flood {
		get(t, refusal)
	}
	elapsed := time.Since(start)
	status, lastID := get(t, srv.URL+"/ping")
	if status != 200 {
		t.Fatalf("GET /ping after the flood: %d", status)
	}
	logged, served := 0, false
	for _, l := range buf.lines(t) {
		if l["msg"] == "request" && l["status"] == 403.0 {
			logged++
		}
		if l["msg"] == "request" && l["id"] == lastID {
			served = true
		}
		if l["level"] == "INFO" && l["msg"] != "request" {
			t.Errorf("another line at Info: %v", l)
		}
	}
	if max := 20 + int(elapsed.Seconds()*10) + 1; logged > max || logged == 0 {
		t.Errorf("%d refusals logged of %d in %v; want 1 to %d", logged, flood+1, elapsed, max)
	}
	if !served {
		t.Errorf("the served request after the flood was not logged")
	}
	dropped := sample(scrape(t, srv.URL), "pixmatch_log_lines_dropped_total", map[string]string{})
	if int(dropped) != flood+1-logged {
		t.Errorf("pixmatch_log_lines_dropped_total = %v, want %d (refusals %d, logged %d)", dropped, flood+1-logged, flood+1, logged)
	}
}
