package golden

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// fakeT records a Check's failure instead of failing the test.
type fakeT struct {
	testing.TB
	failed string
}

func (f *fakeT) Helper()                     {}
func (f *fakeT) Logf(string, ...any)         {}
func (f *fakeT) Fatal(args ...any)           { panic(fatal{}) }
func (f *fakeT) Fatalf(msg string, _ ...any) { f.failed = msg; panic(fatal{}) }

type fatal struct{}

// check runs f.Check and returns the failure's format, or "".
func check(f File, got string, update bool) (failed string) {
	ft := &fakeT{}
	defer func() {
		if r := recover(); r != nil && r != (fatal{}) {
			panic(r)
		}
		failed = ft.failed
	}()
	f.Check(ft, []byte(got), update)
	return ""
}

func TestCheck(t *testing.T) {
	path := filepath.Join(t.TempDir(), "vectors.txt")
	f := File{Path: path, Version: 2, Name: "x.Version", What: "codes", How: "make x",
		Changed: func(got, want []byte) string {
			if strings.Contains(string(want), "a 1") && strings.Contains(string(got), "a 2") {
				return "a"
			}
			return ""
		}}
	if msg := check(f, "version 2\na 1\n", false); !strings.Contains(msg, "make it with the update") {
		t.Errorf("no file: %q", msg)
	}
	if msg := check(f, "version 2\na 1\n", true); msg != "" {
		t.Errorf("first update: %q", msg)
	}
	for _, c := range []struct {
		got    string
		update bool
		want   string // in the failure's format; "" for none
	}{
		{"version 2\na 1\n", false, ""},
		{"version 2\na 2\n", false, "%s changed: bump %s"},
		{"version 2\na 2\n", true, "changed under %s %d"},
		{"version 2\na 1\nb 1\n", false, "the test inputs are not those"},
		{"version 2\na 1\nb 1\n", true, ""},
	} {
		if msg := check(f, c.got, c.update); !strings.Contains(msg, c.want) || (c.want == "") != (msg == "") {
			t.Errorf("%q, update %v: failed with %q, want %q", c.got, c.update, msg, c.want)
		}
	}
	f.Version = 3
	if msg := check(f, "version 3\na 2\n", false); !strings.Contains(msg, "was made with version") {
		t.Errorf("new version, old file: %q", msg)
	}
	if msg := check(f, "version 3\na 2\n", true); msg != "" {
		t.Errorf("update under a new version: %q", msg)
	}
	if b, _ := os.ReadFile(path); string(b) != "version 3\na 2\n" {
		t.Errorf("file holds %q", b)
	}
}

func TestVersion(t *testing.T) {
	for text, want := range map[string]string{
		"# x\nversion 12\n\na": "12",
		"version x\n":          "",
		"":                     "",
		"  version 3  \n":      "3",
	} {
		if got := Version([]byte(text)); got != want {
			t.Errorf("Version(%q) = %q, want %q", text, got, want)
		}
	}
}
