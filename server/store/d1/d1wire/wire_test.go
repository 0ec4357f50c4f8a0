package d1wire

import (
	"bytes"
	"database/sql/driver"
	"encoding/json"
	"errors"
	"io"
	"math"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"
	"unsafe"
)

// all reads every row of r.
func all(t testing.TB, r *Rows) [][]driver.Value {
	t.Helper()
	var out [][]driver.Value
	for {
		row := make([]driver.Value, len(r.Columns()))
		err := r.Next(row)
		if errors.Is(err, io.EOF) {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, row)
	}
}

func TestParseRows(t *testing.T) {
	for _, c := range []struct {
		text string
		cols []string
		rows [][]driver.Value
	}{
		{`[]`, nil, nil},
		{` [ [ "a" , "b" ] ] `, []string{"a", "b"}, nil},
		{`[["n","i","f","s","b"],[null,42,0.5,"x",[0,255,7]]]`, []string{"n", "i", "f", "s", "b"},
			[][]driver.Value{{nil, int64(42), 0.5, "x", []byte{0, 255, 7}}}},
		{`[["v"],[-0],[-7],[1e+21],[9007199254740993],[1.5e-7],[123456789012345],[-123456789012345678]]`, []string{"v"},
			[][]driver.Value{{int64(0)}, {int64(-7)}, {1e21}, {int64(9007199254740992)}, {1.5e-7}, {int64(123456789012345)}, {int64(-123456789012345680)}}},
		{`[["big"],[1e+300],[-9.3e18]]`, []string{"big"}, [][]driver.Value{{1e300}, {-9.3e18}}}, // past int64: a float64
		{`[["s"],[""],["a\"b\\c\/d\b\f\n\r\t"],["\u00e9\u20ac"],["\ud83d\ude00"],["é€😀"]]`, []string{"s"},
			[][]driver.Value{{""}, {"a\"b\\c/d\b\f\n\r\t"}, {"é€"}, {"😀"}, {"é€😀"}}},
		{`[["lone"],["\ud800"],["x\udc00y"],["\ud800\u0041"],["\ud800\ud800\ude00"]]`, []string{"lone"},
			[][]driver.Value{{"\uFFFD"}, {"x\uFFFDy"}, {"\uFFFDA"}, {"\uFFFD\U00010200"}}},
		{`[["empty"],[[]]]`, []string{"empty"}, [][]driver.Value{{[]byte{}}}},
	} {
		r, err := ParseRows([]byte(c.text))
		if err != nil {
			t.Errorf("%s: %v", c.text, err)
			continue
		}
		if !reflect.DeepEqual(r.Columns(), c.cols) {
			t.Errorf("%s: columns %q, want %q", c.text, r.Columns(), c.cols)
		}
		if got := all(t, r); !reflect.DeepEqual(got, c.rows) {
			t.Errorf("%s: rows %#v, want %#v", c.text, got, c.rows)
		}
	}
}

func TestParseRowsRefuses(t *testing.T) {
	for _, text := range []string{
		``, `{}`, `[`, `[["a"]`, `[["a"],[1,2]]`, `[["a"],[]]`, `[[1]]`, `[["a"],[1]] x`,
		`[["a"],["unended]]`, `[["a"],["\x"]]`, `[["a"],["\u12"]]`, "[[\"a\"],[\"\n\"]]",
		`[["a"],[[256]]]`, `[["a"],[[-1]]]`, `[["a"],[["x"]]]`, `[["a"],[nul]]`, `[["a"],[1 2]]`,
		`[["a"],[true]]`, `[["a"],[-]]`, `[["a"],[1e]]`,
	} {
		if r, err := ParseRows([]byte(text)); err == nil {
			t.Errorf("%q parsed: %v", text, r.rows)
		}
	}
}

func TestParseResult(t *testing.T) {
	r, err := ParseResult([]byte(`[3,17]`))
	if err != nil {
		t.Fatal(err)
	}
	if n, err := r.RowsAffected(); n != 3 || err != nil {
		t.Errorf("RowsAffected = %d, %v", n, err)
	}
	if id, err := r.LastInsertId(); id != 17 || err != nil {
		t.Errorf("LastInsertId = %d, %v", id, err)
	}
	r, err = ParseResult([]byte(`[1,null]`))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r.LastInsertId(); err == nil {
		t.Error("LastInsertId without last_row_id did not fail")
	}
	for _, text := range []string{`[1]`, `[1,2,3]`, `[1.5,2]`, `["1",2]`, `{}`} {
		if _, err := ParseResult([]byte(text)); err == nil {
			t.Errorf("%s parsed", text)
		}
	}
}

// FuzzParseRows holds ParseRows to encoding/json on every answer that
// encoding/json reads as one: the same columns and values, converted as
// the package says. It never panics on any other.
func FuzzParseRows(f *testing.F) {
	for _, s := range []string{
		`[]`, `[["a"]]`, `[["a","b"],[1,"x"],[null,[1,2]]]`, `[["s"],["\ud800\u0041"]]`,
		`[["n"],[1e+300],[-0.5],[9007199254740993]]`, `[["s"],["é\"\\\/\n"]]`,
		`[["s","t"],["abcdefghijklmnopq\"rstuvwxyz0123456789é€","0123456789abcdef\\01234567\u0041"]]`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, text []byte) {
		got, err := ParseRows(text)
		want, ok := oracle(text)
		if !ok {
			return // not an answer encoding/json reads; ParseRows need only not panic
		}
		if err != nil {
			t.Fatalf("%q: %v, encoding/json reads %#v", text, err, want)
		}
		names := []driver.Value{}
		for _, c := range got.Columns() {
			names = append(names, c)
		}
		rows := append([][]driver.Value{names}, all(t, got)...)
		if len(want) == 0 {
			want = [][]driver.Value{{}}
		}
		if !reflect.DeepEqual(rows, want) {
			t.Fatalf("%q: %#v, encoding/json reads %#v", text, rows, want)
		}
	})
}

// oracle reads an answer with encoding/json and converts its values as
// the package says; false when it is not an answer.
func oracle(text []byte) ([][]driver.Value, bool) {
	if !utf8.Valid(text) {
		return nil, false // TextEncoder writes none
	}
	var raw [][]any
	d := json.NewDecoder(strings.NewReader(string(text)))
	d.UseNumber()
	if d.Decode(&raw) != nil || d.More() {
		return nil, false
	}
	if _, err := d.Token(); !errors.Is(err, io.EOF) {
		return nil, false
	}
	out := make([][]driver.Value, len(raw))
	for i, r := range raw {
		if i > 0 && len(r) != len(raw[0]) {
			return nil, false
		}
		out[i] = []driver.Value{}
		for _, v := range r {
			var c driver.Value
			switch v := v.(type) {
			case nil:
			case string:
				c = v
			case json.Number:
				if i == 0 {
					return nil, false
				}
				f, err := v.Float64()
				if err != nil {
					return nil, false
				}
				if f == math.Trunc(f) && math.Abs(f) < 1<<63 {
					c = int64(f)
				} else {
					c = f
				}
			case []any:
				if i == 0 {
					return nil, false
				}
				b := []byte{}
				for _, e := range v {
					n, ok := e.(json.Number)
					k, err := n.Int64()
					if !ok || err != nil || k < 0 || k > 255 {
						return nil, false
					}
					b = append(b, byte(k))
				}
				c = b
			default:
				return nil, false
			}
			if i == 0 && c == nil {
				return nil, false
			}
			out[i] = append(out[i], c)
		}
	}
	return out, true
}

// TestParseRowsSharesOnlyLongStrings: a string value of shareBytes or
// more without escapes shares the answer's memory, a shorter one or one
// with escapes does not — so an ID the isolate keeps does not keep its
// whole answer alive — and each reads as its text.
func TestParseRowsSharesOnlyLongStrings(t *testing.T) {
	long := strings.Repeat("12 500 3a,", shareBytes/10+1)
	escaped := strings.Repeat(`a\n`, shareBytes/2)
	text := []byte(`[["long","short","escaped","under"],["` + long + `","id-1","` + escaped + `","` + long[:shareBytes-1] + `"]]`)
	r, err := ParseRows(text)
	if err != nil {
		t.Fatal(err)
	}
	row := all(t, r)[0]
	inside := func(s string) bool {
		p := uintptr(unsafe.Pointer(unsafe.StringData(s)))
		start := uintptr(unsafe.Pointer(unsafe.SliceData(text)))
		return p >= start && p < start+uintptr(len(text))
	}
	for i, c := range []struct {
		want   string
		shared bool
	}{{long, true}, {"id-1", false}, {strings.Repeat("a\n", shareBytes/2), false}, {long[:shareBytes-1], false}} {
		got := row[i].(string)
		if got != c.want {
			t.Errorf("%s: read %d bytes %.20q…, want %d bytes %.20q…", r.Columns()[i], len(got), got, len(c.want), c.want)
		}
		if inside(got) != c.shared {
			t.Errorf("%s: shares the answer's memory %v, want %v", r.Columns()[i], inside(got), c.shared)
		}
	}
}

// TestSpecial holds the 8-byte test of plainEnd to a byte-by-byte one:
// every byte value in every position of a word of plain bytes, and
// random words.
func TestSpecial(t *testing.T) {
	byByte := func(w uint64) bool {
		for k := range 8 {
			if c := byte(w >> (8 * k)); c == '"' || c == '\\' || c < 0x20 {
				return true
			}
		}
		return false
	}
	const plain = 0x6161616161616161 // "aaaaaaaa"
	for k := range 8 {
		for c := range 256 {
			w := plain&^(0xff<<(8*k)) | uint64(c)<<(8*k)
			if special(w) != byByte(w) {
				t.Fatalf("%#016x: special %v", w, special(w))
			}
		}
	}
	rng := rand.New(rand.NewPCG(3, 4))
	for range 1_000_000 {
		w := rng.Uint64()
		if rng.IntN(2) == 0 { // mostly printable, as answers are
			w = w&0x3f3f3f3f3f3f3f3f | 0x4040404040404040
			w ^= uint64(rng.IntN(256)) << (8 * rng.IntN(8))
		}
		if special(w) != byByte(w) {
			t.Fatalf("%#016x: special %v", w, special(w))
		}
	}
}

// TestCompactBlob holds compactBlob to the general path (blobValues):
// every array it reads, the general path reads the same, ending at the
// same byte; and it leaves to the general path what is not written as
// JSON.stringify writes (spaces, four digits, signs, fractions) or
// refused (a byte over 255, an unended array). FuzzCompactBlob goes on.
func TestCompactBlob(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	cases := []string{`[]`, `[0]`, `[255]`, `[1,2,3]`, `[007]`, `[256]`, `[1,]`, `[,1]`, `[1 ,2]`, `[ 1]`,
		`[0001]`, `[1,2`, `[-1]`, `[1.0]`, `[1e2]`, `[1]]`, `[`, `[9999]`}
	for range 200 {
		b := make([]byte, rng.IntN(400))
		for i := range b {
			b[i] = byte(rng.IntN(256))
		}
		text, _ := json.Marshal(asInts(b))
		cases = append(cases, string(text))
	}
	fast := 0
	for _, text := range cases {
		if checkCompactBlob(t, text) {
			fast++
		}
	}
	if fast < 200 {
		t.Fatalf("compactBlob read %d of the %d arrays JSON.stringify writes", fast, 200)
	}
}

func FuzzCompactBlob(f *testing.F) {
	for _, s := range []string{`[1,2,3]`, `[256]`, `[1 ,2]`, `[]`, `[1,`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) {
		if strings.HasPrefix(text, "[") {
			checkCompactBlob(t, text)
		}
	})
}

// checkCompactBlob checks compactBlob against blobValues on text, an
// array at its start, and reports whether compactBlob read it.
func checkCompactBlob(t *testing.T, text string) bool {
	t.Helper()
	got, next, ok := compactBlob(text, 0)
	if !ok {
		return false
	}
	p := &parser{s: text}
	want, err := p.blobValues()
	if err != nil || !bytes.Equal(got, want.([]byte)) || next != p.i {
		t.Fatalf("%q: compactBlob read %v to byte %d, the general path %v to byte %d (%v)", text, got, next, want, p.i, err)
	}
	return true
}

// asInts returns b as numbers, as JSON.stringify writes an array of byte
// values.
func asInts(b []byte) []int {
	out := make([]int, len(b))
	for i, c := range b {
		out[i] = int(c)
	}
	return out
}

// BenchmarkBlobs reads the fingerprints of a shortlist as an answer holds
// them (40 BLOBs of 354 bytes, the average of a gallery of photos) by
// compactBlob, then by the general path, a value at a time: compare the
// two lines.
func BenchmarkBlobs(b *testing.B) {
	rng := rand.New(rand.NewPCG(9, 10))
	var texts []string
	for range 40 {
		v := make([]byte, 354)
		for i := range v {
			v[i] = byte(rng.IntN(256))
		}
		text, _ := json.Marshal(asInts(v))
		texts = append(texts, string(text))
	}
	b.Run("compact", func(b *testing.B) {
		for b.Loop() {
			for _, text := range texts {
				if _, _, ok := compactBlob(text, 0); !ok {
					b.Fatal("not read")
				}
			}
		}
	})
	b.Run("general", func(b *testing.B) {
		for b.Loop() {
			for _, text := range texts {
				if _, err := (&parser{s: text}).blobValues(); err != nil {
					b.Fatal(err)
				}
			}
		}
	})
}
