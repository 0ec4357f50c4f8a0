package auth

import (
	"encoding/json"
	"testing"
)

// FuzzParamText checks paramText's shortcut for plain strings against
// json.Unmarshal: for every JSON string literal the body parser accepts,
// the text is the same, shortcut or not.
func FuzzParamText(f *testing.F) {
	for _, s := range []string{
		`"abc"`, `""`, `"aGVsbG8gd29ybGQ+/w=="`, `"a\/b"`, `"line\nbreak"`,
		`"\u00e9"`, "\"\xc3\xa9\"", "\"\xff\"", `"tab	in"`, `"a\"b"`, `"\\"`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		var want string
		if json.Unmarshal(raw, &want) != nil {
			return // not a string literal the body's parse would pass on
		}
		if len(raw) == 0 || raw[0] != '"' {
			return
		}
		got, err := paramText(raw)
		if err != nil || got != want {
			t.Fatalf("paramText(%q) = %q, %v; json.Unmarshal gives %q", raw, got, err, want)
		}
	})
}

// BenchmarkParamText is a picture's base64 as a request carries it,
// rendered by paramText against json.Unmarshal in the same run.
func BenchmarkParamText(b *testing.B) {
	payload := make([]byte, 200_000)
	for i := range payload {
		payload[i] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"[i*7%64]
	}
	raw := json.RawMessage(`"` + string(payload) + `"`)
	b.Run("paramText", func(b *testing.B) {
		for b.Loop() {
			if _, err := paramText(raw); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("unmarshal", func(b *testing.B) {
		for b.Loop() {
			var s string
			if err := json.Unmarshal(raw, &s); err != nil {
				b.Fatal(err)
			}
		}
	})
}
