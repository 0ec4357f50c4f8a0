package syncwire

import (
	"encoding/binary"

	"github.com/pixmatch/pixmatch/shared/feature"
	"github.com/pixmatch/pixmatch/shared/index"
)

// Record flags.
const (
	flagDeleted = 0x01
	flagActive  = 0x02
	flagAttrs   = 0x04
	flagName    = 0x08
	// codeShift is where the number of codes starts in the flags.
	codeShift = 4
	// manyCodes in the high bits says the number of codes follows.
	manyCodes = 15
)

// Attribute presence mask: bit 0 Category, bits 1..4 Int, bits 5..8 Str.
const (
	maskCategory = 1 << 0
	maskInt      = 1 << 1
	maskStr      = 1 << 5
	maskAll      = 1<<9 - 1
)

// Encode returns the wire form of b, described in the package doc. Records
// may come in any order; Encode writes them by ascending Seq. Deleted
// records carry only their Seq, and Attrs.Group is not carried. Encode
// returns an error wrapping ErrFormat if b breaks the format's rules: an
// unknown kind, a number of tables out of range, versions out of order, a
// Seq of 0, repeated or after To, a delete in a snapshot, a put without
// codes, a code in a table not below Tables or with a non-zero check word
// beyond Checks, or more than the limits
// allow.
func Encode(b Batch) ([]byte, error) {
	if err := checkHeader(&b); err != nil {
		return nil, err
	}
	recs, err := checkRecords(&b)
	if err != nil {
		return nil, err
	}
	buf := make([]byte, 0, encodedSize(recs, b.Checks, b.FeatureVersion != 0))
	buf = append(buf, magic...)
	buf = append(buf, FormatVersion, byte(b.Kind))
	buf = binary.AppendUvarint(buf, uint64(b.Fingerprint))
	buf = binary.AppendUvarint(buf, uint64(b.Tables))
	buf = binary.AppendUvarint(buf, uint64(b.Checks))
	buf = binary.AppendUvarint(buf, uint64(b.FeatureVersion))
	buf = binary.AppendUvarint(buf, uint64(b.From))
	buf = binary.AppendUvarint(buf, uint64(b.To))
	buf = binary.AppendUvarint(buf, uint64(len(recs)))
	var prev uint64
	for i := range recs {
		buf = appendRecord(buf, &recs[i], prev, b.Checks)
		if b.FeatureVersion != 0 && !recs[i].Deleted {
			buf = appendFeatures(buf, recs[i].Features)
		}
		prev = recs[i].Seq
	}
	return buf, nil
}

// encodedSize returns an upper bound of the encoded size of a batch of
// recs, with or without their feature records, close enough to allocate
// once.
func encodedSize(recs []Record, checks int, features bool) int {
	n := len(magic) + 2 + 7*binary.MaxVarintLen64
	for i := range recs {
		r := &recs[i]
		n += binary.MaxVarintLen64 + 2
		if r.Deleted {
			continue
		}
		n += CodeSize(checks)*len(r.Codes) + binary.MaxVarintLen16 + len(r.Name)
		if features && r.Features != nil {
			n += binary.MaxVarintLen32 + maxRecordLen(len(r.Features.Features))
		}
		if r.Attrs != (index.Attributes{Group: r.Attrs.Group}) {
			n += 2 + 5*binary.MaxVarintLen32
			for _, s := range r.Attrs.Str {
				n += binary.MaxVarintLen16 + len(s)
			}
		}
	}
	return n
}

// appendRecord appends the wire form of r, which follows a record of Seq
// prev, with checks check words a code, to buf.
func appendRecord(buf []byte, r *Record, prev uint64, checks int) []byte {
	buf = binary.AppendUvarint(buf, r.Seq-prev)
	if r.Deleted {
		return append(buf, flagDeleted)
	}
	var flags byte
	if r.Active {
		flags |= flagActive
	}
	mask := attrMask(&r.Attrs)
	if mask != 0 {
		flags |= flagAttrs
	}
	if r.Name != "" {
		flags |= flagName
	}
	n := len(r.Codes)
	if n < manyCodes {
		buf = append(buf, flags|byte(n)<<codeShift)
	} else {
		buf = append(buf, flags|manyCodes<<codeShift)
		buf = binary.AppendUvarint(buf, uint64(n-manyCodes))
	}
	for i := range r.Codes {
		buf = appendCode(buf, &r.Codes[i], checks)
	}
	if mask != 0 {
		buf = appendAttrs(buf, &r.Attrs, mask)
	}
	if r.Name != "" {
		buf = appendString(buf, r.Name)
	}
	return buf
}

// appendCode appends the table, key and first checks check words of c to
// buf. The caller has checked that the table fits in a byte.
func appendCode(buf []byte, c *index.Code, checks int) []byte {
	buf = append(buf, byte(c.Table))
	buf = binary.LittleEndian.AppendUint64(buf, c.Key)
	for _, w := range c.Checks[:checks] {
		buf = binary.LittleEndian.AppendUint64(buf, w)
	}
	return buf
}

// attrMask returns the mask of a's non-zero fields, Group aside.
func attrMask(a *index.Attributes) uint64 {
	var mask uint64
	if a.Category != 0 {
		mask |= maskCategory
	}
	for i, v := range a.Int {
		if v != 0 {
			mask |= maskInt << i
		}
	}
	for i, s := range a.Str {
		if s != "" {
			mask |= maskStr << i
		}
	}
	return mask
}

// appendAttrs appends the mask and the fields of a it names to buf.
func appendAttrs(buf []byte, a *index.Attributes, mask uint64) []byte {
	buf = binary.AppendUvarint(buf, mask)
	if mask&maskCategory != 0 {
		buf = binary.AppendVarint(buf, int64(a.Category))
	}
	for i, v := range a.Int {
		if mask&(maskInt<<i) != 0 {
			buf = binary.AppendVarint(buf, int64(v))
		}
	}
	for i, s := range a.Str {
		if mask&(maskStr<<i) != 0 {
			buf = appendString(buf, s)
		}
	}
	return buf
}

// maxRecordLen bounds the bytes of a feature record of n features: with
// its enrolment and its cells (feature.RecordLen).
func maxRecordLen(n int) int { return feature.RecordLen(n, 2) }

// appendFeatures appends the length and the encoding of r, or a length of
// 0 when r is nil, to buf. The caller has checked that r encodes.
func appendFeatures(buf []byte, r *feature.Record) []byte {
	if r == nil {
		return append(buf, 0)
	}
	data, _ := r.MarshalBinary()
	buf = binary.AppendUvarint(buf, uint64(len(data)))
	return append(buf, data...)
}

// appendString appends s, prefixed by its length, to buf.
func appendString(buf []byte, s string) []byte {
	buf = binary.AppendUvarint(buf, uint64(len(s)))
	return append(buf, s...)
}
