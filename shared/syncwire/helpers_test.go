package syncwire

import (
	"fmt"
	"math/rand/v2"
	"reflect"
	"slices"
	"sync"
	"testing"

	"github.com/pixmatch/pixmatch/shared/feature"
	"github.com/pixmatch/pixmatch/shared/index"
)

// words is a sample of names and attribute strings, some of them not ASCII.
var words = []string{
	"poster", "ポスター", "海报", "affiche", "Plakát", "😀🎨", "a",
	"straße", "ÅÄÖ", "x-y_z", "שלט", "постер",
}

// randomString returns a short random string, empty one time in three.
func randomString(rnd *rand.Rand) string {
	switch rnd.IntN(3) {
	case 0:
		return ""
	case 1:
		return words[rnd.IntN(len(words))]
	}
	return fmt.Sprintf("%s-%05d", words[rnd.IntN(len(words))], rnd.IntN(100000))
}

// randomAttrs returns attributes that are zero half the time and otherwise
// have some fields set, with Group set too (the wire drops it).
func randomAttrs(rnd *rand.Rand) index.Attributes {
	var a index.Attributes
	if rnd.IntN(2) == 0 {
		return a
	}
	if rnd.IntN(2) == 0 {
		a.Category = rnd.Int32N(1000) - 10
	}
	for i := range a.Int {
		if rnd.IntN(3) == 0 {
			a.Int[i] = int32(rnd.Uint32())
		}
	}
	for i := range a.Str {
		a.Str[i] = randomString(rnd)
	}
	a.Group = randomString(rnd)
	return a
}

// randomCode returns a code in a random table below tables with a random
// key and random first checks check words; the others are zero, as a
// batch of checks checks carries them.
func randomCode(rnd *rand.Rand, tables, checks int) index.Code {
	c := index.Code{Table: rnd.IntN(tables), Key: rnd.Uint64()}
	for k := range checks {
		c.Checks[k] = rnd.Uint64()
	}
	return c
}

// randomPut returns a put of target seq with 1 to maxCodes random codes in
// tables below tables, each with checks check words.
func randomPut(rnd *rand.Rand, seq uint64, tables, checks, maxCodes int) Record {
	codes := make([]index.Code, 1+rnd.IntN(maxCodes))
	for i := range codes {
		codes[i] = randomCode(rnd, tables, checks)
	}
	return Record{
		Seq:    seq,
		Active: rnd.IntN(4) != 0,
		Codes:  codes,
		Attrs:  randomAttrs(rnd),
		Name:   randomString(rnd),
	}
}

// shape is what randomBatch makes a batch of.
type shape struct {
	kind     Kind
	records  int
	tables   int
	checks   int
	maxCodes int // the most codes a put has
	// features is the most features of a put's feature record; 0 makes
	// a batch that carries none.
	features int
}

// randomBatch returns a batch of the given shape whose records have
// increasing random Seqs; a delta's records are deletes one time in three.
func randomBatch(rnd *rand.Rand, sh shape) Batch {
	b := Batch{Kind: sh.kind, Fingerprint: 1 + rnd.IntN(3), Tables: sh.tables, Checks: sh.checks}
	if sh.features > 0 {
		b.FeatureVersion = int(feature.Version)
	}
	var seq uint64
	for range sh.records {
		seq += 1 + uint64(rnd.IntN(1000))
		r := randomPut(rnd, seq, sh.tables, sh.checks, sh.maxCodes)
		r.Features = maybeRecord(rnd, sh.features)
		if sh.kind == Delta && rnd.IntN(3) == 0 {
			r = Record{Seq: seq, Deleted: true}
		}
		b.Records = append(b.Records, r)
	}
	b.To = int64(seq) + int64(rnd.IntN(10))
	if sh.kind == Delta {
		b.From = rnd.Int64N(b.To + 1)
	}
	return b
}

// normalize returns b as it comes out of the wire: records sorted by Seq,
// deletes with nothing but their Seq, no Groups, and empty slices nil.
func normalize(b Batch) Batch {
	recs := slices.Clone(b.Records)
	slices.SortFunc(recs, compareSeq)
	for i := range recs {
		r := &recs[i]
		switch {
		case r.Deleted:
			*r = Record{Seq: r.Seq, Deleted: true}
		case len(r.Codes) == 0:
			r.Codes = nil
		}
		r.Attrs.Group = ""
	}
	if len(recs) == 0 {
		recs = nil
	}
	b.Records = recs
	return b
}

// sameBatch fails t unless got and want are equal once normalized.
func sameBatch(t testing.TB, got, want Batch) {
	t.Helper()
	g, w := normalize(got), normalize(want)
	if reflect.DeepEqual(g, w) {
		return
	}
	if len(g.Records) != len(w.Records) {
		t.Fatalf("got %d records, want %d\ngot header  %+v\nwant header %+v",
			len(g.Records), len(w.Records), header(g), header(w))
	}
	for i := range g.Records {
		if !reflect.DeepEqual(g.Records[i], w.Records[i]) {
			t.Fatalf("record %d differs:\ngot  %+v\nwant %+v", i, g.Records[i], w.Records[i])
		}
	}
	t.Fatalf("headers differ:\ngot  %+v\nwant %+v", header(g), header(w))
}

// header returns b without its records.
func header(b Batch) Batch {
	b.Records = nil
	return b
}

// mustEncode returns Encode(b) or fails t.
func mustEncode(t testing.TB, b Batch) []byte {
	t.Helper()
	data, err := Encode(b)
	if err != nil {
		t.Fatalf("Encode: %v", err)
	}
	return data
}

// posterTargets is the number of targets of the sizing snapshot.
const posterTargets = 100_000

// posterTables is the number of tables of the sizing snapshot: one per
// window of the picture that fingerprint version 2 codes (the whole
// picture, its content inside a border, four central and eight corner
// windows). A target has a code in each, but in the second only when the
// picture has a border.
const posterTables = 14

var (
	posterMu      sync.Mutex
	posterBatches = map[int]Batch{}
)

// posterSnapshot returns a snapshot of posterTargets targets as a gallery
// of posters would have, with checks check words a code: a few deleted
// over time (gaps in the Seqs), a random code in each of posterTables
// tables but the second, and in that one for half of them, names like
// "poster-01234", nearly all active and with default attributes. Random
// words are the worst case for gzip; real codes are hashes, little
// better. The snapshot is made once for each checks and shared: callers
// must not modify it.
func posterSnapshot(checks int) Batch {
	posterMu.Lock()
	defer posterMu.Unlock()
	if b, ok := posterBatches[checks]; ok {
		return b
	}
	rnd := rand.New(rand.NewPCG(100_000, 64))
	b := Batch{Kind: Snapshot, Fingerprint: 2, Tables: posterTables, Checks: checks, Records: make([]Record, posterTargets)}
	var seq uint64
	for i := range b.Records {
		seq += 1 + uint64(rnd.IntN(3)) // a few targets deleted or updated
		bordered := rnd.IntN(2) == 0
		codes := make([]index.Code, 0, posterTables)
		for t := range posterTables {
			if t == 1 && !bordered {
				continue
			}
			c := randomCode(rnd, 1, checks)
			c.Table = t
			codes = append(codes, c)
		}
		r := Record{Seq: seq, Active: rnd.IntN(50) != 0, Codes: codes, Name: fmt.Sprintf("poster-%05d", i)}
		if rnd.IntN(20) == 0 {
			r.Attrs.Category = rnd.Int32N(10)
			r.Attrs.Str[0] = "promo"
		}
		b.Records[i] = r
	}
	b.To = int64(seq) + 7
	posterBatches[checks] = b
	return b
}
