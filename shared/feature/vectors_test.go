package feature

import (
	"bytes"
	"crypto/sha256"
	"flag"
	"fmt"
	"image"
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/pixmatch/pixmatch/shared/internal/golden"
	"github.com/pixmatch/pixmatch/shared/luma"
	"github.com/pixmatch/pixmatch/shared/testphoto"
)

// vectorsFile holds a digest of every feature of the test photos, with
// the Version that made them.
const vectorsFile = "testdata/vectors.txt"

// raceEnabled is set when the race detector is on (race_test.go).
var raceEnabled bool

var update = flag.Bool("update", false, "rewrite "+vectorsFile+" from the features this build makes")

// TestVectors checks that every test photo, as a target, as a query,
// turned a quarter and cut to a sub-image, still gives exactly the
// features recorded in testdata/vectors.txt: their number, the SHA-256
// of their encoding (every bit of every feature) and the first two in
// full. Stored records hold features an earlier build made, and the
// browser extracts with its own build (js/wasm): a change that moves
// any feature without a new Version would match new features against
// old ones and silently lose matches. So:
//
//   - features differ, Version unchanged: bump Version, then update;
//   - Version changed, vectors not recorded again: update;
//   - a photo added to or removed from shared/testphoto: update.
//
// The update is `go test ./shared/feature -run Vectors -update`, or
// `make feature-vectors` (which then runs this test under Node, as the
// browser's build); commit the file it writes. It refuses to record
// changed features under an unchanged Version (delete the file first to
// force it, when they moved for a reason that is not the extractor's, a
// new JPEG decoder say).
//
// With the race detector (ten times slower, and nothing concurrent here)
// only the first three photos are extracted and held to their blocks.
func TestVectors(t *testing.T) {
	f := golden.File{Path: vectorsFile, Version: int(Version), Name: "feature.Version", What: "features",
		How: "go test ./shared/feature -run Vectors -update, or make feature-vectors", Changed: changedBlock}
	if raceEnabled && !*update {
		want, err := os.ReadFile(vectorsFile)
		if err != nil {
			t.Fatal(err)
		}
		if v := golden.Version(want); v != strconv.Itoa(int(Version)) {
			t.Fatalf("feature.Version is %d but %s was made with version %q: run the update (%s)", Version, vectorsFile, v, f.How)
		}
		if changed := changedBlock(vectors(t, testphoto.Names()[:3]), want); changed != "" {
			t.Fatalf("features changed: bump feature.Version, then run the update (%s); %s", f.How, changed)
		}
		return
	}
	f.Check(t, vectors(t, testphoto.Names()), *update)
}

// vectors returns the text of vectorsFile for this build and the named
// photos: a version line, then for each photo and kind a block of a
// "name kind" line, the count and digest, and the first two features.
func vectors(t *testing.T, names []string) []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, "# The features of the test photos (shared/testphoto): how many, the\n"+
		"# SHA-256 of their record, the first two in full. Written by: make\n"+
		"# feature-vectors. Do not edit.\n"+
		"version %d\n", Version)
	for _, name := range names {
		g := Plane(testphoto.Image(name), TargetOptions)
		for _, v := range []struct {
			kind  string
			plane *image.Gray
			o     Options
		}{
			{"target", g, TargetOptions},
			{"query", g, QueryOptions},
			{"turned query", luma.Rotate90.Apply(g), QueryOptions},
			{"cut query", g.SubImage(image.Rect(g.Rect.Dx()/5, g.Rect.Dy()/7, g.Rect.Dx()*9/10, g.Rect.Dy())).(*image.Gray), QueryOptions},
		} {
			fs := Extract(v.plane, v.o)
			rec := Record{Width: v.plane.Rect.Dx(), Height: v.plane.Rect.Dy(), Features: fs}
			enc, err := rec.MarshalBinary()
			if err != nil {
				t.Fatalf("%s %s: %v", name, v.kind, err)
			}
			fmt.Fprintf(&b, "\n%s %s\n%d features, sha256 %x\n", name, v.kind, len(fs), sha256.Sum256(enc[2:]))
			for _, f := range fs[:min(2, len(fs))] {
				fmt.Fprintf(&b, "%g %g %g %g %g %d %016x%016x%016x%016x\n",
					f.X, f.Y, f.Size, f.Angle, f.Response, f.Octave, f.Desc[0], f.Desc[1], f.Desc[2], f.Desc[3])
			}
		}
	}
	return b.Bytes()
}

// changedBlock describes the first block (a photo and kind) both
// vectors texts have whose lines differ; "" if none does.
func changedBlock(got, want []byte) string {
	old := map[string]string{}
	for _, block := range strings.Split(string(want), "\n\n")[1:] {
		head, rest, _ := strings.Cut(block, "\n")
		old[head] = strings.TrimRight(rest, "\n")
	}
	for _, block := range strings.Split(string(got), "\n\n")[1:] {
		head, rest, _ := strings.Cut(block, "\n")
		if was, ok := old[head]; ok && was != strings.TrimRight(rest, "\n") {
			return fmt.Sprintf("%s:\n got  %q\n want %q", head, rest, was)
		}
	}
	return ""
}
