// Package lumajpeg decodes the luma of baseline JPEG files, and only the
// luma: the grey plane fingerprints and local features are made of,
// without the chroma and colour that nothing reads. It is written from
// ITU-T T.81 (the JPEG standard), its sections on markers, Huffman
// tables, sequential DCT-based decoding and restart intervals.
//
// What it decodes: sequential DCT frames with Huffman coding and 8-bit
// samples (SOF0 baseline and SOF1 extended sequential), of one component
// (grey) or three (YCbCr, the first component the luma, sampled at the
// frame's highest factors), any sampling factors of the others, any
// number of scans, interleaved or not, with or without restart
// intervals. Chroma blocks are entropy-decoded to advance the stream
// (and to find damage where image/jpeg would), then dropped before
// dequantisation or transform.
//
// What it leaves to another decoder (ErrUnsupported): progressive,
// lossless, hierarchical and arithmetic-coded frames, 12-bit samples,
// two or four components, an Adobe APP14 segment (its colour transform
// decides what the components are: RGB, YCbCr or YCCK) and components
// named R, G, B, chroma sampled other than image/jpeg's ratios (4:4:4,
// 4:2:2, 4:2:0, 4:4:0, 4:1:1, 4:1:0), a non-interleaved scan of a frame
// of three components with restart intervals, and a height defined
// later by DNL.
//
// Scale: the plane can be decoded at 1/2, 1/4 or 1/8 of the picture's
// size by a reduced inverse transform. Each reduced pixel is the mean of
// the s×s pixels of the full transform it stands for, computed from the
// block's coefficients directly (at 1/8 the DC coefficient alone), so a
// reduced plane is the box reduction of the full one up to rounding and
// the clipping of pixels to 0–255. In the builds that have the kernels of
// package simd (the Worker's), the full-size transform of 64 blocks at a
// time is the kernel IDCT8, which gives the same samples.
//
// The decoder is strict: data it cannot account for — a table used
// before it is defined, a code no table holds, a scan that needs bits
// past the end of its data, a restart marker out of turn, a second frame,
// a missing end of image — is an error rather than a guess, so that a
// caller falling back to another decoder on any error gets that
// decoder's verdict on every doubtful file. It never panics on any
// input; its memory is the plane (allocated only after the caller's
// admit function accepted the frame's dimensions) and a few kilobytes
// of tables (and 16 KB of blocks for the kernel), and its time is linear in the data and the frame's blocks.
package lumajpeg

import (
	"errors"
	"fmt"
	"image"
)

// Errors of Decode. Every other error wraps ErrCorrupt.
var (
	// ErrUnsupported says the file is (or may be) a JPEG this package
	// does not decode: another decoder should.
	ErrUnsupported = errors.New("lumajpeg: not a baseline luma JPEG")
	// ErrCorrupt says the file breaks the standard's syntax.
	ErrCorrupt = errors.New("lumajpeg: corrupt JPEG")
)

// Markers, by their second byte (T.81 Table B.1).
const (
	markSOF0 = 0xc0 // baseline sequential DCT, Huffman
	markSOF1 = 0xc1 // extended sequential DCT, Huffman
	markDHT  = 0xc4
	markRST0 = 0xd0
	markRST7 = 0xd7
	markSOI  = 0xd8
	markEOI  = 0xd9
	markSOS  = 0xda
	markDQT  = 0xdb
	markDNL  = 0xdc
	markDRI  = 0xdd
	markAPP0 = 0xe0
	markAPPE = 0xee // APP14: Adobe
	markAPPF = 0xef
	markCOM  = 0xfe
)

// Decode returns the luma plane of a baseline JPEG, reduced by scale (1,
// 2, 4 or 8): a plane of ⌈width/scale⌉ × ⌈height/scale⌉ pixels with its
// origin at 0,0. admit, when not nil, is called with the frame's
// dimensions before anything the size of the picture is allocated; an
// error it returns is returned as it is.
func Decode(data []byte, scale int, admit func(width, height int) error) (*image.Gray, error) {
	if scale != 1 && scale != 2 && scale != 4 && scale != 8 {
		return nil, fmt.Errorf("lumajpeg: scale %d is not 1, 2, 4 or 8", scale)
	}
	if len(data) < 4 || data[0] != 0xff || data[1] != markSOI {
		return nil, fmt.Errorf("%w: no start of image", ErrCorrupt)
	}
	d := decoder{data: data, scale: scale, admit: admit}
	if err := d.run(); err != nil {
		return nil, err
	}
	return d.out, nil
}

// decoder is the state of one Decode: the tables and frame defined so
// far, and the plane once the luma's scan has begun.
type decoder struct {
	data  []byte
	scale int
	admit func(width, height int) error

	quant    [4]quantTable
	dc, ac   [4]huffTable
	restart  int // MCUs between restart markers, 0 for none
	adobe    bool
	frame    *frame
	lumaRead bool

	plane      []byte // the luma, padded to whole blocks of the scale
	stride     int
	out        *image.Gray
	coef, work [64]int32
	kernel     kernelBlocks // full-size blocks for the kernel (idct.go)
}

// run reads the file's segments in order up to its end of image.
func (d *decoder) run() error {
	pos := 2
	for {
		marker, seg, next, err := d.segment(pos)
		if err != nil {
			return err
		}
		switch {
		case marker == markEOI:
			if !d.lumaRead {
				return fmt.Errorf("%w: the image ends before its luma", ErrCorrupt)
			}
			return nil
		case marker == markSOS:
			if next, err = d.scan(seg, next); err != nil {
				return err
			}
		default:
			if err := d.define(marker, seg); err != nil {
				return err
			}
		}
		pos = next
	}
}

// segment reads the marker at pos and its segment: the marker's second
// byte, the segment's parameters after the length field, and where the
// next marker (or a scan's data) begins. Fill bytes (0xff) before a
// marker are skipped.
func (d *decoder) segment(pos int) (marker byte, seg []byte, next int, err error) {
	data := d.data
	if pos >= len(data) || data[pos] != 0xff {
		return 0, nil, 0, fmt.Errorf("%w: no marker at byte %d", ErrCorrupt, pos)
	}
	for pos < len(data) && data[pos] == 0xff {
		pos++
	}
	if pos >= len(data) {
		return 0, nil, 0, fmt.Errorf("%w: the file ends in a marker", ErrCorrupt)
	}
	marker = data[pos]
	pos++
	switch {
	case marker == markEOI:
		return marker, nil, pos, nil
	case marker == 0x00 || marker == markSOI || marker == 0x01 || (marker >= markRST0 && marker <= markRST7):
		return 0, nil, 0, fmt.Errorf("%w: marker %#02x out of place", ErrCorrupt, marker)
	}
	if pos+2 > len(data) {
		return 0, nil, 0, fmt.Errorf("%w: segment %#02x cut short", ErrCorrupt, marker)
	}
	n := int(data[pos])<<8 | int(data[pos+1])
	if n < 2 || pos+n > len(data) {
		return 0, nil, 0, fmt.Errorf("%w: segment %#02x of %d bytes cut short", ErrCorrupt, marker, n)
	}
	return marker, data[pos+2 : pos+n], pos + n, nil
}

// define reads a segment other than a scan: tables, the frame, the
// restart interval, application data.
func (d *decoder) define(marker byte, seg []byte) error {
	switch {
	case marker == markDQT:
		return d.defineQuant(seg)
	case marker == markDHT:
		return d.defineHuff(seg)
	case marker == markDRI:
		if len(seg) != 2 {
			return fmt.Errorf("%w: restart interval of %d bytes", ErrCorrupt, len(seg))
		}
		d.restart = int(seg[0])<<8 | int(seg[1])
		return nil
	case marker == markSOF0 || marker == markSOF1:
		return d.defineFrame(seg)
	case marker >= 0xc2 && marker <= 0xcf: // every other frame kind, and DAC
		return fmt.Errorf("%w: frame or table marker %#02x", ErrUnsupported, marker)
	case marker == markDNL:
		return fmt.Errorf("%w: number of lines defined after the scan", ErrUnsupported)
	case marker == markAPPE && len(seg) >= 5 && string(seg[:5]) == "Adobe":
		d.adobe = true
		return fmt.Errorf("%w: an Adobe colour transform", ErrUnsupported)
	case marker >= markAPP0 && marker <= markAPPF, marker == markCOM:
		return nil
	}
	return fmt.Errorf("%w: marker %#02x", ErrUnsupported, marker)
}
