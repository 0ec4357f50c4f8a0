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

// FuzzDecodeBase64 holds decodeBase64's quick path to decodeLoose, the
// reading of every form: the same bytes, or an error from both.
func FuzzDecodeBase64(f *testing.F) {
	data := []byte("\xff\xfe\xfd pixmatch \x00\x01\x02\xfb\xef")
	std := base64.StdEncoding.EncodeToString(data)
	for _, s := range []string{
		"", "=", "QQ", "QQ=", "QQ==", "QQ===", "QQ==QQ==", "Q\nQ=\r\n=", "QR==", "QQ== ",
		std, strings.TrimRight(std, "="), base64.URLEncoding.EncodeToString(data),
		std[:8] + "\r\n" + std[8:16] + "\n" + std[16:], std[:8] + " " + std[8:],
		"-_-_", "+/+/", "+_+/", "QQ\x00=", "é=",
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

// BenchmarkDecodeBase64 times decodeBase64 on a camera frame's worth of
// base64 (80 KB) against decodeLoose, the baseline, which scans for the
// other forms first: the quick path's gain (natively; the Worker's
// WebAssembly, whose scan goes byte by byte, gains more).
func BenchmarkDecodeBase64(b *testing.B) {
	data := make([]byte, 60<<10)
	for i := range data {
		data[i] = byte(i * 7919 >> 3)
	}
	s := base64.StdEncoding.EncodeToString(data)
	for _, c := range []struct {
		name   string
		decode func(string) ([]byte, error)
	}{{"baseline=decodeLoose", decodeLoose}, {"decodeBase64", decodeBase64}} {
		b.Run(c.name, func(b *testing.B) {
			b.SetBytes(int64(len(s)))
			for b.Loop() {
				if _, err := c.decode(s); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
