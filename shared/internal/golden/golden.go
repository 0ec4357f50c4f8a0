// Package golden keeps a package's regression vectors: a text file of the
// exact outputs its algorithm gives for known inputs, headed by a
// "version N" line naming the version of the algorithm that made them.
// Stored data holds outputs an earlier build made, so outputs may only
// change with a new version; Check holds a build to the file and, asked
// to update it, refuses to record changed outputs under an unchanged
// version.
package golden

import (
	"bytes"
	"errors"
	"io/fs"
	"os"
	"strconv"
	"strings"
	"testing"
)

// File is a vectors file and how its package names and updates it.
type File struct {
	Path    string // the file, under testdata
	Version int    // the algorithm's version in this build
	Name    string // what the version is called: "fingerprint.Version"
	What    string // what the file holds: "codes", "features"
	How     string // the update's command, for the messages
	// Changed describes the first output that differs between two texts
	// in the parts both have; "" if none does.
	Changed func(got, want []byte) string
}

// Check holds got, the text this build makes, to the file: with update,
// it writes got to the file instead, unless the file holds other outputs
// under the same version. Without the update, every difference fails the
// test with what to do: bump the version, run the update, or both.
func (f File) Check(t testing.TB, got []byte, update bool) {
	t.Helper()
	want, err := os.ReadFile(f.Path)
	if err != nil && !(update && errors.Is(err, fs.ErrNotExist)) {
		t.Fatalf("%v: make it with the update (%s)", err, f.How)
	}
	version := strconv.Itoa(f.Version)
	var changed string
	if err == nil && Version(want) == version {
		changed = f.Changed(got, want)
	}
	if update {
		if changed != "" {
			t.Fatalf("%s changed under %s %d: bump it before the update; %s", f.What, f.Name, f.Version, changed)
		}
		if err := os.WriteFile(f.Path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("wrote %s for %s %d", f.Path, f.Name, f.Version)
		return
	}
	switch {
	case Version(want) != version:
		t.Fatalf("%s is %d but %s was made with version %q: run the update (%s) and commit it",
			f.Name, f.Version, f.Path, Version(want), f.How)
	case changed != "":
		t.Fatalf("%s changed: bump %s, then run the update (%s); %s", f.What, f.Name, f.How, changed)
	case !bytes.Equal(got, want):
		t.Fatalf("the test inputs are not those of %s: run the update (%s) and commit it", f.Path, f.How)
	}
}

// Version returns the number on the "version" line of a vectors text,
// as text, or "" if there is none.
func Version(text []byte) string {
	for line := range strings.Lines(string(text)) {
		if v, ok := strings.CutPrefix(strings.TrimSpace(line), "version "); ok {
			if _, err := strconv.Atoi(v); err == nil {
				return v
			}
		}
	}
	return ""
}
