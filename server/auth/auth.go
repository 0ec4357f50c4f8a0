// Package auth authenticates requests in both dialects pixmatch speaks.
// For EasyAR Cloud Recognition (CRS): the APIKey and legacy appKey request
// signatures, and the access tokens of the token service (POST /token/v2)
// sent in the Authorization header. For Alibaba Cloud Image Search
// (AlibabaVerifier): the ACS3-HMAC-SHA256 signature of the current SDKs,
// the classic RPC HMAC-SHA1 signature, and the ROA signature of the
// legacy /item API.
//
// A CRS signature is plain SHA-256 (not HMAC) over the request's parameters,
// sorted by key and concatenated as key+value, followed by the secret:
//
//	sig := auth.Sign(params, secret)
//
// A handler gathers the request's parameters (query string, JSON body,
// multipart fields) with ParamsFromValues and ParamsFromJSON, and hands them
// with the Authorization header to a Verifier, which answers with the
// Principal making the request or with an apierror catalogue entry. Tokens
// are issued and read by Tokens; they are AES-256-GCM sealed claims, opaque
// base64 to a client, as EasyAR's are.
//
// A signature alone does not stop a captured request from being sent again
// while its date is acceptable. The verifiers remember each request's
// one-time value in a Replays (Memory in one process): every Alibaba
// nonce, and the signature of every signed CRS write (Verifier.Consume),
// and refuse one seen again.
//
// The package knows nothing of galleries: credentials come through the Keys
// interface, and the server decides which appIds and galleries exist.
package auth

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"maps"
	"slices"
	"strconv"
	"time"

	"github.com/pixmatch/pixmatch/shared/apierror"
)

// SignatureParam is the parameter that carries a request's signature. It is
// never part of what is signed.
const SignatureParam = "signature"

// DefaultSkew is how far a request's timestamp may be from the server's
// clock, either way, when a Verifier or Tokens sets no Skew: EasyAR's
// documented five minutes.
const DefaultSkew = 5 * time.Minute

// ErrUnknownKey is wrapped by the error Keys returns for a key id it does
// not hold.
var ErrUnknownKey = errors.New("unknown key")

// Credential is a key id with its secret: a CRS apiKey/apiSecret or a
// legacy appKey/appSecret.
type Credential struct {
	ID     string
	Secret string
	// Gallery is the only gallery the key may use; 0 means every gallery.
	Gallery int64
}

// Keys finds credentials by key id. The server implements it over its
// store.
type Keys interface {
	// Credential returns the credential with the given id, or an error
	// wrapping ErrUnknownKey if there is none. Any other error is a failure
	// to look, not an answer.
	Credential(ctx context.Context, id string) (Credential, error)
}

// Sign returns the CRS signature of params under secret: the lowercase hex
// SHA-256 of every key and value, keys in bytewise order, concatenated with
// no separator, followed by the secret. The "signature" parameter itself is
// left out.
func Sign(params map[string]string, secret string) string {
	sum := signatureSum(params, secret)
	return hex.EncodeToString(sum[:])
}

// signatureSum is the raw SHA-256 behind Sign: streamed through
// crypto/sha256, sparing a copy of the parameters as large as the image
// one may hold, unless UseSHA256 set a platform's, which takes them
// whole.
func signatureSum(params map[string]string, secret string) [sha256.Size]byte {
	keys := slices.Sorted(maps.Keys(params))
	if platformSHA256 != nil {
		n := len(secret)
		for _, k := range keys {
			n += len(k) + len(params[k])
		}
		msg := make([]byte, 0, n)
		for _, k := range keys {
			if k != SignatureParam {
				msg = append(append(msg, k...), params[k]...)
			}
		}
		return platformSHA256(append(msg, secret...))
	}
	h := sha256.New()
	buf := make([]byte, 4096)
	for _, k := range keys {
		if k == SignatureParam {
			continue
		}
		writeString(h, k, buf)
		writeString(h, params[k], buf)
	}
	writeString(h, secret, buf)
	var sum [sha256.Size]byte
	h.Sum(sum[:0])
	return sum
}

// writeString writes s to h through buf, sparing a copy of s as large as
// the image a parameter may hold.
func writeString(h hash.Hash, s string, buf []byte) {
	for len(s) > 0 {
		n := copy(buf, s)
		h.Write(buf[:n])
		s = s[n:]
	}
}

// platformSHA256 is the SHA-256 UseSHA256 set; nil for crypto/sha256's.
var platformSHA256 func([]byte) [sha256.Size]byte

// sum256 is the SHA-256 of b, a signed request's long input (an Alibaba
// request's body): the platform's if UseSHA256 set one.
func sum256(b []byte) [sha256.Size]byte {
	if platformSHA256 != nil {
		return platformSHA256(b)
	}
	return sha256.Sum256(b)
}

// UseSHA256 makes sum the SHA-256 of the signed requests' long inputs
// (a CRS request's parameters, an Alibaba request's body), for a
// platform whose own is faster than Go's: a Worker's WebCrypto
// (server/worker), where Go's SHA-256 is its generic code in
// WebAssembly, 1.1–1.2 ms of a camera frame's 80 KB of base64. The
// parameters are then hashed whole, not streamed. sum must be SHA-256
// and safe for concurrent use; call it before serving (nil goes back to
// crypto/sha256's).
func UseSHA256(sum func([]byte) [sha256.Size]byte) { platformSHA256 = sum }

// checkSignature reports whether params carry the signature of the other
// params under secret, and returns it as bytes: the same whatever the case
// of its hex digits. The comparison takes the same time wherever the
// signatures differ.
func checkSignature(params map[string]string, secret string) ([]byte, error) {
	got, ok := params[SignatureParam]
	if !ok || got == "" {
		return nil, errors.New("no signature")
	}
	sent, err := hex.DecodeString(got)
	if err != nil || len(sent) != sha256.Size {
		return nil, fmt.Errorf("signature %.80q is not %d hex bytes", got, sha256.Size)
	}
	want := signatureSum(params, secret)
	if subtle.ConstantTimeCompare(sent, want[:]) != 1 {
		return nil, errors.New("signature does not match")
	}
	return sent, nil
}

// checkTimestamp reports whether text is a timestamp in integer
// milliseconds since the Unix epoch no more than skew away from now, and
// returns it.
func checkTimestamp(text string, now time.Time, skew time.Duration) (time.Time, error) {
	if text == "" {
		return time.Time{}, errors.New("no timestamp")
	}
	ms, err := strconv.ParseInt(text, 10, 64)
	if err != nil {
		return time.Time{}, fmt.Errorf("timestamp %.40q is not an integer of milliseconds", text)
	}
	ts := time.UnixMilli(ms)
	if off := ts.Sub(now); off > skew || off < -skew {
		return time.Time{}, fmt.Errorf("timestamp %d is %v from now, more than %v", ms, off.Round(time.Millisecond), skew)
	}
	return ts, nil
}

// lookUp returns the credential for id. A key Keys does not hold gives the
// catalogue entry unknown, carrying the cause; any other failure is not an
// answer about the key and is returned wrapped with context, for the caller
// to treat as an internal error.
func lookUp(ctx context.Context, keys Keys, id string, unknown *apierror.Error) (Credential, error) {
	cred, err := keys.Credential(ctx, id)
	if errors.Is(err, ErrUnknownKey) {
		return Credential{}, unknown.Because(err)
	}
	if err != nil {
		return Credential{}, fmt.Errorf("auth: look up key %q: %w", id, err)
	}
	return cred, nil
}
