// Package d1wire is how a D1 statement's answer crosses from JavaScript
// into Go in one piece: as JSON text that sql.mjs (beside this file)
// writes with JSON.stringify, parsed here, rather than one JavaScript
// value at a time.
//
// Reading a row through syumai/workers' d1 driver costs a call into
// JavaScript for the row and for each of its columns, and each value
// Go's syscall/js takes hold of gets a finalizer; the statements of a
// search cost the Worker's isolate more in those calls than in D1's own
// client. The Worker's driver (server/worker OpenD1) makes one call a
// statement, and waits for one string. Open is the database/sql driver
// over any way of running a statement and getting that string: the
// Worker's, and the tests' of a real local D1 (d1test.Remote).
//
// # The text
//
// A query's answer is a JSON array whose first element is the array of
// its column names and each next element a row: an array of its values.
// A value is null (SQL NULL), a number, a string (SQL TEXT) or an array
// of byte values (a BLOB). An exec's answer is [changes, last_row_id].
//
// Values convert as syumai/workers' driver converts them, so that the
// store reads the same whichever runs it: a number to an int64 when it
// is integral (D1 hands every number over as a JavaScript double) and
// within int64's range (where that driver's conversion overflows), else
// a float64; a string to a string (a lone surrogate, which JSON.stringify
// escapes, to U+FFFD, as the driver's TextEncoder makes it); a BLOB to
// []byte; null to nil. One value differs: an infinite REAL, which JSON
// cannot write (JSON.stringify writes null), reads as nil; the store
// writes none.
package d1wire

import (
	"database/sql/driver"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
	"unsafe"
)

// Rows is a query's answer, parsed: a driver.Rows.
type Rows struct {
	cols []string
	rows [][]driver.Value
	next int
}

// Columns returns the names of the answer's columns (nil for an answer
// without rows, as D1 gives none then).
func (r *Rows) Columns() []string { return r.cols }

// Close does nothing: the answer is all in memory.
func (r *Rows) Close() error { return nil }

// Next moves to the next row, putting its values in dest.
func (r *Rows) Next(dest []driver.Value) error {
	if r.next == len(r.rows) {
		return io.EOF
	}
	copy(dest, r.rows[r.next])
	r.next++
	return nil
}

// ParseRows parses a query's answer, which must not change afterwards:
// a string value of shareBytes or more shares text's memory.
func ParseRows(text []byte) (*Rows, error) {
	p := parser{s: view(text)}
	out := &Rows{}
	err := p.array(func(i int) error {
		if i == 0 {
			return p.array(func(int) error {
				v, err := p.value()
				if err != nil {
					return err
				}
				name, ok := v.(string)
				if !ok {
					return p.fail("a column name is not a string")
				}
				out.cols = append(out.cols, name)
				return nil
			})
		}
		row := make([]driver.Value, 0, len(out.cols))
		err := p.array(func(int) error {
			v, err := p.value()
			row = append(row, v)
			return err
		})
		if err == nil && len(row) != len(out.cols) {
			return p.fail(fmt.Sprintf("a row of %d values under %d columns", len(row), len(out.cols)))
		}
		out.rows = append(out.rows, row)
		return err
	})
	if err != nil {
		return nil, err
	}
	if p.skipSpace(); p.i != len(p.s) {
		return nil, p.fail("text after the answer")
	}
	return out, nil
}

// Result is an exec's answer, a driver.Result: the rows it changed and
// the last row ID it inserted. Either fails, as syumai/workers' driver
// does, when D1 did not say.
type Result struct {
	changes, lastRowID [2]int64 // the value, and 1 when D1 said it
}

// LastInsertId returns the last row ID the exec inserted.
func (r Result) LastInsertId() (int64, error) { return said(r.lastRowID, "last_row_id") }

// RowsAffected returns the rows the exec changed.
func (r Result) RowsAffected() (int64, error) { return said(r.changes, "changes") }

func said(n [2]int64, key string) (int64, error) {
	if n[1] == 0 {
		return 0, fmt.Errorf("d1: '%s' cannot be retrieved", key)
	}
	return n[0], nil
}

// ParseResult parses an exec's answer.
func ParseResult(text []byte) (Result, error) {
	p := parser{s: view(text)}
	var nums [][2]int64
	err := p.array(func(int) error {
		v, err := p.value()
		if err != nil {
			return err
		}
		switch n := v.(type) {
		case nil:
			nums = append(nums, [2]int64{})
		case int64:
			nums = append(nums, [2]int64{n, 1})
		default:
			return p.fail("a count that is not an integer")
		}
		return nil
	})
	if err == nil && len(nums) != 2 {
		err = p.fail("not [changes, last_row_id]")
	}
	if err != nil {
		return Result{}, err
	}
	return Result{changes: nums[0], lastRowID: nums[1]}, nil
}

// view returns text as a string, without a copy.
func view(text []byte) string { return unsafe.String(unsafe.SliceData(text), len(text)) }

// shareBytes is the length from which a string value without escapes is
// a slice of the answer rather than a copy: the text of the feature
// tier's picked lists (hundreds of kilobytes, parsed and dropped within
// the search), whose copy was a tenth of a Worker's reading of them. A
// shorter value — an ID, a key, a name the isolate may keep for long —
// is copied, so that it does not keep the whole answer alive.
const shareBytes = 16 << 10

type parser struct {
	s string // the answer, sharing its bytes' memory
	i int
}

func (p *parser) fail(what string) error {
	return fmt.Errorf("d1wire: %s at byte %d of %d", what, p.i, len(p.s))
}

func (p *parser) skipSpace() {
	for p.i < len(p.s) && (p.s[p.i] == ' ' || p.s[p.i] == '\n' || p.s[p.i] == '\r' || p.s[p.i] == '\t') {
		p.i++
	}
}

// array parses an array, calling elem for each element at its start.
func (p *parser) array(elem func(i int) error) error {
	if p.skipSpace(); p.i >= len(p.s) || p.s[p.i] != '[' {
		return p.fail("no array")
	}
	p.i++
	if p.skipSpace(); p.i < len(p.s) && p.s[p.i] == ']' {
		p.i++
		return nil
	}
	for n := 0; ; n++ {
		if err := elem(n); err != nil {
			return err
		}
		if p.skipSpace(); p.i >= len(p.s) {
			return p.fail("an unended array")
		}
		switch p.s[p.i] {
		case ',':
			p.i++
		case ']':
			p.i++
			return nil
		default:
			return p.fail("no comma between values")
		}
	}
}

// value parses a value of a row.
func (p *parser) value() (driver.Value, error) {
	if p.skipSpace(); p.i >= len(p.s) {
		return nil, p.fail("no value")
	}
	switch c := p.s[p.i]; {
	case c == 'n':
		if len(p.s)-p.i < 4 || string(p.s[p.i:p.i+4]) != "null" {
			return nil, p.fail("not null")
		}
		p.i += 4
		return nil, nil
	case c == '"':
		return p.str()
	case c == '[':
		return p.blob()
	case c == '-' || '0' <= c && c <= '9':
		return p.number()
	}
	return nil, p.fail("not a value")
}

// number parses a number as syumai/workers' driver converts it.
func (p *parser) number() (driver.Value, error) {
	start := p.i
	for p.i < len(p.s) && isNumberByte(p.s[p.i]) {
		p.i++
	}
	text := p.s[start:p.i]
	if n, ok := smallInt(text); ok {
		return n, nil
	}
	f, err := strconv.ParseFloat(text, 64)
	if err != nil {
		return nil, p.fail("a number " + strconv.Quote(text))
	}
	if f == math.Trunc(f) && math.Abs(f) < 1<<63 {
		return int64(f), nil
	}
	return f, nil
}

func isNumberByte(c byte) bool {
	return '0' <= c && c <= '9' || c == '-' || c == '+' || c == '.' || c == 'e' || c == 'E'
}

// smallInt reads text when it is a plain integer of at most 15 digits
// (exact as a double), the common case, without ParseFloat.
func smallInt(text string) (int64, bool) {
	neg := len(text) > 0 && text[0] == '-'
	digits := text
	if neg {
		digits = text[1:]
	}
	if len(digits) == 0 || len(digits) > 15 {
		return 0, false
	}
	var n int64
	for i := range len(digits) {
		c := digits[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int64(c-'0')
	}
	if neg {
		n = -n
	}
	return n, true
}

// blob parses an array of byte values.
func (p *parser) blob() (driver.Value, error) {
	if b, next, ok := compactBlob(p.s, p.i); ok {
		p.i = next
		return b, nil
	}
	return p.blobValues()
}

// blobValues parses an array of byte values a value at a time.
func (p *parser) blobValues() (driver.Value, error) {
	b := []byte{}
	err := p.array(func(int) error {
		v, err := p.value()
		n, ok := v.(int64)
		if err == nil && (!ok || n < 0 || n > 255) {
			return p.fail("a BLOB's byte out of range")
		}
		b = append(b, byte(n))
		return err
	})
	return b, err
}

// compactBlob reads the array of byte values at s[i] when it is written
// as JSON.stringify writes it — up to three digits a value, then a comma
// or the closing bracket — and returns it and the index past it; it
// reports false for anything else, which blob's general path then
// parses (or refuses). The answer's BLOBs (a target's fingerprint, a few
// hundred bytes) were parsed a value at a time: about a millisecond of a
// camera search's isolate.
func compactBlob(s string, i int) ([]byte, int, bool) {
	if i+1 < len(s) && s[i+1] == ']' {
		return []byte{}, i + 2, true
	}
	end := strings.IndexByte(s[i:], ']')
	if end < 0 {
		return nil, 0, false
	}
	b := make([]byte, 0, end/2) // a value takes two bytes at least
	for i++; ; {
		n, j := 0, i
		for ; j < len(s) && j-i < 3 && '0' <= s[j] && s[j] <= '9'; j++ {
			n = n*10 + int(s[j]-'0')
		}
		if j == i || n > 255 || j >= len(s) {
			return nil, 0, false
		}
		b = append(b, byte(n))
		switch s[j] {
		case ',':
			i = j + 1
		case ']':
			return b, j + 1, true
		default:
			return nil, 0, false
		}
	}
}

// str parses a string.
func (p *parser) str() (driver.Value, error) {
	v, next, ok := String(p.s, p.i)
	if !ok {
		return nil, p.fail("a bad string")
	}
	if len(v) < shareBytes && next-p.i == len(v)+2 { // a slice of the answer
		v = strings.Clone(v)
	}
	p.i = next
	return v, nil
}

// plainEnd returns i, or past it the start of the first 8 bytes of s
// that hold a quote, a backslash or a control character (or fewer left):
// where String's loop takes over. It tests 8 bytes at once — the
// feature tier's list text is hundreds of kilobytes a search.
func plainEnd[T ~string | ~[]byte](s T, i int) int {
	for ; i+8 <= len(s); i += 8 {
		w := uint64(s[i]) | uint64(s[i+1])<<8 | uint64(s[i+2])<<16 | uint64(s[i+3])<<24 |
			uint64(s[i+4])<<32 | uint64(s[i+5])<<40 | uint64(s[i+6])<<48 | uint64(s[i+7])<<56
		if special(w) {
			break
		}
	}
	return i
}

// Bytes in a word, for plainEnd.
const (
	lanes = 0x0101010101010101 // 1 in every byte
	highs = 0x8080808080808080 // the top bit of every byte
)

// special reports whether a byte of w is a quote, a backslash or below
// 0x20. A byte's subtraction sets its top bit when it is zero (x^c for
// c) or below 0x20; the borrow it passes on can set the next byte's
// too, but only after a byte that was set rightly, so "any" is exact.
// Bytes of 0x80 and more (UTF-8) are cleared by the &^.
func special(w uint64) bool {
	q, b := w^('"'*lanes), w^('\\'*lanes)
	return ((q-lanes)&^q|(b-lanes)&^b|(w-0x20*lanes)&^w)&highs != 0
}

// String reads the JSON string whose opening quote is s[i], and returns
// it and the index after its closing quote; false when there is none
// there, or it holds a raw control character or a bad escape. An
// escaped lone surrogate reads as U+FFFD, as encoding/json reads it. A
// string without escapes read from a string input is a slice of it.
func String[T ~string | ~[]byte](s T, i int) (string, int, bool) {
	if i >= len(s) || s[i] != '"' {
		return "", i, false
	}
	i++
	start := i
	i = plainEnd(s, i)
	for i < len(s) { // the common case: no escape
		c := s[i]
		if c == '"' {
			return string(s[start:i]), i + 1, true
		}
		if c == '\\' || c < 0x20 {
			break
		}
		i++
	}
	out := []byte(string(s[start:i]))
	for i < len(s) {
		c := s[i]
		switch {
		case c == '"':
			return string(out), i + 1, true
		case c < 0x20:
			return "", i, false
		case c != '\\':
			out = append(out, c)
			i++
			continue
		}
		if i+1 >= len(s) {
			break
		}
		e := s[i+1]
		i += 2
		switch e {
		case '"', '\\', '/':
			out = append(out, e)
		case 'b':
			out = append(out, '\b')
		case 'f':
			out = append(out, '\f')
		case 'n':
			out = append(out, '\n')
		case 'r':
			out = append(out, '\r')
		case 't':
			out = append(out, '\t')
		case 'u':
			r, ok := hex4(s, i)
			if !ok {
				return "", i, false
			}
			i += 4
			if utf16.IsSurrogate(r) {
				// A pair when a low surrogate follows, else U+FFFD.
				if i+6 <= len(s) && s[i] == '\\' && s[i+1] == 'u' {
					if r2, ok := hex4(s, i+2); ok {
						if pair := utf16.DecodeRune(r, r2); pair != utf8.RuneError {
							out = utf8.AppendRune(out, pair)
							i += 6
							continue
						}
					}
				}
				r = utf8.RuneError
			}
			out = utf8.AppendRune(out, r)
		default:
			return "", i, false
		}
	}
	return "", i, false
}

// hex4 reads the four hexadecimal digits of a \u escape at s[i:].
func hex4[T ~string | ~[]byte](s T, i int) (rune, bool) {
	if len(s)-i < 4 {
		return 0, false
	}
	var r rune
	for k := i; k < i+4; k++ {
		var d byte
		switch c := s[k]; {
		case '0' <= c && c <= '9':
			d = c - '0'
		case 'a' <= c && c <= 'f':
			d = c - 'a' + 10
		case 'A' <= c && c <= 'F':
			d = c - 'A' + 10
		default:
			return 0, false
		}
		r = r<<4 | rune(d)
	}
	return r, true
}

// ErrNoAnswer is what a driver reports for an answer that is not text.
var ErrNoAnswer = errors.New("d1wire: the statement's answer is not text")
