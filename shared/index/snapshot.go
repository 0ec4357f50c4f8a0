package index

import (
	"bufio"
	"encoding/binary"
	"errors"
	"io"
	"math"
)

// An index is written out whole by WriteTo and read back by Decode, so
// that a server can start from a copy of its indexes instead of indexing
// every stored target again. The encoding is the index's own memory laid
// flat, every number little-endian, every array fixed-width, so that
// reading it is a few sequential copies, no decoding a row at a time:
//
//	header  "PXIX", format uint32, tables uint32, slots uint32,
//	        extras uint32, then the bytes of the ID, group and extra-string
//	        blobs (uint64 each), then each table's rows (uint32 each)
//	ids     slots uint32 lengths, then the IDs' bytes
//	groups  slots uint32 lengths (sameAsID: the group is the ID), then
//	        the other groups' bytes
//	active  slots bytes, 0 or 1
//	extras  per entry with more attributes than its group: slot uint32,
//	        Category int32, Int [4]int32, the Str lengths [4]uint32;
//	        then the Str bytes of all of them
//	tables  per table: keys [rows]uint64, checks [rows*Checks]uint64,
//	        owner [rows]uint32, sub [rows]uint8
//
// Where an entry's codes are (its places) is not written: the rows say
// whose code each is and which (owner, sub). Multi-indexes are not
// written either: MultiIndexRows builds them from the keys.
//
// Decode trusts nothing it reads. The header's counts must add up to the
// length of the input exactly, so no count can make it allocate more than
// the input's size; every owner, code number, ID and flag is checked, and
// any inconsistency is ErrEncoding, with nothing built.

// encodingVersion is the format WriteTo writes and Decode reads.
const encodingVersion = 1

// encodingMagic starts an encoded index.
var encodingMagic = [4]byte{'P', 'X', 'I', 'X'}

// sameAsID marks a group that is its entry's ID.
const sameAsID = math.MaxUint32

// extraSize is the fixed part of an extra's record: slot, Category, Int,
// and the four Str lengths.
const extraSize = 4 + 4 + 4*4 + 4*4

// rowSize is the bytes a row takes: key, checks, owner and sub.
const rowSize = 8 + 8*Checks + 4 + 1

// ErrEncoding reports input Decode cannot read as an encoded index.
var ErrEncoding = errors.New("index: not an encoded index")

// WriteTo writes the index in the encoding Decode reads. It holds the
// index's read lock throughout: searches run meanwhile, writers wait.
func (x *Index) WriteTo(w io.Writer) (int64, error) {
	x.mu.RLock()
	defer x.mu.RUnlock()
	e := &encoder{w: bufio.NewWriterSize(w, 1<<16)}
	var idBytes, groupBytes, strBytes uint64
	var extras []int32
	for s, id := range x.ids {
		idBytes += uint64(len(id))
		if g := x.groups[s]; g != id {
			groupBytes += uint64(len(g))
		}
		if a := x.extra[s]; a != nil {
			extras = append(extras, int32(s))
			for _, str := range a.Str {
				strBytes += uint64(len(str))
			}
		}
	}
	e.bytes(encodingMagic[:])
	for _, v := range []uint32{encodingVersion, uint32(len(x.tables)), uint32(len(x.ids)), uint32(len(extras))} {
		e.u32(v)
	}
	for _, v := range []uint64{idBytes, groupBytes, strBytes} {
		e.u64(v)
	}
	for t := range x.tables {
		e.u32(uint32(len(x.tables[t].keys)))
	}
	x.writeEntries(e, extras)
	for t := range x.tables {
		x.tables[t].writeRows(e)
	}
	return e.flush()
}

// writeEntries writes the per-slot part of the encoding.
func (x *Index) writeEntries(e *encoder, extras []int32) {
	for _, id := range x.ids {
		e.u32(uint32(len(id)))
	}
	for _, id := range x.ids {
		e.bytes([]byte(id))
	}
	for s, g := range x.groups {
		if g == x.ids[s] {
			e.u32(sameAsID)
		} else {
			e.u32(uint32(len(g)))
		}
	}
	for s, g := range x.groups {
		if g != x.ids[s] {
			e.bytes([]byte(g))
		}
	}
	for _, a := range x.active {
		e.bool(a)
	}
	for _, s := range extras {
		a := x.extra[s]
		e.u32(uint32(s))
		e.u32(uint32(a.Category))
		for _, v := range a.Int {
			e.u32(uint32(v))
		}
		for _, str := range a.Str {
			e.u32(uint32(len(str)))
		}
	}
	for _, s := range extras {
		for _, str := range x.extra[s].Str {
			e.bytes([]byte(str))
		}
	}
}

// writeRows writes the table's rows.
func (t *table) writeRows(e *encoder) {
	for _, k := range t.keys {
		e.u64(k)
	}
	for _, c := range t.checks {
		for _, w := range c {
			e.u64(w)
		}
	}
	for _, o := range t.owner {
		e.u32(uint32(o))
	}
	e.bytes(t.sub)
}

// encoder writes little-endian numbers through a buffer, keeping the
// first error and the count of bytes written.
type encoder struct {
	w       *bufio.Writer
	scratch [8]byte
	n       int64
	err     error
}

func (e *encoder) bytes(b []byte) {
	if e.err == nil {
		var n int
		n, e.err = e.w.Write(b)
		e.n += int64(n)
	}
}

func (e *encoder) u32(v uint32) {
	binary.LittleEndian.PutUint32(e.scratch[:], v)
	e.bytes(e.scratch[:4])
}

func (e *encoder) u64(v uint64) {
	binary.LittleEndian.PutUint64(e.scratch[:], v)
	e.bytes(e.scratch[:8])
}

func (e *encoder) bool(v bool) {
	e.scratch[0] = 0
	if v {
		e.scratch[0] = 1
	}
	e.bytes(e.scratch[:1])
}

func (e *encoder) flush() (int64, error) {
	if e.err == nil {
		e.err = e.w.Flush()
	}
	return e.n, e.err
}
