package e2e

import (
	"bytes"
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"image"
	"image/draw"
	"io"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/pixmatch/pixmatch/shared/distort"
	"github.com/pixmatch/pixmatch/shared/fingerprint"
	"github.com/pixmatch/pixmatch/shared/imagefile"
	"github.com/pixmatch/pixmatch/shared/testphoto"
)

// decoderTolerance is the largest Hamming distance allowed between the
// target code of a JPEG decoded by Go and of the same file decoded by
// Chromium. The decoders differ: Chromium's libjpeg-turbo upsamples
// chroma smoothly where Go repeats it, and their inverse DCTs round
// differently. On the test photographs the RGB values differ by up to 43
// levels at colour edges, by about one level on average, and by one level
// at most in grey pictures (TestParity logs the table); the codes, signs
// of the low frequencies of a 64×64 average of luminance, did not move
// by a single bit. Four bits leaves room for a coefficient that sits on
// its median in some other photo or Chromium version, while staying far
// below fingerprint.Threshold (10), so a decoder alone cannot turn a match
// into a miss; a picture left on its side moves by about half the bits.
const decoderTolerance = 4

// parityGallery are the photographs TestParity adds as targets; the
// others must match nothing.
var parityGallery = []string{"astronaut", "brick", "camera", "chelsea", "china", "coffee", "coins", "rocket"}

// TestParity checks that the browser module fingerprints exactly as the
// server does, and that Chromium's JPEG decoder keeps the browser's
// answers the same as the server's.
func TestParity(t *testing.T) {
	s := newSite(t)
	api := s.api()
	api.addPhotos(parityGallery...)
	b := newBrowser(t, s.URL(), testLimit)
	b.open("/")
	b.connect()

	for _, name := range testphoto.Names() {
		samePixelsSameCodes(t, b, name)
	}

	// The same files, decoded by each side.
	var report strings.Builder
	fmt.Fprintf(&report, "%-18s %-9s %-16s %-16s %-4s %s\n",
		"photo", "upright", "Go target code", "Chromium", "bits", "RGB: largest difference, mean, share differing")
	worst := 0
	histogram := map[int]int{}
	photos, exif := parityPhotos(t)
	for _, p := range photos {
		d := sameDecodeSameAnswer(t, b, api, p, &report)
		worst = max(worst, d)
		histogram[d]++
	}
	t.Logf("Go vs Chromium JPEG decoding, target codes (upright whole plane) and RGB values:\n%s", report.String())
	t.Logf("distance histogram (bits: photos): %v; largest %d, tolerance %d", histogram, worst, decoderTolerance)
	if worst > decoderTolerance {
		t.Errorf("the decoders' codes differ by up to %d bits, over the tolerance of %d", worst, decoderTolerance)
	}

	// Both sides turned the EXIF photo upright: its code is the upright
	// rocket's, give or take the re-encoding.
	upright := decodeInGo(t, testphoto.File("rocket")).codes[0]
	if d := distance(t, upright, decodeInGo(t, exif.file).codes[0]); d > decoderTolerance {
		t.Errorf("Go: the EXIF-tagged rocket's code is %d bits from the upright one's", d)
	}
	if d := distance(t, upright, decodeInBrowser(b, exif.file, nil).Codes[0]); d > decoderTolerance {
		t.Errorf("Chromium: the EXIF-tagged rocket's code is %d bits from the upright one's", d)
	}
}

// parityPhoto is a JPEG file TestParity decodes on both sides.
type parityPhoto struct {
	name   string
	want   string // the target it shows, or ""
	file   []byte
	pixels *image.NRGBA // Go's decode when it is a test photograph as is
}

// parityPhotos returns the test photographs and, last, rocket stored
// turned a quarter to the left with an EXIF tag that says to turn it a
// quarter to the right; that one is also returned alone.
func parityPhotos(t *testing.T) (photos []parityPhoto, exif parityPhoto) {
	t.Helper()
	for _, name := range testphoto.Names() {
		want := ""
		if slices.Contains(parityGallery, name) {
			want = name
		}
		photos = append(photos, parityPhoto{name, want, testphoto.File(name), nrgba(testphoto.Image(name))})
	}
	sideways := encodeJPEG(t, distort.Rotate(3)(testphoto.Image("rocket")), 92)
	exif = parityPhoto{"rocket-exif-6", "rocket", withOrientation(sideways, 6), nil}
	return append(photos, exif), exif
}

// sameDecodeSameAnswer decodes p on both sides, checks that they turn it
// the same way, that they find the same target, and that their target
// codes have as many codes; it adds a line to report and returns the
// distance between the upright codes.
func sameDecodeSameAnswer(t *testing.T, b *browser, api *crsClient, p parityPhoto, report io.Writer) int {
	t.Helper()
	goSide := decodeInGo(t, p.file)
	web := decodeInBrowser(b, p.file, p.pixels)
	if web.Width != goSide.width || web.Height != goSide.height {
		t.Errorf("%s: Chromium turned it %d×%d, Go %d×%d", p.name, web.Width, web.Height, goSide.width, goSide.height)
	}
	if len(web.Codes) != len(goSide.codes) {
		t.Errorf("%s: Chromium's decode gives %d target codes, Go's %d", p.name, len(web.Codes), len(goSide.codes))
	}
	if server := api.search(p.file); web.Local != server || server != p.want {
		t.Errorf("%s: the browser found %q, the server %q, want %q", p.name, web.Local, server, p.want)
	}
	d := distance(t, goSide.codes[0], web.Codes[0])
	pixels := "-"
	if p.pixels != nil {
		pixels = fmt.Sprintf("%d, %.2f, %.0f%%", web.MaxDiff, web.MeanDiff, 100*web.Differ)
	}
	fmt.Fprintf(report, "%-18s %-9s %-16s %-16s %-4d %s\n", p.name, fmt.Sprintf("%d×%d", web.Width, web.Height),
		hashOf(goSide.codes[0]), hashOf(web.Codes[0]), d, pixels)
	return d
}

// samePixelsSameCodes sends a photograph's pixels, decoded by Go, into
// the page and checks that the module's target and query codes of them
// are the server's, bit for bit.
func samePixelsSameCodes(t *testing.T, b *browser, name string) {
	t.Helper()
	img := nrgba(testphoto.Image(name))
	wantTarget, err := fingerprint.Target(img)
	if err != nil {
		t.Fatal(err)
	}
	wantQuery, err := fingerprint.Query(img)
	if err != nil {
		t.Fatal(err)
	}
	got := eval[struct {
		Version int      `json:"version"`
		Target  []string `json:"target"`
		Query   []string `json:"query"`
	}](b, fmt.Sprintf(`(async () => {
		const bin = atob(%s);
		const data = new Uint8ClampedArray(bin.length);
		for (let i = 0; i < bin.length; i++) data[i] = bin.charCodeAt(i);
		const pixels = new ImageData(data, %d, %d);
		const pm = pixmatchApp.session.pm;
		const target = await pm.fingerprint(pixels, 'target');
		const query = await pm.fingerprint(pixels, 'query');
		return { version: target.version, target: target.codes, query: query.codes };
	})()`, jsString(base64.StdEncoding.EncodeToString(img.Pix)), img.Rect.Dx(), img.Rect.Dy()))
	if got.Version != fingerprint.Version {
		t.Errorf("%s: the module's fingerprint version is %d, the server's %d", name, got.Version, fingerprint.Version)
	}
	if want := texts(wantTarget.Codes); !slices.Equal(got.Target, want) {
		t.Errorf("%s: target codes in the browser %q, on the server %q", name, got.Target, want)
	}
	if want := texts(wantQuery.Codes); !slices.Equal(got.Query, want) {
		t.Errorf("%s: query codes in the browser %q, on the server %q", name, got.Query, want)
	}
}

// goDecoded is a JPEG as the server sees it.
type goDecoded struct {
	width, height int      // upright
	codes         []string // target codes
}

// decodeInGo decodes a file as the server does, turns it upright and
// returns its target codes.
func decodeInGo(t *testing.T, file []byte) goDecoded {
	t.Helper()
	img, info, err := imagefile.Decode(file, imagefile.Limits{})
	if err != nil {
		t.Fatal(err)
	}
	fp, err := fingerprint.TargetOf(fingerprint.Plane(img, info.Upright()))
	if err != nil {
		t.Fatal(err)
	}
	w, h := info.Size()
	return goDecoded{width: w, height: h, codes: texts(fp.Codes)}
}

// webDecoded is a JPEG as the browser sees it.
type webDecoded struct {
	Width  int      `json:"width"`
	Height int      `json:"height"` // upright
	Codes  []string `json:"codes"`  // target codes
	Local  string   `json:"local"`  // the best match in the synced gallery, or ""
	// How Chromium's pixels differ from Go's, when Go's were given: the
	// largest difference of a channel value, the mean one, and the share
	// of channel values that differ at all.
	MaxDiff  int     `json:"maxDiff"`
	MeanDiff float64 `json:"meanDiff"`
	Differ   float64 `json:"differ"`
}

// decodeInBrowser has Chromium decode a file, turned upright by its
// EXIF orientation, fingerprints it in the module as a target, and
// searches the synced gallery with it as the Recognise tab does. When
// goPixels is not nil (Go's decode of the same file, upright), the
// browser's pixels are compared with it.
func decodeInBrowser(b *browser, file []byte, goPixels *image.NRGBA) webDecoded {
	b.t.Helper()
	pix := ""
	if goPixels != nil {
		pix = base64.StdEncoding.EncodeToString(goPixels.Pix)
	}
	return eval[webDecoded](b, fmt.Sprintf(`(async () => {
		const bytes = (b64) => Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
		const blob = new Blob([bytes(%s)], { type: 'image/jpeg' });
		const bitmap = await createImageBitmap(blob, { imageOrientation: 'from-image' });
		const { width, height } = bitmap;
		const out = { width, height, maxDiff: -1, meanDiff: -1, differ: -1 };
		const goPix = %s;
		if (goPix) {
			const ctx = new OffscreenCanvas(width, height).getContext('2d', { colorSpace: 'srgb' });
			ctx.drawImage(bitmap, 0, 0);
			const mine = ctx.getImageData(0, 0, width, height, { colorSpace: 'srgb' }).data;
			const theirs = bytes(goPix);
			let most = 0, sum = 0, differ = 0, n = 0;
			for (let i = 0; i < mine.length; i++) {
				if (i %% 4 === 3) continue;
				const d = Math.abs(mine[i] - theirs[i]);
				most = Math.max(most, d); sum += d; differ += d > 0; n++;
			}
			Object.assign(out, { maxDiff: most, meanDiff: sum / n, differ: differ / n });
		}
		const pm = pixmatchApp.session.pm;
		out.codes = (await pm.fingerprint(bitmap, 'target')).codes;
		const found = await pm.search(blob, { limit: 1 });
		out.local = found.matches.length ? found.matches[0].name : '';
		bitmap.close();
		return out;
	})()`, jsString(base64.StdEncoding.EncodeToString(file)), jsString(pix)))
}

// withOrientation inserts an APP1 Exif segment holding the orientation
// tag right after a JPEG's start-of-image marker.
func withOrientation(jpg []byte, orientation uint16) []byte {
	var tiff bytes.Buffer
	be := binary.BigEndian
	tiff.WriteString("MM")
	binary.Write(&tiff, be, uint16(42))
	binary.Write(&tiff, be, uint32(8)) // the first IFD follows the header
	binary.Write(&tiff, be, uint16(1)) // one entry:
	binary.Write(&tiff, be, uint16(0x0112))
	binary.Write(&tiff, be, uint16(3)) // SHORT
	binary.Write(&tiff, be, uint32(1))
	binary.Write(&tiff, be, orientation)
	binary.Write(&tiff, be, uint16(0)) // padding of the value field
	binary.Write(&tiff, be, uint32(0)) // no next IFD
	seg := append([]byte("Exif\x00\x00"), tiff.Bytes()...)
	out := append([]byte{}, jpg[:2]...)
	out = append(out, 0xff, 0xe1, byte((len(seg)+2)>>8), byte(len(seg)+2))
	out = append(out, seg...)
	return append(out, jpg[2:]...)
}

// nrgba returns img as an *image.NRGBA with its origin at 0,0.
func nrgba(img image.Image) *image.NRGBA {
	b := img.Bounds()
	out := image.NewNRGBA(image.Rect(0, 0, b.Dx(), b.Dy()))
	draw.Draw(out, out.Rect, img, b.Min, draw.Src)
	return out
}

// texts writes codes as the module does (fingerprint.Code.String).
func texts(codes []fingerprint.Code) []string {
	out := make([]string, len(codes))
	for i, c := range codes {
		out[i] = c.String()
	}
	return out
}

// hashOf returns the hash of a code written as text: its fourth field.
func hashOf(code string) string {
	if f := strings.Fields(code); len(f) > 3 {
		return f[3]
	}
	return code
}

// distance returns the Hamming distance between the hashes of two codes
// written as text.
func distance(t *testing.T, a, b string) int {
	t.Helper()
	x, errA := strconv.ParseUint(hashOf(a), 16, 64)
	y, errB := strconv.ParseUint(hashOf(b), 16, 64)
	if errA != nil || errB != nil {
		t.Fatalf("codes %q and %q have no 64-bit hex hash", a, b)
	}
	return fingerprint.Distance(x, y)
}

// TestWithOrientation checks the EXIF segment TestParity writes against
// the server's reader.
func TestWithOrientation(t *testing.T) {
	jpg := encodeJPEG(t, testphoto.Image("rocket"), 80)
	for o := uint16(1); o <= 8; o++ {
		info, err := imagefile.Inspect(withOrientation(jpg, o))
		if err != nil {
			t.Fatal(err)
		}
		if info.Orientation != int(o) {
			t.Errorf("orientation %d read back as %d", o, info.Orientation)
		}
	}
}
