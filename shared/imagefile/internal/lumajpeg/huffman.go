package lumajpeg

import (
	"encoding/binary"
	"fmt"
)

// lookBits is how many bits the fast path of a Huffman table resolves in
// one lookup; longer codes are found length by length.
const lookBits = 9

// huffTable is a Huffman table (T.81 Annex C) ready for decoding.
type huffTable struct {
	// fast holds, for every lookBits-bit prefix that begins with a code
	// of at most lookBits bits, the code's length<<8 | its symbol; 0
	// otherwise.
	fast [1 << lookBits]uint16
	// value holds, for every lookBits-bit prefix that begins with the
	// code of an AC symbol of a run r and a size s > 0 followed by its s
	// bits, all within lookBits, the coefficient's value<<16 | r<<8 |
	// the bits taken; 0 otherwise (T.81 F.2.2.2 in one lookup).
	value [1 << lookBits]int32
	// limit[l] is one more than the largest code of length l (0 when
	// there is none); first[l] the index in symbols of the first code of
	// length l, less that code: the symbol of code c of length l is
	// symbols[first[l]+c].
	limit   [17]int32
	first   [17]int32
	symbols [256]byte
	defined bool
}

// defineHuff reads a DHT segment: one or more tables (T.81 B.2.4.2).
func (d *decoder) defineHuff(seg []byte) error {
	for len(seg) > 0 {
		if len(seg) < 17 {
			return fmt.Errorf("%w: Huffman table header of %d bytes", ErrCorrupt, len(seg))
		}
		class, id := seg[0]>>4, seg[0]&0x0f
		if class > 1 || id > 3 {
			return fmt.Errorf("%w: Huffman table class %d, id %d", ErrCorrupt, class, id)
		}
		var counts [17]int
		total := 0
		for l := 1; l <= 16; l++ {
			counts[l] = int(seg[l])
			total += counts[l]
		}
		if total == 0 || total > 256 || len(seg) < 17+total {
			return fmt.Errorf("%w: Huffman table of %d codes in %d bytes", ErrCorrupt, total, len(seg))
		}
		t := &d.dc[id]
		if class == 1 {
			t = &d.ac[id]
		}
		if err := t.build(counts, seg[17:17+total]); err != nil {
			return err
		}
		seg = seg[17+total:]
	}
	return nil
}

// build makes the table of the canonical code with counts[l] codes of
// each length l and the symbols in code order (T.81 C.2).
func (t *huffTable) build(counts [17]int, symbols []byte) error {
	*t = huffTable{defined: true}
	copy(t.symbols[:], symbols)
	code, index := 0, 0
	for l := 1; l <= 16; l++ {
		t.first[l] = int32(index - code)
		if code+counts[l] > 1<<l {
			return fmt.Errorf("%w: Huffman table has more codes of %d bits than fit", ErrCorrupt, l)
		}
		for range counts[l] {
			if l <= lookBits {
				shift := lookBits - l
				entry := uint16(l)<<8 | uint16(symbols[index])
				for low := range 1 << shift {
					t.fast[code<<shift|low] = entry
				}
			}
			code++
			index++
		}
		t.limit[l] = int32(code)
		code <<= 1
	}
	t.buildValues()
	return nil
}

// buildValues fills t.value from t.fast.
func (t *huffTable) buildValues() {
	for prefix, e := range t.fast {
		l, rs := uint(e>>8), byte(e)
		size := uint(rs & 0x0f)
		if e == 0 || size == 0 || l+size > lookBits {
			continue
		}
		v := int32(prefix>>(lookBits-l-size)) & (1<<size - 1)
		if v < 1<<(size-1) {
			v += -1<<size + 1
		}
		t.value[prefix] = v<<16 | int32(rs>>4)<<8 | int32(l+size)
	}
}

// bitReader reads the entropy-coded data of a scan, most significant
// bit first, undoing byte stuffing (a 0xff data byte is written 0xff
// 0x00). It stops at the first marker; past it, or past the end of the
// file, it reads zero bits and counts them, so that a decode that needed
// them is found out (bitReader.short).
type bitReader struct {
	data []byte
	pos  int    // the next byte to read
	acc  uint64 // the bits read, the next one in the top bit
	n    uint   // how many bits of acc are read
	pad  uint   // how many of those n are zeros made up past the data
}

// fill tops acc up to at least 57 bits.
func (r *bitReader) fill() {
	if r.pad == 0 && r.pos+8 <= len(r.data) {
		// Eight bytes at once when none of them is 0xff (then no
		// stuffing and no marker): as many whole bytes as acc holds.
		w := binary.BigEndian.Uint64(r.data[r.pos:])
		if x := ^w; (x-0x0101010101010101)&^x&0x8080808080808080 == 0 {
			k := (64 - r.n) / 8
			r.acc |= w >> (64 - 8*k) << (64 - r.n - 8*k)
			r.pos += int(k)
			r.n += 8 * k
			return
		}
	}
	for r.n <= 56 {
		var b byte
		switch {
		case r.pad > 0 || r.pos >= len(r.data):
			r.pad += 8
		case r.data[r.pos] != 0xff:
			b = r.data[r.pos]
			r.pos++
		case r.pos+1 < len(r.data) && r.data[r.pos+1] == 0x00:
			b = 0xff
			r.pos += 2
		default: // a marker: the data ends here
			r.pad += 8
		}
		r.acc |= uint64(b) << (56 - r.n)
		r.n += 8
	}
}

// short reports whether the bits consumed ran into the made-up ones.
func (r *bitReader) short() bool { return r.n < r.pad }

// decode reads one Huffman-coded symbol of t.
func (r *bitReader) decode(t *huffTable) (byte, error) {
	if r.n < 16 {
		r.fill()
	}
	if e := t.fast[r.acc>>(64-lookBits)]; e != 0 {
		l := uint(e >> 8)
		r.acc <<= l
		r.n -= l
		return byte(e), nil
	}
	for l := uint(lookBits + 1); l <= 16; l++ {
		code := int32(r.acc >> (64 - l))
		if code < t.limit[l] {
			r.acc <<= l
			r.n -= l
			return t.symbols[uint8(t.first[l]+code)], nil
		}
	}
	return 0, fmt.Errorf("%w: a code no Huffman table holds", ErrCorrupt)
}

// receive reads an s-bit magnitude category value and extends its sign
// (T.81 F.2.2.1, EXTEND): s ≤ 16.
func (r *bitReader) receive(s uint) int32 {
	if s == 0 {
		return 0
	}
	if r.n < s {
		r.fill()
	}
	v := int32(r.acc >> (64 - s))
	r.acc <<= s
	r.n -= s
	if v < 1<<(s-1) {
		v += -1<<s + 1
	}
	return v
}

// skip drops s bits.
func (r *bitReader) skip(s uint) {
	if r.n < s {
		r.fill()
	}
	r.acc <<= s
	r.n -= s
}

// reset forgets the bits read and starts reading at pos.
func (r *bitReader) reset(pos int) { *r = bitReader{data: r.data, pos: pos} }
