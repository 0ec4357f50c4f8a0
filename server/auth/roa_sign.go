package auth

import (
	"crypto/hmac"
	"crypto/md5"
	"crypto/rand"
	"crypto/sha1"
	"encoding/base64"
	"encoding/hex"
	"net/http"
	"time"
)

// SignROA signs r, whose body is body, as the legacy Alibaba Cloud SDKs
// sign an ROA request of the given API version: it sets Content-MD5,
// Date, the x-acs-signature-* headers with a fresh nonce, x-acs-version,
// and Authorization "acs <keyID>:<signature>" over them, r's method, its
// Accept and Content-Type, and its path and query. It is the client side
// of what AlibabaVerifier checks, for tests and tools.
func SignROA(r *http.Request, body []byte, version, keyID, secret string) {
	sum := md5.Sum(body)
	nonce := make([]byte, 16)
	rand.Read(nonce)
	h := r.Header
	if len(body) > 0 {
		h.Set("Content-MD5", base64.StdEncoding.EncodeToString(sum[:]))
	}
	h.Set("Date", time.Now().UTC().Format(http.TimeFormat))
	h.Set("x-acs-signature-method", hmacSHA1)
	h.Set("x-acs-signature-version", rpcVersion)
	h.Set("x-acs-signature-nonce", hex.EncodeToString(nonce))
	h.Set("x-acs-version", version)
	resources, _ := roaResources(r.URL.Path, r.URL.Query())
	mac := hmac.New(sha1.New, []byte(secret))
	mac.Write([]byte(roaHeaders(r.Method, h) + resources[0]))
	h.Set("Authorization", roaPrefix+keyID+":"+base64.StdEncoding.EncodeToString(mac.Sum(nil)))
}
