package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/draw"
	_ "image/gif" // decoders of the packages' picture formats
	_ "image/jpeg"
	"image/png"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"

	_ "golang.org/x/image/bmp"
	xdraw "golang.org/x/image/draw"
	_ "golang.org/x/image/tiff"
	_ "golang.org/x/image/webp"

	"github.com/pixmatch/pixmatch/shared/luma"
)

// Preparation rules. Changing any of them must change prepareVersion, so
// that cached pictures are prepared again.
const (
	prepareVersion = 2
	// maxSide is the longest side of a prepared picture.
	maxSide = 800
	// A picture is tiny when its shorter side is below minShort or its
	// longer side below minLong pixels (for a cut-out: of the thing cut
	// out).
	minShort, minLong = 64, 128
	// flatSpread is the largest luminance spread, in grey levels between
	// the 2nd and 98th percentile, of a picture considered near-uniform.
	flatSpread = 16
)

// Verdicts on a picture file; the empty verdict keeps it.
const (
	verdictUndecodable = "undecodable"
	verdictTiny        = "tiny"
	verdictFlat        = "flat"
	verdictSkipped     = "skipped"
)

// pictureExts are the file name extensions of the pictures looked at.
var pictureExts = []string{".png", ".jpg", ".jpeg", ".gif", ".bmp", ".tif", ".tiff", ".webp"}

// entry is one picture file of a package and what preparing it gave.
type entry struct {
	Package string `json:"package"`
	Path    string `json:"path"` // inside the unpacked package
	Hash    string `json:"sha256"`
	// Width and Height are the decoded size; for a cut-out, the size of
	// the thing cut out.
	Width   int    `json:"width"`
	Height  int    `json:"height"`
	Photo   bool   `json:"photo"`
	CutOut  bool   `json:"cut_out"`
	Verdict string `json:"verdict,omitempty"`
	// File is the prepared picture's name in the prepared folder.
	File string `json:"file,omitempty"`
}

// manifest records the prepared pictures and what they were made from.
type manifest struct {
	Version int      `json:"version"`
	Debs    []string `json:"debs"`
	Entries []entry  `json:"entries"`
}

// picture is a prepared picture of the corpus.
type picture struct {
	entry
	// ID names the picture: its package and path.
	ID string
	// Image is opaque, at most maxSide pixels long, its origin at 0,0.
	Image *image.NRGBA
}

// prepare returns the entries of every picture file of the sources,
// preparing the kept ones into the prepared folder unless its manifest
// shows they were prepared from the same packages by the same rules.
func prepare(ctx context.Context, cache string, debs map[string]string, workers int, logf func(string, ...any)) ([]entry, error) {
	dir := filepath.Join(cache, preparedDir)
	var names []string
	for _, d := range debs {
		names = append(names, filepath.Base(d))
	}
	slices.Sort(names)
	if m, err := readManifest(dir); err == nil && m.Version == prepareVersion && slices.Equal(m.Debs, names) {
		return skipListed(m.Entries), nil
	}
	files, err := listFiles(filepath.Join(cache, treeDir))
	if err != nil {
		return nil, err
	}
	logf("preparing %d picture files (once; cached in %s)", len(files), dir)
	if err := os.RemoveAll(dir); err != nil {
		return nil, fmt.Errorf("corpus: %w", err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("corpus: %w", err)
	}
	entries := make([]entry, len(files))
	err = parallel(ctx, len(files), workers, func(i int) error {
		f := files[i]
		e, err := prepareFile(filepath.Join(cache, treeDir, f.src.Package), f.src, f.rel, dir)
		entries[i] = e
		return err
	})
	if err != nil {
		return nil, err
	}
	b, err := json.MarshalIndent(manifest{Version: prepareVersion, Debs: names, Entries: entries}, "", "\t")
	if err != nil {
		return nil, fmt.Errorf("corpus: manifest: %w", err)
	}
	if err := os.WriteFile(filepath.Join(dir, "manifest.json"), b, 0o644); err != nil {
		return nil, fmt.Errorf("corpus: manifest: %w", err)
	}
	return entries, nil
}

// skipListed marks skipped the entries that their source's Skip list
// names, so that a name added to a list takes effect on pictures prepared
// before it.
func skipListed(entries []entry) []entry {
	for i, e := range entries {
		k := slices.IndexFunc(sources, func(s source) bool { return s.Package == e.Package })
		if k >= 0 && sources[k].skips(e.Path) {
			entries[i].Verdict, entries[i].File = verdictSkipped, ""
		}
	}
	return entries
}

// readManifest reads the manifest of the prepared folder dir and checks
// that every prepared picture it names is there.
func readManifest(dir string) (manifest, error) {
	var m manifest
	b, err := os.ReadFile(filepath.Join(dir, "manifest.json"))
	if err != nil {
		return m, err
	}
	if err := json.Unmarshal(b, &m); err != nil {
		return m, err
	}
	for _, e := range m.Entries {
		if e.File != "" {
			if _, err := os.Stat(filepath.Join(dir, e.File)); err != nil {
				return m, err
			}
		}
	}
	return m, nil
}

// sourceFile is a picture file of a source.
type sourceFile struct {
	src source
	rel string // path inside the unpacked package, slash-separated
}

// listFiles returns the picture files of every source, in the sources'
// order and then in path order.
func listFiles(trees string) ([]sourceFile, error) {
	var files []sourceFile
	for _, s := range sources {
		root := filepath.Join(trees, s.Package)
		for _, d := range s.Dirs {
			err := filepath.WalkDir(filepath.Join(root, filepath.FromSlash(d)), func(p string, de fs.DirEntry, err error) error {
				if err != nil {
					return err
				}
				if de.IsDir() || de.Type()&fs.ModeSymlink != 0 || !slices.Contains(pictureExts, strings.ToLower(filepath.Ext(p))) {
					return nil
				}
				rel, err := filepath.Rel(root, p)
				files = append(files, sourceFile{src: s, rel: filepath.ToSlash(rel)})
				return err
			})
			if err != nil {
				return nil, fmt.Errorf("corpus: listing %s: %w", s.Package, err)
			}
		}
	}
	return files, nil
}

// prepareFile judges the picture file rel of source s, unpacked in root,
// and when it is kept writes its prepared picture into dir. Only failing
// to read or write files is an error; a picture that does not decode is
// a verdict.
func prepareFile(root string, s source, rel, dir string) (entry, error) {
	data, err := os.ReadFile(filepath.Join(root, filepath.FromSlash(rel)))
	if err != nil {
		return entry{}, fmt.Errorf("corpus: %w", err)
	}
	sum := sha256.Sum256(data)
	e := entry{Package: s.Package, Path: rel, Hash: hex.EncodeToString(sum[:])}
	if s.skips(rel) {
		e.Verdict = verdictSkipped
		return e, nil
	}
	img, err := decode(data)
	if err != nil {
		e.Verdict = verdictUndecodable
		return e, nil
	}
	pic, object, cutOut := flatten(img)
	e.Width, e.Height, e.CutOut = object.Dx(), object.Dy(), cutOut
	if s.byColour() {
		e.Photo = !s.drawn(rel) && colours(img, photoColours) >= photoColours
	} else {
		e.Photo = s.isPhoto(rel)
	}
	switch {
	case !e.Photo && !s.Others:
		e.Verdict = verdictSkipped
	case min(e.Width, e.Height) < minShort || max(e.Width, e.Height) < minLong:
		e.Verdict = verdictTiny
	case flat(pic):
		e.Verdict = verdictFlat
	}
	if e.Verdict != "" {
		return e, nil
	}
	name := sha256.Sum256([]byte(s.Package + ":" + rel))
	e.File = hex.EncodeToString(name[:8]) + ".png"
	f, err := os.Create(filepath.Join(dir, e.File))
	if err != nil {
		return e, fmt.Errorf("corpus: %w", err)
	}
	enc := png.Encoder{CompressionLevel: png.BestSpeed}
	if err := enc.Encode(f, shrink(pic, maxSide)); err != nil {
		f.Close()
		return e, fmt.Errorf("corpus: writing %s: %w", e.File, err)
	}
	if err := f.Close(); err != nil {
		return e, fmt.Errorf("corpus: writing %s: %w", e.File, err)
	}
	return e, nil
}

// decode decodes a picture file of any registered format. Decoders that
// panic on malformed files count as failing.
func decode(data []byte) (img image.Image, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("decoder panic: %v", r)
		}
	}()
	img, _, err = image.Decode(bytes.NewReader(data))
	return img, err
}

// flatten returns img as an opaque picture with its origin at 0,0. A
// picture with transparency is a cut-out: it is trimmed to the bounds of
// its visible pixels, laid on white, and given a white margin of a
// twelfth of its longer side, like a product photo. flatten also returns
// the bounds of the visible pixels in img and whether img was a cut-out.
func flatten(img image.Image) (*image.NRGBA, image.Rectangle, bool) {
	b := img.Bounds()
	src := image.NewNRGBA(image.Rect(0, 0, b.Dx(), b.Dy()))
	draw.Draw(src, src.Rect, img, b.Min, draw.Src)
	visible, transparent := image.Rectangle{}, false
	for y := 0; y < src.Rect.Dy(); y++ {
		row := src.Pix[y*src.Stride : y*src.Stride+4*src.Rect.Dx()]
		for x := 0; x < len(row); x += 4 {
			if a := row[x+3]; a != 255 {
				transparent = true
			}
			if row[x+3] != 0 {
				visible = visible.Union(image.Rect(x/4, y, x/4+1, y+1))
			}
		}
	}
	if !transparent {
		return src, src.Rect, false
	}
	m := max(visible.Dx(), visible.Dy()) / 12
	out := image.NewNRGBA(image.Rect(0, 0, visible.Dx()+2*m, visible.Dy()+2*m))
	draw.Draw(out, out.Rect, image.White, image.Point{}, draw.Src)
	draw.Draw(out, visible.Sub(visible.Min).Add(image.Pt(m, m)), src, visible.Min, draw.Over)
	return out, visible, true
}

// colours counts the distinct colours of the mostly opaque pixels of img,
// stopping at limit.
func colours(img image.Image, limit int) int {
	seen := make([]uint64, 1<<24/64)
	n := 0
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			c := color.NRGBAModel.Convert(img.At(x, y)).(color.NRGBA)
			if c.A < 128 {
				continue
			}
			k := uint32(c.R)<<16 | uint32(c.G)<<8 | uint32(c.B)
			if seen[k/64]&(1<<(k%64)) == 0 {
				seen[k/64] |= 1 << (k % 64)
				if n++; n >= limit {
					return n
				}
			}
		}
	}
	return n
}

// flat reports whether a picture is nearly one shade.
func flat(img image.Image) bool {
	g := luma.FromImage(img, 256)
	var hist [256]int
	for _, v := range g.Pix {
		hist[v]++
	}
	return percentile(&hist, len(g.Pix), 98)-percentile(&hist, len(g.Pix), 2) <= flatSpread
}

// percentile returns the grey level below which pct percent of n pixels lie.
func percentile(hist *[256]int, n, pct int) int {
	want, seen := n*pct/100, 0
	for v, c := range hist {
		if seen += c; seen > want {
			return v
		}
	}
	return 255
}

// shrink scales an opaque picture down so that its longer side is at most
// side pixels: first by averaging whole blocks of pixels, down to at most
// twice the size, then with a Catmull-Rom filter.
func shrink(img *image.NRGBA, side int) *image.NRGBA {
	w, h := img.Rect.Dx(), img.Rect.Dy()
	long := max(w, h)
	if long <= side {
		return img
	}
	if f := long / (2 * side); f >= 2 {
		img = boxShrink(img, f)
	}
	scale := float64(side) / float64(long)
	out := image.NewNRGBA(image.Rect(0, 0, max(1, int(float64(w)*scale+0.5)), max(1, int(float64(h)*scale+0.5))))
	xdraw.CatmullRom.Scale(out, out.Rect, img, img.Rect, xdraw.Src, nil)
	return out
}

// boxShrink returns img shrunk by the whole factor f, each output pixel
// the mean of an f×f block (smaller at the right and bottom edges).
func boxShrink(img *image.NRGBA, f int) *image.NRGBA {
	w, h := img.Rect.Dx(), img.Rect.Dy()
	ow, oh := (w+f-1)/f, (h+f-1)/f
	out := image.NewNRGBA(image.Rect(0, 0, ow, oh))
	sums := make([]uint32, 4*ow)
	for oy := 0; oy < oh; oy++ {
		clear(sums)
		y0, y1 := oy*f, min((oy+1)*f, h)
		for y := y0; y < y1; y++ {
			row := img.Pix[y*img.Stride : y*img.Stride+4*w]
			for x := 0; x < w; x++ {
				for c := 0; c < 4; c++ {
					sums[4*(x/f)+c] += uint32(row[4*x+c])
				}
			}
		}
		for ox := 0; ox < ow; ox++ {
			n := uint32((min((ox+1)*f, w) - ox*f) * (y1 - y0))
			for c := 0; c < 4; c++ {
				out.Pix[oy*out.Stride+4*ox+c] = uint8((sums[4*ox+c] + n/2) / n)
			}
		}
	}
	return out
}

// load decodes the prepared pictures of the kept entries.
func load(ctx context.Context, dir string, entries []entry, workers int) ([]*picture, error) {
	var kept []entry
	for _, e := range entries {
		if e.Verdict == "" {
			kept = append(kept, e)
		}
	}
	pics := make([]*picture, len(kept))
	err := parallel(ctx, len(kept), workers, func(i int) error {
		e := kept[i]
		data, err := os.ReadFile(filepath.Join(dir, e.File))
		if err != nil {
			return fmt.Errorf("corpus: %w", err)
		}
		img, err := png.Decode(bytes.NewReader(data))
		if err != nil {
			return fmt.Errorf("corpus: %s (%s:%s): %w", e.File, e.Package, e.Path, err)
		}
		m := image.NewNRGBA(image.Rect(0, 0, img.Bounds().Dx(), img.Bounds().Dy()))
		draw.Draw(m, m.Rect, img, img.Bounds().Min, draw.Src)
		pics[i] = &picture{entry: e, ID: e.Package + ":" + e.Path, Image: m}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if len(pics) == 0 {
		return nil, errors.New("corpus: no picture was kept")
	}
	return pics, nil
}
