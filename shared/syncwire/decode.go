package syncwire

import (
	"bytes"
	"encoding/binary"
	"math"
	"strconv"

	"github.com/pixmatch/pixmatch/shared/feature"
	"github.com/pixmatch/pixmatch/shared/index"
)

// slabCodes is the number of codes Decode allocates at a time for the
// records' codes, unless fewer remain in the input.
const slabCodes = 1024

// Decode parses a batch written by Encode. It is strict: input that Encode
// would not have written, including trailing bytes and varints longer than
// needed, is an error wrapping ErrFormat. Decode never panics, and checks
// every count and length against the input left before allocating.
func Decode(data []byte) (Batch, error) {
	d := decoder{data: data}
	b := d.header()
	if d.err != "" {
		return Batch{}, malformed(d.err)
	}
	n := d.count()
	if d.err != "" {
		return Batch{}, malformed(d.err)
	}
	b.Records = make([]Record, n)
	var prev uint64
	for i := range b.Records {
		r := &b.Records[i]
		d.record(r, prev, &b)
		if d.err != "" {
			return Batch{}, malformed("record " + strconv.Itoa(i) + " at byte " + strconv.Itoa(d.off) + ": " + d.err)
		}
		prev = r.Seq
	}
	if d.off != len(d.data) {
		return Batch{}, malformed(strconv.Itoa(len(d.data)-d.off) + " bytes after the last record")
	}
	return b, nil
}

// decoder reads a batch. The first problem it meets sticks in err; once
// err is set, every method returns zero values and reads nothing.
type decoder struct {
	data []byte
	off  int
	err  string
	// slab is where codes are decoded to: each record's codes are a
	// capacity-limited slice of it.
	slab []index.Code
}

// fail records what went wrong unless something already had. An empty
// what records nothing.
func (d *decoder) fail(what string) {
	if d.err == "" {
		d.err = what
	}
}

// left returns the number of bytes not yet read.
func (d *decoder) left() int { return len(d.data) - d.off }

// header reads the fields of a batch up to its record count and checks
// them.
func (d *decoder) header() Batch {
	if d.left() < len(magic)+2 || string(d.data[:len(magic)]) != magic {
		d.fail("no " + strconv.Quote(magic) + " header")
		return Batch{}
	}
	switch v := d.data[len(magic)]; {
	case v >= 1 && v < FormatVersion:
		d.fail("format version " + strconv.Itoa(int(v)) + ", which is no longer read; want " + strconv.Itoa(FormatVersion))
		return Batch{}
	case v != FormatVersion:
		d.fail("format version " + strconv.Itoa(int(v)) + ", want " + strconv.Itoa(FormatVersion))
		return Batch{}
	}
	b := Batch{Kind: Kind(d.data[len(magic)+1])}
	d.off = len(magic) + 2
	b.Fingerprint = int(d.uvarint("fingerprint version", MaxFingerprint))
	b.Tables = int(d.uvarint("number of tables", MaxTables))
	b.Checks = int(d.uvarint("number of checks", index.Checks))
	b.FeatureVersion = int(d.uvarint("feature version", math.MaxUint16))
	b.From = int64(d.uvarint("from version", math.MaxInt64))
	b.To = int64(d.uvarint("to version", math.MaxInt64))
	if d.err == "" {
		d.fail(headerProblem(&b))
	}
	return b
}

// count reads the number of records and checks it against the limit and
// against the input left, each record taking at least two bytes.
func (d *decoder) count() int {
	n := int(d.uvarint("record count", MaxRecords))
	if n > d.left()/2 {
		d.fail(strconv.Itoa(n) + " records in " + strconv.Itoa(d.left()) + " bytes")
		return 0
	}
	return n
}

// uvarint reads a uvarint in its shortest form, at most limit.
func (d *decoder) uvarint(what string, limit uint64) uint64 {
	if d.err != "" {
		return 0
	}
	v, n := binary.Uvarint(d.data[d.off:])
	switch {
	case n == 0:
		d.fail(what + " cut short")
		return 0
	case n < 0:
		d.fail(what + " overflows 64 bits")
		return 0
	case n > 1 && d.data[d.off+n-1] == 0:
		d.fail(what + " is not in its shortest form")
		return 0
	case v > limit:
		d.fail(what + " " + strconv.FormatUint(v, 10) + " is more than " + strconv.FormatUint(limit, 10))
		return 0
	}
	d.off += n
	return v
}

// int32 reads a zigzag varint that fits in an int32.
func (d *decoder) int32(what string) int32 {
	u := d.uvarint(what, math.MaxUint32)
	v := int64(u >> 1)
	if u&1 != 0 {
		v = ^v
	}
	return int32(v) // u <= MaxUint32 keeps v within int32
}

// byte reads one byte.
func (d *decoder) byte(what string) byte {
	if d.err != "" {
		return 0
	}
	if d.left() < 1 {
		d.fail(what + " cut short")
		return 0
	}
	d.off++
	return d.data[d.off-1]
}

// string reads a non-empty string of at most MaxStringLen bytes.
func (d *decoder) string(what string) string {
	n := int(d.uvarint(what+" length", MaxStringLen))
	switch {
	case d.err != "":
		return ""
	case n == 0:
		d.fail("empty " + what + " present")
		return ""
	case n > d.left():
		d.fail(what + " of " + strconv.Itoa(n) + " bytes cut short")
		return ""
	}
	s := string(d.data[d.off : d.off+n])
	d.off += n
	return s
}

// record reads into r the record that follows one of Seq prev in batch b.
func (d *decoder) record(r *Record, prev uint64, b *Batch) {
	delta := d.uvarint("seq", math.MaxUint64)
	flags := d.byte("flags")
	if d.err != "" {
		return
	}
	switch {
	case delta == 0:
		d.fail("seq not above the previous one")
		return
	case delta > uint64(b.To)-prev:
		d.fail("seq after the batch's version " + itoa64(b.To))
		return
	}
	r.Seq = prev + delta
	if flags&flagDeleted != 0 {
		switch {
		case flags != flagDeleted:
			d.fail("flags other than deleted on a delete")
		case b.Kind == Snapshot:
			d.fail("a delete in a snapshot")
		}
		r.Deleted = true
		return
	}
	r.Active = flags&flagActive != 0
	n := int(flags >> codeShift)
	switch {
	case n == manyCodes:
		n += int(d.uvarint("code count", MaxCodes-manyCodes))
	case n == 0:
		d.fail("a put without codes")
	}
	r.Codes = d.codes(n, b.Tables, b.Checks)
	if flags&flagAttrs != 0 {
		d.attrs(&r.Attrs)
	}
	if flags&flagName != 0 {
		r.Name = d.string("name")
	}
	if b.FeatureVersion != 0 {
		r.Features = d.features()
	}
}

// features reads a length and the feature record of that many bytes, nil
// for a length of 0. The record's decoding checks its length against its
// count of features before allocating them; a record that would not
// encode to the same bytes again is refused.
func (d *decoder) features() *feature.Record {
	n := int(d.uvarint("feature record length", uint64(maxRecordLen(MaxFeatures))))
	switch {
	case d.err != "" || n == 0:
		return nil
	case n > d.left():
		d.fail("feature record of " + strconv.Itoa(n) + " bytes cut short")
		return nil
	}
	data := d.data[d.off : d.off+n]
	r := new(feature.Record)
	if err := r.UnmarshalBinary(data); err != nil {
		d.fail(err.Error())
		return nil
	}
	if what := featureCountProblem(len(r.Features)); what != "" {
		d.fail(what)
		return nil
	}
	if again, _ := r.MarshalBinary(); !bytes.Equal(again, data) {
		d.fail("feature record not in the form it encodes to")
		return nil
	}
	d.off += n
	return r
}

// codes reads n codes, each in a table below tables, with checks check
// words.
func (d *decoder) codes(n, tables, checks int) []index.Code {
	if d.err != "" {
		return nil
	}
	size := CodeSize(checks)
	if n > d.left()/size {
		d.fail(strconv.Itoa(n) + " codes cut short: " + strconv.Itoa(d.left()) + " bytes left")
		return nil
	}
	if cap(d.slab)-len(d.slab) < n {
		d.slab = make([]index.Code, 0, max(n, min(slabCodes, d.left()/size)))
	}
	start, end := len(d.slab), len(d.slab)+n
	d.slab = d.slab[:end]
	codes := d.slab[start:end:end]
	for j := range codes {
		src := d.data[d.off : d.off+size]
		c := &codes[j]
		c.Table = int(src[0])
		if c.Table >= tables {
			d.fail(tableProblem(j, c.Table, tables))
			return nil
		}
		c.Key = binary.LittleEndian.Uint64(src[1:])
		for k := range checks {
			c.Checks[k] = binary.LittleEndian.Uint64(src[9+8*k:])
		}
		d.off += size
	}
	return codes
}

// attrs reads a presence mask and the attributes it names into a.
func (d *decoder) attrs(a *index.Attributes) {
	mask := d.uvarint("attribute mask", maskAll)
	if mask == 0 && d.err == "" {
		d.fail("empty attribute mask")
		return
	}
	if mask&maskCategory != 0 {
		if a.Category = d.int32("category"); a.Category == 0 {
			d.fail("zero category present")
		}
	}
	for i := range a.Int {
		if mask&(maskInt<<i) != 0 {
			if a.Int[i] = d.int32("int attribute"); a.Int[i] == 0 {
				d.fail("zero int attribute present")
			}
		}
	}
	for i := range a.Str {
		if mask&(maskStr<<i) != 0 {
			a.Str[i] = d.string("string attribute")
		}
	}
}
