// Package fingerprint turns pictures into the compact codes pixmatch
// indexes and searches, and defines how two codes compare.
//
// A picture is first reduced to normalised planes: its luminance, shrunk
// cheaply by box averaging, then resampled by exact area averaging to
// 64×64 — once whole, and once with any uniform border trimmed away (a
// frame, a letterbox, a scanned margin). The code of a plane is its 64-bit perceptual hash
// (goimagehash's pHash: the signs of the low 8×8 DCT coefficients against
// their median), which survives re-encoding, rescaling, blur, noise and
// brightness changes.
//
// A target is stored with the code of its upright plane (two when it has a
// border: with and without). A query carries the codes of all eight flips
// and quarter turns of its planes, so a mirrored or rotated photo of a
// target still finds it: the distance of a query to a target is the
// smallest Hamming distance over all pairs of their codes.
//
// Fingerprints record the version of the algorithm that made them;
// fingerprints of different versions are never compared.
package fingerprint

import (
	"encoding/binary"
	"errors"
	"fmt"
	"image"
	"math/bits"

	"github.com/pixmatch/pixmatch/shared/luma"
)

// Version identifies the algorithm. It changes whenever the codes an image
// produces would change.
const Version = 1

// Bits is the width of one code.
const Bits = 64

// Threshold is the largest distance at which a query matches a target.
// Codes have as many ones as zeros, so distances are even: 8 is a step
// below 10, which let 3.7% of photos not in a 10,000-entry gallery match
// something (QUALITY.md; shared/match adds the penalty of turned codes).
const Threshold = 8

// Errors of fingerprinting.
var (
	ErrNoContent = errors.New("fingerprint: the picture has no content to recognise")
	ErrVersion   = errors.New("fingerprint: unknown algorithm version")
)

// Fingerprint is the set of codes of one picture.
type Fingerprint struct {
	Version int
	Codes   []uint64
}

// hashSide is the side of the planes hashed: goimagehash's pHash reads a
// 64×64 plane as is, without resizing it again.
const hashSide = 64

// WorkSide is the longest side of a working plane: pictures are first
// shrunk to it by box averaging, and borders are found at this size.
const WorkSide = 256

// Plane returns the working plane of img turned upright by d: its
// luminance shrunk to WorkSide. TargetOf and QueryOf fingerprint it.
func Plane(img image.Image, d luma.Dihedral) *image.Gray {
	return d.Apply(luma.FromImage(img, WorkSide))
}

// Target returns the fingerprint a gallery stores for img: the code of its
// plane, and of its trimmed plane when it has a border.
func Target(img image.Image) (Fingerprint, error) { return TargetOf(Plane(img, luma.Identity)) }

// Query returns the fingerprint to search with for img: for each of its
// planes, one code for each of the eight symmetries, upright first.
func Query(img image.Image) (Fingerprint, error) { return QueryOf(Plane(img, luma.Identity)) }

// TargetOf is Target for a working plane made by Plane.
func TargetOf(work *image.Gray) (Fingerprint, error) {
	planes, err := normalise(work)
	if err != nil {
		return Fingerprint{}, err
	}
	codes := make([]uint64, len(planes))
	for i, p := range planes {
		c := lowDCT(p)
		codes[i] = c.code()
	}
	return Fingerprint{Version: Version, Codes: codes}, nil
}

// QueryOf is Query for a working plane made by Plane.
func QueryOf(work *image.Gray) (Fingerprint, error) {
	planes, err := normalise(work)
	if err != nil {
		return Fingerprint{}, err
	}
	codes := make([]uint64, 0, len(planes)*len(luma.Dihedrals))
	for _, p := range planes {
		c := lowDCT(p)
		for _, d := range luma.Dihedrals {
			t := c.turned(d)
			codes = append(codes, t.code())
		}
	}
	return Fingerprint{Version: Version, Codes: codes}, nil
}

// minTrim is the share of a side, as a divisor, that trimming must remove
// before the trimmed plane counts as different from the whole one.
const minTrim = 50

// normalise returns the 64×64 planes of img: the whole picture, and its
// content with the uniform border trimmed when there is one. Both are
// kept because a plain band at the edge may be a frame around the
// picture or part of it (a clear sky, burnt out by a brightness change):
// matching either plane against either plane covers both readings. An
// image without content gives ErrNoContent.
func normalise(work *image.Gray) ([]*image.Gray, error) {
	if work.Rect.Dx() < 2 || work.Rect.Dy() < 2 {
		return nil, fmt.Errorf("%w: a %v plane is too small", ErrNoContent, work.Rect.Size())
	}
	content := TrimBorder(work)
	if content.Dx() < 2 || content.Dy() < 2 || flat(work, content) {
		return nil, ErrNoContent
	}
	planes := []*image.Gray{luma.Resample(work, work.Rect, hashSide, hashSide)}
	w, h := work.Rect.Dx(), work.Rect.Dy()
	if (w-content.Dx())*minTrim >= w || (h-content.Dy())*minTrim >= h {
		planes = append(planes, luma.Resample(work, content, hashSide, hashSide))
	}
	return planes, nil
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

// Upright reports whether code i of a Query fingerprint is of an upright
// plane; the others are its flips and quarter turns.
func Upright(i int) bool { return i%len(luma.Dihedrals) == 0 }

// Distance is the Hamming distance between two codes.
func Distance(a, b uint64) int { return bits.OnesCount64(a ^ b) }

// Score maps a distance to a match score in (0, 1]: 1 for identical codes,
// 0.5 exactly at Threshold, falling linearly, never reaching 0.
func Score(distance int) float64 {
	s := 1 - float64(distance)/(2*Threshold)
	return max(s, 1.0/1024)
}

// MarshalBinary encodes f as a version, a count and the codes, little-endian.
func (f Fingerprint) MarshalBinary() ([]byte, error) {
	b := make([]byte, 4, 4+8*len(f.Codes))
	binary.LittleEndian.PutUint16(b, uint16(f.Version))
	binary.LittleEndian.PutUint16(b[2:], uint16(len(f.Codes)))
	for _, c := range f.Codes {
		b = binary.LittleEndian.AppendUint64(b, c)
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
	if len(b) != 4+8*n || n == 0 {
		return fmt.Errorf("fingerprint: %d bytes for %d codes", len(b), n)
	}
	f.Version = v
	f.Codes = make([]uint64, n)
	for i := range f.Codes {
		f.Codes[i] = binary.LittleEndian.Uint64(b[4+8*i:])
	}
	return nil
}
