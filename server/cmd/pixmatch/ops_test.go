package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"io"
	"log/slog"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
)

// serveInProcess runs serve with args on a new data folder in this
// process until the test ends, and returns the lines it printed up to
// "pixmatch serving" and the server's base URL.
func serveInProcess(t *testing.T, args ...string) (printed []string, base string) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	done := make(chan error, 1)
	args = append([]string{"serve", "--addr", "127.0.0.1:0", "--data", filepath.Join(t.TempDir(), "data")}, args...)
	go func() { done <- run(ctx, args, pw, func(string) string { return "" }); pw.Close() }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("serve: %v", err)
		}
	})
	sc := bufio.NewScanner(pr)
	for sc.Scan() {
		printed = append(printed, sc.Text())
		if rest, ok := strings.CutPrefix(sc.Text(), "pixmatch serving "); ok {
			go io.Copy(io.Discard, pr)
			return printed, strings.Fields(rest)[0]
		}
	}
	t.Fatalf("serve did not start: %v, printed %q", <-done, printed)
	return nil, ""
}

// status GETs url and returns the HTTP status and the body.
func status(t *testing.T, url string) (int, string) {
	t.Helper()
	res, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(b)
}

// TestMetricsAddr checks the three places --metrics-addr puts /metrics:
// the main address by default, a listener of its own, or nowhere.
func TestMetricsAddr(t *testing.T) {
	_, base := serveInProcess(t)
	if code, body := status(t, base+"/metrics"); code != 200 || !strings.Contains(body, "pixmatch_gallery_targets") {
		t.Fatalf("default /metrics: %d %.200s", code, body)
	}
	if code, _ := status(t, base+"/healthz"); code != 200 {
		t.Fatalf("/healthz: %d", code)
	}

	printed, base := serveInProcess(t, "--metrics-addr", "127.0.0.1:0")
	var own string
	for _, l := range printed {
		if rest, ok := strings.CutPrefix(l, "metrics on "); ok {
			own = rest
		}
	}
	if own == "" {
		t.Fatalf("no metrics address printed: %q", printed)
	}
	if code, _ := status(t, base+"/metrics"); code != 404 {
		t.Fatalf("/metrics on the main address with --metrics-addr: %d, want 404", code)
	}
	if code, body := status(t, own); code != 200 || !strings.Contains(body, "pixmatch_gallery_targets") {
		t.Fatalf("%s: %d %.200s", own, code, body)
	}

	printed, base = serveInProcess(t, "--metrics-addr", "off", "--cors-origin", "https://shop.example")
	if code, _ := status(t, base+"/metrics"); code != 404 {
		t.Fatalf("/metrics with --metrics-addr off: %d, want 404", code)
	}
	if strings.Contains(strings.Join(printed, "\n"), "metrics on") {
		t.Fatalf("--metrics-addr off printed a metrics address: %q", printed)
	}
	req, _ := http.NewRequest(http.MethodGet, base+"/ping", nil)
	req.Header.Set("Origin", "https://shop.example")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.Header.Get("Access-Control-Allow-Origin") != "https://shop.example" {
		t.Fatalf("--cors-origin not applied: %v", res.Header)
	}
}

// TestLogFlags checks --log-format and --log-level: JSON lines at the
// level asked for and above, and bad values refused before the server
// starts.
func TestLogFlags(t *testing.T) {
	var o opsFlags
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	o.register(fs)
	if err := fs.Parse([]string{"--log-format", "json", "--log-level", "warn"}); err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	log, err := o.logger(&buf)
	if err != nil {
		t.Fatal(err)
	}
	log.Info("quiet")
	log.Warn("loud", "n", 1)
	var line map[string]any
	if err := json.Unmarshal(buf.Bytes(), &line); err != nil || line["msg"] != "loud" || line["level"] != "WARN" {
		t.Fatalf("log: %q, %v", buf.String(), err)
	}
	for _, bad := range [][]string{{"--log-format", "xml"}, {"--log-level", "loud"}, {"--cors-origin", "shop.example"}} {
		err := run(context.Background(), append([]string{"serve", "--data", t.TempDir()}, bad...), io.Discard, func(string) string { return "" })
		if err == nil {
			t.Errorf("serve %v: no error", bad)
		}
	}
	if o.logLevel != slog.LevelWarn {
		t.Errorf("level %v", o.logLevel)
	}
}
