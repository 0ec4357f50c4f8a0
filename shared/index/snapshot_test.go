package index

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"reflect"
	"runtime"
	"testing"
)

// encoded returns x written by WriteTo.
func encoded(t testing.TB, x *Index) []byte {
	t.Helper()
	var b bytes.Buffer
	n, err := x.WriteTo(&b)
	if err != nil || n != int64(b.Len()) {
		t.Fatalf("WriteTo: %d bytes reported, %d written, %v", n, b.Len(), err)
	}
	return b.Bytes()
}

// snapshotFixture returns an index and its model after puts, replaces and
// removes, so that rows and slots have moved.
func snapshotFixture(t testing.TB, seed uint64) (*Index, *model, *gen) {
	g := newGen(seed, 5)
	x, m := New(5), newModel()
	for i := range 400 {
		id := fmt.Sprintf("e%03d", g.rnd.IntN(300))
		switch {
		case i%7 == 3:
			x.Remove(id)
			delete(m.entries, id)
		default:
			e := g.entry(id, 6)
			if err := x.Put(e); err != nil {
				t.Fatal(err)
			}
			m.put(e)
		}
	}
	return x, m, g
}

// TestDecodeRoundTrip writes an index and reads it back: the same entries,
// the same answers to random queries (with and without multi-indexes),
// and the decoded index then changes as the original does.
func TestDecodeRoundTrip(t *testing.T) {
	x, m, g := snapshotFixture(t, 1)
	y, err := Decode(encoded(t, x))
	if err != nil {
		t.Fatal(err)
	}
	checkLayout(t, y)
	checkContents(t, y, m)
	if !bytes.Equal(encoded(t, y), encoded(t, x)) {
		t.Fatal("the decoded index encodes differently")
	}
	var ids []string
	for id := range m.entries {
		ids = append(ids, id)
	}
	y.MultiIndexRows(20)
	y.alwaysMulti = true
	for i := range 300 {
		q := g.query(4, ids)
		want, err1 := x.Search(context.Background(), q)
		got, err2 := y.Search(context.Background(), q)
		if err1 != nil || err2 != nil || !reflect.DeepEqual(got, want) {
			t.Fatalf("query %d: decoded %v (%v), original %v (%v)", i, got, err2, want, err1)
		}
	}
	for i := range 200 { // writes into the decoded slices' exact capacities
		id := fmt.Sprintf("e%03d", g.rnd.IntN(330))
		if i%3 == 0 {
			y.Remove(id)
			delete(m.entries, id)
			continue
		}
		e := g.entry(id, 6)
		if err := y.Put(e); err != nil {
			t.Fatal(err)
		}
		m.put(e)
	}
	checkLayout(t, y)
	checkContents(t, y, m)
}

// TestDecodeEmpty round-trips an index without entries.
func TestDecodeEmpty(t *testing.T) {
	y, err := Decode(encoded(t, New(3)))
	if err != nil || y.Tables() != 3 || y.Len() != 0 {
		t.Fatalf("Decode = %d tables, %d entries, %v", y.Tables(), y.Len(), err)
	}
}

// TestDecodeRefusesDamage cuts an encoding short at every length and
// changes each byte of its header and of a sample of the rest: Decode
// refuses every cut and every change it can tell (IDs, owners, counts,
// flags), and never panics; a change of a key or check word it cannot
// tell decodes to a well-formed index.
func TestDecodeRefusesDamage(t *testing.T) {
	x, _, _ := snapshotFixture(t, 2)
	b := encoded(t, x)
	for n := range len(b) {
		if _, err := Decode(b[:n]); !errors.Is(err, ErrEncoding) {
			t.Fatalf("cut to %d of %d bytes: %v, want ErrEncoding", n, len(b), err)
		}
	}
	if _, err := Decode(append(bytes.Clone(b), 0)); !errors.Is(err, ErrEncoding) {
		t.Fatalf("a byte too many: %v, want ErrEncoding", err)
	}
	for i := 0; i < len(b); i += 1 + i/64 {
		for _, v := range []byte{0, 1, 0x80, 0xff} {
			c := bytes.Clone(b)
			c[i] ^= v | 1
			y, err := Decode(c)
			if err != nil && !errors.Is(err, ErrEncoding) {
				t.Fatalf("byte %d changed: %v, want ErrEncoding", i, err)
			}
			if err == nil {
				checkLayout(t, y)
			}
		}
	}
}

// TestDecodeBoundsAllocation gives Decode headers that claim far more than
// they carry: it refuses them without allocating what they claim.
func TestDecodeBoundsAllocation(t *testing.T) {
	b := encoded(t, New(2))
	lie := bytes.Clone(b)
	lie[12] = 0xff // slots: about 4 billion
	lie[13], lie[14], lie[15] = 0xff, 0xff, 0x7f
	allocs := testing.AllocsPerRun(10, func() {
		if _, err := Decode(lie); !errors.Is(err, ErrEncoding) {
			t.Fatalf("lying header: %v", err)
		}
	})
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	_, _ = Decode(lie)
	runtime.ReadMemStats(&after)
	if grown := after.TotalAlloc - before.TotalAlloc; grown > 1<<16 || allocs > 20 {
		t.Fatalf("a lying header cost %d bytes in %v allocations", grown, allocs)
	}
}

// FuzzDecode feeds Decode arbitrary bytes, starting from real encodings:
// it returns an index or ErrEncoding, never panics, and what it returns
// is well formed and reads back from its own encoding.
func FuzzDecode(f *testing.F) {
	x, _, _ := snapshotFixture(f, 3)
	f.Add(encoded(f, x))
	f.Add(encoded(f, New(1)))
	f.Fuzz(func(t *testing.T, b []byte) {
		y, err := Decode(b)
		if err != nil {
			if !errors.Is(err, ErrEncoding) {
				t.Fatalf("Decode: %v, want ErrEncoding", err)
			}
			return
		}
		checkLayout(t, y)
		if _, err := Decode(encoded(t, y)); err != nil {
			t.Fatalf("a decoded index does not read back: %v", err)
		}
	})
}

// TestDecodeRefusesTwins refuses an encoding whose IDs name one entry
// twice: a search would find one of them only.
func TestDecodeRefusesTwins(t *testing.T) {
	x := New(1)
	for _, id := range []string{"ab", "ac"} {
		if err := x.Put(Entry{ID: id, Codes: []Code{{Key: 1}}, Active: true}); err != nil {
			t.Fatal(err)
		}
	}
	b := encoded(t, x)
	at := bytes.Index(b, []byte("abac"))
	if at < 0 {
		t.Fatal("the IDs are not laid out one after the other")
	}
	b[at+3] = 'b'
	if _, err := Decode(b); !errors.Is(err, ErrEncoding) {
		t.Fatalf("two entries of ID ab: %v, want ErrEncoding", err)
	}
}
