package metabody_test

import (
	"bytes"
	"errors"
	"maps"
	"slices"
	"strconv"
	"strings"
	"testing"
	"unicode/utf16"

	"github.com/pixmatch/pixmatch/server/api/alibaba/metabody"
	"github.com/pixmatch/pixmatch/shared/apierror"
)

// seedBodies are well-formed and broken bodies of every request, in both
// offset styles, to start the fuzzers from.
func seedBodies() [][]byte {
	png := "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAAAAAA6fptVAAAACklEQVR4nGNiAAAABgADNjd8qAAAAABJRU5ErkJggg=="
	sets := [][]metabody.Field{
		{f("item_id", "p1"), f("cat_id", "0"), f("cust_content", "海报 🎨"), f("pic_list", metabody.PicKey("a")), f(metabody.PicKey("a"), png)},
		{f("s", "0"), f("n", "10"), f("pic_list", metabody.PicKey("searchPic")), f(metabody.PicKey("searchPic"), png)},
		{f("item_id", "商品"), f("pic_list", metabody.PicKey("a")+","+metabody.PicKey("b"))},
		{f("crop", "true"), f("region", "1,2,3,4"), f("int_attr", "5"), f("str_attr", "x"), f("filter", "int_attr=5")},
		{f("a", "^#,"), f("b", "")},
	}
	var bodies [][]byte
	for _, s := range sets {
		bodies = append(bodies, metabody.Build(s), buildJava(s))
	}
	return append(bodies, []byte(""), []byte("^"), []byte("k,0,1#k,0,1^a"), []byte("a,0,1#b,1,3^🎨x"), []byte("a,1,0^\xff"))
}

// checkAlibabaError fails t unless err is an Alibaba catalogue entry.
func checkAlibabaError(t *testing.T, body []byte, err error) {
	t.Helper()
	var e *apierror.Error
	if !errors.As(err, &e) || e.Dialect != apierror.Alibaba {
		t.Fatalf("body %q: error %v is not an Alibaba catalogue entry", body, err)
	}
	if len(apierror.Lookup(apierror.Alibaba, e.Code)) == 0 {
		t.Fatalf("body %q: code %s is not in the catalogue", body, e.Code)
	}
}

// FuzzParse checks that Parse never panics, fails only with the three
// body errors, and that every value it returns is the content between its
// offsets, all counted in bytes or all in UTF-16 units, bytes whenever the
// offsets cover the content as bytes; and that Build writes the values
// back to a body that parses the same.
func FuzzParse(f *testing.F) {
	for _, b := range seedBodies() {
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		values, err := metabody.Parse(body)
		if err != nil {
			checkAlibabaError(t, body, err)
			if !errors.Is(err, apierror.NoCaretSeperator) && !errors.Is(err, apierror.EmptyMeta) &&
				!errors.Is(err, apierror.InvalidMetaItem) {
				t.Fatalf("body %q: unexpected error %v", body, err)
			}
			return
		}
		checkOffsets(t, body, values)
		keys := slices.Sorted(maps.Keys(values))
		fields := make([]metabody.Field, len(keys))
		for i, k := range keys {
			fields[i] = metabody.Field{Key: k, Value: values[k]}
		}
		again, err := metabody.Parse(metabody.Build(fields))
		if err != nil || !maps.Equal(again, values) {
			t.Fatalf("body %q: rebuilt body parses to %q, %v; want %q", body, again, err, values)
		}
	})
}

// checkOffsets reads the meta of body on its own and checks values against
// it, as FuzzParse describes.
func checkOffsets(t *testing.T, body []byte, values map[string]string) {
	t.Helper()
	meta, content, _ := bytes.Cut(body, []byte("^"))
	units := utf16.Encode([]rune(string(content)))
	items := strings.Split(string(meta), "#")
	if len(items) != len(values) {
		t.Fatalf("body %q: %d meta items, %d values", body, len(items), len(values))
	}
	asBytes, asUTF16 := true, true
	last := 0
	for _, it := range items {
		parts := strings.Split(it, ",")
		if len(parts) != 3 {
			t.Fatalf("body %q: meta item %q accepted", body, it)
		}
		start, err1 := strconv.Atoi(parts[1])
		end, err2 := strconv.Atoi(parts[2])
		if err1 != nil || err2 != nil || start < 0 || start > end {
			t.Fatalf("body %q: meta item %q accepted", body, it)
		}
		v, ok := values[parts[0]]
		if !ok {
			t.Fatalf("body %q: no value for key %q", body, parts[0])
		}
		last = max(last, end)
		asBytes = asBytes && end <= len(content) && string(content[start:end]) == v
		asUTF16 = asUTF16 && end <= len(units) && string(utf16.Decode(units[start:end])) == v
	}
	switch {
	case !asBytes && !asUTF16:
		t.Fatalf("body %q: values %q are not the content between their offsets", body, values)
	case last == len(content) && !asBytes:
		t.Fatalf("body %q: offsets cover the content as bytes, values %q are not read as bytes", body, values)
	}
}

// FuzzParseAdd checks that ParseAdd never panics, that every error is an
// Alibaba catalogue entry, and that every request it accepts has an item
// and at least one named pic with image data.
func FuzzParseAdd(f *testing.F) {
	for _, b := range seedBodies() {
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		r, err := metabody.ParseAdd(body)
		if err != nil {
			checkAlibabaError(t, body, err)
			return
		}
		if r.ItemID == "" || len(r.Pics) == 0 {
			t.Fatalf("body %q: accepted %+v", body, r)
		}
		for _, p := range r.Pics {
			if p.Name == "" || len(p.Data) == 0 {
				t.Fatalf("body %q: accepted pic %+v", body, p)
			}
		}
	})
}

// FuzzParseSearch checks that ParseSearch never panics, that every error is
// an Alibaba catalogue entry, and that every request it accepts has a
// picture and a window within the documented bounds.
func FuzzParseSearch(f *testing.F) {
	for _, b := range seedBodies() {
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		r, err := metabody.ParseSearch(body)
		if err != nil {
			checkAlibabaError(t, body, err)
			return
		}
		if len(r.Pic) == 0 || r.Start < 0 || r.Start > metabody.MaxStart || r.Num < 1 || r.Num > metabody.MaxNum {
			t.Fatalf("body %q: accepted %+v", body, r)
		}
	})
}

// FuzzParseDelete checks that ParseDelete never panics, that every error is
// an Alibaba catalogue entry, and that every request it accepts names an
// item and either no pic list or named pics.
func FuzzParseDelete(f *testing.F) {
	for _, b := range seedBodies() {
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		r, err := metabody.ParseDelete(body)
		if err != nil {
			checkAlibabaError(t, body, err)
			return
		}
		if r.ItemID == "" || (r.PicNames != nil && len(r.PicNames) == 0) || slices.Contains(r.PicNames, "") {
			t.Fatalf("body %q: accepted %+v", body, r)
		}
	})
}
