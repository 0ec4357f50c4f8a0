// Package fingerprint turns pictures into the codes pixmatch indexes and
// searches, and defines how two codes compare.
//
// A picture is first reduced to a working plane: its luminance, shrunk
// cheaply by box averaging to at most 256 pixels a side. A code describes
// one window of that plane (see Window): the whole picture, its content
// inside any uniform border, central windows and corner windows. Its Hash
// is the 64-bit perceptual hash of the window (goimagehash's pHash: the
// signs of the 8×8 lowest DCT coefficients against their median; for the
// whole and trimmed windows exactly goimagehash.PerceptionHash of the
// window resampled to 64×64), which survives re-encoding, rescaling, blur,
// noise and brightness changes. Beside it, three check words describe the
// same window differently — the hash of its central half, of its central
// three quarters, and the signs of its horizontal steps — so that a match
// found by the hash can be confirmed: unrelated pictures come close in
// one description far more often than in four.
//
// A target stores the codes of all its windows that have content. A query
// carries the codes of its whole and trimmed windows in all eight flips
// and quarter turns, of its central windows, and of its Centre80 window
// turned back by small angles; shared/match decides which query code is
// compared with which target window, and how close is a match.
//
// Fingerprints record the version of the algorithm that made them;
// fingerprints of different versions are never compared. Galleries store
// codes made by earlier builds, so any change to the codes an image
// produces needs a new Version. testdata/vectors.txt holds every code of
// the test photos (shared/testphoto) with the Version that made them, and
// TestVectors fails when one moves under the same Version; after bumping
// Version, `make fingerprint-vectors` (go test ./shared/fingerprint -run
// Vectors -update) rewrites it.
package fingerprint

import (
	"encoding/binary"
	"errors"
	"fmt"
	"image"
	"math/bits"
	"slices"
	"strconv"

	"github.com/pixmatch/pixmatch/shared/luma"
)

// Version identifies the algorithm. It changes whenever the codes an image
// produces would change (TestVectors holds it to that).
const Version = 2

// Bits is the width of a hash and of a check word.
const Bits = 64

// Threshold is the largest distance at which a query matches a target
// (shared/match says how a distance is made of a hash and its checks).
const Threshold = 8

// Errors of fingerprinting.
var (
	ErrNoContent = errors.New("fingerprint: the picture has no content to recognise")
	ErrVersion   = errors.New("fingerprint: unknown algorithm version")
)

// The check words of a code, by index into Code.Checks.
const (
	Core      = iota // the hash of the window's central half
	Body             // the hash of its central three quarters
	Grain            // the signs of the horizontal steps of its 9×9 grid
	NumChecks        // how many there are
)

// Code describes one window of a picture.
type Code struct {
	Window Window
	// Turn and Degrees say how a query's window was turned before it was
	// described: one of the eight flips and quarter turns (Whole and
	// Trimmed), or a small angle counter-clockwise it was turned back by
	// (Centre80). Target codes are upright.
	Turn    luma.Dihedral
	Degrees int8
	Hash    uint64
	Checks  [NumChecks]uint64
}

// Upright reports whether c describes its window as it is.
func (c Code) Upright() bool { return c.Turn == luma.Identity && c.Degrees == 0 }

// String returns c as text: its window, its turn (t0 to t7, the
// luma.Dihedral), its degrees, then its hash and its checks as 16 hex
// digits each, separated by spaces, e.g.
// "centre80 t0 -3 8f3e… 01a2… 77c0… 5b19…". Equal codes give equal text.
func (c Code) String() string {
	b := make([]byte, 0, 32+17*(1+NumChecks))
	b = append(b, c.Window.String()...)
	b = append(b, " t"...)
	b = strconv.AppendInt(b, int64(c.Turn), 10)
	b = append(b, ' ')
	if c.Degrees >= 0 {
		b = append(b, '+')
	}
	b = strconv.AppendInt(b, int64(c.Degrees), 10)
	for _, w := range append([]uint64{c.Hash}, c.Checks[:]...) {
		b = append(b, ' ')
		b = appendHex(b, w)
	}
	return string(b)
}

// appendHex appends w as 16 lower-case hex digits.
func appendHex(b []byte, w uint64) []byte {
	const digits = "0123456789abcdef"
	for shift := 60; shift >= 0; shift -= 4 {
		b = append(b, digits[w>>shift&15])
	}
	return b
}

// Fingerprint is the set of codes of one picture.
type Fingerprint struct {
	Version int
	Codes   []Code
}

// The sides of the grids a window is sampled at.
const (
	hashSide  = 64 // Whole and Trimmed: goimagehash's own plane size
	gridSide  = 32 // the hash of every other window
	checkSide = 16 // the Core and Body checks
	grainSide = 9  // the Grain check
)

// WorkSide is the longest side of a working plane: pictures are first
// shrunk to it by box averaging, and borders are found at this size.
const WorkSide = 256

// Plane returns the working plane of img turned upright by d: its
// luminance shrunk to WorkSide. TargetOf and QueryOf fingerprint it.
func Plane(img image.Image, d luma.Dihedral) *image.Gray {
	g := luma.FromImage(img, WorkSide)
	if d == luma.Identity {
		return g
	}
	return d.Apply(g)
}

// Target returns the fingerprint a gallery stores for img.
func Target(img image.Image) (Fingerprint, error) { return TargetOf(Plane(img, luma.Identity)) }

// Query returns the fingerprint to search with for img.
func Query(img image.Image) (Fingerprint, error) { return QueryOf(Plane(img, luma.Identity)) }

// TargetOf is Target for a working plane made by Plane: the upright code
// of every window with content.
func TargetOf(work *image.Gray) (Fingerprint, error) {
	f, err := newFrame(work)
	if err != nil {
		return Fingerprint{}, err
	}
	codes := make([]Code, 0, Windows)
	for w := Whole; w < Windows; w++ {
		if w == Trimmed && !f.trimmed {
			continue
		}
		if c, ok := f.window(w); ok {
			codes = append(codes, c)
		}
	}
	return Fingerprint{Version: Version, Codes: codes}, nil
}

// MaxQueryCodes is the most codes QueryOf makes: the whole picture and
// its content in every symmetry, three central windows, and the central
// 80 % turned back by each of Angles.
var MaxQueryCodes = 2*len(luma.Dihedrals) + 3 + len(Angles)

// QueryOf is Query for a working plane made by Plane.
func QueryOf(work *image.Gray) (Fingerprint, error) {
	f, err := newFrame(work)
	if err != nil {
		return Fingerprint{}, err
	}
	codes := make([]Code, 0, MaxQueryCodes)
	for _, w := range []Window{Whole, Trimmed} {
		if w == Trimmed && !f.trimmed {
			continue
		}
		d := f.describe(w, f.grid(w))
		for _, turn := range luma.Dihedrals {
			codes = append(codes, d.code(turn))
		}
	}
	for _, w := range []Window{Centre90, Centre80, Centre60} {
		if c, ok := f.window(w); ok {
			codes = append(codes, c)
		}
	}
	for _, a := range Angles {
		if c, ok := f.turnedBack(Centre80, a); ok {
			codes = append(codes, c)
		}
	}
	return Fingerprint{Version: Version, Codes: codes}, nil
}

// minTrim is the share of a side, as a divisor, that trimming must remove
// before the trimmed window counts as different from the whole one.
const minTrim = 50

// frame is a working plane being described.
type frame struct {
	work    *image.Gray
	table   *luma.Integral
	content image.Rectangle // inside any uniform border
	trimmed bool            // whether the border is worth a window
}

// newFrame prepares a working plane. A plane without content gives
// ErrNoContent.
func newFrame(work *image.Gray) (*frame, error) {
	if work.Rect.Dx() < 2 || work.Rect.Dy() < 2 {
		return nil, fmt.Errorf("%w: a %v plane is too small", ErrNoContent, work.Rect.Size())
	}
	content := TrimBorder(work)
	if content.Dx() < 2 || content.Dy() < 2 || flat(work, content) {
		return nil, ErrNoContent
	}
	w, h := work.Rect.Dx(), work.Rect.Dy()
	return &frame{
		work:    work,
		table:   luma.NewIntegral(work),
		content: content.Sub(work.Rect.Min),
		trimmed: (w-content.Dx())*minTrim >= w || (h-content.Dy())*minTrim >= h,
	}, nil
}

// description is what a code is made from, before any turn: the
// coefficients of the hash and the two hashed checks, and the grain grid.
type description struct {
	window           Window
	hash, core, body coefficients
	grain            []float64 // grainSide × grainSide cell means
}

// describe samples window w of the frame upright, its hash made from h.
func (f *frame) describe(w Window, h hashGrid) description {
	r := w.rect(f.table.Bounds(), f.content)
	d := description{
		window: w,
		core:   lowGrid(f.table.Means(inner(r, 0.5), checkSide, checkSide)),
		body:   lowGrid(f.table.Means(inner(r, 0.75), checkSide, checkSide)),
		grain:  f.table.Means(r, grainSide, grainSide),
	}
	if h.exact != nil {
		d.hash = lowDCT(h.exact)
	} else {
		d.hash = lowGrid(h.means)
	}
	return d
}

// hashGrid is the window a hash is made from: for Whole and Trimmed the
// 64×64 plane goimagehash would hash, for the others gridSide² means.
type hashGrid struct {
	exact *image.Gray
	means []float64
}

// grid samples window w for its hash.
func (f *frame) grid(w Window) hashGrid {
	r := w.rect(f.table.Bounds(), f.content)
	if w == Whole || w == Trimmed {
		return hashGrid{exact: f.table.Resample(r, hashSide, hashSide)}
	}
	return hashGrid{means: f.table.Means(r, gridSide, gridSide)}
}

// spread returns the grid's luminance spread, in grey levels between its
// 2nd and 98th percentile.
func (h hashGrid) spread() int {
	var hist [256]int
	n := len(h.means)
	if h.exact != nil {
		n = len(h.exact.Pix)
		for _, v := range h.exact.Pix {
			hist[v]++
		}
	}
	for _, v := range h.means {
		x := v + 0.5 // clamped by comparisons: WebAssembly runs float min and max as calls
		if x < 0 {
			x = 0
		} else if x > 255 {
			x = 255
		}
		hist[uint8(x)]++
	}
	return percentile(&hist, n, 98) - percentile(&hist, n, 2)
}

// code returns the code of the description turned by t.
func (d *description) code(t luma.Dihedral) Code {
	hash, core, body := d.hash.turned(t), d.core.turned(t), d.body.turned(t)
	c := Code{Window: d.window, Turn: t, Hash: hash.code()}
	c.Checks[Core], c.Checks[Body] = core.code(), body.code()
	c.Checks[Grain] = grainCode(turnGrid(d.grain, t))
	return c
}

// windowSpread is the smallest luminance spread, in grey levels between
// the 2nd and 98th percentile, of a window worth a code: a window of
// nearly one grey (the sky, the white around a product) says nothing.
const windowSpread = 16

// window returns the upright code of window w, and whether it has
// content. Whole always has.
func (f *frame) window(w Window) (Code, bool) {
	if r := w.rect(f.table.Bounds(), f.content); r.Dx() < 2 || r.Dy() < 2 {
		return Code{}, false
	}
	grid := f.grid(w)
	if w != Whole && grid.spread() < windowSpread {
		return Code{}, false
	}
	d := f.describe(w, grid)
	return d.code(luma.Identity), true
}

// turnedBack returns the code of window w of the frame turned back by
// degrees, and whether it has content.
func (f *frame) turnedBack(w Window, degrees int8) (Code, bool) {
	r := w.rect(f.table.Bounds(), f.content)
	cx, cy := float64(r.Min.X+r.Max.X)/2, float64(r.Min.Y+r.Max.Y)/2
	rw, rh, a := float64(r.Dx()), float64(r.Dy()), float64(degrees)
	grid := hashGrid{means: f.table.Turned(cx, cy, rw, rh, a, gridSide)}
	if grid.spread() < windowSpread {
		return Code{}, false
	}
	hash := lowGrid(grid.means)
	core := lowGrid(f.table.Turned(cx, cy, rw/2, rh/2, a, checkSide))
	body := lowGrid(f.table.Turned(cx, cy, rw*0.75, rh*0.75, a, checkSide))
	c := Code{Window: w, Degrees: degrees, Hash: hash.code()}
	c.Checks[Core], c.Checks[Body] = core.code(), body.code()
	c.Checks[Grain] = grainCode(f.table.Turned(cx, cy, rw, rh, a, grainSide))
	return c, true
}

// grainCode returns a bit for each of the 8×8 horizontal steps of the top
// eight rows of a 9×9 grid: set where the grey rises.
func grainCode(g []float64) uint64 {
	var h uint64
	for y := 0; y < 8; y++ {
		row := g[y*grainSide : (y+1)*grainSide]
		for x := 0; x < 8; x++ {
			if row[x] < row[x+1] {
				h |= 1 << uint(63-(y*8+x))
			}
		}
	}
	return h
}

// turnGrid returns the square grid g turned by d.
func turnGrid(g []float64, d luma.Dihedral) []float64 {
	if d == luma.Identity {
		return g
	}
	n := gridLen(g)
	out := make([]float64, len(g))
	for y := 0; y < n; y++ {
		for x := 0; x < n; x++ {
			tx, ty := d.Point(x, y, n, n)
			out[ty*n+tx] = g[y*n+x]
		}
	}
	return out
}

// flatSpread is the largest luminance spread, in grey levels between the
// 2nd and 98th percentile, of a picture considered blank.
const flatSpread = 8

// flat reports whether the area r of g is nearly a single grey.
func flat(g *image.Gray, r image.Rectangle) bool {
	var hist [256]int
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for _, v := range g.Pix[g.PixOffset(r.Min.X, y):g.PixOffset(r.Max.X, y)] {
			hist[v]++
		}
	}
	n := r.Dx() * r.Dy()
	lo, hi := percentile(&hist, n, 2), percentile(&hist, n, 98)
	return hi-lo <= flatSpread
}

// percentile returns the grey level below which pct percent of n pixels lie.
func percentile(hist *[256]int, n, pct int) int {
	want := n * pct / 100
	seen := 0
	for v, c := range hist {
		seen += c
		if seen > want {
			return v
		}
	}
	return 255
}

// Distance is the Hamming distance between two codes.
func Distance(a, b uint64) int { return bits.OnesCount64(a ^ b) }

// Score maps a distance to a match score in (0, 1]: 1 for identical codes,
// 0.5 exactly at Threshold, falling linearly, never reaching 0.
func Score(distance int) float64 {
	s := 1 - float64(distance)/(2*Threshold)
	return max(s, 1.0/1024)
}

// CodeSize is the size of a code as MarshalBinary writes it: window,
// turn, degrees, hash and checks.
const CodeSize = 3 + 8 + 8*NumChecks

// MarshalBinary encodes f as a version, a count and the codes,
// little-endian.
func (f Fingerprint) MarshalBinary() ([]byte, error) {
	b := make([]byte, 4, 4+CodeSize*len(f.Codes))
	binary.LittleEndian.PutUint16(b, uint16(f.Version))
	binary.LittleEndian.PutUint16(b[2:], uint16(len(f.Codes)))
	for _, c := range f.Codes {
		b = append(b, byte(c.Window), byte(c.Turn), byte(c.Degrees))
		b = binary.LittleEndian.AppendUint64(b, c.Hash)
		for _, w := range c.Checks {
			b = binary.LittleEndian.AppendUint64(b, w)
		}
	}
	return b, nil
}

// UnmarshalBinary decodes what MarshalBinary wrote. A fingerprint of
// another algorithm version is refused with ErrVersion.
func (f *Fingerprint) UnmarshalBinary(b []byte) error {
	if len(b) < 4 {
		return fmt.Errorf("fingerprint: %d bytes is too short", len(b))
	}
	v, n := int(binary.LittleEndian.Uint16(b)), int(binary.LittleEndian.Uint16(b[2:]))
	if v != Version {
		return fmt.Errorf("%w: %d (this build knows %d)", ErrVersion, v, Version)
	}
	if len(b) != 4+CodeSize*n || n == 0 {
		return fmt.Errorf("fingerprint: %d bytes for %d codes", len(b), n)
	}
	codes := make([]Code, n)
	for i := range codes {
		p := b[4+CodeSize*i:]
		c := Code{Window: Window(p[0]), Turn: luma.Dihedral(p[1]), Degrees: int8(p[2]), Hash: binary.LittleEndian.Uint64(p[3:])}
		if c.Window >= Windows || int(c.Turn) >= len(luma.Dihedrals) {
			return fmt.Errorf("fingerprint: code %d: window %d, turn %d", i, p[0], p[1])
		}
		for k := range c.Checks {
			c.Checks[k] = binary.LittleEndian.Uint64(p[11+8*k:])
		}
		codes[i] = c
	}
	f.Version, f.Codes = v, codes
	return nil
}

// Equal reports whether two fingerprints are the same.
func (f Fingerprint) Equal(g Fingerprint) bool {
	return f.Version == g.Version && slices.Equal(f.Codes, g.Codes)
}
