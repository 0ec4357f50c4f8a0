//go:build js && wasm

package fetch

import (
	"fmt"
	"net/http"
	"net/netip"
	"slices"
	"strings"

	cffetch "github.com/syumai/workers/cloudflare/fetch"
)

// do sends req through the Workers runtime's fetch, for the Cloudflare
// Worker (server/worker), which has no sockets to dial: Go's own HTTP
// client is not linked into its module (about 0.5 MB of it gzipped).
// Redirects are followed here, at most maxRedirects, each checked as
// checkRedirect checks a server's. The runtime resolves names itself, so
// the policy checks what can be checked before: a host that is an
// address, or localhost, must be globally reachable or allowed; a name's
// addresses are the runtime's, which on Cloudflare reaches the Internet
// only. A request whose context ends is answered at once; the runtime's
// fetch, which cannot be called back, ends with the Worker's request.
func (f *Fetcher) do(req *http.Request) (*http.Response, error) {
	client := cffetch.NewClient()
	p := policy{allow: slices.Clone(f.Allow)}
	var via []*http.Request
	for {
		if err := p.checkHost(req.URL.Hostname()); err != nil {
			return nil, err
		}
		res, err := send(client, req)
		if err != nil || !redirected(res.StatusCode) {
			return res, err
		}
		res.Body.Close()
		next, err := redirect(req, res.Header.Get("Location"))
		if err != nil {
			return nil, err
		}
		via = append(via, req)
		if err := checkRedirect(next, via); err != nil {
			return nil, err
		}
		req = next
	}
}

// send makes one fetch of req, without following a redirect.
func send(client *cffetch.Client, req *http.Request) (*http.Response, error) {
	type answer struct {
		res *http.Response
		err error
	}
	done := make(chan answer, 1) // the fetch may end after the request's context
	go func() {
		res, err := client.Do(&cffetch.Request{Request: req}, &cffetch.RequestInit{Redirect: cffetch.RedirectModeManual})
		done <- answer{res, err}
	}()
	select {
	case a := <-done:
		return a.res, a.err
	case <-req.Context().Done():
		return nil, req.Context().Err()
	}
}

// redirected reports whether status asks to fetch another URL.
func redirected(status int) bool {
	switch status {
	case http.StatusMovedPermanently, http.StatusFound, http.StatusSeeOther,
		http.StatusTemporaryRedirect, http.StatusPermanentRedirect:
		return true
	}
	return false
}

// redirect returns the request for the Location a redirect of req gave:
// a GET without body (a picture is fetched again; a callback redirected
// is not posted again).
func redirect(req *http.Request, location string) (*http.Request, error) {
	if location == "" {
		return nil, fmt.Errorf("%w: a redirect without Location", ErrNotFound)
	}
	u, err := req.URL.Parse(location)
	if err != nil {
		return nil, fmt.Errorf("%w: redirect: %v", ErrURL, err)
	}
	next, err := http.NewRequestWithContext(req.Context(), http.MethodGet, u.String(), nil)
	if err != nil {
		return nil, fmt.Errorf("%w: redirect: %v", ErrURL, err)
	}
	next.Header.Set("User-Agent", userAgent)
	return next, nil
}

// checkHost refuses a host that is an address the policy does not
// permit, or a name of the local machine.
func (p policy) checkHost(host string) error {
	if a, err := netip.ParseAddr(host); err == nil {
		return p.check(a)
	}
	if h := strings.ToLower(strings.TrimSuffix(host, ".")); h == "localhost" || strings.HasSuffix(h, ".localhost") {
		return p.check(netip.IPv6Loopback())
	}
	return nil
}
