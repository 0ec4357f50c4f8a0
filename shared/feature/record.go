package feature

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
)

// Record is what is stored for a target: its features and the size of
// the plane they were found on.
type Record struct {
	Width, Height int
	Features      []Feature
	// Enrolment is the EnrolmentVersion of the Enrol that made the
	// record, 0 for features as Extract gives them (a query's, or a
	// target's recorded before Enrol synthesised views).
	Enrolment uint8
	// Cells, when Guide is not 0, holds the cell of each of Features in
	// the sorting Guide names: the cells a matcher confines matching to
	// (IndexTarget), kept with the record so that a reader need not sort
	// the features again. Package feature neither makes nor interprets
	// them; package camera names its sorting (the vocabulary's nodes at
	// its GuideLevel) and ignores cells of another. A cell is below
	// MaxCell.
	Guide uint64
	Cells []uint32
}

// MaxCell bounds the cells a record keeps.
const MaxCell = 1 << 16

// EnrolmentVersion identifies what Enrol adds to a target's own features
// (the views of DefaultEnrolOptions). A record of an earlier enrolment
// still decodes and is usable — its features are of this Version — but
// finds fewer camera frames than one made anew: a server makes it again
// in the background (server/gallery's RemakeFeatures).
const EnrolmentVersion uint8 = 1

// Errors of decoding a record.
var (
	// ErrVersion is a record made by another Version of the features:
	// it must be made again from the picture.
	ErrVersion = errors.New("feature: record of another version")
	// ErrFormat is bytes that are not a record, or a Record that cannot
	// be encoded.
	ErrFormat = errors.New("feature: malformed record")
)

// The record format, little-endian: a header of Version, Width, Height
// and the number of features (uint16 each), then per feature
//
//	X, Y, Size   uint16, in 1/8 pixel
//	Angle        uint16, in 2⁻¹⁶ turn
//	Response     float32 bits
//	Octave       uint8
//	Desc         4 × uint64
//
// and, for a record of an enrolment (Enrolment above 0), a last byte: its
// Enrolment. A record without it is of enrolment 0, as every record was
// before enrolments were marked. A record with cells (Guide above 0)
// has the Enrolment byte whatever its value, then
//
//	Guide        uint64
//	width        uint8: 1 when every cell is below 256, else 2
//	Cells        width bytes each, one per feature
//
// Records without cells are those of every build before cells were
// kept, which cannot read a record with them.
//
// Coordinates and sizes below MaxRecordSide pixels, the precision
// Extract rounds to, keep a record exact: decoding gives back the
// features that were encoded, bit for bit.
const (
	recordHeader  = 8
	FeatureSize   = 13 + 32 // bytes a feature takes in a record
	MaxRecordSide = 8192    // planes and coordinates of a record are below this
	maxRecordLen  = 1<<16 - 1
)

// MarshalBinary encodes r. It fails with ErrFormat when r cannot be
// encoded exactly: a side of 0 or from MaxRecordSide, more than 65,535
// features, a coordinate or size outside [0, MaxRecordSide) or not a
// multiple of 1/8, an angle outside [0, 2π) or not a multiple of 2⁻¹⁶
// turn, an octave outside [0, MaxLevels), cells without a Guide, or
// with one, not one a feature or one from MaxCell.
func (r Record) MarshalBinary() ([]byte, error) {
	if r.Width <= 0 || r.Height <= 0 || r.Width >= MaxRecordSide || r.Height >= MaxRecordSide {
		return nil, fmt.Errorf("%w: a %d×%d plane", ErrFormat, r.Width, r.Height)
	}
	if len(r.Features) > maxRecordLen {
		return nil, fmt.Errorf("%w: %d features", ErrFormat, len(r.Features))
	}
	width, err := r.cellWidth()
	if err != nil {
		return nil, err
	}
	b := make([]byte, recordHeader, RecordLen(len(r.Features), width))
	binary.LittleEndian.PutUint16(b, Version)
	binary.LittleEndian.PutUint16(b[2:], uint16(r.Width))
	binary.LittleEndian.PutUint16(b[4:], uint16(r.Height))
	binary.LittleEndian.PutUint16(b[6:], uint16(len(r.Features)))
	for i, f := range r.Features {
		x, okX := eighths(f.X)
		y, okY := eighths(f.Y)
		size, okS := eighths(f.Size)
		turn, okA := turns(f.Angle)
		if !okX || !okY || !okS || !okA || !inRecord(r.Width, r.Height, x, y, f.Response, f.Octave) {
			return nil, fmt.Errorf("%w: feature %d %+v cannot be encoded exactly", ErrFormat, i, f.Keypoint)
		}
		for _, v := range [4]uint16{x, y, size, turn} {
			b = binary.LittleEndian.AppendUint16(b, v)
		}
		b = binary.LittleEndian.AppendUint32(b, math.Float32bits(f.Response))
		b = append(b, uint8(f.Octave))
		for _, w := range f.Desc {
			b = binary.LittleEndian.AppendUint64(b, w)
		}
	}
	if r.Enrolment > 0 || r.Guide != 0 {
		b = append(b, r.Enrolment)
	}
	if r.Guide != 0 {
		b = binary.LittleEndian.AppendUint64(b, r.Guide)
		b = append(b, uint8(width))
		for _, c := range r.Cells {
			if width == 1 {
				b = append(b, uint8(c))
			} else {
				b = binary.LittleEndian.AppendUint16(b, uint16(c))
			}
		}
	}
	return b, nil
}

// cellsHead is the bytes of a record's cells before the cells: the
// Enrolment byte, Guide and the width.
const cellsHead = 1 + 8 + 1

// RecordLen returns the length of the encoding of a record of n features
// with its Enrolment byte, and cells of width bytes each (0: without
// cells): the longest such a record's encoding is.
func RecordLen(n, width int) int {
	l := recordHeader + FeatureSize*n + 1 // the Enrolment byte, if any
	if width > 0 {
		l += cellsHead - 1 + width*n
	}
	return l
}

// cellWidth returns the bytes a cell of r takes in its encoding (0 for a
// record without cells), or why r's cells cannot be encoded.
func (r *Record) cellWidth() (int, error) {
	if r.Guide == 0 {
		if len(r.Cells) > 0 {
			return 0, fmt.Errorf("%w: cells without a guide", ErrFormat)
		}
		return 0, nil
	}
	if len(r.Cells) != len(r.Features) {
		return 0, fmt.Errorf("%w: %d cells for %d features", ErrFormat, len(r.Cells), len(r.Features))
	}
	top := uint32(0)
	for _, c := range r.Cells {
		top = max(top, c)
	}
	switch {
	case top >= MaxCell:
		return 0, fmt.Errorf("%w: cell %d", ErrFormat, top)
	case top >= 1<<8:
		return 2, nil
	}
	return 1, nil
}

// eighths returns v in 1/8 pixel, and whether that is exact and in range.
func eighths(v float32) (uint16, bool) {
	e := v * 8
	if !(e >= 0 && e < 8*MaxRecordSide) || e != float32(uint16(e)) {
		return 0, false
	}
	return uint16(e), true
}

// turns returns an angle in 2⁻¹⁶ turn, and whether that is exact and in
// range.
func turns(a float32) (uint16, bool) {
	t := a / angleUnit
	if !(t >= 0 && t < 65535.5) {
		return 0, false
	}
	n := uint16(t + 0.5)
	return n, float32(n)*angleUnit == a
}

// inRecord reports whether a feature's centre, in 1/8 pixel, lies on a
// w×h plane, its response is a number and its octave a pyramid level.
func inRecord(w, h int, x, y uint16, response float32, octave int8) bool {
	finite := !math.IsNaN(float64(response)) && !math.IsInf(float64(response), 0)
	return int(x) < 8*w && int(y) < 8*h && finite && octave >= 0 && octave < MaxLevels
}

// UnmarshalBinary decodes a record MarshalBinary wrote. A record of
// another Version is refused with ErrVersion; anything else that is not
// such a record with ErrFormat (never a panic: records are read from
// storage that may be damaged).
func (r *Record) UnmarshalBinary(b []byte) error {
	if len(b) < 2 {
		return fmt.Errorf("%w: %d bytes", ErrFormat, len(b))
	}
	if v := binary.LittleEndian.Uint16(b); v != Version {
		return fmt.Errorf("%w: %d (this build makes %d)", ErrVersion, v, Version)
	}
	if len(b) < recordHeader {
		return fmt.Errorf("%w: %d bytes", ErrFormat, len(b))
	}
	w, h := int(binary.LittleEndian.Uint16(b[2:])), int(binary.LittleEndian.Uint16(b[4:]))
	n := int(binary.LittleEndian.Uint16(b[6:]))
	body := recordHeader + FeatureSize*n
	var enrolment uint8
	if len(b) > body {
		enrolment = b[body]
	}
	guide, cells, tailOK := decodeCells(b, body, n)
	if w == 0 || h == 0 || w >= MaxRecordSide || h >= MaxRecordSide || !tailOK {
		return fmt.Errorf("%w: %d bytes for a %d×%d plane and %d features", ErrFormat, len(b), w, h, n)
	}
	fs := make([]Feature, n)
	for i := range fs {
		p := b[recordHeader+FeatureSize*i : recordHeader+FeatureSize*(i+1)]
		x, y := binary.LittleEndian.Uint16(p), binary.LittleEndian.Uint16(p[2:])
		size, turn := binary.LittleEndian.Uint16(p[4:]), binary.LittleEndian.Uint16(p[6:])
		response, octave := math.Float32frombits(binary.LittleEndian.Uint32(p[8:])), int8(p[12])
		if !inRecord(w, h, x, y, response, octave) {
			return fmt.Errorf("%w: feature %d is out of range", ErrFormat, i)
		}
		f := &fs[i] // written in place: a Feature is 56 bytes
		f.X, f.Y, f.Size = float32(x)/8, float32(y)/8, float32(size)/8
		f.Angle, f.Response, f.Octave = float32(turn)*angleUnit, response, octave
		f.Desc = Descriptor{
			binary.LittleEndian.Uint64(p[13:]), binary.LittleEndian.Uint64(p[21:]),
			binary.LittleEndian.Uint64(p[29:]), binary.LittleEndian.Uint64(p[37:]),
		}
	}
	r.Width, r.Height, r.Features, r.Enrolment = w, h, fs, enrolment
	r.Guide, r.Cells = guide, cells
	return nil
}

// decodeCells reads what follows the n features of a record b, from
// body: nothing, a non-zero Enrolment byte, or the Enrolment byte and the
// cells. It returns the guide and cells (0 and nil for none), and whether
// the rest is one of these three, in the form MarshalBinary writes.
func decodeCells(b []byte, body, n int) (uint64, []uint32, bool) {
	switch rest := len(b) - body; {
	case rest == 0:
		return 0, nil, true
	case rest == 1:
		return 0, nil, b[body] != 0
	case rest < cellsHead:
		return 0, nil, false
	}
	guide := binary.LittleEndian.Uint64(b[body+1:])
	width := int(b[body+cellsHead-1])
	if guide == 0 || width < 1 || width > 2 || len(b) != RecordLen(n, width) {
		return 0, nil, false
	}
	p := b[body+cellsHead:]
	cells := make([]uint32, n)
	wide := false
	for i := range cells {
		if width == 1 {
			cells[i] = uint32(p[i])
		} else {
			cells[i] = uint32(binary.LittleEndian.Uint16(p[2*i:]))
			wide = wide || cells[i] >= 1<<8
		}
	}
	return guide, cells, width == 1 || wide // 2 only for a cell that needs it
}
