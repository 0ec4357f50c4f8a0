// Package metabody reads and writes the request body of the legacy
// (2018-01-20) Alibaba Cloud Image Search API, the `meta^content` body that
// /item/add, /item/search and /item/delete accept:
//
//	key1,start1,end1#key2,start2,end2#...^value1value2...
//
// The meta part, before the first '^', names each key with the start and
// end (exclusive) of its value in the content part after the '^'.
//
// The official Java SDK counts those offsets in UTF-16 code units of the
// content and then sends it as UTF-8, while a Go client counts bytes. For
// ASCII content the two agree. Otherwise the offsets are read as bytes when
// they account for the whole content (the largest end is its length in
// bytes), else as UTF-16 units when they account for the whole content
// counted that way, else as bytes when they lie within it. Reading
// "fits" as "lies within" alone could not tell the two apart: UTF-16
// offsets of non-ASCII content always lie within its bytes too.
//
// Parse splits a body into its keys and values; ParseAdd, ParseSearch and
// ParseDelete read the keys of each request. Every error they return is an
// Alibaba entry of the apierror catalogue carrying its precise cause.
// Build writes a body, counting bytes.
package metabody

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/pixmatch/pixmatch/shared/apierror"
)

// The separators of the grammar.
const (
	caret     = '^' // ends the meta part
	itemSep   = '#' // between meta items
	offsetSep = ',' // between a key and its offsets
)

// Field is one key and its value, in the order Build writes them.
type Field struct {
	Key   string
	Value string
}

// Parse splits a body into its keys and values.
//
// It fails with NoCaretSeperator when the body has no '^', with EmptyMeta
// when nothing precedes the first '^', and with InvalidMetaItem when a meta
// item is not "key,start,end" with a non-empty key and decimal offsets
// 0 ≤ start ≤ end ≤ the content length, or when a key appears twice.
func Parse(body []byte) (map[string]string, error) {
	cut := bytes.IndexByte(body, caret)
	if cut < 0 {
		return nil, apierror.NoCaretSeperator.Because(fmt.Errorf("no %q in a body of %d bytes", caret, len(body)))
	}
	if cut == 0 {
		return nil, apierror.EmptyMeta.Because(fmt.Errorf("body starts with %q", caret))
	}
	meta, content := body[:cut], body[cut+1:]
	items, err := parseMeta(string(meta))
	if err != nil {
		return nil, err
	}
	if err := toByteOffsets(items, content); err != nil {
		return nil, err
	}
	values := make(map[string]string, len(items))
	for _, it := range items {
		values[it.key] = string(content[it.start:it.end])
	}
	return values, nil
}

// item is one entry of the meta part.
type item struct {
	key        string
	start, end int
}

// parseMeta reads the meta part: items separated by '#', each a key and two
// offsets separated by ','. It checks start ≤ end and that keys are unique;
// the offsets are checked against the content by toByteOffsets.
func parseMeta(meta string) ([]item, error) {
	fields := strings.Split(meta, string(itemSep))
	items := make([]item, 0, len(fields))
	seen := make(map[string]bool, len(fields))
	for i, f := range fields {
		parts := strings.Split(f, string(offsetSep))
		if len(parts) != 3 {
			return nil, apierror.InvalidMetaItem.Because(fmt.Errorf("meta item %d %s: want key,start,end", i, clip(f)))
		}
		it := item{key: parts[0]}
		var okStart, okEnd bool
		it.start, okStart = parseOffset(parts[1])
		it.end, okEnd = parseOffset(parts[2])
		switch {
		case it.key == "":
			return nil, apierror.InvalidMetaItem.Because(fmt.Errorf("meta item %d %s: empty key", i, clip(f)))
		case !okStart || !okEnd:
			return nil, apierror.InvalidMetaItem.Because(fmt.Errorf("meta item %d %s: offsets are not decimal numbers", i, clip(f)))
		case it.start > it.end:
			return nil, apierror.InvalidMetaItem.Because(fmt.Errorf("meta item %d %s: start after end", i, clip(f)))
		case seen[it.key]:
			return nil, apierror.InvalidMetaItem.Because(fmt.Errorf("meta item %d: key %s appears twice", i, clip(it.key)))
		}
		seen[it.key] = true
		items = append(items, it)
	}
	return items, nil
}

// parseOffset reads a non-negative decimal number made of digits only: no
// sign, no spaces, no more than fits an int.
func parseOffset(s string) (int, bool) {
	if s == "" || strings.TrimLeft(s, "0123456789") != "" {
		return 0, false
	}
	n, err := strconv.Atoi(s)
	return n, err == nil
}

// toByteOffsets decides whether the offsets of items count bytes or UTF-16
// units of content, as the package comment describes, and rewrites them as
// byte offsets.
func toByteOffsets(items []item, content []byte) error {
	last := 0
	for _, it := range items {
		last = max(last, it.end)
	}
	switch {
	case last > len(content):
		for i, it := range items {
			if it.end > len(content) {
				return apierror.InvalidMetaItem.Because(fmt.Errorf(
					"meta item %d (key %s): end %d beyond the %d bytes of content", i, clip(it.key), it.end, len(content)))
			}
		}
	case last < len(content):
		if byteAt, ok := utf16ToByteOffsets(items, content); ok {
			for i := range items {
				items[i].start, items[i].end = byteAt[items[i].start], byteAt[items[i].end]
			}
		}
	}
	return nil
}

// utf16ToByteOffsets maps every offset of items, counted in UTF-16 code
// units, to its byte offset in content. It reports false when content is
// not UTF-8, when its length in UTF-16 units is not the largest end, or
// when an offset falls inside a surrogate pair.
func utf16ToByteOffsets(items []item, content []byte) (map[int]int, bool) {
	offsets := make([]int, 0, 2*len(items))
	for _, it := range items {
		offsets = append(offsets, it.start, it.end)
	}
	slices.Sort(offsets)
	offsets = slices.Compact(offsets)

	byteAt := make(map[int]int, len(offsets))
	next := 0 // index in offsets of the next offset to place
	units := 0
	for i := 0; i < len(content); {
		for next < len(offsets) && offsets[next] == units {
			byteAt[units] = i
			next++
		}
		if next == len(offsets) {
			return nil, false // content goes on past the largest end
		}
		if offsets[next] < units {
			return nil, false // inside a surrogate pair
		}
		// ASCII, most of a body (base64), is one unit a byte.
		if n := asciiPrefix(content[i : i+min(offsets[next]-units, len(content)-i)]); n > 0 {
			units += n
			i += n
			continue
		}
		r, size := utf8.DecodeRune(content[i:])
		if r == utf8.RuneError && size == 1 {
			return nil, false
		}
		units += utf16Len(r)
		i += size
	}
	if next != len(offsets)-1 || offsets[next] != units {
		return nil, false
	}
	byteAt[units] = len(content)
	return byteAt, true
}

// asciiPrefix returns the length of the ASCII run that b starts with,
// testing eight bytes at a time.
func asciiPrefix(b []byte) int {
	const highBits = 0x8080808080808080
	n := 0
	for ; n+8 <= len(b); n += 8 {
		if binary.LittleEndian.Uint64(b[n:])&highBits != 0 {
			break
		}
	}
	for n < len(b) && b[n] < utf8.RuneSelf {
		n++
	}
	return n
}

// utf16Len is the number of UTF-16 code units that encode r.
func utf16Len(r rune) int {
	if r >= 0x10000 {
		return 2
	}
	return 1
}

// Build writes fields as a body, in order, with byte offsets. It writes the
// fields as given: Parse rejects a body with an empty or repeated key.
// Build panics if a key contains one of the separators ',', '#' or '^',
// which no body can carry.
func Build(fields []Field) []byte {
	var meta, content strings.Builder
	for i, f := range fields {
		if strings.ContainsAny(f.Key, string([]rune{offsetSep, itemSep, caret})) {
			panic(fmt.Sprintf("metabody: key %q contains a separator", f.Key))
		}
		if i > 0 {
			meta.WriteByte(itemSep)
		}
		start := content.Len()
		content.WriteString(f.Value)
		meta.WriteString(f.Key)
		meta.WriteByte(offsetSep)
		meta.WriteString(strconv.Itoa(start))
		meta.WriteByte(offsetSep)
		meta.WriteString(strconv.Itoa(content.Len()))
	}
	body := make([]byte, 0, meta.Len()+1+content.Len())
	body = append(body, meta.String()...)
	body = append(body, caret)
	return append(body, content.String()...)
}

// clip quotes s for an error cause, cut short if it is long: causes end up
// in logs, and a body may be megabytes of anything.
func clip(s string) string {
	const limit = 64
	if len(s) <= limit {
		return strconv.Quote(s)
	}
	return strconv.Quote(s[:limit]) + "..."
}
