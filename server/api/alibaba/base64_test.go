package alibaba

import (
	"bytes"
	"encoding/base64"
	"strings"
	"testing"
)

// TestDecodeBase64: standard base64, padded or not, with line breaks, and
// with the spaces a form left of its '+', decodes to the same bytes.
func TestDecodeBase64(t *testing.T) {
	data := []byte("\xfb\xef\xbe pixmatch \x00\x01\x02\xff\xfe")
	std := base64.StdEncoding.EncodeToString(data)
	if !strings.Contains(std, "+") {
		t.Fatalf("%q has no '+' to lose", std)
	}
	for _, s := range []string{
		std,
		strings.TrimRight(std, "="),
		std[:8] + "\r\n" + std[8:16] + "\n" + std[16:],
		strings.ReplaceAll(std, "+", " "),
	} {
		if got, err := decodeBase64(s); err != nil || !bytes.Equal(got, data) {
			t.Errorf("decodeBase64(%q) = %q, %v; want %q", s, got, err, data)
		}
	}
	if _, err := decodeBase64(base64.URLEncoding.EncodeToString(data)); err == nil {
		t.Error("URL-safe base64 read: Alibaba takes the standard alphabet only")
	}
}

// FuzzDecodeBase64 holds decodeBase64's quick path to decodeLoose, the
// reading of every form: the same bytes, or an error from both.
func FuzzDecodeBase64(f *testing.F) {
	std := base64.StdEncoding.EncodeToString([]byte("\xfb\xef\xbe pixmatch \x00\x01\x02\xff\xfe"))
	for _, s := range []string{
		"", "=", "QQ", "QQ=", "QQ==", "QQ===", "QQ==QQ==", "Q\nQ=\r\n=", "QR==", "QQ== ",
		std, strings.TrimRight(std, "="), strings.ReplaceAll(std, "+", " "),
		std[:8] + "\r\n" + std[8:16] + "\n" + std[16:], "-_-_", "+/+/", "QQ\x00=", "é=",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, err := decodeBase64(s)
		want, wantErr := decodeLoose(s)
		if (err != nil) != (wantErr != nil) || !bytes.Equal(got, want) {
			t.Fatalf("decodeBase64(%q) = %q, %v; decodeLoose: %q, %v", s, got, err, want, wantErr)
		}
	})
}
