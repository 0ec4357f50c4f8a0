package auth

import (
	"crypto/sha256"
	"strings"
	"testing"
)

// TestPlatformSHA256SignsAlike: with a platform's SHA-256 set
// (UseSHA256), the parameters hashed whole sign as the streamed ones do,
// and the platform's is what hashed them.
func TestPlatformSHA256SignsAlike(t *testing.T) {
	params := map[string]string{"image": strings.Repeat("QUJD", 5_000), "appKey": "k", "timestamp": "1514736000000", SignatureParam: "ignored"}
	want := Sign(params, "secret")
	calls := 0
	UseSHA256(func(b []byte) [sha256.Size]byte { calls++; return sha256.Sum256(b) })
	t.Cleanup(func() { UseSHA256(nil) })
	if got := Sign(params, "secret"); got != want || calls != 1 {
		t.Errorf("signed %s with %d calls of the platform's SHA-256, want %s with 1", got, calls, want)
	}
}
