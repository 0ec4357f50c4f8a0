package wasmdata

import (
	"bytes"
	"encoding/binary"
	"errors"
	"math/rand/v2"
	"testing"
)

// memory is the initial memory segs make, as an instance starts with it.
func memory(segs []Segment) []byte {
	var mem []byte
	for _, s := range segs {
		if end := int(s.Offset) + len(s.Data); end > len(mem) {
			mem = append(mem, make([]byte, end-len(mem))...)
		}
		copy(mem[s.Offset:], s.Data)
	}
	return mem
}

// module is a WebAssembly module of a type section, the data section of
// segs and a custom section, around the data as Go's linker puts it.
func module(segs []Segment) []byte {
	m := append([]byte(nil), magic...)
	m = appendSection(m, 1, []byte{1, 0x60, 0, 0})
	m = appendSection(m, sectionData, encode(segs))
	return appendSection(m, 0, append([]byte{4}, "name"...))
}

// goLike is data as Go writes it: runs of bytes separated by short and
// long runs of zeros, the segments out of address order.
func goLike(r *rand.Rand) []Segment {
	var segs []Segment
	off := uint32(4096)
	for range 500 {
		data := make([]byte, 1+r.IntN(40))
		for i := range data {
			data[i] = byte(1 + r.IntN(255))
		}
		segs = append(segs, Segment{Offset: off, Data: data})
		off += uint32(len(data)) + 8 + uint32(r.IntN(64))
		if r.IntN(100) == 0 {
			off += 1 << 20 // another section, far away
		}
	}
	r.Shuffle(len(segs), func(i, j int) { segs[i], segs[j] = segs[j], segs[i] })
	return segs
}

// TestPackKeepsTheMemory: the packed module starts with the same memory,
// in far fewer segments, and every other section is unchanged.
func TestPackKeepsTheMemory(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	segs := goLike(r)
	in := module(segs)
	out, before, after, err := Pack(in)
	if err != nil {
		t.Fatal(err)
	}
	if before != len(segs) || after >= before/10 {
		t.Fatalf("segments %d -> %d, want %d -> under a tenth", before, after, len(segs))
	}
	got := module(nil)
	packed, err := dataOf(out)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(memory(packed), memory(segs)) {
		t.Fatal("the packed module's memory differs from the original's")
	}
	// The sections around the data are the same bytes.
	pre := module(nil)[:len(magic)+6]
	if !bytes.HasPrefix(out, pre) || !bytes.HasSuffix(out, got[len(got)-7:]) {
		t.Fatal("the sections around the data changed")
	}
	for _, s := range packed {
		if len(s.Data) > 0 && (s.Data[0] == 0 || s.Data[len(s.Data)-1] == 0) {
			t.Fatalf("segment at %d starts or ends with a zero Go's data never had there", s.Offset)
		}
	}
}

// dataOf parses the data section of module m.
func dataOf(m []byte) ([]Segment, error) {
	rest := m[len(magic):]
	for len(rest) > 0 {
		size, n := binary.Uvarint(rest[1:])
		body := rest[1+n : 1+n+int(size)]
		if rest[0] == sectionData {
			return Segments(body)
		}
		rest = rest[1+n+int(size):]
	}
	return nil, errors.New("no data section")
}

// TestJoinKeepsFarSegmentsApart: a gap over MaxGap is not written out.
func TestJoinKeepsFarSegmentsApart(t *testing.T) {
	far := uint32(103 + MaxGap + 1) // one past the longest gap after 100..103
	segs := []Segment{
		{Offset: far + 2, Data: []byte{9}},
		{Offset: 100, Data: []byte{1, 2, 3}},
		{Offset: far, Data: []byte{7}},
	}
	got := Join(segs, MaxGap)
	if len(got) != 2 || got[0].Offset != 100 || len(got[0].Data) != 3 || got[1].Offset != far || !bytes.Equal(got[1].Data, []byte{7, 0, 9}) {
		t.Fatalf("Join = %d segments, the first at %d", len(got), got[0].Offset)
	}
	if !bytes.Equal(memory(got), memory(segs)) {
		t.Fatal("memory differs")
	}
}

// TestPackRefusesWhatGoDoesNotWrite: passive segments, a data count
// section, a truncated module and a foreign file are refused, not changed.
func TestPackRefusesWhatGoDoesNotWrite(t *testing.T) {
	passive := append([]byte(nil), magic...)
	passive = appendSection(passive, sectionData, []byte{1, 1, 2, 'h', 'i'})
	count := appendSection(module([]Segment{{Offset: 8, Data: []byte{1}}}), sectionDataCount, []byte{1})
	truncated := module([]Segment{{Offset: 8, Data: []byte{1, 2, 3}}})
	truncated = truncated[:len(truncated)-9]
	for name, m := range map[string][]byte{
		"passive segment": passive, "data count": count, "truncated": truncated,
		"not wasm": []byte("\x7fELF\x02\x01\x01\x00"),
	} {
		if out, _, _, err := Pack(m); !errors.Is(err, ErrUnsupported) || out != nil {
			t.Errorf("%s: Pack = %d bytes, %v; want ErrUnsupported", name, len(out), err)
		}
	}
}

// TestSignedOffsets: offsets whose LEB128 form needs the sign bit's extra
// byte survive the round trip.
func TestSignedOffsets(t *testing.T) {
	for _, off := range []uint32{0, 63, 64, 127, 128, 8191, 8192, 1 << 20, 1<<31 - 1} {
		segs := []Segment{{Offset: off, Data: []byte{5}}}
		got, err := Segments(encode(segs))
		if err != nil || len(got) != 1 || got[0].Offset != off {
			t.Errorf("offset %d: %v, %v", off, got, err)
		}
	}
}
