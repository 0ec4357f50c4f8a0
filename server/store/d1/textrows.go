package d1

import (
	"context"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/pixmatch/pixmatch/server/store/d1/d1wire"
)

// Rows as text. A Worker reads a D1 row through the d1 driver one
// JavaScript value at a time: the row, then each column, each string or
// blob a value Go's syscall/js keeps alive with a finalizer. A target's
// row is 33 of them, and the shortlist of a search forty rows, so the
// reads of many rows cost the isolate more than their content. textRows
// has D1 write each row as a JSON array (json_array) and join the rows
// into a few strings: a few values a statement, parsed in Go.
//
// The text is cut every textChunk bytes of rows, so that no string
// passes D1's 2 MB: a row of targets is at most about 800 KB (meta and
// unknown fields are kept inline up to InlineMax each, 64 KB, which JSON
// writes in at most six times as many bytes).

// textChunk is about how many bytes of rows one string of textRows
// holds; a variable for tests.
var textChunk = 1 << 20

// textRows runs a query whose last common table expression, r(j), holds
// each row as a JSON array of numbers and strings (blobs as blobText
// writes them), with is the WITH clause that defines r (and any tables
// it reads), and scans each row with scan, as queryAll does a row of
// columns; the rows come in no particular order.
func textRows[T any](ctx context.Context, db *sql.DB, scan func(scanner) (T, error), with string, args ...any) ([]T, error) {
	rows, err := db.QueryContext(ctx, with+`,
		c(j, chunk) AS (SELECT j, sum(length(CAST(j AS BLOB))) OVER (ROWS UNBOUNDED PRECEDING) / `+strconv.Itoa(textChunk)+` FROM r)
		SELECT group_concat(j, ',') FROM c GROUP BY chunk`, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var (
		out    []T
		parsed []textRow
	)
	for rows.Next() {
		var text string
		if err := rows.Scan(&text); err != nil {
			return nil, err
		}
		if parsed, err = parseRows(text, parsed[:0]); err != nil {
			return nil, err
		}
		for _, row := range parsed {
			v, err := scan(row)
			if err != nil {
				return nil, err
			}
			out = append(out, v)
		}
	}
	return out, rows.Err()
}

// blobText is how textRows' queries write a blob column col: "x" and its
// hexadecimal, so that a textRow scans it into a []byte and nothing else
// as one.
func blobText(col string) string { return "'x' || hex(" + col + ")" }

// textValue is a value of a row read as text: a number or a string.
type textValue struct {
	str   string
	num   int64
	isNum bool
}

// textRow is a row read as text. It scans as database/sql scans a row of
// D1's, into the destinations the store uses: *int64 and *bool from
// numbers (a bool from 0 or 1), *string from strings, *[]byte from a
// blob (blobText; nil when empty, as database/sql scans SQLite's).
type textRow []textValue

var errTextScan = errors.New("d1: row as text")

// Scan copies the row's values into dest.
func (r textRow) Scan(dest ...any) error {
	if len(dest) != len(r) {
		return fmt.Errorf("%w: %d values, %d destinations", errTextScan, len(r), len(dest))
	}
	for i, d := range dest {
		v := r[i]
		ok := false
		switch d := d.(type) {
		case *int64:
			*d, ok = v.num, v.isNum
		case *bool:
			*d, ok = v.num == 1, v.isNum && (v.num == 0 || v.num == 1)
		case *string:
			*d, ok = v.str, !v.isNum
		case *[]byte:
			if !v.isNum && strings.HasPrefix(v.str, "x") {
				b, err := hex.DecodeString(v.str[1:])
				if len(b) == 0 {
					b = nil // an empty blob, as database/sql scans one
				}
				*d, ok = b, err == nil
			}
		}
		if !ok {
			return fmt.Errorf("%w: column %d into %T", errTextScan, i, d)
		}
	}
	return nil
}

// parseRows appends to out the rows of text: JSON arrays of integers and
// strings, comma-separated, as SQLite's json_array writes them. Strings
// keep their bytes, escapes undone (a lone surrogate as U+FFFD).
func parseRows(text string, out []textRow) ([]textRow, error) {
	p := rowParser{s: text}
	for {
		row, err := p.row()
		if err != nil {
			return nil, fmt.Errorf("%w: at byte %d: %v", errTextScan, p.i, err)
		}
		out = append(out, row)
		if p.i == len(p.s) {
			return out, nil
		}
		if p.s[p.i] != ',' {
			return nil, fmt.Errorf("%w: at byte %d: %q after a row", errTextScan, p.i, p.s[p.i])
		}
		p.i++
	}
}

// rowParser reads rows from s, from byte i.
type rowParser struct {
	s string
	i int
}

var errSyntax = errors.New("not a row of numbers and strings")

// row reads one JSON array.
func (p *rowParser) row() (textRow, error) {
	if p.i >= len(p.s) || p.s[p.i] != '[' {
		return nil, errSyntax
	}
	p.i++
	var row textRow
	if p.i < len(p.s) && p.s[p.i] == ']' {
		p.i++
		return row, nil
	}
	for {
		v, err := p.value()
		if err != nil {
			return nil, err
		}
		row = append(row, v)
		if p.i >= len(p.s) {
			return nil, errSyntax
		}
		switch p.s[p.i] {
		case ',':
			p.i++
		case ']':
			p.i++
			return row, nil
		default:
			return nil, errSyntax
		}
	}
}

// value reads an integer or a string.
func (p *rowParser) value() (textValue, error) {
	if p.i >= len(p.s) {
		return textValue{}, errSyntax
	}
	if p.s[p.i] == '"' {
		s, err := p.str()
		return textValue{str: s}, err
	}
	start := p.i
	if p.s[p.i] == '-' {
		p.i++
	}
	for p.i < len(p.s) && p.s[p.i] >= '0' && p.s[p.i] <= '9' {
		p.i++
	}
	n, err := strconv.ParseInt(p.s[start:p.i], 10, 64)
	if err != nil {
		return textValue{}, errSyntax
	}
	return textValue{num: n, isNum: true}, nil
}

// str reads a JSON string; one without escapes is a slice of s.
func (p *rowParser) str() (string, error) {
	v, next, ok := d1wire.String(p.s, p.i)
	if !ok {
		return "", errSyntax
	}
	p.i = next
	return v, nil
}
