package auth

import (
	"encoding/json"
)

// Fields returns the top-level fields of the JSON object body, each
// value's JSON text as it stands: exactly what json.Unmarshal makes of it
// into a map[string]json.RawMessage, error and all (a key given twice
// keeps its last value).
//
// A signed request's body is mostly one long string, a picture's
// base64, which json.Unmarshal scans twice byte by byte through its
// state machine (checking the whole body, then decoding it): about 1.4
// ms of a Worker's isolate for a camera frame's 80 KB. Fields reads the
// common shape itself, in one pass, with a tight loop over strings: an
// object whose keys are printable ASCII without escapes, and whose
// values are strings, numbers, true, false or null. Anything else — a
// nested array or object, an escaped key, anything json.Unmarshal
// would refuse — is handed to json.Unmarshal whole, so errors are its
// own. FuzzFields holds the two to the same answer.
func Fields(body []byte) (map[string]json.RawMessage, error) {
	if fields, ok := plainFields(body); ok {
		return fields, nil
	}
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(body, &fields); err != nil {
		return nil, err
	}
	return fields, nil
}

// plainFields reads body when it has the common shape Fields says; false
// when it has not, or is not JSON.
func plainFields(body []byte) (map[string]json.RawMessage, bool) {
	i := skipSpace(body, 0)
	if i >= len(body) || body[i] != '{' {
		return nil, false
	}
	fields := map[string]json.RawMessage{}
	i = skipSpace(body, i+1)
	if i < len(body) && body[i] == '}' {
		return fields, skipSpace(body, i+1) == len(body)
	}
	for {
		// The key: printable ASCII, no escape.
		if i >= len(body) || body[i] != '"' {
			return nil, false
		}
		start := i + 1
		i = start
		for i < len(body) && body[i] != '"' {
			if c := body[i]; c < 0x20 || c >= 0x7f || c == '\\' {
				return nil, false
			}
			i++
		}
		if i >= len(body) {
			return nil, false
		}
		key := string(body[start:i])
		i = skipSpace(body, i+1)
		if i >= len(body) || body[i] != ':' {
			return nil, false
		}
		i = skipSpace(body, i+1)
		end, ok := plainValue(body, i)
		if !ok {
			return nil, false
		}
		fields[key] = append(json.RawMessage(nil), body[i:end]...) // json.Unmarshal copies too
		i = skipSpace(body, end)
		if i >= len(body) {
			return nil, false
		}
		switch body[i] {
		case ',':
			i = skipSpace(body, i+1)
		case '}':
			return fields, skipSpace(body, i+1) == len(body)
		default:
			return nil, false
		}
	}
}

// skipSpace returns the index of the first byte from i on that is not
// JSON's white space.
func skipSpace(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\n' || b[i] == '\r') {
		i++
	}
	return i
}

// plainValue returns the end of the string, number or literal that
// starts at b[i], checked as JSON's grammar has it; false for anything
// else.
func plainValue(b []byte, i int) (int, bool) {
	if i >= len(b) {
		return 0, false
	}
	switch c := b[i]; {
	case c == '"':
		return stringEnd(b, i+1)
	case c == '-' || '0' <= c && c <= '9':
		return numberEnd(b, i)
	}
	for _, lit := range [...]string{"true", "false", "null"} {
		if len(b)-i >= len(lit) && string(b[i:i+len(lit)]) == lit {
			return i + len(lit), true
		}
	}
	return 0, false
}

// stringEnd returns the index after the closing quote of the string
// whose text starts at b[i]: no control character, every escape one of
// JSON's. (Bytes that are not UTF-8 are JSON's business only when the
// string is decoded, as json.RawMessage keeps them as they are.)
func stringEnd(b []byte, i int) (int, bool) {
	for i < len(b) {
		switch c := b[i]; {
		case c == '"':
			return i + 1, true
		case c < 0x20:
			return 0, false
		case c == '\\':
			if i+1 >= len(b) {
				return 0, false
			}
			switch b[i+1] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				i += 2
			case 'u':
				if len(b)-i < 6 || !isHex(b[i+2]) || !isHex(b[i+3]) || !isHex(b[i+4]) || !isHex(b[i+5]) {
					return 0, false
				}
				i += 6
			default:
				return 0, false
			}
		default:
			i++
		}
	}
	return 0, false
}

func isHex(c byte) bool { return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F' }

// numberEnd returns the end of the number that starts at b[i]:
// -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
func numberEnd(b []byte, i int) (int, bool) {
	if b[i] == '-' {
		i++
	}
	digits := func() int {
		n := 0
		for i < len(b) && '0' <= b[i] && b[i] <= '9' {
			i++
			n++
		}
		return n
	}
	switch {
	case i < len(b) && b[i] == '0':
		i++
	case digits() == 0:
		return 0, false
	}
	if i < len(b) && b[i] == '.' {
		i++
		if digits() == 0 {
			return 0, false
		}
	}
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		i++
		if i < len(b) && (b[i] == '+' || b[i] == '-') {
			i++
		}
		if digits() == 0 {
			return 0, false
		}
	}
	return i, true
}
