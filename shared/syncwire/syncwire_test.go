package syncwire

import (
	"bytes"
	"encoding/binary"
	"errors"
	"math"
	"math/rand/v2"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"testing"
	"unsafe"

	"github.com/pixmatch/pixmatch/shared/index"
)

// fullCode returns a code in table t with every bit of its words set.
func fullCode(t int) index.Code {
	return index.Code{Table: t, Key: math.MaxUint64, Checks: [index.Checks]uint64{math.MaxUint64, math.MaxUint64, math.MaxUint64}}
}

// roundTripCases returns the batches that the round trip, prefix and
// flipped-byte tests encode and the fuzz test starts from, made with a
// fixed seed.
func roundTripCases() []struct {
	name  string
	batch Batch
} {
	rnd := rand.New(rand.NewPCG(1, 2))
	long := strings.Repeat("é", MaxStringLen/2)
	full := make([]index.Code, MaxCodes)
	everyTable := make([]index.Code, MaxTables)
	for i := range full {
		full[i] = fullCode(MaxTables - 1)
	}
	for t := range everyTable {
		everyTable[t] = randomCode(rnd, 1, 2)
		everyTable[t].Table = t
	}
	unsorted := randomBatch(rnd, shape{kind: Delta, records: 40, tables: 3, checks: 1, maxCodes: 2})
	slices.Reverse(unsorted.Records)
	unicode := Batch{Kind: Snapshot, Fingerprint: 1, Tables: 1, Checks: 0, To: int64(len(words))}
	for i, w := range words {
		unicode.Records = append(unicode.Records, Record{
			Seq: uint64(i + 1), Active: true, Codes: []index.Code{{Key: uint64(i) * 0x9e3779b97f4a7c15}},
			Attrs: index.Attributes{Str: [4]string{w, "", w + w, ""}}, Name: w + " 🖼",
		})
	}
	return []struct {
		name  string
		batch Batch
	}{
		{"random snapshot, one table, 3 checks", randomBatch(rnd, shape{kind: Snapshot, records: 120, tables: 1, checks: 3, maxCodes: 3})},
		{"random snapshot, no checks", randomBatch(rnd, shape{kind: Snapshot, records: 120, tables: 14, checks: 0, maxCodes: 3})},
		{"random delta with deletes, 1 check", randomBatch(rnd, shape{kind: Delta, records: 120, tables: 14, checks: 1, maxCodes: 3})},
		{"random delta with deletes, 2 checks", randomBatch(rnd, shape{kind: Delta, records: 120, tables: 14, checks: 2, maxCodes: 3})},
		{"64 tables", randomBatch(rnd, shape{kind: Delta, records: 30, tables: MaxTables, checks: 3, maxCodes: 8})},
		{"up to 64 codes", randomBatch(rnd, shape{kind: Snapshot, records: 10, tables: 14, checks: 2, maxCodes: MaxCodes})},
		{"feature records", randomBatch(rnd, shape{kind: Delta, records: 12, tables: 14, checks: 2, maxCodes: 2, features: 3})},
		{"a code in every table", Batch{Kind: Snapshot, Fingerprint: 2, Tables: MaxTables, Checks: 2, To: 1, Records: []Record{
			{Seq: 1, Active: true, Codes: everyTable},
		}}},
		{"only zero words", Batch{Kind: Snapshot, Fingerprint: 0, Tables: 2, Checks: index.Checks, To: 1, Records: []Record{
			{Seq: 1, Codes: make([]index.Code, 2)},
		}}},
		{"empty snapshot", Batch{Kind: Snapshot, Fingerprint: 1, Tables: 1}},
		{"empty delta", Batch{Kind: Delta, Fingerprint: 1, Tables: 14, Checks: 2, From: 9, To: 9}},
		{"unsorted records", unsorted},
		{"unicode names", unicode},
		{"14 and 15 codes", Batch{Kind: Snapshot, Fingerprint: 1, Tables: MaxTables, Checks: 3, To: 2, Records: []Record{
			{Seq: 1, Codes: full[:14]}, {Seq: 2, Active: true, Codes: full[:15]},
		}}},
		{"delete with stray fields", Batch{Kind: Delta, Fingerprint: 2, Tables: 1, Checks: 1, From: 3, To: 5, Records: []Record{
			{Seq: 4, Deleted: true, Active: true, Codes: []index.Code{fullCode(7)}, Name: "gone", Attrs: index.Attributes{Category: 3}},
		}}},
		{"max values", Batch{Kind: Delta, Fingerprint: MaxFingerprint, Tables: MaxTables, Checks: index.Checks,
			From: math.MaxInt64 - 1, To: math.MaxInt64,
			Records: []Record{
				{Seq: 1, Deleted: true},
				{Seq: math.MaxInt64 - 1, Active: true, Codes: full[:1]},
				{Seq: math.MaxInt64, Active: true, Codes: full, Name: long, Attrs: index.Attributes{
					Category: math.MinInt32,
					Int:      [4]int32{math.MinInt32, math.MaxInt32, -1, 1},
					Str:      [4]string{long, "\x00", strings.Repeat("z", MaxStringLen), "\xff\xfe"},
				}},
			}}},
	}
}

func TestRoundTrip(t *testing.T) {
	for _, tc := range roundTripCases() {
		t.Run(tc.name, func(t *testing.T) {
			data := mustEncode(t, tc.batch)
			got, err := Decode(data)
			if err != nil {
				t.Fatalf("Decode: %v", err)
			}
			sameBatch(t, got, tc.batch)
			again := mustEncode(t, got)
			if !bytes.Equal(again, data) {
				t.Fatalf("re-encoding the decoded batch gives other bytes (%d, first %d)", len(again), len(data))
			}
		})
	}
}

// TestRecordSize checks what a put costs on the wire: CodeSize(checks)
// bytes a code, plus its Seq, flags, attributes and name.
func TestRecordSize(t *testing.T) {
	rnd := rand.New(rand.NewPCG(13, 14))
	for checks := range index.Checks + 1 {
		empty := Batch{Kind: Snapshot, Fingerprint: 2, Tables: 14, Checks: checks, To: 1000}
		base := len(mustEncode(t, empty))
		for _, n := range []int{1, 13, 14, 15, MaxCodes} {
			codes := make([]index.Code, n)
			for i := range codes {
				codes[i] = randomCode(rnd, 14, checks)
			}
			b := empty
			b.Records = []Record{{Seq: 1000, Active: true, Codes: codes, Name: "poster-01234"}}
			got := len(mustEncode(t, b)) - base
			// Seq 1000 takes 2 bytes, the flags 1, the name 13, and from 15
			// codes on their number 1 more.
			want := CodeSize(checks)*n + 2 + 1 + 13
			if n >= manyCodes {
				want++
			}
			if got != want {
				t.Errorf("%d checks: a put with %d codes takes %d bytes, want %d", checks, n, got, want)
			}
		}
	}
}

// TestEncodeLayout checks the bytes of a small batch against the layout
// the package doc describes, carrying all, one and none of the check
// words.
func TestEncodeLayout(t *testing.T) {
	checkWords := [index.Checks]uint64{0x1817161514131211, 0x2827262524232221, 0x3837363534333231}
	checkBytes := [index.Checks][]byte{
		{0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17, 0x18},
		{0x21, 0x22, 0x23, 0x24, 0x25, 0x26, 0x27, 0x28},
		{0x31, 0x32, 0x33, 0x34, 0x35, 0x36, 0x37, 0x38},
	}
	for _, checks := range []int{index.Checks, 1, 0} {
		code := index.Code{Table: 2, Key: 0x0807060504030201}
		copy(code.Checks[:checks], checkWords[:checks])
		b := Batch{Kind: Delta, Fingerprint: 1, Tables: 3, Checks: checks, From: 300, To: 301, Records: []Record{
			{Seq: 301, Active: true, Name: "ab", Codes: []index.Code{code},
				Attrs: index.Attributes{Category: -2, Str: [4]string{"", "c"}}},
			{Seq: 5, Deleted: true},
		}}
		want := []byte{
			'P', 'X', 'S', 'Y', FormatVersion, 2, // magic, format, kind
			1, 3, byte(checks), 0, 0xac, 0x02, 0xad, 0x02, 2, // fingerprint, tables, checks, no features, from 300, to 301, count
			5, 0x01, // seq 5, deleted
			0xa8, 0x02, 0x1e, // seq 301 = 5 + 296, flags: 1 code, name, attrs, active
			2,                      // the code's table
			1, 2, 3, 4, 5, 6, 7, 8, // its key
		}
		want = append(want, slices.Concat(checkBytes[:checks]...)...) // its check words
		want = append(want,
			0x41, 3, 1, 'c', // mask Category|Str[1], zigzag -2, "c"
			2, 'a', 'b', // name
		)
		if got := mustEncode(t, b); !bytes.Equal(got, want) {
			t.Fatalf("%d checks: Encode =\n% x\nwant\n% x", checks, got, want)
		}
	}
}

func TestEncodeRefuses(t *testing.T) {
	ok := func() Batch {
		return Batch{Kind: Delta, Fingerprint: 1, Tables: 4, Checks: 2, From: 1, To: 10, Records: []Record{
			{Seq: 2, Codes: []index.Code{{Table: 3, Key: 1, Checks: [index.Checks]uint64{2, 3}}}}, {Seq: 5, Deleted: true},
		}}
	}
	tests := []struct {
		name   string
		change func(b *Batch)
	}{
		{"kind 0", func(b *Batch) { b.Kind = 0 }},
		{"kind 3", func(b *Batch) { b.Kind = 3 }},
		{"negative fingerprint", func(b *Batch) { b.Fingerprint = -1 }},
		{"huge fingerprint", func(b *Batch) { b.Fingerprint = MaxFingerprint + 1 }},
		{"no tables", func(b *Batch) { b.Tables = 0 }},
		{"negative tables", func(b *Batch) { b.Tables = -1 }},
		{"65 tables", func(b *Batch) { b.Tables = MaxTables + 1 }},
		{"negative checks", func(b *Batch) { b.Checks = -1 }},
		{"4 checks", func(b *Batch) { b.Checks = index.Checks + 1 }},
		{"check word beyond checks", func(b *Batch) { b.Records[0].Codes[0].Checks[2] = 1 }},
		{"fewer checks than the codes carry", func(b *Batch) { b.Checks = 1 }},
		{"second code's check beyond checks", func(b *Batch) {
			b.Records[0].Codes = append(b.Records[0].Codes, index.Code{Checks: [index.Checks]uint64{0, 0, 1 << 63}})
		}},
		{"negative from", func(b *Batch) { b.From = -1 }},
		{"from after to", func(b *Batch) { b.From = 11 }},
		{"snapshot from 1", func(b *Batch) { b.Kind = Snapshot; b.Records = b.Records[:1] }},
		{"delete in snapshot", func(b *Batch) { b.Kind = Snapshot; b.From = 0 }},
		{"seq 0", func(b *Batch) { b.Records[0].Seq = 0 }},
		{"seq after to", func(b *Batch) { b.Records[1].Seq = 11 }},
		{"repeated seq", func(b *Batch) {
			b.Records = append(b.Records, Record{Seq: 2, Codes: []index.Code{{Key: 3}}})
		}},
		{"put without codes", func(b *Batch) { b.Records[0].Codes = nil }},
		{"put with empty codes", func(b *Batch) { b.Records[0].Codes = []index.Code{} }},
		{"65 codes", func(b *Batch) { b.Records[0].Codes = make([]index.Code, MaxCodes+1) }},
		{"table equal to tables", func(b *Batch) { b.Records[0].Codes[0].Table = 4 }},
		{"table beyond a byte", func(b *Batch) { b.Records[0].Codes[0].Table = 256 }},
		{"negative table", func(b *Batch) { b.Records[0].Codes[0].Table = -1 }},
		{"second code's table out of range", func(b *Batch) {
			b.Records[0].Codes = append(b.Records[0].Codes, index.Code{Table: 9})
		}},
		{"fewer tables than the codes use", func(b *Batch) { b.Tables = 3 }},
		{"long name", func(b *Batch) { b.Records[0].Name = strings.Repeat("n", MaxStringLen+1) }},
		{"long string attribute", func(b *Batch) { b.Records[0].Attrs.Str[3] = strings.Repeat("s", MaxStringLen+1) }},
	}
	if _, err := Encode(ok()); err != nil {
		t.Fatalf("Encode of the unchanged batch: %v", err)
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			b := ok()
			tc.change(&b)
			data, err := Encode(b)
			if !errors.Is(err, ErrFormat) {
				t.Fatalf("Encode = %d bytes, %v; want an error wrapping ErrFormat", len(data), err)
			}
			t.Logf("%v", err)
		})
	}
}

// wire builds raw input for the decoding tests. Each method returns a new
// slice, so that one prefix can start many inputs.
type wire []byte

func (w wire) b(bs ...byte) wire { return append(slices.Clip(w), bs...) }
func (w wire) s(s string) wire   { return append(slices.Clip(w), s...) }
func (w wire) u(v uint64) wire   { return binary.AppendUvarint(slices.Clip(w), v) }
func (w wire) z(v int64) wire    { return binary.AppendVarint(slices.Clip(w), v) }

// code appends a code in table t with the given key and index.Checks
// check words made from it.
func (w wire) code(t byte, key uint64) wire { return w.codeOf(index.Checks, t, key) }

// codeOf appends a code in table t with the given key and the first checks
// of the check words that code makes from it.
func (w wire) codeOf(checks int, t byte, key uint64) wire {
	w = append(slices.Clip(w), t)
	for _, v := range []uint64{key, ^key, key << 1, key >> 1}[:1+checks] {
		w = binary.LittleEndian.AppendUint64(w, v)
	}
	return w
}

// head returns the header of a batch of fingerprint version 1 that
// carries no feature records.
func head(kind byte, tables, checks, from, to, count uint64) wire {
	return headOf(kind, tables, checks, 0, from, to, count)
}

// headOf returns the header of a batch of fingerprint version 1 whose
// feature records are of version features (0: none carried).
func headOf(kind byte, tables, checks, features, from, to, count uint64) wire {
	return wire("PXSY").b(FormatVersion, kind).u(1).u(tables).u(checks).u(features).u(from).u(to).u(count)
}

// formatOne is a snapshot at version 3 of one target in format 1, whose
// header had a code width where format 2 has tables and whose codes were
// bare 8-byte words.
var formatOne = wire("PXSY").b(1, 1).u(1).u(64).u(0).u(3).u(1).u(3).b(0x12).b(1, 2, 3, 4, 5, 6, 7, 8)

// formatTwo is a snapshot at version 10 of one target in format 2, whose
// header had no feature version.
var formatTwo = wire("PXSY").b(2, 1).u(1).u(4).u(3).u(0).u(10).u(1).u(3).b(0x12).code(0, 7)

// decodeCase is a hand-made input for Decode, valid or not.
type decodeCase struct {
	name  string
	data  wire
	valid bool
}

// decodeCases returns hand-made inputs for Decode, valid and not; snapshots
// have 4 tables and, unless their names say otherwise, index.Checks
// checks.
func decodeCases() []decodeCase {
	snap := head(1, 4, index.Checks, 0, 10, 1)
	delta := head(2, 4, index.Checks, 2, 10, 1)
	snapOf := func(checks uint64) wire { return head(1, 4, checks, 0, 10, 1) }
	zeros := func(codes int) string { return strings.Repeat("\x00", CodeSize(index.Checks)*codes) }
	return append([]decodeCase{
		// Valid inputs close to the invalid ones below, to show that
		// those fail for the reason their names give.
		{"valid put", snap.u(3).b(0x12).code(0, 7), true},
		{"valid put in the last table", snap.u(3).b(0x12).code(3, 7), true},
		{"valid put with all", snap.u(3).b(0x1e).code(1, 7).u(0x1ff).z(-1).z(1).z(2).z(3).z(math.MinInt32).
			u(1).s("a").u(1).s("b").u(1).s("c").u(1).s("d").u(2).s("nm"), true},
		{"valid delete", delta.u(10).b(0x01), true},
		{"valid 64 codes", snap.u(3).b(0xf0).u(MaxCodes - 15).s(zeros(MaxCodes)), true},
		{"valid 64 tables", head(1, MaxTables, index.Checks, 0, 10, 1).u(3).b(0x20).code(MaxTables-1, 7).code(0, 8), true},
		{"valid put with no checks", snapOf(0).u(3).b(0x22).codeOf(0, 1, 7).codeOf(0, 3, 8), true},
		{"valid put with 1 check", snapOf(1).u(3).b(0x22).codeOf(1, 1, 7).codeOf(1, 3, 8), true},
		{"valid put with 2 checks", snapOf(2).u(3).b(0x22).codeOf(2, 1, 7).codeOf(2, 3, 8), true},
		{"valid delete with no checks", head(2, 4, 0, 2, 10, 1).u(10).b(0x01), true},
		{"valid name of MaxStringLen", snap.u(3).b(0x18).code(2, 1).u(MaxStringLen).s(strings.Repeat("n", MaxStringLen)), true},

		{"empty", nil, false},
		{"magic", wire("PXSZ").b(FormatVersion, 1).u(1).u(4).u(3).u(0).u(0).u(0).u(0), false},
		{"format version 1", formatOne, false},
		{"format version 2", formatTwo, false},
		{"format version 4", wire("PXSY").b(4, 1).u(1).u(4).u(3).u(0).u(0).u(0).u(0), false},
		{"kind 0", head(0, 4, 3, 0, 0, 0), false},
		{"kind 3", head(3, 4, 3, 0, 0, 0), false},
		{"no tables", head(1, 0, 3, 0, 0, 0), false},
		{"65 tables", head(1, MaxTables+1, 3, 0, 0, 0), false},
		{"tables not shortest", wire("PXSY").b(FormatVersion, 1).u(1).b(0x84, 0x00).u(3).u(0).u(0).u(0).u(0), false},
		{"4 checks", head(1, 4, index.Checks+1, 0, 0, 0), false},
		{"4 checks with a put of 4 check words", head(1, 4, index.Checks+1, 0, 10, 1).u(3).b(0x12).code(0, 7).b(9, 9, 9, 9, 9, 9, 9, 9), false},
		{"checks beyond a byte", head(1, 4, 1<<20, 0, 0, 0), false},
		{"checks not shortest", wire("PXSY").b(FormatVersion, 1).u(1).u(4).b(0x82, 0x00).u(0).u(0).u(0).u(0), false},
		{"snapshot from 1", head(1, 4, 3, 1, 2, 0), false},
		{"from after to", head(2, 4, 3, 3, 2, 0), false},
		{"to beyond int64", head(2, 4, 3, 0, 1<<63, 0), false},
		{"fingerprint beyond MaxFingerprint", wire("PXSY").b(FormatVersion, 1).u(MaxFingerprint + 1).u(4).u(3).u(0).u(0).u(0).u(0), false},
		{"count beyond MaxRecords", head(1, 4, 3, 0, 0, MaxRecords+1), false},
		{"count beyond input", head(1, 4, 3, 0, 10, 3).u(3).b(0x12).code(0, 7), false},
		{"varint not shortest", wire("PXSY").b(FormatVersion, 1, 0x81, 0x00).u(4).u(3).u(0).u(0).u(0).u(0), false},
		{"varint overflow", wire("PXSY").b(FormatVersion, 1).s(strings.Repeat("\xff", 10)).b(1), false},
		{"trailing byte", snap.u(3).b(0x12).code(0, 7).b(0), false},
		{"seq 0", snap.u(0).b(0x12).code(0, 7), false},
		{"seq repeated", head(1, 4, 3, 0, 10, 2).u(3).b(0x12).code(0, 7).u(0).b(0x12).code(0, 8), false},
		{"seq after to", snap.u(11).b(0x12).code(0, 7), false},
		{"seq sum after to", head(1, 4, 3, 0, 10, 2).u(3).b(0x12).code(0, 7).u(8).b(0x12).code(0, 8), false},
		{"seq overflow", head(2, 4, 3, 0, math.MaxInt64, 2).u(3).b(0x01).u(math.MaxUint64).b(0x01), false},
		{"delete in snapshot", snap.u(3).b(0x01), false},
		{"delete with flags", delta.u(3).b(0x03), false},
		{"delete with codes", delta.u(3).b(0x11).code(0, 7), false},
		{"put without codes", snap.u(3).b(0x02), false},
		{"65 codes", snap.u(3).b(0xf0).u(MaxCodes - 14).s(zeros(MaxCodes + 1)), false},
		{"table equal to tables", snap.u(3).b(0x12).code(4, 7), false},
		{"table 255", snap.u(3).b(0x12).code(255, 7), false},
		{"second code's table out of range", snap.u(3).b(0x22).code(0, 7).code(9, 8), false},
		{"table beyond 64 tables", head(1, MaxTables, 3, 0, 10, 1).u(3).b(0x12).code(MaxTables, 7), false},
		{"codes cut short", snap.u(3).b(0x22).code(0, 7).b(1, 2, 3), false},
		{"code cut short in its check words", snap.u(3).b(0x12).s(zeros(1)[1:]), false},
		{"code count beyond input", snap.u(3).b(0xf0).u(MaxCodes - 15).s(zeros(2)), false},
		{"code of no checks cut short", snapOf(0).u(3).b(0x12).codeOf(0, 0, 7)[:len(snapOf(0))+2+CodeSize(0)-1], false},
		{"code of 2 checks cut short", snapOf(2).u(3).b(0x12).codeOf(2, 0, 7)[:len(snapOf(2))+2+CodeSize(2)-1], false},
		{"second code of 1 check cut short", snapOf(1).u(3).b(0x22).codeOf(1, 0, 7).codeOf(0, 0, 8), false},
		{"code of 2 checks in a batch of 3", snap.u(3).b(0x12).codeOf(2, 0, 7), false},
		{"code of 3 checks in a batch of 2", snapOf(2).u(3).b(0x12).code(0, 7), false},
		{"code of 1 check in a batch of none", snapOf(0).u(3).b(0x12).codeOf(1, 0, 7), false},
		{"attribute mask 0", snap.u(3).b(0x16).code(0, 7).u(0), false},
		{"attribute mask beyond", snap.u(3).b(0x16).code(0, 7).u(0x200), false},
		{"zero category present", snap.u(3).b(0x16).code(0, 7).u(0x01).z(0), false},
		{"zero int present", snap.u(3).b(0x16).code(0, 7).u(0x04).z(0), false},
		{"int beyond int32", snap.u(3).b(0x16).code(0, 7).u(0x02).z(math.MaxInt32 + 1), false},
		{"int below int32", snap.u(3).b(0x16).code(0, 7).u(0x02).z(math.MinInt32 - 1), false},
		{"empty string present", snap.u(3).b(0x16).code(0, 7).u(0x20).u(0), false},
		{"empty name present", snap.u(3).b(0x1a).code(0, 7).u(0), false},
		{"name beyond MaxStringLen", snap.u(3).b(0x18).code(0, 1).u(MaxStringLen + 1).s(strings.Repeat("n", MaxStringLen+1)), false},
		{"name beyond input", snap.u(3).b(0x18).code(0, 1).u(5).s("abcd"), false},
	}, featureDecodeCases()...)
}

func TestDecodeStrict(t *testing.T) {
	for _, tc := range decodeCases() {
		t.Run(tc.name, func(t *testing.T) {
			b, err := Decode(tc.data)
			switch {
			case tc.valid && err != nil:
				t.Fatalf("Decode: %v", err)
			case tc.valid:
				if again := mustEncode(t, b); !bytes.Equal(again, tc.data) {
					t.Fatalf("re-encoded as\n% x\nwant\n% x", again, []byte(tc.data))
				}
			case !errors.Is(err, ErrFormat):
				t.Fatalf("Decode = %+v, %v; want an error wrapping ErrFormat", header(b), err)
			default:
				t.Logf("%v", err)
			}
		})
	}
}

// TestDecodeRefusesOldFormats checks that a batch of an old format is
// refused with a message that says so, rather than misread.
func TestDecodeRefusesOldFormats(t *testing.T) {
	for v, data := range map[int]wire{1: formatOne, 2: formatTwo} {
		_, err := Decode(data)
		if !errors.Is(err, ErrFormat) {
			t.Fatalf("Decode of a format %d batch = %v, want an error wrapping ErrFormat", v, err)
		}
		if msg := err.Error(); !strings.Contains(msg, "format version "+strconv.Itoa(v)) || !strings.Contains(msg, "no longer read") {
			t.Fatalf("Decode of a format %d batch: %q does not say that format %d is no longer read", v, msg, v)
		}
	}
}

// TestDecodeTablesOutOfRange checks that every table not below a batch's
// tables is refused, and every table below it decoded as written.
func TestDecodeTablesOutOfRange(t *testing.T) {
	for _, tables := range []int{1, 2, 14, MaxTables} {
		for table := range 256 {
			data := head(1, uint64(tables), index.Checks, 0, 1, 1).u(1).b(0x10).code(byte(table), 0xfeed)
			b, err := Decode(data)
			switch {
			case table < tables && err != nil:
				t.Fatalf("%d tables, code in table %d: %v", tables, table, err)
			case table < tables && b.Records[0].Codes[0].Table != table:
				t.Fatalf("%d tables, code in table %d decoded in table %d", tables, table, b.Records[0].Codes[0].Table)
			case table >= tables && !errors.Is(err, ErrFormat):
				t.Fatalf("%d tables, code in table %d: Decode = %v, want an error wrapping ErrFormat", tables, table, err)
			}
		}
	}
}

// TestDecodeAllocatesByInput checks that a record claiming one code more
// than the input holds is refused before its codes are allocated: a slab
// for them would take more than the whole input.
func TestDecodeAllocatesByInput(t *testing.T) {
	data := head(1, 4, index.Checks, 0, 10, 1).u(3).b(0xf0).u(MaxCodes - 15).s(strings.Repeat("\x00", CodeSize(index.Checks)*(MaxCodes-1)))
	const runs = 100
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	for range runs {
		if _, err := Decode(data); !errors.Is(err, ErrFormat) {
			t.Fatalf("Decode = %v, want ErrFormat", err)
		}
	}
	runtime.ReadMemStats(&after)
	perRun := (after.TotalAlloc - before.TotalAlloc) / runs
	slab := uint64(MaxCodes) * uint64(unsafe.Sizeof(index.Code{}))
	t.Logf("%d bytes of input, %d allocated per Decode; the codes would take %d", len(data), perRun, slab)
	if perRun >= slab/2 {
		t.Fatalf("Decode allocates %d bytes per run for %d bytes of input", perRun, len(data))
	}
}

func TestDecodeRefusesPrefixes(t *testing.T) {
	for _, tc := range roundTripCases() {
		t.Run(tc.name, func(t *testing.T) {
			data := mustEncode(t, tc.batch)
			for n := range len(data) {
				if b, err := Decode(data[:n:n]); !errors.Is(err, ErrFormat) {
					t.Fatalf("Decode of the first %d of %d bytes = %d records, %v; want ErrFormat",
						n, len(data), len(b.Records), err)
				}
			}
		})
	}
}

// TestDecodeFlippedBytes flips every bit of valid encodings in turn: the
// result either is refused or is a batch that re-encodes to it.
func TestDecodeFlippedBytes(t *testing.T) {
	rnd := rand.New(rand.NewPCG(3, 4))
	batches := []Batch{
		randomBatch(rnd, shape{kind: Snapshot, records: 20, tables: 1, checks: 3, maxCodes: 3}),
		randomBatch(rnd, shape{kind: Delta, records: 20, tables: 14, checks: 1, maxCodes: 16}),
		randomBatch(rnd, shape{kind: Snapshot, records: 8, tables: 14, checks: 2, maxCodes: 2, features: 4}),
	}
	for i, b := range batches {
		data := mustEncode(t, b)
		decoded := 0
		for pos := range data {
			for bit := range 8 {
				bad := slices.Clone(data)
				bad[pos] ^= 1 << bit
				got, err := Decode(bad)
				if err != nil {
					if !errors.Is(err, ErrFormat) {
						t.Fatalf("batch %d, byte %d bit %d: error %v does not wrap ErrFormat", i, pos, bit, err)
					}
					continue
				}
				decoded++
				if again := mustEncode(t, got); !bytes.Equal(again, bad) {
					t.Fatalf("batch %d, byte %d bit %d: decodes, but re-encodes to other bytes", i, pos, bit)
				}
			}
		}
		t.Logf("batch %d: %d of %d one-bit changes still decode (in codes, flags, values)", i, decoded, 8*len(data))
	}
}

func TestKindString(t *testing.T) {
	for k, want := range map[Kind]string{Snapshot: "snapshot", Delta: "delta", 7: "kind(7)"} {
		if got := k.String(); got != want {
			t.Errorf("Kind(%d).String() = %q, want %q", uint8(k), got, want)
		}
	}
}
