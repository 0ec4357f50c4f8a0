package quality

import (
	"bytes"
	"encoding"
	"testing"

	"github.com/pixmatch/pixmatch/shared/testphoto"
)

var (
	_ encoding.BinaryMarshaler   = Report{}
	_ encoding.BinaryUnmarshaler = (*Report)(nil)
)

func TestBinaryRoundTrip(t *testing.T) {
	reports := []Report{badReport, {}, {4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4}, {0, 1, 2, 3, 4, 0, 1, 2, 3, 4, 0}}
	for _, name := range testphoto.Names() {
		reports = append(reports, Assess(testphoto.Image(name)))
	}
	for _, r := range reports {
		b, err := r.MarshalBinary()
		if err != nil {
			t.Fatalf("MarshalBinary(%+v): %v", r, err)
		}
		if len(b) != 12 || b[0] != binaryVersion {
			t.Errorf("MarshalBinary(%+v) = %x, want 12 bytes starting with version %d", r, b, binaryVersion)
		}
		var got Report
		if err := got.UnmarshalBinary(b); err != nil {
			t.Fatalf("UnmarshalBinary(%x): %v", b, err)
		}
		if got != r {
			t.Errorf("round trip of %+v gave %+v", r, got)
		}
	}
}

func TestBinaryLayout(t *testing.T) {
	r := Report{DetectableRate: 1, TrackablePatchAmbiguity: 4, TrackableRate: 2, DetectableFeatureStability: 3}
	b, err := r.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	want := []byte{binaryVersion, 1, 0, 0, 0, 2, 0, 0, 0, 0, 4, 3}
	if !bytes.Equal(b, want) {
		t.Errorf("MarshalBinary = %x, want %x", b, want)
	}
	b, _ = badReport.MarshalBinary()
	want = []byte{binaryVersion, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}
	if !bytes.Equal(b, want) {
		t.Errorf("MarshalBinary(bad) = %x, want %x", b, want)
	}
}

// TestBinaryVersion1 reads a grade stored before the stability was
// graded: it takes the grade of the feature count.
func TestBinaryVersion1(t *testing.T) {
	var r Report
	if err := r.UnmarshalBinary([]byte{1, 1, 0, 3, 0, 2, 0, 0, 0, 0, 4}); err != nil {
		t.Fatal(err)
	}
	want := Report{DetectableRate: 1, DetectableFeatureCount: 3, TrackableRate: 2, TrackablePatchAmbiguity: 4, DetectableFeatureStability: 3}
	if r != want {
		t.Errorf("version 1 read as %+v, want %+v", r, want)
	}
	for _, b := range [][]byte{{1, 1, 0, 3, 0, 2, 0, 0, 0, 0, 4, 0}, {2, 1, 0, 3, 0, 2, 0, 0, 0, 0, 4}} {
		if err := r.UnmarshalBinary(b); err == nil {
			t.Errorf("UnmarshalBinary(%x) mixed the versions' lengths and was accepted", b)
		}
	}
}

func TestUnmarshalBinaryRejects(t *testing.T) {
	good := []byte{binaryVersion, 1, 0, 0, 0, 2, 0, 0, 0, 0, 4, 0}
	with := func(i int, v byte) []byte {
		b := bytes.Clone(good)
		b[i] = v
		return b
	}
	tests := []struct {
		name string
		data []byte
	}{
		{"empty", nil},
		{"short", good[:11]},
		{"long", append(bytes.Clone(good), 0)},
		{"unknown version", with(0, binaryVersion+1)},
		{"metric 5", with(3, 5)},
		{"metric -2", with(3, 0xfe)},
		{"bad in one metric only", with(1, 0xff)},
	}
	for _, tt := range tests {
		r := Report{DetectableRate: 3}
		if err := r.UnmarshalBinary(tt.data); err == nil {
			t.Errorf("%s: UnmarshalBinary(%x) accepted it as %+v", tt.name, tt.data, r)
		} else if r != (Report{DetectableRate: 3}) {
			t.Errorf("%s: a failed UnmarshalBinary changed the report to %+v", tt.name, r)
		}
	}
}

func TestMarshalBinaryRejectsInvalid(t *testing.T) {
	for _, r := range []Report{
		{DetectableRate: 5},
		{TrackablePatchAmbiguity: -2},
		{DetectableRate: -1}, // bad in one metric only
	} {
		if b, err := r.MarshalBinary(); err == nil {
			t.Errorf("MarshalBinary(%+v) = %x, want an error", r, b)
		}
	}
}
