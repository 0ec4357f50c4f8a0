//go:build linux

package worker

import (
	"bufio"
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/pixmatch/pixmatch/server/api/web"
	"github.com/pixmatch/pixmatch/server/worker/workerdtest"
)

// moduleBudget is the most the Worker's Go module may weigh gzipped (-9),
// in bytes: issue 12's 3 MB. make worker (worker.mk's WORKER_BUDGET)
// refuses a build over it too.
const moduleBudget = 3_000_000

// TestModuleSize: the modules make worker built, the app's and the
// kernels' beside it, weigh at most moduleBudget gzipped, as `gzip -9`
// counts. Like the workerd tests, it skips when there is no build, unless
// make test asks for one.
func TestModuleSize(t *testing.T) {
	total := 0
	for _, name := range []string{"app.wasm", "kernels.wasm"} {
		wasm := filepath.Join(workerdtest.WorkerDir(), "build", name)
		b, err := os.ReadFile(wasm)
		if err != nil {
			if os.Getenv(workerdtest.Required) != "" {
				t.Fatalf("%v (make worker builds it)", err)
			}
			t.Skipf("%s is missing: run make worker (make test does)", wasm)
		}
		gz := exec.Command("gzip", "-9", "-c")
		gz.Stdin = bytes.NewReader(b)
		out, err := gz.Output()
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("%s: %d bytes raw, %d bytes gzip -9", wasm, len(b), len(out))
		total += len(out)
	}
	t.Logf("both: %d bytes gzip -9 (budget %d)", total, moduleBudget)
	if total > moduleBudget {
		t.Errorf("the Worker's modules weigh %d bytes gzipped, over the budget of %d", total, moduleBudget)
	}
	mk, err := os.ReadFile(filepath.Join(workerdtest.WorkerDir(), "worker.mk"))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(mk, []byte("WORKER_BUDGET    := "+strconv.Itoa(moduleBudget)+"\n")) {
		t.Errorf("worker.mk's WORKER_BUDGET is not %d", moduleBudget)
	}
}

// TestAssetsHeaders: the web app's files that Cloudflare serves as static
// assets (assets_headers, copied to build/assets/_headers) carry the
// headers the server's web app gives them: its Content-Security-Policy
// and the rest, revalidated on every load, the service worker's scope.
func TestAssetsHeaders(t *testing.T) {
	rules := readHeaders(t, filepath.Join(workerdtest.WorkerDir(), "assets_headers"))
	want := map[string]string{
		"Cache-Control":           "no-cache",
		"Content-Security-Policy": web.ContentSecurityPolicy,
		"X-Content-Type-Options":  "nosniff",
		"Referrer-Policy":         "no-referrer",
		"X-Frame-Options":         "DENY",
	}
	for _, path := range []string{"/app/*", "/sw.js"} {
		for name, value := range want {
			if got := rules[path][name]; got != value {
				t.Errorf("%s %s: %q, want %q", path, name, got, value)
			}
		}
	}
	if got := rules["/sw.js"]["Service-Worker-Allowed"]; got != "/" {
		t.Errorf("/sw.js Service-Worker-Allowed: %q, want /", got)
	}
}

// readHeaders parses a _headers file: each rule a path on a line of its
// own, then its headers indented, "Name: value".
func readHeaders(t *testing.T, file string) map[string]map[string]string {
	f, err := os.Open(file)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rules := map[string]map[string]string{}
	var path string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		switch {
		case strings.TrimSpace(line) == "" || strings.HasPrefix(line, "#"):
		case line[0] != ' ':
			path = strings.TrimSpace(line)
			rules[path] = map[string]string{}
		default:
			name, value, ok := strings.Cut(strings.TrimSpace(line), ":")
			if !ok || path == "" {
				t.Fatalf("%s: a header outside a rule: %q", file, line)
			}
			rules[path][name] = strings.TrimSpace(value)
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return rules
}
