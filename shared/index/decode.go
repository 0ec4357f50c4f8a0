package index

import (
	"encoding/binary"
	"fmt"
)

// Decode reads an index WriteTo wrote (see snapshot.go). Its strings
// share one copy of their bytes; b is not kept. Input that is not such an
// index, damaged or of another format version, is ErrEncoding.
func Decode(b []byte) (*Index, error) {
	d := &decoder{b: b}
	h, err := d.header()
	if err != nil {
		return nil, err
	}
	x := New(int(h.tables))
	if err := x.readEntries(d, h); err != nil {
		return nil, err
	}
	for t := range x.tables {
		x.tables[t].readRows(d, int(h.rows[t]))
	}
	if err := x.place(); err != nil {
		return nil, err
	}
	return x, nil
}

// header is the fixed start of an encoded index.
type header struct {
	tables, slots, extras         uint32
	idBytes, groupBytes, strBytes uint64
	rows                          []uint32
}

// size returns the bytes the encoding of h takes, header included, or
// false when it could not be the size of anything in memory.
func (h header) size() (uint64, bool) {
	n := uint64(4+4*4+3*8) + 4*uint64(h.tables)
	n += uint64(h.slots) * (4 + 4 + 1)
	n += uint64(h.extras) * extraSize
	for _, v := range []uint64{h.idBytes, h.groupBytes, h.strBytes} {
		if v > 1<<48 {
			return 0, false
		}
		n += v
	}
	for _, r := range h.rows {
		n += uint64(r) * rowSize
	}
	return n, true
}

// header reads and checks the header: the magic, the format version, and
// counts that add up to the input's length exactly.
func (d *decoder) header() (header, error) {
	var h header
	if len(d.b) < 4+4*4+3*8 || [4]byte(d.b[:4]) != encodingMagic {
		return h, ErrEncoding
	}
	d.at = 4
	if v := d.u32(); v != encodingVersion {
		return h, fmt.Errorf("%w: format %d, want %d", ErrEncoding, v, encodingVersion)
	}
	h.tables, h.slots, h.extras = d.u32(), d.u32(), d.u32()
	h.idBytes, h.groupBytes, h.strBytes = d.u64(), d.u64(), d.u64()
	if h.tables < 1 || h.tables > maxTables || h.slots > maxRows || h.extras > h.slots ||
		uint64(len(d.b)-d.at) < 4*uint64(h.tables) {
		return h, fmt.Errorf("%w: header out of range", ErrEncoding)
	}
	h.rows = make([]uint32, h.tables)
	for t := range h.rows {
		if h.rows[t] = d.u32(); h.rows[t] > maxRows {
			return h, fmt.Errorf("%w: table %d of %d rows", ErrEncoding, t, h.rows[t])
		}
	}
	if n, ok := h.size(); !ok || n != uint64(len(d.b)) {
		return h, fmt.Errorf("%w: %d bytes, the header counts %d", ErrEncoding, len(d.b), n)
	}
	return h, nil
}

// readEntries reads the per-slot part: IDs, groups, flags, attributes.
func (x *Index) readEntries(d *decoder, h header) error {
	n := int(h.slots)
	idLens := d.u32s(n)
	ids := d.string(int(h.idBytes))
	groupLens := d.u32s(n)
	groups := d.string(int(h.groupBytes))
	x.ids, x.groups = make([]string, n), make([]string, n)
	x.slotOf = newIDTable(n)
	var at, gat uint64
	for s := range n {
		l := uint64(idLens[s])
		if l == 0 || at+l > uint64(len(ids)) {
			return fmt.Errorf("%w: entry %d's ID", ErrEncoding, s)
		}
		x.ids[s], at = ids[at:at+l], at+l
		if _, twice := x.slotOf.find(x.ids, x.ids[s]); twice {
			return fmt.Errorf("%w: an ID twice", ErrEncoding)
		}
		x.slotOf.insert(x.ids, int32(s))
		if gl := groupLens[s]; gl == sameAsID {
			x.groups[s] = x.ids[s]
		} else if gat+uint64(gl) <= uint64(len(groups)) {
			x.groups[s], gat = groups[gat:gat+uint64(gl)], gat+uint64(gl)
		} else {
			return fmt.Errorf("%w: entry %d's group", ErrEncoding, s)
		}
	}
	if at != uint64(len(ids)) || gat != uint64(len(groups)) {
		return fmt.Errorf("%w: unread ID or group bytes", ErrEncoding)
	}
	x.active = make([]bool, n)
	for s, v := range d.take(n) {
		if v > 1 {
			return fmt.Errorf("%w: entry %d's active flag %d", ErrEncoding, s, v)
		}
		x.active[s] = v == 1
		if x.active[s] {
			x.actives++
		}
	}
	return x.readExtras(d, h)
}

// readExtras reads the attributes of the entries with more than a group.
func (x *Index) readExtras(d *decoder, h header) error {
	x.extra = make([]*Attributes, len(x.ids))
	all := make([]Attributes, h.extras)
	strLens := make([][4]uint32, h.extras)
	for i := range all {
		s := d.u32()
		if s >= h.slots || x.extra[s] != nil {
			return fmt.Errorf("%w: extra %d of entry %d", ErrEncoding, i, s)
		}
		a := &all[i]
		a.Category, a.Group = int32(d.u32()), x.groups[s]
		for k := range a.Int {
			a.Int[k] = int32(d.u32())
		}
		for k := range strLens[i] {
			strLens[i][k] = d.u32()
		}
		x.extra[s] = a
	}
	strs := d.string(int(h.strBytes))
	var at uint64
	for i := range all {
		for k, l := range strLens[i] {
			if at+uint64(l) > uint64(len(strs)) {
				return fmt.Errorf("%w: extra %d's strings", ErrEncoding, i)
			}
			all[i].Str[k], at = strs[at:at+uint64(l)], at+uint64(l)
		}
	}
	if at != uint64(len(strs)) {
		return fmt.Errorf("%w: unread attribute bytes", ErrEncoding)
	}
	return nil
}

// readRows reads n rows into the empty table t.
func (t *table) readRows(d *decoder, n int) {
	t.keys = make([]uint64, n)
	for r, b := 0, d.take(8*n); r < n; r++ {
		t.keys[r] = binary.LittleEndian.Uint64(b[8*r:])
	}
	t.checks = make([][Checks]uint64, n)
	for r, b := 0, d.take(8*Checks*n); r < n; r++ {
		for k := range Checks {
			t.checks[r][k] = binary.LittleEndian.Uint64(b[8*(Checks*r+k):])
		}
	}
	t.owner = make([]int32, n)
	for r, b := 0, d.take(4*n); r < n; r++ {
		t.owner[r] = int32(binary.LittleEndian.Uint32(b[4*r:]))
	}
	t.sub = append([]uint8(nil), d.take(n)...)
}

// place works out where every entry's codes are from the rows' owners
// and code numbers, checking that each entry has codes 0 to n-1, once
// each, 1 <= n <= MaxCodes.
func (x *Index) place() error {
	counts := make([]int32, len(x.ids))
	for t := range x.tables {
		for r, o := range x.tables[t].owner {
			if o < 0 || int(o) >= len(x.ids) {
				return fmt.Errorf("%w: table %d row %d of entry %d", ErrEncoding, t, r, o)
			}
			counts[o]++
		}
	}
	codes := x.codesOf(counts)
	if codes > maxRows {
		return fmt.Errorf("%w: %d codes in all", ErrEncoding, codes)
	}
	p := &x.places
	p.at, p.n = make([]int32, len(x.ids)), make([]uint8, len(x.ids))
	p.row, p.tab = make([]int32, codes), make([]uint8, codes)
	at := 0
	for s, n := range counts {
		if n < 1 || n > MaxCodes {
			return fmt.Errorf("%w: entry %d has %d codes", ErrEncoding, s, n)
		}
		p.at[s], p.n[s], at = int32(at), uint8(n), at+int(n)
	}
	for i := range p.row {
		p.row[i] = -1
	}
	for t := range x.tables {
		tb := &x.tables[t]
		for r, o := range tb.owner {
			j := int32(tb.sub[r])
			if j >= int32(p.n[o]) || p.row[p.at[o]+j] >= 0 {
				return fmt.Errorf("%w: table %d row %d is code %d of entry %d", ErrEncoding, t, r, j, o)
			}
			p.row[p.at[o]+j], p.tab[p.at[o]+j] = int32(r), uint8(t)
		}
	}
	return nil
}

// codesOf sums counts into x.codes and returns it.
func (x *Index) codesOf(counts []int32) int {
	x.codes = 0
	for _, n := range counts {
		x.codes += int(n)
	}
	return x.codes
}

// decoder reads little-endian numbers from b at at; the header has
// checked that every read the counts ask for is within b.
type decoder struct {
	b  []byte
	at int
}

func (d *decoder) take(n int) []byte {
	b := d.b[d.at : d.at+n]
	d.at += n
	return b
}

func (d *decoder) u32() uint32 { return binary.LittleEndian.Uint32(d.take(4)) }
func (d *decoder) u64() uint64 { return binary.LittleEndian.Uint64(d.take(8)) }

func (d *decoder) u32s(n int) []uint32 {
	out := make([]uint32, n)
	for i, b := 0, d.take(4*n); i < n; i++ {
		out[i] = binary.LittleEndian.Uint32(b[4*i:])
	}
	return out
}

// string returns the next n bytes as one string.
func (d *decoder) string(n int) string { return string(d.take(n)) }
