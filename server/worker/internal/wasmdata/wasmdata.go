// Package wasmdata rewrites the data section of a WebAssembly module that
// Go built so that it compresses well: the same memory image in a few
// large segments instead of up to 100,000 small ones.
//
// Go's linker (GOOS=js GOARCH=wasm) writes the initial memory as one
// active data segment per run of non-zero bytes, leaving out the zeros
// between them, up to 100,000 segments. Each costs a header of 6 to 8
// bytes (its offset and length as LEB128 numbers), which gzip cannot
// squeeze: for the Worker, about 0.7 MB of headers cost 180 KB of its
// gzipped size, where the zeros they skip would cost next to nothing.
// Pack joins every two neighbouring segments whose gap is at most MaxGap
// bytes, filling the gap with zeros, which is what a fresh memory holds
// there anyway: the module's memory starts byte for byte the same, and
// nothing else in the module (code, functions, imports, names) changes.
//
// Only what Go writes is handled: active segments of memory 0 at a
// constant i32 offset, not overlapping. A module with anything else in its
// data section is refused (ErrUnsupported) rather than changed.
package wasmdata

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"slices"
)

// MaxGap is the longest run of zeros Pack writes out to join two
// segments; longer gaps keep their segments apart (Go's sections are
// far apart in memory, and their gaps would only make the module larger).
const MaxGap = 4096

// ErrUnsupported is returned for a module Pack does not rewrite.
var ErrUnsupported = errors.New("wasmdata: not a data section as Go writes it")

const (
	sectionData      = 11
	sectionDataCount = 12
	opI32Const       = 0x41
	opEnd            = 0x0b
)

var magic = []byte{0, 'a', 's', 'm', 1, 0, 0, 0}

// Segment is one active data segment: its bytes, at Offset in memory 0.
type Segment struct {
	Offset uint32
	Data   []byte
}

// Pack returns module with its data segments joined (see the package doc)
// and how many segments it had and has.
func Pack(module []byte) (out []byte, before, after int, err error) {
	if !bytes.HasPrefix(module, magic) {
		return nil, 0, 0, fmt.Errorf("%w: no WebAssembly header", ErrUnsupported)
	}
	out = append([]byte(nil), magic...)
	for rest := module[len(magic):]; len(rest) > 0; {
		id := rest[0]
		size, n := binary.Uvarint(rest[1:])
		if n <= 0 || uint64(len(rest)-1-n) < size {
			return nil, 0, 0, fmt.Errorf("%w: a truncated section", ErrUnsupported)
		}
		body := rest[1+n : 1+n+int(size)]
		whole := rest[:1+n+int(size)]
		rest = rest[1+n+int(size):]
		switch id {
		case sectionData:
			segs, err := Segments(body)
			if err != nil {
				return nil, 0, 0, err
			}
			joined := Join(segs, MaxGap)
			before, after = len(segs), len(joined)
			out = appendSection(out, sectionData, encode(joined))
		case sectionDataCount:
			return nil, 0, 0, fmt.Errorf("%w: a data count section", ErrUnsupported)
		default:
			out = append(out, whole...)
		}
	}
	return out, before, after, nil
}

// Segments parses the body of a data section.
func Segments(body []byte) ([]Segment, error) {
	r := reader{b: body}
	count := r.uint()
	segs := make([]Segment, 0, min(count, uint64(len(body))))
	for i := uint64(0); i < count && r.err == nil; i++ {
		if r.uint() != 0 || r.byte() != opI32Const {
			return nil, fmt.Errorf("%w: segment %d is not active at a constant", ErrUnsupported, i)
		}
		off := r.int()
		if r.byte() != opEnd || off < 0 || off > 1<<32-1 {
			return nil, fmt.Errorf("%w: segment %d's offset", ErrUnsupported, i)
		}
		segs = append(segs, Segment{Offset: uint32(off), Data: r.bytes(r.uint())})
	}
	if r.err != nil || len(r.b) != 0 {
		return nil, fmt.Errorf("%w: a malformed data section", ErrUnsupported)
	}
	return segs, nil
}

// Join returns segs sorted by offset, each two whose gap is at most
// maxGap joined into one with zeros between them. It fails on none: an
// overlap, which Go never writes, keeps its segments apart.
func Join(segs []Segment, maxGap int) []Segment {
	sorted := slices.Clone(segs)
	slices.SortStableFunc(sorted, func(a, b Segment) int { return cmpOffset(a.Offset, b.Offset) })
	var out []Segment
	for _, s := range sorted {
		if len(out) > 0 {
			last := &out[len(out)-1]
			end := uint64(last.Offset) + uint64(len(last.Data))
			if uint64(s.Offset) >= end && uint64(s.Offset)-end <= uint64(maxGap) {
				last.Data = append(last.Data, make([]byte, uint64(s.Offset)-end)...)
				last.Data = append(last.Data, s.Data...)
				continue
			}
		}
		out = append(out, Segment{Offset: s.Offset, Data: slices.Clone(s.Data)})
	}
	return out
}

func cmpOffset(a, b uint32) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// encode writes the body of a data section of segs.
func encode(segs []Segment) []byte {
	b := binary.AppendUvarint(nil, uint64(len(segs)))
	for _, s := range segs {
		b = append(b, 0, opI32Const)
		b = appendSLEB(b, int64(s.Offset))
		b = append(b, opEnd)
		b = binary.AppendUvarint(b, uint64(len(s.Data)))
		b = append(b, s.Data...)
	}
	return b
}

func appendSection(b []byte, id byte, body []byte) []byte {
	b = append(b, id)
	b = binary.AppendUvarint(b, uint64(len(body)))
	return append(b, body...)
}

// appendSLEB appends v as a signed LEB128 number, as i32.const takes it.
func appendSLEB(b []byte, v int64) []byte {
	for {
		c := byte(v & 0x7f)
		v >>= 7
		if v == 0 && c&0x40 == 0 || v == -1 && c&0x40 != 0 {
			return append(b, c)
		}
		b = append(b, c|0x80)
	}
}

// reader reads LEB128 numbers and bytes, remembering the first error.
type reader struct {
	b   []byte
	err error
}

func (r *reader) fail() {
	if r.err == nil {
		r.err = ErrUnsupported
	}
	r.b = nil
}

func (r *reader) byte() byte {
	if len(r.b) == 0 {
		r.fail()
		return 0
	}
	c := r.b[0]
	r.b = r.b[1:]
	return c
}

func (r *reader) uint() uint64 {
	v, n := binary.Uvarint(r.b)
	if n <= 0 {
		r.fail()
		return 0
	}
	r.b = r.b[n:]
	return v
}

// int reads a signed LEB128 number.
func (r *reader) int() int64 {
	var v int64
	var shift uint
	for {
		c := r.byte()
		if r.err != nil || shift > 63 {
			r.fail()
			return 0
		}
		v |= int64(c&0x7f) << shift
		shift += 7
		if c&0x80 == 0 {
			if shift < 64 && c&0x40 != 0 {
				v |= -1 << shift
			}
			return v
		}
	}
}

func (r *reader) bytes(n uint64) []byte {
	if uint64(len(r.b)) < n {
		r.fail()
		return nil
	}
	b := r.b[:n]
	r.b = r.b[n:]
	return b
}
