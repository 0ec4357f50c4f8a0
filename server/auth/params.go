package auth

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
)

// ParamsFromJSON returns the top-level fields of a JSON object as the text
// a client signed: strings as they are, numbers as their literal text
// (1514736000000 stays "1514736000000", 1.50 stays "1.50"), booleans as
// "true" or "false", null as "", and arrays and objects as their compact
// JSON text. Anything but a single JSON object is an error.
func ParamsFromJSON(body []byte) (map[string]string, error) {
	body = bytes.TrimSpace(body)
	if len(body) == 0 || body[0] != '{' {
		return nil, errors.New("auth: request body is not a JSON object")
	}
	fields, err := Fields(body)
	if err != nil {
		return nil, fmt.Errorf("auth: parse request body: %w", err)
	}
	return ParamsFromFields(fields)
}

// ParamsFromFields is ParamsFromJSON for a body already parsed into its
// top-level fields, so that a handler parses a body once.
func ParamsFromFields(fields map[string]json.RawMessage) (map[string]string, error) {
	params := make(map[string]string, len(fields))
	for k, raw := range fields {
		v, err := paramText(raw)
		if err != nil {
			return nil, fmt.Errorf("auth: parse request body field %q: %w", k, err)
		}
		params[k] = v
	}
	return params, nil
}

// paramText renders one JSON value as ParamsFromJSON describes.
func paramText(raw json.RawMessage) (string, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 {
		return "", errors.New("empty value")
	}
	switch raw[0] {
	case '"':
		if s, ok := plainString(raw); ok {
			return s, nil
		}
		var s string
		err := json.Unmarshal(raw, &s)
		return s, err
	case 'n': // null; the decoder has already checked the literal
		return "", nil
	case '[', '{':
		var b bytes.Buffer
		err := json.Compact(&b, raw)
		return b.String(), err
	}
	// A number, true or false: its literal text.
	return string(raw), nil
}

// plainString returns the text of a JSON string literal that needs no
// decoding — printable ASCII without a backslash between its quotes, as a
// picture's base64 is — without json.Unmarshal scanning it a second time
// (the body's parse has already checked it). Anything else is not plain:
// escapes, control characters and non-ASCII bytes (whose invalid UTF-8
// json.Unmarshal replaces) are left to json.Unmarshal.
func plainString(raw json.RawMessage) (string, bool) {
	if len(raw) < 2 || raw[len(raw)-1] != '"' {
		return "", false
	}
	body := raw[1 : len(raw)-1]
	for _, c := range body {
		if c < 0x20 || c >= 0x80 || c == '\\' || c == '"' {
			return "", false
		}
	}
	return string(body), true
}

// ParamsFromValues returns the first value of each key of v, as a client
// signs a query string or a form (the official Node SDK repeats some keys
// in the query string). A key with no value maps to "".
func ParamsFromValues(v url.Values) map[string]string {
	params := make(map[string]string, len(v))
	for k, vs := range v {
		if len(vs) > 0 {
			params[k] = vs[0]
		} else {
			params[k] = ""
		}
	}
	return params
}
