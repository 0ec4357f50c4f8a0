package feature

import (
	"bytes"
	"encoding/binary"
	"errors"
	"math"
	"reflect"
	"testing"

	"github.com/pixmatch/pixmatch/shared/testphoto"
)

// photoRecord returns the record of a test photo as a target.
func photoRecord(t testing.TB, name string) Record {
	g := Plane(testphoto.Image(name), TargetOptions)
	r := Record{Width: g.Rect.Dx(), Height: g.Rect.Dy(), Features: Extract(g, TargetOptions)}
	if len(r.Features) == 0 {
		t.Fatalf("%s: no features", name)
	}
	return r
}

// TestRecordRoundTrip checks that a record of Extract's features decodes
// to exactly what was encoded, in FeatureSize bytes a feature.
func TestRecordRoundTrip(t *testing.T) {
	for _, name := range []string{"chelsea", "camera"} {
		r := photoRecord(t, name)
		b, err := r.MarshalBinary()
		if err != nil {
			t.Fatal(err)
		}
		if len(b) != recordHeader+FeatureSize*len(r.Features) {
			t.Errorf("%s: %d bytes for %d features", name, len(b), len(r.Features))
		}
		var got Record
		if err := got.UnmarshalBinary(b); err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, r) {
			t.Errorf("%s: the record decodes to something else", name)
		}
	}
	empty := Record{Width: 40, Height: 30}
	b, err := empty.MarshalBinary()
	var got Record
	if err != nil || got.UnmarshalBinary(b) != nil || got.Width != 40 || len(got.Features) != 0 {
		t.Errorf("a record without features: %v, %+v", err, got)
	}
}

// TestRecordKeepsEnrolment checks that an enrolment's record carries its
// EnrolmentVersion in one byte more, and that a record without it — as
// every record was before enrolments were marked — decodes as of
// enrolment 0 with the same features.
func TestRecordKeepsEnrolment(t *testing.T) {
	r := photoRecord(t, "chelsea")
	old, err := r.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	r.Enrolment = EnrolmentVersion
	b, err := r.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	if len(b) != len(old)+1 || !bytes.Equal(b[:len(old)], old) {
		t.Fatalf("an enrolment's record: %d bytes, the same features' %d", len(b), len(old))
	}
	var got Record
	if err := got.UnmarshalBinary(b); err != nil || !reflect.DeepEqual(got, r) {
		t.Errorf("an enrolment's record decodes to enrolment %d, %v", got.Enrolment, err)
	}
	got = Record{}
	if err := got.UnmarshalBinary(old); err != nil || got.Enrolment != 0 || !reflect.DeepEqual(got.Features, r.Features) {
		t.Errorf("an unmarked record decodes to enrolment %d, %v", got.Enrolment, err)
	}
}

// withCells returns r with a cell for each feature, below top, named by
// guide.
func withCells(r Record, guide uint64, top uint32) Record {
	r.Guide, r.Cells = guide, make([]uint32, len(r.Features))
	for i := range r.Cells {
		r.Cells[i] = uint32(i*7919) % top
	}
	return r
}

// TestRecordKeepsCells checks that a record's cells decode to what was
// encoded, a byte a cell when every cell is below 256 and two otherwise,
// after the features and the Enrolment byte, whatever the enrolment.
func TestRecordKeepsCells(t *testing.T) {
	r := photoRecord(t, "chelsea")
	plain, err := r.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		enrolment uint8
		top       uint32
		width     int
	}{{0, 32, 1}, {EnrolmentVersion, 256, 1}, {0, 257, 2}, {EnrolmentVersion, MaxCell, 2}} {
		w := withCells(r, 0x9e3779b97f4a7c15, c.top)
		w.Enrolment = c.enrolment
		b, err := w.MarshalBinary()
		if err != nil {
			t.Fatal(err)
		}
		if want := len(plain) + 1 + 8 + 1 + c.width*len(r.Features); len(b) != want || len(b) != RecordLen(len(r.Features), c.width) || !bytes.Equal(b[:len(plain)], plain) {
			t.Errorf("cells below %d: %d bytes, want %d after the same features", c.top, len(b), want)
		}
		var got Record
		if err := got.UnmarshalBinary(b); err != nil || !reflect.DeepEqual(got, w) {
			t.Errorf("cells below %d, enrolment %d: decoded to guide %x, %d cells, enrolment %d, %v", c.top, c.enrolment, got.Guide, len(got.Cells), got.Enrolment, err)
		}
	}
}

// TestRecordRefusesDamage decodes damaged and foreign bytes: each is
// refused with the right error and leaves the record as it was.
func TestRecordRefusesDamage(t *testing.T) {
	good, err := photoRecord(t, "coins").MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	edit := func(f func(b []byte) []byte) []byte { return f(bytes.Clone(good)) }
	feature0 := recordHeader
	var r Record
	if err := r.UnmarshalBinary(good); err != nil {
		t.Fatal(err)
	}
	celled, err := withCells(r, 1, 32).MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	editCells := func(f func(b []byte)) []byte { b := bytes.Clone(celled); f(b); return b }
	// The cells of celled two bytes each, as only a cell from 256 needs.
	wide := append(bytes.Clone(celled[:len(good)+cellsHead]), make([]byte, 2*len(r.Features))...)
	wide[len(good)+cellsHead-1] = 2
	for i, c := range withCells(r, 1, 32).Cells {
		binary.LittleEndian.PutUint16(wide[len(good)+cellsHead+2*i:], uint16(c))
	}
	for _, c := range []struct {
		name string
		b    []byte
		want error
	}{
		{"empty", nil, ErrFormat},
		{"one byte", good[:1], ErrFormat},
		{"another version", edit(func(b []byte) []byte { binary.LittleEndian.PutUint16(b, Version+1); return b }), ErrVersion},
		{"header only", good[:recordHeader], ErrFormat},
		{"cut short", good[:len(good)-1], ErrFormat},
		{"a byte more", append(bytes.Clone(good), 0), ErrFormat},
		{"two bytes more", append(bytes.Clone(good), 1, 1), ErrFormat},
		{"zero width", edit(func(b []byte) []byte { binary.LittleEndian.PutUint16(b[2:], 0); return b }), ErrFormat},
		{"too wide", edit(func(b []byte) []byte { binary.LittleEndian.PutUint16(b[2:], MaxRecordSide); return b }), ErrFormat},
		{"off the plane", edit(func(b []byte) []byte {
			binary.LittleEndian.PutUint16(b[feature0:], uint16(8*binary.LittleEndian.Uint16(b[2:])))
			return b
		}), ErrFormat},
		{"not a number", edit(func(b []byte) []byte {
			binary.LittleEndian.PutUint32(b[feature0+8:], math.Float32bits(float32(math.NaN())))
			return b
		}), ErrFormat},
		{"no such octave", edit(func(b []byte) []byte { b[feature0+12] = MaxLevels; return b }), ErrFormat},
		{"cells cut short", celled[:len(celled)-1], ErrFormat},
		{"a byte after the cells", append(bytes.Clone(celled), 0), ErrFormat},
		{"cells of no guide", editCells(func(b []byte) { binary.LittleEndian.PutUint64(b[len(good)+1:], 0) }), ErrFormat},
		{"cells of width 0", editCells(func(b []byte) { b[len(good)+9] = 0 }), ErrFormat},
		{"cells of width 3", editCells(func(b []byte) { b[len(good)+9] = 3 }), ErrFormat},
		{"the head of cells alone", celled[:len(good)+cellsHead], ErrFormat},
		{"narrow cells written wide", wide, ErrFormat},
	} {
		r := Record{Width: 7, Height: 9}
		before := r
		err := r.UnmarshalBinary(c.b)
		if !errors.Is(err, c.want) {
			t.Errorf("%s: %v, want %v", c.name, err, c.want)
		}
		if !reflect.DeepEqual(r, before) {
			t.Errorf("%s: the refused bytes changed the record", c.name)
		}
	}
}

// TestRecordRefusesWhatItCannotKeep marshals records that would not come
// back the same, or not fit.
func TestRecordRefusesWhatItCannotKeep(t *testing.T) {
	base := photoRecord(t, "rocket")
	for _, c := range []struct {
		name string
		edit func(r *Record)
	}{
		{"no width", func(r *Record) { r.Width = 0 }},
		{"too tall", func(r *Record) { r.Height = MaxRecordSide }},
		{"between eighths", func(r *Record) { r.Features[0].X += 0.01 }},
		{"off the plane", func(r *Record) { r.Features[1].Y = float32(r.Height) }},
		{"negative", func(r *Record) { r.Features[2].X = -1 }},
		{"huge patch", func(r *Record) { r.Features[3].Size = MaxRecordSide }},
		{"angle of a turn", func(r *Record) { r.Features[4].Angle = 2 * math.Pi }},
		{"angle between steps", func(r *Record) { r.Features[4].Angle = 0.1 }},
		{"infinite response", func(r *Record) { r.Features[5].Response = float32(math.Inf(1)) }},
		{"octave", func(r *Record) { r.Features[6].Octave = -1 }},
		{"too many", func(r *Record) { r.Features = make([]Feature, maxRecordLen+1) }},
		{"cells without a guide", func(r *Record) { r.Cells = make([]uint32, len(r.Features)) }},
		{"a cell too few", func(r *Record) { *r = withCells(*r, 1, 32); r.Cells = r.Cells[1:] }},
		{"a cell too large", func(r *Record) { *r = withCells(*r, 1, 32); r.Cells[3] = MaxCell }},
	} {
		r := base
		r.Features = append([]Feature(nil), base.Features...)
		c.edit(&r)
		if b, err := r.MarshalBinary(); !errors.Is(err, ErrFormat) || b != nil {
			t.Errorf("%s: %d bytes, %v; want ErrFormat", c.name, len(b), err)
		}
	}
}

// FuzzRecord decodes arbitrary bytes: never a panic, and what decodes
// encodes back to the same bytes.
func FuzzRecord(f *testing.F) {
	r := photoRecord(f, "flower")
	for _, n := range []int{0, 1, 3} {
		small := Record{Width: r.Width, Height: r.Height, Features: r.Features[:n]}
		b, err := small.MarshalBinary()
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
		if b, err = withCells(small, 5, 300).MarshalBinary(); err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		var r Record
		if r.UnmarshalBinary(b) != nil {
			return
		}
		again, err := r.MarshalBinary()
		if err != nil {
			t.Fatalf("a decoded record does not encode: %v", err)
		}
		if !bytes.Equal(again, b) {
			t.Fatalf("decoded and encoded again, the bytes differ")
		}
	})
}

// BenchmarkRecordUnmarshal times decoding a test photo's record (500
// features): what a Worker does for each shortlisted target.
func BenchmarkRecordUnmarshal(b *testing.B) {
	data, err := photoRecord(b, testphoto.Names()[0]).MarshalBinary()
	if err != nil {
		b.Fatal(err)
	}
	var r Record
	for b.Loop() {
		if err := r.UnmarshalBinary(data); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(len(r.Features)), "features")
}

// BenchmarkIndexTarget times grouping an enrolled photo's features by
// cell (32 cells, as the vocabulary's first level gives): what a Worker
// does for each shortlisted target after decoding its record.
func BenchmarkIndexTarget(b *testing.B) {
	g := Plane(testphoto.Image(testphoto.Names()[0]), TargetOptions)
	fs := Enrol(g, DefaultEnrolOptions).Features
	r := withCells(Record{Features: fs}, 1, 32)
	for b.Loop() {
		IndexTarget(r.Features, r.Cells)
	}
	b.ReportMetric(float64(len(fs)), "features")
}
