package main

import (
	"context"
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/pixmatch/pixmatch/shared/distort"
	"github.com/pixmatch/pixmatch/shared/testphoto"
)

func TestDebVersion(t *testing.T) {
	for _, tc := range []struct{ file, want string }{
		{"debs/opencv-doc_4.6.0+dfsg-12_all.deb", "4.6.0+dfsg-12"},
		{"plasma-workspace-wallpapers_4%3a5.27.5-2_all.deb", "4:5.27.5-2"},
		{"libjxl-testdata_0.0~git20230110.d6168ff-1_all.deb", "0.0~git20230110.d6168ff-1"},
		{"odd.deb", ""},
	} {
		if got := debVersion(tc.file); got != tc.want {
			t.Errorf("debVersion(%q) = %q, want %q", tc.file, got, tc.want)
		}
	}
}

func nolog(string, ...any) {}

func TestDownloadUsesTheDebsThere(t *testing.T) {
	dir := t.TempDir()
	pkgs := []string{"alpha", "beta-data"}
	for _, f := range []string{"alpha_1.0-1_all.deb", "alpha_1.1-1_all.deb", "beta-data_2%3a3_all.deb"} {
		if err := os.WriteFile(filepath.Join(dir, f), nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	t.Setenv("PATH", "") // apt-get must not be needed
	got, err := download(context.Background(), dir, pkgs, nolog)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"alpha":     filepath.Join(dir, "alpha_1.1-1_all.deb"),
		"beta-data": filepath.Join(dir, "beta-data_2%3a3_all.deb"),
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("download = %v, want %v", got, want)
	}
}

func TestDownloadWithoutAptGetSaysSo(t *testing.T) {
	t.Setenv("PATH", "")
	_, err := download(context.Background(), t.TempDir(), []string{"opencv-doc"}, nolog)
	if err == nil || !strings.Contains(err.Error(), "apt-get is not installed") || !strings.Contains(err.Error(), "opencv-doc") {
		t.Errorf("download without apt-get: %v, want a message naming apt-get and the package", err)
	}
}

// buildDeb makes a real Debian package holding a copyright file and one
// picture, with dpkg-deb.
func buildDeb(t *testing.T, dir, pkg string) string {
	t.Helper()
	if _, err := exec.LookPath("dpkg-deb"); err != nil {
		t.Skip("dpkg-deb is not installed")
	}
	root := filepath.Join(dir, "src")
	write := func(rel, text string) {
		p := filepath.Join(root, rel)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("DEBIAN/control", "Package: "+pkg+"\nVersion: 1.2-3\nArchitecture: all\nMaintainer: nobody <nobody@example.org>\nDescription: test\n")
	write("usr/share/doc/"+pkg+"/copyright", "Files: *\nLicense: CC0-1.0\n```\nnot a fence\n")
	write("usr/share/"+pkg+"/photo.jpg", string(testphoto.File("coffee")))
	deb := filepath.Join(dir, pkg+"_1.2-3_all.deb")
	if out, err := exec.Command("dpkg-deb", "--root-owner-group", "--build", root, deb).CombinedOutput(); err != nil {
		t.Fatalf("dpkg-deb: %v\n%s", err, out)
	}
	return deb
}

func TestUnpackAndLicences(t *testing.T) {
	dir := t.TempDir()
	deb := buildDeb(t, dir, "pixmatch-test-photos")
	tree := filepath.Join(dir, "tree", "pixmatch-test-photos")
	if err := unpack(context.Background(), deb, tree, nolog); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(tree, "usr/share/pixmatch-test-photos/photo.jpg")); err != nil {
		t.Errorf("the picture was not unpacked: %v", err)
	}
	if _, err := os.Stat(tree + ".partial"); !os.IsNotExist(err) {
		t.Errorf("the partial tree is left behind: %v", err)
	}
	// A tree already there is not unpacked again, even without dpkg.
	t.Setenv("PATH", "")
	if err := unpack(context.Background(), deb, tree, nolog); err != nil {
		t.Errorf("unpacking again: %v", err)
	}
	file := filepath.Join(dir, "LICENSES.md")
	srcs := []source{{Package: "pixmatch-test-photos", Dirs: []string{"usr/share/pixmatch-test-photos/"}}}
	if err := writeLicences(file, filepath.Join(dir, "tree"), srcs, map[string]string{"pixmatch-test-photos": deb}); err != nil {
		t.Fatal(err)
	}
	text, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"## pixmatch-test-photos 1.2-3", "License: CC0-1.0", "````\nFiles: *"} {
		if !strings.Contains(string(text), want) {
			t.Errorf("LICENSES.md lacks %q:\n%s", want, text)
		}
	}
}

func TestSourcesAreConsistent(t *testing.T) {
	seen := map[string]bool{}
	for _, s := range sources {
		if seen[s.Package] {
			t.Errorf("%s listed twice", s.Package)
		}
		seen[s.Package] = true
		for _, p := range s.Photos {
			inDir := slices.ContainsFunc(s.Dirs, func(d string) bool { return strings.HasPrefix(p, d) || strings.HasPrefix(d, p) })
			if !inDir {
				t.Errorf("%s: photo %s is outside %v", s.Package, p, s.Dirs)
			}
			if s.skips(p) {
				t.Errorf("%s: %s is both a photo and skipped", s.Package, p)
			}
		}
	}
}

func TestSourceRules(t *testing.T) {
	bySource := func(name string) source {
		i := slices.IndexFunc(sources, func(s source) bool { return s.Package == name })
		if i < 0 {
			t.Fatalf("no source %s", name)
		}
		return sources[i]
	}
	cv, plasma, tux := bySource("opencv-doc"), bySource("plasma-workspace-wallpapers"), bySource("tuxpaint-stamps-default")
	for _, tc := range []struct {
		name string
		got  bool
		want bool
	}{
		{"opencv baboon is a photo", cv.isPhoto("usr/share/doc/opencv-doc/examples/data/baboon.jpg"), true},
		{"opencv logo is not", cv.isPhoto("usr/share/doc/opencv-doc/examples/data/opencv-logo.png"), false},
		{"opencv aloeR is skipped", cv.skips("usr/share/doc/opencv-doc/examples/data/aloeR.jpg"), true},
		{"tuxpaint gnu-baby-stand, gnu-baby edited, is skipped", tux.skips("usr/share/tuxpaint/stamps/animals/mammals/bovines/gnu-baby-stand.png"), true},
		{"tuxpaint gnu-baby is not", tux.skips("usr/share/tuxpaint/stamps/animals/mammals/bovines/gnu-baby.png"), false},
		{"plasma Kite folder holds a photo", plasma.isPhoto("usr/share/wallpapers/Kite/contents/images/2560x1600.jpg"), true},
		{"plasma Kokkini does not", plasma.isPhoto("usr/share/wallpapers/Kokkini/contents/images/3840x2160.png"), false},
		{"tuxpaint tells by colour", tux.byColour(), true},
		{"opencv does not", cv.byColour(), false},
		{"tuxpaint cartoons are drawings", tux.drawn("usr/share/tuxpaint/stamps/town/houses/cartoon/inn.png"), true},
		{"tuxpaint birds are not", tux.drawn("usr/share/tuxpaint/stamps/animals/birds/lark.png"), false},
	} {
		if tc.got != tc.want {
			t.Errorf("%s: got %v", tc.name, tc.got)
		}
	}
}

// nrgbaOf returns a w×h picture of colour c.
func nrgbaOf(w, h int, c color.NRGBA) *image.NRGBA {
	m := image.NewNRGBA(image.Rect(0, 0, w, h))
	draw.Draw(m, m.Rect, image.NewUniform(c), image.Point{}, draw.Src)
	return m
}

func TestFlattenCutOut(t *testing.T) {
	src := nrgbaOf(300, 200, color.NRGBA{}) // transparent
	red := color.NRGBA{200, 10, 10, 255}
	draw.Draw(src, image.Rect(50, 40, 170, 100), image.NewUniform(red), image.Point{}, draw.Src)
	out, object, cutOut := flatten(src)
	if !cutOut || object != image.Rect(50, 40, 170, 100) {
		t.Fatalf("flatten: cut-out %v, object %v", cutOut, object)
	}
	m := 120 / 12
	if got, want := out.Rect, image.Rect(0, 0, 120+2*m, 60+2*m); got != want {
		t.Errorf("size %v, want %v", got, want)
	}
	if got := out.NRGBAAt(0, 0); got != (color.NRGBA{255, 255, 255, 255}) {
		t.Errorf("margin is %v, want white", got)
	}
	if got := out.NRGBAAt(m+60, m+30); got != red {
		t.Errorf("object is %v, want %v", got, red)
	}
	photo := testphoto.Image("coffee")
	out, object, cutOut = flatten(photo)
	if cutOut || object != photo.Bounds() || out.Rect != photo.Bounds() {
		t.Errorf("an opaque photo: cut-out %v, object %v, size %v", cutOut, object, out.Rect)
	}
}

func TestShrink(t *testing.T) {
	grey := color.NRGBA{100, 150, 200, 255}
	for _, tc := range []struct{ w, h, ww, wh int }{
		{3000, 1000, 800, 267},
		{1000, 3333, 240, 800},
		{801, 600, 800, 599},
		{500, 400, 500, 400},
	} {
		out := shrink(nrgbaOf(tc.w, tc.h, grey), maxSide)
		if got := out.Rect.Size(); got != image.Pt(tc.ww, tc.wh) {
			t.Errorf("%d×%d shrinks to %v, want %d×%d", tc.w, tc.h, got, tc.ww, tc.wh)
		}
		if got := out.NRGBAAt(out.Rect.Dx()/2, out.Rect.Dy()/2); got != grey {
			t.Errorf("%d×%d: a flat picture became %v", tc.w, tc.h, got)
		}
	}
}

func TestColoursAndFlat(t *testing.T) {
	two := nrgbaOf(10, 10, color.NRGBA{1, 2, 3, 255})
	two.SetNRGBA(5, 5, color.NRGBA{9, 9, 9, 255})
	two.SetNRGBA(6, 6, color.NRGBA{7, 7, 7, 10}) // transparent: not counted
	if got := colours(two, 100); got != 2 {
		t.Errorf("colours = %d, want 2", got)
	}
	photo := testphoto.Image("astronaut")
	if got := colours(photo, photoColours); got != photoColours {
		t.Errorf("a photo has %d colours, want at least %d", got, photoColours)
	}
	if !flat(two) {
		t.Error("a near-uniform picture is not flat")
	}
	if flat(photo) {
		t.Error("a photo is flat")
	}
}

// pictureOf wraps an image as a corpus picture.
func pictureOf(id string, photo bool, img image.Image) *picture {
	m, _, _ := flatten(img)
	return &picture{
		entry: entry{Package: "test", Path: id, Hash: fmt.Sprintf("%x", id), Photo: photo, Width: m.Rect.Dx(), Height: m.Rect.Dy()},
		ID:    id,
		Image: m,
	}
}

func TestDedup(t *testing.T) {
	var pics []*picture
	for _, n := range testphoto.Names() {
		pics = append(pics, pictureOf(n, true, testphoto.Image(n)))
	}
	coffee := testphoto.Image("coffee")
	b := coffee.Bounds()
	wide := image.Rect(b.Min.X, b.Min.Y+b.Dy()/20, b.Max.X, b.Max.Y-b.Dy()/20) // 16:9 cut of a 3:2 photo
	copies := []*picture{
		pictureOf("coffee small", true, distort.JPEG(60)(distort.Scale(0.4)(coffee))),
		pictureOf("coffee mirrored", true, distort.Mirror(coffee)),
		pictureOf("coffee turned", true, distort.Rotate(1)(coffee)),
		pictureOf("coffee wide", true, coffee.(interface {
			SubImage(image.Rectangle) image.Image
		}).SubImage(wide)),
		pictureOf("coffee drawn", false, coffee), // a copy that is no photo
	}
	related := pictureOf("coffee leaning", false, distort.RotateBy(5)(coffee))
	kept, dups, rel, err := dedup(context.Background(), slices.Concat(copies, pics, []*picture{related}), 2)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := ids(kept), testphoto.Names(); !slices.Equal(got, want) {
		t.Errorf("kept %q\nwant the distinct photos %q", got, want)
	}
	if len(dups) != len(copies) {
		t.Errorf("%d duplicates, want %d: %+v", len(dups), len(copies), dups)
	}
	for _, d := range dups {
		if d.Kept != "coffee" || d.Match < sameMatch {
			t.Errorf("duplicate %+v, want a copy of coffee", d)
		}
	}
	if !slices.Equal(rel, []string{"coffee leaning"}) {
		t.Errorf("related %q, want the leaning coffee", rel)
	}
}

func TestSplit(t *testing.T) {
	var pics []*picture
	for i := 0; i < 500; i++ {
		pics = append(pics, &picture{ID: fmt.Sprint(i), entry: entry{Hash: fmt.Sprintf("%08x", (i*7919)%1000), Photo: i%5 != 0}})
	}
	c := split(pics)
	if len(c.Targets) != maxTargets || len(c.NonMembers) != maxNonMembers || len(c.Fillers) != 100 {
		t.Fatalf("split 400 photos and 100 others into %d, %d, %d", len(c.Targets), len(c.NonMembers), len(c.Fillers))
	}
	all := slices.Concat(c.Targets, c.NonMembers, c.Fillers[:0])
	for i := 1; i < len(all); i++ {
		if all[i-1].Hash > all[i].Hash {
			t.Fatalf("photos not in hash order at %d", i)
		}
	}
	for _, p := range c.Fillers {
		if p.Photo {
			t.Errorf("filler %s is a photo, but all photos were used", p.ID)
		}
	}
	slices.Reverse(pics)
	again := split(pics)
	if !slices.Equal(ids(again.Targets), ids(c.Targets)) || !slices.Equal(ids(again.NonMembers), ids(c.NonMembers)) {
		t.Error("the split depends on the input order")
	}
	small := split(pics[:40]) // 32 photos
	if len(small.Targets) != 24 || len(small.NonMembers) != 8 {
		t.Errorf("32 photos split %d/%d, want 24/8", len(small.Targets), len(small.NonMembers))
	}
}

// ids returns the IDs of pics.
func ids(pics []*picture) []string {
	var out []string
	for _, p := range pics {
		out = append(out, p.ID)
	}
	return out
}

// TestSkipListedAfterPreparing checks that a picture named in a Skip
// list after the corpus was prepared is skipped all the same, and that
// the others keep their verdicts.
func TestSkipListedAfterPreparing(t *testing.T) {
	dir := "usr/share/tuxpaint/stamps/animals/mammals/bovines/"
	got := skipListed([]entry{
		{Package: "tuxpaint-stamps-default", Path: dir + "gnu-baby-stand.png", Photo: true, File: "a.png"},
		{Package: "tuxpaint-stamps-default", Path: dir + "gnu-baby.png", Photo: true, File: "b.png"},
		{Package: "tuxpaint-stamps-default", Path: dir + "tiny.png", Verdict: verdictTiny},
	})
	want := []entry{
		{Package: "tuxpaint-stamps-default", Path: dir + "gnu-baby-stand.png", Photo: true, Verdict: verdictSkipped},
		{Package: "tuxpaint-stamps-default", Path: dir + "gnu-baby.png", Photo: true, File: "b.png"},
		{Package: "tuxpaint-stamps-default", Path: dir + "tiny.png", Verdict: verdictTiny},
	}
	if !slices.Equal(got, want) {
		t.Errorf("got %+v\nwant %+v", got, want)
	}
}
