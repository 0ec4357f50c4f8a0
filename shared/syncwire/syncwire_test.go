package syncwire

import (
	"bytes"
	"encoding/binary"
	"errors"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/pixmatch/pixmatch/shared/index"
)

// roundTripCases returns the batches that the round trip, prefix and
// flipped-byte tests encode, made with a fixed seed.
func roundTripCases() []struct {
	name  string
	batch Batch
} {
	rnd := rand.New(rand.NewPCG(1, 2))
	long := strings.Repeat("é", MaxStringLen/2)
	allOnes := make([]uint64, MaxCodes)
	for i := range allOnes {
		allOnes[i] = math.MaxUint64
	}
	unsorted := randomBatch(rnd, Delta, 40, 64, 2)
	slices.Reverse(unsorted.Records)
	unicode := Batch{Kind: Snapshot, Fingerprint: 1, Bits: 64, To: int64(len(words))}
	for i, w := range words {
		unicode.Records = append(unicode.Records, Record{
			Seq: uint64(i + 1), Active: true, Codes: []uint64{uint64(i) * 0x9e3779b97f4a7c15},
			Attrs: index.Attributes{Str: [4]string{w, "", w + w, ""}}, Name: w + " 🖼",
		})
	}
	return []struct {
		name  string
		batch Batch
	}{
		{"random snapshot", randomBatch(rnd, Snapshot, 120, 64, 3)},
		{"random delta with deletes", randomBatch(rnd, Delta, 120, 64, 3)},
		{"256-bit codes", randomBatch(rnd, Delta, 60, 256, 8)},
		{"up to 64 codes", randomBatch(rnd, Snapshot, 60, 64, MaxCodes)},
		{"empty snapshot", Batch{Kind: Snapshot, Fingerprint: 1, Bits: 64}},
		{"empty delta", Batch{Kind: Delta, Fingerprint: 1, Bits: 64, From: 9, To: 9}},
		{"unsorted records", unsorted},
		{"unicode names", unicode},
		{"14 and 15 codes", Batch{Kind: Snapshot, Fingerprint: 1, Bits: 64, To: 2, Records: []Record{
			{Seq: 1, Codes: allOnes[:14]}, {Seq: 2, Active: true, Codes: allOnes[:15]},
		}}},
		{"delete with stray fields", Batch{Kind: Delta, Fingerprint: 2, Bits: 64, From: 3, To: 5, Records: []Record{
			{Seq: 4, Deleted: true, Active: true, Codes: []uint64{1}, Name: "gone", Attrs: index.Attributes{Category: 3}},
		}}},
		{"max values", Batch{Kind: Delta, Fingerprint: MaxFingerprint, Bits: 64, From: math.MaxInt64 - 1, To: math.MaxInt64,
			Records: []Record{
				{Seq: 1, Deleted: true},
				{Seq: math.MaxInt64 - 1, Active: true, Codes: allOnes[:1]},
				{Seq: math.MaxInt64, Active: true, Codes: allOnes[:MaxCodes], Name: long, Attrs: index.Attributes{
					Category: math.MinInt32,
					Int:      [4]int32{math.MinInt32, math.MaxInt32, -1, 1},
					Str:      [4]string{long, "\x00", strings.Repeat("z", MaxStringLen), "\xff\xfe"},
				}},
			}}},
	}
}

func TestRoundTrip(t *testing.T) {
	allOnes := make([]uint64, MaxCodes*MaxBits/64)
	for i := range allOnes {
		allOnes[i] = math.MaxUint64
	}
	// The widest codes make a batch too big for the quadratic prefix test.
	widest := Batch{Kind: Snapshot, Fingerprint: 1, Bits: MaxBits, To: 3, Records: []Record{
		{Seq: 1, Codes: allOnes[:MaxBits/64]}, {Seq: 3, Active: true, Codes: allOnes},
	}}
	cases := append(roundTripCases(), struct {
		name  string
		batch Batch
	}{"widest codes", widest})
	for _, tc := range cases {
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

// TestEncodeLayout checks the bytes of a small batch against the layout
// the package doc describes.
func TestEncodeLayout(t *testing.T) {
	b := Batch{Kind: Delta, Fingerprint: 1, Bits: 64, From: 300, To: 301, Records: []Record{
		{Seq: 301, Active: true, Codes: []uint64{0x0807060504030201}, Name: "ab",
			Attrs: index.Attributes{Category: -2, Str: [4]string{"", "c"}}},
		{Seq: 5, Deleted: true},
	}}
	want := []byte{
		'P', 'X', 'S', 'Y', 1, 2, // magic, format, kind
		1, 64, 0xac, 0x02, 0xad, 0x02, 2, // fingerprint, bits, from 300, to 301, count
		5, 0x01, // seq 5, deleted
		0xa8, 0x02, 0x1e, // seq 301 = 5 + 296, flags: 1 code, name, attrs, active
		1, 2, 3, 4, 5, 6, 7, 8, // the code
		0x41, 3, 1, 'c', // mask Category|Str[1], zigzag -2, "c"
		2, 'a', 'b', // name
	}
	if got := mustEncode(t, b); !bytes.Equal(got, want) {
		t.Fatalf("Encode =\n% x\nwant\n% x", got, want)
	}
}

func TestEncodeRefuses(t *testing.T) {
	ok := func() Batch {
		return Batch{Kind: Delta, Fingerprint: 1, Bits: 64, From: 1, To: 10, Records: []Record{
			{Seq: 2, Codes: []uint64{1}}, {Seq: 5, Deleted: true},
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
		{"zero bits", func(b *Batch) { b.Bits = 0 }},
		{"100 bits", func(b *Batch) { b.Bits = 100 }},
		{"too wide", func(b *Batch) { b.Bits = MaxBits + 64 }},
		{"negative from", func(b *Batch) { b.From = -1 }},
		{"from after to", func(b *Batch) { b.From = 11 }},
		{"snapshot from 1", func(b *Batch) { b.Kind = Snapshot; b.Records = b.Records[:1] }},
		{"delete in snapshot", func(b *Batch) { b.Kind = Snapshot; b.From = 0 }},
		{"seq 0", func(b *Batch) { b.Records[0].Seq = 0 }},
		{"seq after to", func(b *Batch) { b.Records[1].Seq = 11 }},
		{"repeated seq", func(b *Batch) { b.Records = append(b.Records, Record{Seq: 2, Codes: []uint64{3}}) }},
		{"put without codes", func(b *Batch) { b.Records[0].Codes = nil }},
		{"codes not whole", func(b *Batch) { b.Bits = 128; b.Records[0].Codes = []uint64{1, 2, 3} }},
		{"65 codes", func(b *Batch) { b.Records[0].Codes = make([]uint64, MaxCodes+1) }},
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
		})
	}
}

// wire builds raw input for the decoding tests. Each method returns a new
// slice, so that one prefix can start many inputs.
type wire []byte

func (w wire) b(bs ...byte) wire  { return append(slices.Clip(w), bs...) }
func (w wire) s(s string) wire    { return append(slices.Clip(w), s...) }
func (w wire) u(v uint64) wire    { return binary.AppendUvarint(slices.Clip(w), v) }
func (w wire) z(v int64) wire     { return binary.AppendVarint(slices.Clip(w), v) }
func (w wire) code(c uint64) wire { return binary.LittleEndian.AppendUint64(slices.Clip(w), c) }

// head returns the header of a batch of fingerprint version 1.
func head(kind byte, bits, from, to, count uint64) wire {
	return wire("PXSY").b(1, kind).u(1).u(bits).u(from).u(to).u(count)
}

func TestDecodeStrict(t *testing.T) {
	snap := head(1, 64, 0, 10, 1)
	delta := head(2, 64, 2, 10, 1)
	tests := []struct {
		name  string
		data  wire
		valid bool
	}{
		// Valid inputs close to the invalid ones below, to show that
		// those fail for the reason their names give.
		{"valid put", snap.u(3).b(0x12).code(7), true},
		{"valid put with all", snap.u(3).b(0x1e).code(7).u(0x1ff).z(-1).z(1).z(2).z(3).z(math.MinInt32).
			u(1).s("a").u(1).s("b").u(1).s("c").u(1).s("d").u(2).s("nm"), true},
		{"valid delete", delta.u(10).b(0x01), true},
		{"valid 64 codes", snap.u(3).b(0xf0).u(MaxCodes - 15).s(strings.Repeat("\x00", 8*MaxCodes)), true},
		{"valid name of MaxStringLen", snap.u(3).b(0x18).code(1).u(MaxStringLen).s(strings.Repeat("n", MaxStringLen)), true},

		{"empty", nil, false},
		{"magic", wire("PXSZ").b(1, 1).u(1).u(64).u(0).u(0).u(0), false},
		{"format version 2", wire("PXSY").b(2, 1).u(1).u(64).u(0).u(0).u(0), false},
		{"kind 0", head(0, 64, 0, 0, 0), false},
		{"kind 3", head(3, 64, 0, 0, 0), false},
		{"bits 0", head(1, 0, 0, 0, 0), false},
		{"bits 96", head(1, 96, 0, 0, 0), false},
		{"bits beyond MaxBits", head(1, MaxBits+64, 0, 0, 0), false},
		{"snapshot from 1", head(1, 64, 1, 2, 0), false},
		{"from after to", head(2, 64, 3, 2, 0), false},
		{"to beyond int64", head(2, 64, 0, 1<<63, 0), false},
		{"fingerprint beyond MaxFingerprint", wire("PXSY").b(1, 1).u(MaxFingerprint + 1).u(64).u(0).u(0).u(0), false},
		{"count beyond MaxRecords", head(1, 64, 0, 0, MaxRecords+1), false},
		{"count beyond input", head(1, 64, 0, 10, 3).u(3).b(0x12).code(7), false},
		{"varint not shortest", wire("PXSY").b(1, 1, 0x81, 0x00).u(64).u(0).u(0).u(0), false},
		{"varint overflow", wire("PXSY").b(1, 1).s(strings.Repeat("\xff", 10)).b(1), false},
		{"trailing byte", snap.u(3).b(0x12).code(7).b(0), false},
		{"seq 0", snap.u(0).b(0x12).code(7), false},
		{"seq repeated", head(1, 64, 0, 10, 2).u(3).b(0x12).code(7).u(0).b(0x12).code(8), false},
		{"seq after to", snap.u(11).b(0x12).code(7), false},
		{"seq sum after to", head(1, 64, 0, 10, 2).u(3).b(0x12).code(7).u(8).b(0x12).code(8), false},
		{"seq overflow", head(2, 64, 0, math.MaxInt64, 2).u(3).b(0x01).u(math.MaxUint64).b(0x01), false},
		{"delete in snapshot", snap.u(3).b(0x01), false},
		{"delete with flags", delta.u(3).b(0x03), false},
		{"delete with codes", delta.u(3).b(0x11).code(7), false},
		{"put without codes", snap.u(3).b(0x02), false},
		{"65 codes", snap.u(3).b(0xf0).u(MaxCodes - 14).s(strings.Repeat("\x00", 8*(MaxCodes+1))), false},
		{"codes cut short", snap.u(3).b(0x22).code(7).b(1, 2, 3), false},
		{"attribute mask 0", snap.u(3).b(0x16).code(7).u(0), false},
		{"attribute mask beyond", snap.u(3).b(0x16).code(7).u(0x200), false},
		{"zero category present", snap.u(3).b(0x16).code(7).u(0x01).z(0), false},
		{"zero int present", snap.u(3).b(0x16).code(7).u(0x04).z(0), false},
		{"int beyond int32", snap.u(3).b(0x16).code(7).u(0x02).z(math.MaxInt32 + 1), false},
		{"int below int32", snap.u(3).b(0x16).code(7).u(0x02).z(math.MinInt32 - 1), false},
		{"empty string present", snap.u(3).b(0x16).code(7).u(0x20).u(0), false},
		{"empty name present", snap.u(3).b(0x1a).code(7).u(0), false},
		{"name beyond MaxStringLen", snap.u(3).b(0x18).code(1).u(MaxStringLen + 1).s(strings.Repeat("n", MaxStringLen+1)), false},
		{"name beyond input", snap.u(3).b(0x18).code(1).u(5).s("abcd"), false},
	}
	for _, tc := range tests {
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
		randomBatch(rnd, Snapshot, 20, 64, 3),
		randomBatch(rnd, Delta, 20, 128, 16),
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
