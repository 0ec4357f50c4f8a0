package syncwire

import (
	"bytes"
	"errors"
	"maps"
	"math"
	"math/rand/v2"
	"reflect"
	"strconv"
	"strings"
	"testing"

	"github.com/pixmatch/pixmatch/shared/feature"
	"github.com/pixmatch/pixmatch/shared/index"
	"github.com/pixmatch/pixmatch/shared/testphoto"
)

// turnUnit is the unit of a feature's angle in a feature record: 2⁻¹⁶
// turn, in radians.
const turnUnit = float32(2 * math.Pi / 65536)

// randomRecord returns a feature record of n random features on a plane
// of random size, each field a value a record holds exactly.
func randomRecord(rnd *rand.Rand, n int) *feature.Record {
	r := &feature.Record{Width: 1 + rnd.IntN(640), Height: 1 + rnd.IntN(640), Features: make([]feature.Feature, n)}
	for i := range r.Features {
		f := &r.Features[i]
		f.X = float32(rnd.IntN(8*r.Width)) / 8
		f.Y = float32(rnd.IntN(8*r.Height)) / 8
		f.Size = float32(rnd.IntN(1<<16)) / 8
		f.Angle = float32(rnd.IntN(1<<16)) * turnUnit
		f.Response = float32(rnd.NormFloat64() * 1e6)
		f.Octave = int8(rnd.IntN(feature.MaxLevels))
		for k := range f.Desc {
			f.Desc[k] = rnd.Uint64()
		}
	}
	return r
}

// maybeRecord returns nil when most is 0 and one time in four otherwise,
// else a random record of 1 to most features.
func maybeRecord(rnd *rand.Rand, most int) *feature.Record {
	if most == 0 || rnd.IntN(4) == 0 {
		return nil
	}
	return randomRecord(rnd, 1+rnd.IntN(most))
}

// photoRecord returns the feature record the server makes of a test
// photo (feature.TargetOptions).
func photoRecord(t testing.TB, name string) *feature.Record {
	t.Helper()
	p := feature.Plane(testphoto.Image(name), feature.TargetOptions)
	r := &feature.Record{Width: p.Rect.Dx(), Height: p.Rect.Dy(), Features: feature.Extract(p, feature.TargetOptions)}
	if len(r.Features) == 0 {
		t.Fatalf("%s has no features", name)
	}
	return r
}

// sameRecords fails t unless s holds the feature records of the puts of
// live, and only those.
func sameRecords(t testing.TB, s *State, live map[uint64]Record) {
	t.Helper()
	want := map[string]feature.Record{}
	for seq, r := range live {
		if r.Features != nil {
			want[strconv.FormatUint(seq, 10)] = *r.Features
		}
	}
	got := s.Records()
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("Records() holds %d records (%v), want %d (%v)", len(got), keys(got), len(want), keys(want))
	}
	if s.RecordLen() != len(want) {
		t.Fatalf("RecordLen() = %d, want %d", s.RecordLen(), len(want))
	}
}

// keys returns the keys of m.
func keys(m map[string]feature.Record) []string {
	var out []string
	for k := range maps.Keys(m) {
		out = append(out, k)
	}
	return out
}

// featureBatches returns batches that carry feature records, for the
// round trip and fuzz tests.
func featureBatches(t testing.TB) map[string]Batch {
	rnd := rand.New(rand.NewPCG(31, 32))
	photo := Batch{Kind: Snapshot, Fingerprint: 2, Tables: 14, Checks: 2, FeatureVersion: int(feature.Version), To: 9, Records: []Record{
		{Seq: 3, Active: true, Codes: []index.Code{randomCode(rnd, 14, 2)}, Name: "coffee", Features: photoRecord(t, "coffee")},
		{Seq: 7, Active: true, Codes: []index.Code{randomCode(rnd, 14, 2)}, Name: "no record"},
		{Seq: 9, Codes: []index.Code{randomCode(rnd, 14, 2)}, Features: randomRecord(rnd, 1)},
	}}
	return map[string]Batch{
		"random snapshot with records": randomBatch(rnd, shape{kind: Snapshot, records: 30, tables: 14, checks: 2, maxCodes: 3, features: 50}),
		"random delta with records":    randomBatch(rnd, shape{kind: Delta, records: 30, tables: 14, checks: 1, maxCodes: 3, features: 50}),
		"records of a photo":           photo,
		"records, but none carried": {Kind: Delta, Fingerprint: 2, Tables: 2, Checks: 0, FeatureVersion: int(feature.Version), From: 1, To: 4, Records: []Record{
			{Seq: 2, Codes: []index.Code{{Key: 5}}}, {Seq: 4, Deleted: true},
		}},
		"a record of MaxFeatures": {Kind: Snapshot, Fingerprint: 2, Tables: 1, FeatureVersion: int(feature.Version), To: 1, Records: []Record{
			{Seq: 1, Active: true, Codes: []index.Code{{Key: 1}}, Features: randomRecord(rnd, MaxFeatures)},
		}},
	}
}

// TestFeaturesRoundTrip checks that feature records come out of the wire
// as they went in, and the batch re-encodes to the same bytes.
func TestFeaturesRoundTrip(t *testing.T) {
	for name, b := range featureBatches(t) {
		t.Run(name, func(t *testing.T) {
			data := mustEncode(t, b)
			got, err := Decode(data)
			if err != nil {
				t.Fatalf("Decode: %v", err)
			}
			if got.FeatureVersion != int(feature.Version) {
				t.Fatalf("FeatureVersion %d, want %d", got.FeatureVersion, feature.Version)
			}
			sameBatch(t, got, b)
			if again := mustEncode(t, got); !bytes.Equal(again, data) {
				t.Fatal("re-encoding the decoded batch gives other bytes")
			}
		})
	}
}

// TestFeaturesLayout checks the bytes of a put with a feature record and
// one without, in a batch that carries records: each ends with the
// record's length and the record as feature.Record encodes it, or a 0.
func TestFeaturesLayout(t *testing.T) {
	rec := randomRecord(rand.New(rand.NewPCG(1, 1)), 2)
	enc, err := rec.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	b := Batch{Kind: Snapshot, Fingerprint: 1, Tables: 1, FeatureVersion: int(feature.Version), To: 300, Records: []Record{
		{Seq: 2, Codes: []index.Code{{Key: 0x0807060504030201}}, Features: rec},
		{Seq: 300, Active: true, Codes: []index.Code{{Key: 0x0807060504030201}}},
	}}
	want := headOf(1, 1, 0, uint64(feature.Version), 0, 300, 2).
		u(2).b(0x10).b(0, 1, 2, 3, 4, 5, 6, 7, 8).u(uint64(len(enc))).s(string(enc)).
		u(298).b(0x12).b(0, 1, 2, 3, 4, 5, 6, 7, 8).b(0)
	if got := mustEncode(t, b); !bytes.Equal(got, want) {
		t.Fatalf("Encode =\n% x\nwant\n% x", got, []byte(want))
	}
}

// TestFeaturesRecordSize checks what a feature record costs on the wire:
// its encoding and the length before it; a put without one costs a byte
// more in a batch that carries records than in one that carries none.
func TestFeaturesRecordSize(t *testing.T) {
	rnd := rand.New(rand.NewPCG(5, 5))
	put := Record{Seq: 1000, Active: true, Codes: []index.Code{randomCode(rnd, 14, 2)}, Name: "poster-01234"}
	none := Batch{Kind: Snapshot, Fingerprint: 2, Tables: 14, Checks: 2, To: 1000, Records: []Record{put}}
	carrying := none
	carrying.FeatureVersion = int(feature.Version)
	base := len(mustEncode(t, none))
	if got := len(mustEncode(t, carrying)) - base; got != 1 {
		t.Errorf("a put without a record costs %d bytes more in a batch that carries records, want 1", got)
	}
	for _, n := range []int{1, 200, MaxFeatures} {
		rec := randomRecord(rnd, n)
		enc, _ := rec.MarshalBinary()
		with := put
		with.Features = rec
		b := carrying
		b.Records = []Record{with}
		if got, want := len(mustEncode(t, b))-base, len(enc)+len(binaryUvarint(uint64(len(enc)))); got != want {
			t.Errorf("a record of %d features (%d bytes) costs %d bytes, want %d", n, len(enc), got, want)
		}
		if len(enc) > maxRecordLen(n) {
			t.Errorf("a record of %d features takes %d bytes, more than maxRecordLen allows", n, len(enc))
		}
	}
}

// binaryUvarint returns the uvarint encoding of v.
func binaryUvarint(v uint64) []byte { return wire(nil).u(v) }

func TestFeaturesEncodeRefuses(t *testing.T) {
	rnd := rand.New(rand.NewPCG(7, 7))
	ok := func() Batch {
		return Batch{Kind: Delta, Fingerprint: 1, Tables: 4, Checks: 2, FeatureVersion: int(feature.Version), From: 1, To: 10, Records: []Record{
			{Seq: 2, Codes: []index.Code{{Table: 3, Key: 1}}, Features: randomRecord(rnd, 3)}, {Seq: 5, Deleted: true},
		}}
	}
	for _, tc := range []struct {
		name   string
		change func(b *Batch)
	}{
		{"another feature version", func(b *Batch) { b.FeatureVersion = int(feature.Version) + 1 }},
		{"negative feature version", func(b *Batch) { b.FeatureVersion = -1 }},
		{"a record in a batch that carries none", func(b *Batch) { b.FeatureVersion = 0 }},
		{"a record without features", func(b *Batch) { b.Records[0].Features.Features = nil }},
		{"a record of MaxFeatures+1", func(b *Batch) { b.Records[0].Features = randomRecord(rnd, MaxFeatures+1) }},
		{"a feature off its plane", func(b *Batch) { b.Records[0].Features.Features[1].X = float32(b.Records[0].Features.Width) }},
		{"a coordinate not in eighths", func(b *Batch) { b.Records[0].Features.Features[0].Y = 0.01 }},
		{"a plane without pixels", func(b *Batch) { b.Records[0].Features.Width = 0 }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := ok()
			if _, err := Encode(b); err != nil {
				t.Fatalf("Encode of the unchanged batch: %v", err)
			}
			tc.change(&b)
			data, err := Encode(b)
			if !errors.Is(err, ErrFormat) {
				t.Fatalf("Encode = %d bytes, %v; want an error wrapping ErrFormat", len(data), err)
			}
			if err := NewState(4).Apply(b); !errors.Is(err, ErrFormat) {
				t.Fatalf("Apply = %v; want an error wrapping ErrFormat", err)
			}
		})
	}
	// A delete's record, like its other fields, is not carried.
	b := ok()
	b.Records[1].Features = randomRecord(rnd, 2)
	if _, err := Encode(b); err != nil {
		t.Fatalf("Encode of a delete with a record: %v", err)
	}
}

// featureDecodeCases returns hand-made inputs with feature records for
// Decode, valid and not: snapshots of 4 tables and index.Checks checks.
func featureDecodeCases() []decodeCase {
	v := uint64(feature.Version)
	snap := headOf(1, 4, index.Checks, v, 0, 10, 1)
	rec, _ := randomRecord(rand.New(rand.NewPCG(9, 9)), 3).MarshalBinary()
	empty, _ := (&feature.Record{Width: 4, Height: 4}).MarshalBinary()
	put := snap.u(3).b(0x12).code(0, 7)
	other := string(append([]byte{rec[0] + 1, rec[1]}, rec[2:]...)) // the version bytes changed
	offPlane := bytes.Clone(rec)
	offPlane[2], offPlane[3] = 1, 0 // a plane 1 pixel wide, the features off it
	return []decodeCase{
		{"valid put with a record", put.u(uint64(len(rec))).s(string(rec)), true},
		{"valid put without a record", put.u(0), true},
		{"valid delete in a batch of records", headOf(2, 4, index.Checks, v, 2, 10, 1).u(10).b(0x01), true},
		{"feature version beyond the build's", headOf(1, 4, index.Checks, v+1, 0, 10, 1).u(3).b(0x12).code(0, 7).u(0), false},
		{"feature version beyond 16 bits", headOf(1, 4, index.Checks, 1<<16, 0, 10, 0), false},
		{"record length missing", put, false},
		{"record cut short", put.u(uint64(len(rec))).s(string(rec[:len(rec)-1])), false},
		{"record length beyond the limit", put.u(uint64(maxRecordLen(MaxFeatures) + 1)), false},
		{"record shorter than its length says", put.u(uint64(len(rec) + 1)).s(string(rec)).b(0), false},
		{"record longer than its length says", put.u(uint64(len(rec) - 1)).s(string(rec)), false},
		{"record of another feature version", put.u(uint64(len(rec))).s(other), false},
		{"record of no features", put.u(uint64(len(empty))).s(string(empty)), false},
		{"record with features off its plane", put.u(uint64(len(offPlane))).s(string(offPlane)), false},
		{"record in a batch that carries none", head(1, 4, index.Checks, 0, 10, 1).u(3).b(0x12).code(0, 7).u(uint64(len(rec))).s(string(rec)), false},
		{"garbage record", put.u(3).s("abc"), false},
	}
}

// TestFeaturesDecodeMessages checks that the refusals of feature records
// say what is wrong.
func TestFeaturesDecodeMessages(t *testing.T) {
	for _, tc := range featureDecodeCases() {
		if tc.valid {
			continue
		}
		_, err := Decode(tc.data)
		if !errors.Is(err, ErrFormat) {
			t.Fatalf("%s: Decode = %v, want an error wrapping ErrFormat", tc.name, err)
		}
		want := map[string]string{
			"feature version beyond the build's":  "feature records of version",
			"record of another feature version":   "another version",
			"record of no features":               "empty feature record",
			"record length beyond the limit":      "feature record length",
			"record with features off its plane":  "out of range",
			"record in a batch that carries none": "after the last record",
		}[tc.name]
		if !strings.Contains(err.Error(), want) {
			t.Errorf("%s: %q does not say %q", tc.name, err, want)
		}
	}
}

// TestStateFeatureRecords follows a gallery whose batches carry records:
// a put brings or drops a target's record, a delete drops it, a snapshot
// restores them all; Records names them by index ID.
func TestStateFeatureRecords(t *testing.T) {
	rnd := rand.New(rand.NewPCG(11, 11))
	r1, r2, r3 := randomRecord(rnd, 5), randomRecord(rnd, 8), randomRecord(rnd, 2)
	code := []index.Code{{Key: 9}}
	snap := Batch{Kind: Snapshot, Fingerprint: 2, Tables: 1, FeatureVersion: int(feature.Version), To: 5, Records: []Record{
		{Seq: 1, Active: true, Codes: code, Features: r1},
		{Seq: 3, Active: true, Codes: code, Features: r2},
		{Seq: 5, Codes: code},
	}}
	s := NewState(1)
	mustApply(t, s, overWire(t, snap))
	if s.FeatureVersion() != int(feature.Version) {
		t.Fatalf("FeatureVersion() = %d, want %d", s.FeatureVersion(), feature.Version)
	}
	live := map[uint64]Record{1: snap.Records[0], 3: snap.Records[1], 5: snap.Records[2]}
	sameRecords(t, s, live)
	if got := s.Records()["3"]; !reflect.DeepEqual(got, *r2) {
		t.Fatal(`Records()["3"] is not the record of seq 3`)
	}
	// Seq 1 gets a new picture, seq 3 loses its record, seq 5 gets one,
	// and a new target comes without one; then seq 1 is deleted.
	delta := Batch{Kind: Delta, Fingerprint: 2, Tables: 1, FeatureVersion: int(feature.Version), From: 5, To: 8, Records: []Record{
		{Seq: 1, Active: true, Codes: code, Features: r3},
		{Seq: 3, Active: true, Codes: code},
		{Seq: 5, Active: true, Codes: code, Features: r1},
		{Seq: 8, Active: true, Codes: code},
	}}
	mustApply(t, s, overWire(t, delta))
	for _, r := range delta.Records {
		live[r.Seq] = r
	}
	sameRecords(t, s, live)
	mustApply(t, s, overWire(t, Batch{Kind: Delta, Fingerprint: 2, Tables: 1, FeatureVersion: int(feature.Version), From: 8, To: 9,
		Records: []Record{{Seq: 1, Deleted: true}}}))
	delete(live, 1)
	sameRecords(t, s, live)

	restored := NewState(1)
	mustApply(t, restored, overWire(t, s.Snapshot()))
	sameRecords(t, restored, live)
	sameBatch(t, restored.Snapshot(), s.Snapshot())

	// A snapshot without records drops them all.
	bare := restored.Snapshot()
	bare.FeatureVersion = 0
	for i := range bare.Records {
		bare.Records[i].Features = nil
	}
	mustApply(t, restored, overWire(t, bare))
	sameRecords(t, restored, nil)
	if restored.FeatureVersion() != 0 {
		t.Fatalf("FeatureVersion() = %d after a snapshot without records", restored.FeatureVersion())
	}
}

// TestStateFeatureGap checks that a delta carrying records is refused
// by a copy that holds none, and the other way round, with ErrGap and
// nothing changed: the follower fetches a snapshot instead.
func TestStateFeatureGap(t *testing.T) {
	rnd := rand.New(rand.NewPCG(12, 12))
	code := []index.Code{{Key: 9}}
	for _, held := range []int{0, int(feature.Version)} {
		snap := Batch{Kind: Snapshot, Fingerprint: 2, Tables: 1, FeatureVersion: held, To: 4, Records: []Record{
			{Seq: 2, Active: true, Codes: code},
		}}
		if held != 0 {
			snap.Records[0].Features = randomRecord(rnd, 3)
		}
		s := NewState(1)
		mustApply(t, s, snap)
		before := s.Snapshot()
		delta := Batch{Kind: Delta, Fingerprint: 2, Tables: 1, FeatureVersion: int(feature.Version) - held, From: 4, To: 6, Records: []Record{
			{Seq: 2, Deleted: true}, {Seq: 6, Active: true, Codes: code},
		}}
		err := s.Apply(delta)
		if !errors.Is(err, ErrGap) {
			t.Fatalf("a copy of feature version %d applied a delta of %d: %v, want ErrGap", held, delta.FeatureVersion, err)
		}
		t.Logf("%v", err)
		sameBatch(t, s.Snapshot(), before)
		if s.RecordLen() != len(s.Records()) || s.FeatureVersion() != held {
			t.Fatalf("after the refused delta: %d records, feature version %d", s.RecordLen(), s.FeatureVersion())
		}
		// A copy that holds nothing yet takes either.
		delta.From = 0
		if err := NewState(1).Apply(delta); err != nil {
			t.Fatalf("a new copy refused a delta of feature version %d: %v", delta.FeatureVersion, err)
		}
	}
}
