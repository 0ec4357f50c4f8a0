package web

import (
	"io/fs"
	"regexp"
	"slices"
	"strconv"
	"testing"

	"github.com/pixmatch/pixmatch/shared/apierror"
	"github.com/pixmatch/pixmatch/web"
)

// block returns the text of a JavaScript declaration in file, from the
// start pattern to the end pattern, or fails the test.
func block(t *testing.T, file, start, end string) string {
	t.Helper()
	src, err := fs.ReadFile(web.Static(), file)
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`(?s)` + start + `(.*?)` + end).FindSubmatch(src)
	if m == nil {
		t.Fatalf("%s has no %s … %s", file, start, end)
	}
	return string(m[1])
}

// TestErrorMessages holds the human messages of web/static/errors.js to
// the catalogue: every CRS statusCode a client can receive has one, and
// every key is such a code.
func TestErrorMessages(t *testing.T) {
	table := block(t, "errors.js", `export const CRS_MESSAGES = Object\.freeze\(\{`, `\}\);`)
	keys := map[int]bool{}
	for _, m := range regexp.MustCompile(`(?m)^\s*(\d+):\s*['"]`).FindAllStringSubmatch(table, -1) {
		n, _ := strconv.Atoi(m[1])
		if keys[n] {
			t.Errorf("errors.js: statusCode %d twice", n)
		}
		keys[n] = true
	}
	codes := map[int]bool{}
	for _, e := range apierror.All() {
		if e.Dialect == apierror.CRS {
			codes[e.CRSCode()] = true
		}
	}
	for code := range codes {
		if !keys[code] {
			t.Errorf("errors.js has no message for CRS statusCode %d", code)
		}
	}
	for key := range keys {
		if !codes[key] {
			t.Errorf("errors.js has a message for %d, which is no CRS statusCode", key)
		}
	}
	if len(keys) < 10 {
		t.Fatalf("errors.js: read %d messages; is the table still written key: 'message'?", len(keys))
	}
}

// TestServiceWorkerShell checks that the service worker keeps exactly
// what the app needs offline: the page (as /), every embedded static
// file but the page and the worker itself, and the module.
func TestServiceWorkerShell(t *testing.T) {
	list := block(t, "sw.js", `const SHELL = \[`, `\];`)
	var shell []string
	for _, m := range regexp.MustCompile(`'([^']*)'`).FindAllStringSubmatch(list, -1) {
		shell = append(shell, m[1])
	}
	want := []string{"/", "/app/dist/pixmatch.wasm", "/app/dist/wasm_exec.js"}
	err := fs.WalkDir(web.Static(), ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || p == "index.html" || p == "sw.js" {
			return err
		}
		want = append(want, "/app/"+p)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(shell)
	slices.Sort(want)
	if !slices.Equal(shell, want) {
		t.Errorf("sw.js SHELL:\n%q\nwant the embedded files and the module:\n%q", shell, want)
	}
}
