package bow

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"math/rand/v2"
	"reflect"
	"runtime"
	"testing"
)

// encoded returns x as WriteTo writes it.
func encoded(t testing.TB, x *Index) []byte {
	t.Helper()
	var b bytes.Buffer
	n, err := x.WriteTo(&b)
	if err != nil || n != int64(b.Len()) {
		t.Fatalf("WriteTo: %d bytes of %d, %v", n, b.Len(), err)
	}
	return b.Bytes()
}

// TestIndexRoundTrip writes an index that puts, removals (their handles
// free, some reused), replacements and a repeated pattern have shaped,
// reads it back, and holds the copy equal to the original: the same
// documents, and the same hits with the same scores, bit for bit, for
// every query; then changes both alike and holds them equal again.
func TestIndexRoundTrip(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	const words = 3000
	x := NewIndex(words)
	for i := range 500 {
		x.Put(fmt.Sprintf("doc%03d", i), randomFeatures(rng, 20+rng.IntN(500), words))
	}
	for i := 0; i < 500; i += 4 {
		x.Remove(fmt.Sprintf("doc%03d", i))
	}
	for i := 1; i < 500; i += 7 {
		x.Put(fmt.Sprintf("doc%03d", i), randomFeatures(rng, 300, words))
	}
	var repeated []Feature
	for i := range MaxCount + 100 {
		repeated = append(repeated, Feature{Word: 7, Turn: uint8(i % Turns)}, Feature{Word: words + 5})
	}
	x.Put("repeated", repeated)
	x.Put("", randomFeatures(rng, 40, words))
	x.Put("empty", nil)
	y, err := DecodeIndex(encoded(t, x), words)
	if err != nil {
		t.Fatal(err)
	}
	same := func(step string) {
		t.Helper()
		if x.Len() != y.Len() {
			t.Fatalf("%s: %d documents, decoded %d", step, x.Len(), y.Len())
		}
		for i := range 60 {
			q := randomFeatures(rng, 50+rng.IntN(500), words)
			if i == 0 {
				q = repeated[:400]
			}
			if a, b := x.Query(q, 40), y.Query(q, 40); !reflect.DeepEqual(a, b) {
				t.Fatalf("%s: query %d: %v, decoded %v", step, i, a, b)
			}
		}
	}
	same("decoded")
	if !bytes.Equal(encoded(t, y), encoded(t, y)) {
		t.Fatal("writing the decoded index twice differs")
	}
	for i := range 50 {
		id := fmt.Sprintf("doc%03d", rng.IntN(600))
		if i%3 == 0 {
			x.Remove(id)
			y.Remove(id)
			continue
		}
		fs := randomFeatures(rng, 200, words)
		x.Put(id, fs)
		y.Put(id, fs)
	}
	same("changed alike after")
}

// patch returns b with the uint32 at off set to v.
func patch(b []byte, off int, v uint32) []byte {
	b = bytes.Clone(b)
	binary.LittleEndian.PutUint32(b[off:], v)
	return b
}

// TestDecodeIndexRefuses gives DecodeIndex encodings it must refuse: of
// another vocabulary's size, format, Turns or MaxCount, cut short or
// longer, with counts that lie, words out of order or beyond the
// vocabulary, turns out of range, an ID twice.
func TestDecodeIndexRefuses(t *testing.T) {
	const words = 100
	x := NewIndex(words)
	x.Put("a", []Feature{{Word: 3, Turn: 1}, {Word: 9, Turn: 2}, {Word: 9, Turn: 15}})
	x.Put("b", []Feature{{Word: 4, Turn: 0}, {Word: 5, Turn: 3}})
	good := encoded(t, x)
	if _, err := DecodeIndex(good, words); err != nil {
		t.Fatal(err)
	}
	// Layout of good: header 40, lengths 40–47, sizes 48–55, counts
	// 56–63, IDs 64–65, words 66–75, turns 76–80; the lists from 81, one
	// byte of count for each word and one a document: word 3 [a] at
	// 84–85, 4 [b] at 86–87, 5 [b] at 88–89, 9 [a a] at 93–95; the
	// directory's one block in the last eight bytes.
	set := func(at ...int) []byte { // pairs of offset and value
		b := bytes.Clone(good)
		for i := 0; i < len(at); i += 2 {
			b[at[i]] = byte(at[i+1])
		}
		return b
	}
	if good[84] != 1 || good[85] != 0 || good[86] != 1 || good[87] != 1 || good[93] != 2 {
		t.Fatalf("the layout above is not the encoding's: %v", good[81:])
	}
	cases := map[string][]byte{
		"empty":              nil,
		"cut short":          good[:len(good)-1],
		"longer":             append(bytes.Clone(good), 0),
		"another magic":      append([]byte("PXBX"), good[4:]...),
		"another format":     patch(good, 4, indexFormat+1),
		"another turns":      patch(good, 12, Turns*2),
		"another max count":  patch(good, 16, MaxCount+1),
		"more documents":     patch(good, 20, 3),
		"a lying ID length":  patch(good, 40, 3),
		"a huge count":       patch(good, 56, 1<<31),
		"counts swapped":     patch(patch(good, 56, 2), 60, 3),
		"count above size":   patch(good, 52, 1),
		"the same ID twice":  append(bytes.Clone(good[:64]), append([]byte("aa"), good[66:]...)...),
		"words out of order": func() []byte { b := bytes.Clone(good); b[66], b[68] = 9, 3; return b }(),
		"a word beyond":      func() []byte { b := bytes.Clone(good); b[70] = words; return b }(),
		"a turn beyond":      func() []byte { b := bytes.Clone(good); b[77] = Turns; return b }(),
		// The lists: as many entries, each list well-formed, but pairs
		// the documents do not hold — word 3 listing b, word 4 a.
		"lists that lie":        set(85, 1, 87, 0),
		"a document beyond":     set(85, 2),
		"an entry less":         append(set(93, 1)[:95], good[96:]...),
		"a count not minimal":   append(append(bytes.Clone(good[:81]), 0x80, 0), good[82:]...),
		"a gap not minimal":     append(append(bytes.Clone(good[:85]), 0x80, 0), good[86:]...),
		"a directory elsewhere": set(len(good)-8, 1),
		"no directory":          good[:len(good)-8],
	}
	cases["a count that lies in the header"] = func() []byte {
		b := bytes.Clone(good)
		binary.LittleEndian.PutUint64(b[32:], 1<<40)
		return b
	}()
	for name, b := range cases {
		if _, err := DecodeIndex(b, words); !errors.Is(err, ErrEncoding) {
			t.Errorf("%s: %v, want ErrEncoding", name, err)
		}
	}
	if _, err := DecodeIndex(good, words+1); !errors.Is(err, ErrEncoding) {
		t.Errorf("another vocabulary: %v, want ErrEncoding", err)
	}
}

// FuzzDecodeIndex reads arbitrary input: an index decoded from it answers
// queries and writes out to the same bytes; anything else is ErrEncoding.
func FuzzDecodeIndex(f *testing.F) {
	const words = 64
	x := NewIndex(words)
	x.Put("a", []Feature{{Word: 3, Turn: 1}, {Word: 9, Turn: 2}, {Word: 9, Turn: 15}})
	x.Put("bb", []Feature{{Word: 4, Turn: 0}, {Word: 63, Turn: 3}})
	f.Add(encoded(f, x))
	f.Add(encoded(f, NewIndex(words)))
	f.Fuzz(func(t *testing.T, b []byte) {
		y, err := DecodeIndex(b, words)
		if err != nil {
			if !errors.Is(err, ErrEncoding) {
				t.Fatalf("DecodeIndex: %v, want ErrEncoding", err)
			}
			return
		}
		y.Query([]Feature{{Word: 3, Turn: 2}, {Word: 9, Turn: 0}}, 5)
		if again := encoded(t, y); !bytes.Equal(again, b) {
			t.Fatalf("decoded and written again: %x, read %x", again, b)
		}
	})
}

// TestDecodeSmallIndexAllocatesLittle reads back an empty index and one
// of a single document over the shipped vocabulary's size: each costs
// its lists and little more (a reading once started a goroutine, with a
// buffer of its own, for every word).
func TestDecodeSmallIndexAllocatesLittle(t *testing.T) {
	const words = 32768
	one := NewIndex(words)
	one.Put("a", []Feature{{Word: 3, Turn: 1}, {Word: 30000, Turn: 2}})
	for _, x := range []*Index{NewIndex(words), one} {
		b := encoded(t, x)
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		y, err := DecodeIndex(b, words)
		runtime.ReadMemStats(&after)
		if err != nil || y.Len() != x.Len() {
			t.Fatalf("%d documents decoded of %d: %v", y.Len(), x.Len(), err)
		}
		if grown := after.TotalAlloc - before.TotalAlloc; grown > 4<<20 {
			t.Errorf("reading %d documents allocated %d bytes", x.Len(), grown)
		}
	}
}
