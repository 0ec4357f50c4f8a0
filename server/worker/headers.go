package worker

import (
	"net/http"
	"strings"
)

// Rejoined has h see each request header as the one value the Workers
// runtime gave: syumai/workers v0.33.0 splits every header value at its
// commas into several values (jshttp.ToHeader), so an Authorization
// header of the Alibaba ACS3-HMAC-SHA256 signature
// ("ACS3-HMAC-SHA256 Credential=…,SignedHeaders=…,Signature=…") reached
// the app as three Authorization headers, and the official SDK's
// requests were refused (NoPermission). The runtime joins a header sent
// several times with ", " (the Fetch standard), so rejoining the parts
// with "," gives back exactly the value it held.
func Rejoined(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		for k, vs := range r.Header {
			if len(vs) > 1 {
				r.Header[k] = []string{strings.Join(vs, ",")}
			}
		}
		h.ServeHTTP(w, r)
	})
}
