package d1

import (
	"context"
	"encoding/json"
	"errors"
	"reflect"
	"sort"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/pixmatch/pixmatch/server/store"
	"github.com/pixmatch/pixmatch/server/store/storetest"
)

// TestTargetsAsTextAsRows holds the targets read as text (textRows:
// TargetsByID) equal to those read row by row (the statement of every
// other read), field for field, for targets whose strings hold what JSON
// escapes (quotes, backslashes, control characters), letters beyond
// ASCII and outside the Basic Multilingual Plane, empty and long values;
// read in one string and cut into many (textChunk).
func TestTargetsAsTextAsRows(t *testing.T) {
	ctx := context.Background()
	s, _ := openTemp(t)
	g, err := s.CreateGallery(ctx, store.Gallery{Name: "g"})
	if err != nil {
		t.Fatal(err)
	}
	odd := []string{"", `"quoted" \back\slash/`, "tab\tnew\nline\r\x01\x1f\x7f", "é ü ß — 漢字", "😀 𝄞", strings.Repeat("\"\\\x02é", InlineMax/8)}
	var ids []string
	for i := range 12 {
		tg := storetest.Target(g.ID, i, 64)
		tg.Name, tg.Meta, tg.CustomContent = odd[i%len(odd)], odd[(i+1)%len(odd)], odd[(i+2)%len(odd)]
		tg.StrAttr[2] = odd[(i+3)%len(odd)]
		tg.Extra = `{"s":` + jsonString(odd[(i+4)%len(odd)]) + `}`
		if i == 5 {
			tg.Grade = []byte{}
		}
		if _, err := s.CreateTarget(ctx, tg); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, tg.ID)
	}
	rows, err := s.targets(ctx, true, `WHERE gallery_id = ? ORDER BY id`, g.ID)
	if err != nil || len(rows) != len(ids) {
		t.Fatalf("read row by row: %d targets, %v", len(rows), err)
	}
	defer func(n int) { textChunk = n }(textChunk)
	for _, chunk := range []int{1 << 20, 300, 1} {
		textChunk = chunk
		text, err := s.TargetsByID(ctx, g.ID, ids, true)
		if err != nil {
			t.Fatalf("chunks of %d bytes: %v", chunk, err)
		}
		sort.Slice(text, func(i, j int) bool { return text[i].ID < text[j].ID })
		for i := range rows {
			if i >= len(text) || !reflect.DeepEqual(text[i], rows[i]) {
				t.Fatalf("chunks of %d bytes: target %s read as text differs from its row", chunk, rows[i].ID)
			}
		}
	}
}

// jsonString returns s as a JSON string.
func jsonString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// TestTextRowScan: a row read as text scans into the destinations the
// store uses, and refuses a value of another kind, a count that does
// not match, a bool other than 0 or 1 and a blob not written as one.
func TestTextRowScan(t *testing.T) {
	rows, err := parseRows(`[7,"a","x00ff",1,-3],[0,"",`+`"x",0,9007199254740993]`, nil)
	if err != nil || len(rows) != 2 {
		t.Fatalf("parsed %v, %v", rows, err)
	}
	var (
		n, m int64
		s    string
		b    []byte
		ok   bool
	)
	if err := rows[0].Scan(&n, &s, &b, &ok, &m); err != nil || n != 7 || s != "a" || !reflect.DeepEqual(b, []byte{0, 255}) || !ok || m != -3 {
		t.Errorf("scanned %d %q %v %v %d, %v", n, s, b, ok, m, err)
	}
	if err := rows[1].Scan(&n, &s, &b, &ok, &m); err != nil || n != 0 || s != "" || len(b) != 0 || ok || m != 9007199254740993 {
		t.Errorf("scanned %d %q %v %v %d, %v", n, s, b, ok, m, err)
	}
	for _, bad := range [][]any{
		{&n, &s, &b, &ok},           // too few
		{&s, &s, &b, &ok, &m},       // a number into a string
		{&n, &n, &b, &ok, &m},       // a string into a number
		{&n, &s, &s, &ok, &m},       // fine: a blob's text into a string
		{&n, &b, &b, &ok, &m},       // a string into a blob
		{&n, &s, &b, &ok, &ok},      // -3 into a bool
		{&n, &s, &b, &ok, new(int)}, // a destination the store does not use
	} {
		err := rows[0].Scan(bad...)
		if fine := reflect.TypeOf(bad[2]) == reflect.TypeOf(&s); fine != (err == nil) {
			t.Errorf("Scan into %T…: %v", bad, err)
		}
		if err != nil && !errors.Is(err, errTextScan) {
			t.Errorf("Scan: %v, not errTextScan", err)
		}
	}
	for _, bad := range []string{"", "[", "[1", "[1,]", "[,1]", "[1]]", "[1],", "[1] ,[2]", "[1.5]", "[1e3]", "[true]",
		"[null]", `["a]`, `["\x"]`, `["\u12"]`, `["\u12g4"]`, "[9223372036854775808]", "[-]", `["a"b]`, "{}"} {
		if rows, err := parseRows(bad, nil); err == nil {
			t.Errorf("%q parsed as %v", bad, rows)
		}
	}
}

// FuzzParseRows holds parseRows to encoding/json: rows of integers and
// strings as json.Marshal writes them parse to the same values; any text
// parses or fails without a panic.
func FuzzParseRows(f *testing.F) {
	f.Add("a", int64(1), "é\"\\\n\x00😀", int64(-7))
	f.Add("", int64(0), "\u2028\ufffd", int64(1<<62))
	f.Fuzz(func(t *testing.T, a string, n int64, b string, m int64) {
		if !utf8.ValidString(a) || !utf8.ValidString(b) {
			return // json.Marshal would change them
		}
		text, _ := json.Marshal([]any{a, n, b})
		more, _ := json.Marshal([]any{m, b, a})
		rows, err := parseRows(string(text)+","+string(more), nil)
		if err != nil {
			t.Fatalf("%s,%s: %v", text, more, err)
		}
		want := []textRow{{{str: a}, {num: n, isNum: true}, {str: b}}, {{num: m, isNum: true}, {str: b}, {str: a}}}
		if !reflect.DeepEqual(rows, want) {
			t.Fatalf("%s,%s parsed as %v", text, more, rows)
		}
		parseRows(a+b, nil) // any text: no panic
	})
}
