//go:build js && wasm

package worker

import (
	"context"
	"crypto/sha256"
	"syscall/js"
)

// SHA256 is the platform's SHA-256 (WebCrypto's crypto.subtle.digest),
// for auth.UseSHA256: Go's own runs its generic code in WebAssembly, 1.3
// ms of a camera frame's 80 KB of base64 signed, where the platform's is
// native. A short input stays with Go's, which costs less than the wait
// for a promise; so does one the platform fails to digest.
func SHA256(b []byte) [sha256.Size]byte {
	if len(b) < 4096 {
		return sha256.Sum256(b)
	}
	v, err := await(context.Background(), js.Global().Get("crypto").Get("subtle").Call("digest", "SHA-256", jsBytes(b)))
	if err != nil {
		return sha256.Sum256(b)
	}
	var sum [sha256.Size]byte
	if js.CopyBytesToGo(sum[:], js.Global().Get("Uint8Array").New(v)) != sha256.Size {
		return sha256.Sum256(b)
	}
	return sum
}
