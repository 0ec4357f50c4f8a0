package crs

import (
	"bytes"
	"encoding/base64"
	"strings"
	"testing"
)

// TestDecodeBase64: standard and URL-safe base64, padded or not, with or
// without line breaks and spaces, decode to the same bytes.
func TestDecodeBase64(t *testing.T) {
	data := []byte("\xff\xfe\xfd pixmatch \x00\x01\x02\xfb\xef")
	std := base64.StdEncoding.EncodeToString(data)
	for _, s := range []string{
		std,
		strings.TrimRight(std, "="),
		base64.URLEncoding.EncodeToString(data),
		base64.RawURLEncoding.EncodeToString(data),
		std[:8] + "\r\n" + std[8:16] + "\n" + std[16:] + " ",
	} {
		if got, err := decodeBase64(s); err != nil || !bytes.Equal(got, data) {
			t.Errorf("decodeBase64(%q) = %q, %v; want %q", s, got, err, data)
		}
	}
}
