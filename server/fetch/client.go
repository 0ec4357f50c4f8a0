//go:build !(js && wasm)

package fetch

import (
	"net"
	"net/http"
	"slices"
	"time"
)

// do sends req with the Fetcher's client. (Built for js/wasm, the
// Cloudflare Worker's, it sends it through the runtime: client_js.go.)
func (f *Fetcher) do(req *http.Request) (*http.Response, error) {
	return f.httpClient().Do(req)
}

// httpClient returns the Fetcher's client, made on first use: no proxy, no
// cookie jar, no transparent decompression, and a dialer that refuses
// addresses the policy does not permit.
func (f *Fetcher) httpClient() *http.Client {
	f.once.Do(func() {
		p := policy{allow: slices.Clone(f.Allow)}
		dialer := &net.Dialer{Control: p.control}
		transport := &http.Transport{
			Proxy:                  nil,
			DialContext:            dialer.DialContext,
			ForceAttemptHTTP2:      true,
			DisableCompression:     true,
			MaxIdleConns:           32,
			IdleConnTimeout:        30 * time.Second,
			MaxResponseHeaderBytes: 64 << 10,
		}
		f.client = &http.Client{Transport: transport, CheckRedirect: checkRedirect}
	})
	return f.client
}
