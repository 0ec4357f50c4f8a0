package metabody_test

import (
	"errors"
	"maps"
	"strconv"
	"strings"
	"testing"
	"unicode/utf16"

	"github.com/pixmatch/pixmatch/server/api/alibaba/metabody"
	"github.com/pixmatch/pixmatch/shared/apierror"
)

// buildJava writes fields as the official Java SDK does: offsets counted
// in UTF-16 code units of the content (Java String.length()), the body
// sent as UTF-8.
func buildJava(fields []metabody.Field) []byte {
	var meta, content strings.Builder
	start := 0
	for i, f := range fields {
		if i > 0 {
			meta.WriteByte('#')
		}
		end := start + len(utf16.Encode([]rune(f.Value)))
		meta.WriteString(f.Key + "," + strconv.Itoa(start) + "," + strconv.Itoa(end))
		content.WriteString(f.Value)
		start = end
	}
	return []byte(meta.String() + "^" + content.String())
}

// checkEntry fails t unless err is the catalogue entry want, carrying a
// cause that says what went wrong.
func checkEntry(t *testing.T, err error, want *apierror.Error) {
	t.Helper()
	if !errors.Is(err, want) {
		t.Fatalf("error %v, want %s", err, want.Code)
	}
	var e *apierror.Error
	if !errors.As(err, &e) || e.Unwrap() == nil {
		t.Fatalf("error %v carries no cause", err)
	}
}

func TestParse(t *testing.T) {
	tests := []struct {
		name string
		body string
		want map[string]string
	}{
		{"one empty value", "k,0,0^", map[string]string{"k": ""}},
		{"two values", "a,0,1#b,1,3^xyz", map[string]string{"a": "x", "b": "yz"}},
		{"out of order", "b,1,3#a,0,1^xyz", map[string]string{"a": "x", "b": "yz"}},
		{"overlapping", "a,0,3#b,1,2^xyz", map[string]string{"a": "xyz", "b": "y"}},
		{"separators in content", "a,0,2#b,2,5^^#,^,", map[string]string{"a": "^#", "b": ",^,"}},
		{"leading zeros", "a,00,01^x", map[string]string{"a": "x"}},
		{"unlisted trailing bytes", "a,0,1^xyz", map[string]string{"a": "x"}},
		{"base64 key", "c2VhcmNoUGlj,0,4^QUJD", map[string]string{"c2VhcmNoUGlj": "QUJD"}},
		{"bytes covering non-ASCII", "a,0,3#b,3,4^中x", map[string]string{"a": "中", "b": "x"}},
		{"UTF-16 covering non-ASCII", "a,0,1#b,1,2^中x", map[string]string{"a": "中", "b": "x"}},
		{"UTF-16 with a surrogate pair", "a,0,2#b,2,3^🎨x", map[string]string{"a": "🎨", "b": "x"}},
		// Offsets inside a surrogate pair are not UTF-16 units of any Java
		// string, so they are read as bytes, which they fit.
		{"split surrogate pair read as bytes", "a,0,1#b,1,3^🎨x", map[string]string{"a": "\xf0", "b": "\x9f\x8e"}},
		// Invalid UTF-8 has no UTF-16 length: the offsets are bytes.
		{"invalid UTF-8 read as bytes", "a,0,1^\xff\xfe", map[string]string{"a": "\xff"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := metabody.Parse([]byte(tt.body))
			if err != nil {
				t.Fatal(err)
			}
			if !maps.Equal(got, tt.want) {
				t.Errorf("Parse(%q) = %q, want %q", tt.body, got, tt.want)
			}
		})
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		name string
		body string
		want *apierror.Error
	}{
		{"empty body", "", apierror.NoCaretSeperator},
		{"no caret", "k,0,1#j,1,2", apierror.NoCaretSeperator},
		{"empty meta", "^abc", apierror.EmptyMeta},
		{"empty meta and content", "^", apierror.EmptyMeta},
		{"two parts", "k,0^a", apierror.InvalidMetaItem},
		{"four parts", "k,0,1,1^a", apierror.InvalidMetaItem},
		{"key only", "k^a", apierror.InvalidMetaItem},
		{"empty key", ",0,1^a", apierror.InvalidMetaItem},
		{"empty start", "k,,1^a", apierror.InvalidMetaItem},
		{"letter offset", "k,a,1^a", apierror.InvalidMetaItem},
		{"negative start", "k,-1,1^a", apierror.InvalidMetaItem},
		{"signed start", "k,+0,1^a", apierror.InvalidMetaItem},
		{"space in offset", "k, 0,1^a", apierror.InvalidMetaItem},
		{"overflowing offset", "k,0,99999999999999999999999^a", apierror.InvalidMetaItem},
		{"start after end", "k,1,0^a", apierror.InvalidMetaItem},
		{"end beyond content", "k,0,2^a", apierror.InvalidMetaItem},
		{"second end beyond content", "k,0,1#j,1,9^ab", apierror.InvalidMetaItem},
		{"start beyond content", "k,3,3^a", apierror.InvalidMetaItem},
		{"duplicate key", "k,0,1#k,1,2^ab", apierror.InvalidMetaItem},
		{"trailing item separator", "k,0,1#^a", apierror.InvalidMetaItem},
		{"empty item between", "k,0,1##j,0,1^a", apierror.InvalidMetaItem},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := metabody.Parse([]byte(tt.body))
			checkEntry(t, err, tt.want)
			if got != nil {
				t.Errorf("Parse(%q) returned %q with its error", tt.body, got)
			}
		})
	}
}

func TestBuild(t *testing.T) {
	tests := []struct {
		name   string
		fields []metabody.Field
		want   string
	}{
		{"no fields", nil, "^"},
		{"ASCII", []metabody.Field{{"item_id", "42"}, {"cat_id", "0"}}, "item_id,0,2#cat_id,2,3^420"},
		{"byte offsets", []metabody.Field{{"item_id", "42"}, {"cust_content", "中"}, {"crop", "true"}},
			"item_id,0,2#cust_content,2,5#crop,5,9^42中true"},
		{"empty value", []metabody.Field{{"pic_list", ""}, {"item_id", "x"}}, "pic_list,0,0#item_id,0,1^x"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := string(metabody.Build(tt.fields)); got != tt.want {
				t.Errorf("Build = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestBuildPanicsOnSeparatorInKey(t *testing.T) {
	for _, key := range []string{"a,b", "a#b", "a^b"} {
		t.Run(key, func(t *testing.T) {
			defer func() {
				if recover() == nil {
					t.Errorf("Build with key %q did not panic", key)
				}
			}()
			metabody.Build([]metabody.Field{{Key: key, Value: "v"}})
		})
	}
}

// TestRoundTrip builds bodies both ways, with byte offsets and with the
// Java SDK's UTF-16 offsets, and parses each back to the same values.
func TestRoundTrip(t *testing.T) {
	tests := []struct {
		name   string
		fields []metabody.Field
	}{
		{"ASCII", []metabody.Field{{"item_id", "a-1"}, {"cat_id", "88888888"}, {"cust_content", `{"k":"v"}`}}},
		{"Chinese custom content", []metabody.Field{
			{"item_id", "商品-1"}, {"cat_id", "0"}, {"cust_content", `{"名称":"海报","颜色":"红"}`},
			{metabody.PicKey("正面.jpg"), "iVBORw0KGgo="}, {"pic_list", metabody.PicKey("正面.jpg")},
		}},
		{"astral characters", []metabody.Field{{"cust_content", "🎨🖼️ poster"}, {"item_id", "𝔸"}}},
		{"non-ASCII last", []metabody.Field{{"item_id", "7"}, {"cust_content", "café"}}},
		{"non-ASCII first, empties around", []metabody.Field{{"a", ""}, {"b", "ü"}, {"c", ""}}},
		{"separators in values", []metabody.Field{{"a", "^"}, {"b", "#,"}, {"c", "中^"}}},
		{"long ASCII runs around non-ASCII", []metabody.Field{
			{"a", strings.Repeat("x", 21)}, {"b", strings.Repeat("y", 13) + "é" + strings.Repeat("z", 17)},
			{"c", "🎨" + strings.Repeat("w", 9)}, {"d", strings.Repeat("v", 64)},
		}},
	}
	for _, tt := range tests {
		want := make(map[string]string, len(tt.fields))
		for _, f := range tt.fields {
			want[f.Key] = f.Value
		}
		for style, build := range map[string]func([]metabody.Field) []byte{"Go": metabody.Build, "Java": buildJava} {
			t.Run(tt.name+"/"+style, func(t *testing.T) {
				body := build(tt.fields)
				got, err := metabody.Parse(body)
				if err != nil {
					t.Fatalf("Parse(%q): %v", body, err)
				}
				if !maps.Equal(got, want) {
					t.Errorf("Parse(%q) = %q, want %q", body, got, want)
				}
			})
		}
	}
}

func BenchmarkParse(b *testing.B) {
	image := strings.Repeat("iVBORw0KGgoAAAANSUhEUgAA", 1<<16) // 1.5 MB of base64
	for style, build := range map[string]func([]metabody.Field) []byte{"Go": metabody.Build, "Java": buildJava} {
		body := build([]metabody.Field{
			{"item_id", "商品-1"}, {"cust_content", "海报"}, {"pic_list", metabody.PicKey("a")}, {metabody.PicKey("a"), image},
		})
		b.Run(style, func(b *testing.B) {
			b.SetBytes(int64(len(body)))
			for b.Loop() {
				if _, err := metabody.Parse(body); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
