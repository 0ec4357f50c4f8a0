package fingerprint

import (
	"bytes"
	"flag"
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"strings"
	"testing"

	"github.com/pixmatch/pixmatch/shared/internal/golden"
	"github.com/pixmatch/pixmatch/shared/testphoto"
)

// vectorsFile holds the exact codes of the test photos, with the Version
// that made them.
const vectorsFile = "testdata/vectors.txt"

var update = flag.Bool("update", false, "rewrite "+vectorsFile+" from the codes this build makes")

// TestVectors checks that every test photo, and a few fixed edits of them,
// still give exactly the codes recorded in testdata/vectors.txt: every
// window code and every check word, of the Target and of the Query
// fingerprint. Stored galleries hold codes made by an earlier build; a
// change that moves any of them without a new Version would compare new
// query codes with old target codes and silently lose matches. So:
//
//   - codes differ, Version unchanged: bump Version, then run the update;
//   - Version changed, vectors not regenerated: run the update;
//   - a photo added to or removed from shared/testphoto: run the update.
//
// The update is `go test ./shared/fingerprint -run Vectors -update`, or
// `make fingerprint-vectors`; commit the file it writes. It refuses to
// record changed codes under an unchanged Version (delete the file first
// to force it, when the codes moved for a reason that is not the
// fingerprint's, a new JPEG decoder say).
func TestVectors(t *testing.T) {
	golden.File{Path: vectorsFile, Version: Version, Name: "fingerprint.Version", What: "codes",
		How:     "go test ./shared/fingerprint -run Vectors -update, or make fingerprint-vectors",
		Changed: changedCodes}.Check(t, vectors(t), *update)
}

// vectors returns the text of vectorsFile for this build: a version line,
// then for each photo and edit a "name kind" line followed by the codes,
// one per line as Code.String writes them.
func vectors(t *testing.T) []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, "# The exact codes of the test photos (shared/testphoto) and of fixed\n"+
		"# edits of them. Written by: make fingerprint-vectors. Do not edit.\n"+
		"version %d\n", Version)
	for _, name := range testphoto.Names() {
		photo := testphoto.Image(name)
		for _, v := range []struct {
			label string
			img   image.Image
			make  func(image.Image) (Fingerprint, error)
		}{
			{name + " target", photo, Target},
			{name + " query", photo, Query},
			{name + " framed target", framed(photo), Target},
			{name + " cropped query", cropped(photo), Query},
		} {
			f, err := v.make(v.img)
			if err != nil {
				t.Fatalf("%s: %v", v.label, err)
			}
			fmt.Fprintf(&b, "\n%s\n", v.label)
			for _, c := range f.Codes {
				fmt.Fprintln(&b, c)
			}
		}
	}
	return b.Bytes()
}

// framed returns img on a white canvas with a margin of a tenth of each
// side: a picture with a border, which has a Trimmed window.
func framed(img image.Image) image.Image {
	r := img.Bounds()
	dx, dy := r.Dx()/10, r.Dy()/10
	canvas := image.NewRGBA(image.Rect(0, 0, r.Dx()+2*dx, r.Dy()+2*dy))
	draw.Draw(canvas, canvas.Bounds(), image.NewUniform(color.White), image.Point{}, draw.Src)
	draw.Draw(canvas, image.Rect(dx, dy, dx+r.Dx(), dy+r.Dy()), img, r.Min, draw.Src)
	return canvas
}

// cropped returns the central 70 % of each side of img.
func cropped(img image.Image) image.Image {
	r := img.Bounds()
	dx, dy := r.Dx()*15/100, r.Dy()*15/100
	return img.(interface {
		SubImage(image.Rectangle) image.Image
	}).SubImage(image.Rect(r.Min.X+dx, r.Min.Y+dy, r.Max.X-dx, r.Max.Y-dy))
}

// changedCodes describes the first code that differs between two vectors
// texts, in the blocks (a photo and kind) both have; "" if none does.
func changedCodes(got, want []byte) string {
	old := make(map[string][]string)
	for _, block := range strings.Split(string(want), "\n\n")[1:] {
		lines := strings.Split(strings.TrimSuffix(block, "\n"), "\n")
		old[lines[0]] = lines[1:]
	}
	for _, block := range strings.Split(string(got), "\n\n")[1:] {
		lines := strings.Split(strings.TrimSuffix(block, "\n"), "\n")
		was, ok := old[lines[0]]
		if !ok {
			continue
		}
		codes := lines[1:]
		for i := range max(len(codes), len(was)) {
			var g, w string
			if i < len(codes) {
				g = codes[i]
			}
			if i < len(was) {
				w = was[i]
			}
			if g != w {
				return fmt.Sprintf("%s, code %d:\n got  %q\n want %q", lines[0], i+1, g, w)
			}
		}
	}
	return ""
}
