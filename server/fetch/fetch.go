// Package fetch downloads pictures named by http and https URLs, for the
// Alibaba Image Search PicContent that is a URL rather than base64 and for
// the files of a batch import, without letting a client use the server as
// a proxy into its own network.
//
// A Fetcher connects only to globally reachable addresses, unless an
// address is in its Allow list. The address is checked after DNS
// resolution, on the socket about to connect, so a name that resolves to
// an internal address, a name whose answer changes between look-ups, and a
// redirect to an internal host are all refused before any packet is sent:
//
//	f := &fetch.Fetcher{}
//	pic, err := f.Fetch(ctx, picContent)
//	switch {
//	case errors.Is(err, fetch.ErrTimeout): // TimeoutForTransferImage
//	case errors.Is(err, fetch.ErrTooLarge): // InvalidPicContent
//	...
//	}
//
// Every error wraps exactly one of the package's sentinel errors, which map
// one to one onto the service's error codes.
//
// Built for js/wasm (the Cloudflare Worker), a Fetcher has no sockets: it
// fetches through the Workers runtime (client_js.go), which resolves
// names itself, so only a host that is an address, or localhost, is
// checked against the policy; on Cloudflare the runtime reaches the
// Internet only.
package fetch

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"sync"
	"time"
)

// The errors a fetch fails with. Each error Fetch returns wraps one of them,
// with detail; the comment names the Alibaba Image Search error code it
// stands for.
var (
	// ErrURL: the string is not an http or https URL with a host and no
	// user info, or a redirect leads to one (InvalidPicUrl).
	ErrURL = errors.New("not an http or https URL")
	// ErrForbidden: the URL leads to an address that is not globally
	// reachable and not allowed (InvalidPicUrl).
	ErrForbidden = errors.New("address not allowed")
	// ErrNotFound: the host does not exist, the server answered with a
	// status other than 2xx, or redirects went on too long (InvalidPicUrl).
	ErrNotFound = errors.New("no picture at the URL")
	// ErrTimeout: the transfer did not finish within the Fetcher's Timeout
	// or the context's deadline (TimeoutForTransferImage).
	ErrTimeout = errors.New("transfer did not finish in time")
	// ErrTooLarge: the picture is larger than the Fetcher's MaxBytes
	// (InvalidPicContent).
	ErrTooLarge = errors.New("picture too large")
	// ErrNetwork: the connection was refused, reset or could not be made
	// (NetworkException).
	ErrNetwork = errors.New("network error")
)

const (
	defaultTimeout  = 5 * time.Second
	defaultMaxBytes = 4 << 20
	maxRedirects    = 3
	userAgent       = "pixmatch"
)

// A Fetcher downloads pictures by URL. The zero value is ready to use with
// the defaults. A Fetcher is safe for concurrent use and keeps connections
// open for reuse; its fields must not change after the first Fetch.
type Fetcher struct {
	// Timeout bounds the whole transfer: connecting, the response headers
	// and the body. It is 5 s when zero or negative.
	Timeout time.Duration
	// MaxBytes bounds the size of the body. It is 4 MiB when zero or
	// negative.
	MaxBytes int64
	// Allow lists addresses that may be connected to even though they are
	// private, loopback, link-local or otherwise not globally reachable.
	Allow []netip.Prefix

	once   sync.Once
	client *http.Client
}

// IsURL reports whether a PicContent value is an http or https URL rather
// than base64. The base64 alphabets have no colon, so the scheme decides.
func IsURL(s string) bool {
	return hasPrefixFold(s, "http://") || hasPrefixFold(s, "https://")
}

// HasScheme reports whether s begins like a URL of any scheme: a scheme
// (a letter, then letters, digits, '+', '-' or '.'), a colon and a slash,
// as in "file:///etc/passwd", "gopher://host/" or "ftp://host/a.jpg". No
// base64 string does (the alphabets have no colon), so a PicContent or a
// BucketName that HasScheme but is not IsURL is a URL this package
// refuses, not data.
func HasScheme(s string) bool {
	scheme, rest, ok := strings.Cut(s, ":")
	if !ok || scheme == "" || !strings.HasPrefix(rest, "/") {
		return false
	}
	for i, c := range scheme {
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z':
		case i > 0 && ('0' <= c && c <= '9' || c == '+' || c == '-' || c == '.'):
		default:
			return false
		}
	}
	return true
}

func hasPrefixFold(s, prefix string) bool {
	return len(s) >= len(prefix) && strings.EqualFold(s[:len(prefix)], prefix)
}

// Fetch downloads the body at rawURL, following at most three redirects.
// It fails with an error wrapping one of the package's sentinel errors; when
// ctx is cancelled, with an error wrapping ctx's cause instead.
func (f *Fetcher) Fetch(ctx context.Context, rawURL string) ([]byte, error) {
	u, err := parseURL(rawURL)
	if err != nil {
		return nil, err
	}
	where := describe(u)
	timeout := f.timeout()
	ctx, cancel := context.WithTimeoutCause(ctx, timeout, errOwnDeadline)
	defer cancel()

	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return nil, fmt.Errorf("fetch %s: %w: %v", where, ErrURL, err)
	}
	req.Header.Set("User-Agent", userAgent)
	resp, err := f.do(req)
	if err != nil {
		return nil, fmt.Errorf("fetch %s: %w", where, classify(ctx, timeout, err))
	}
	defer resp.Body.Close()

	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return nil, fmt.Errorf("fetch %s: %w: HTTP status %s", where, ErrNotFound, resp.Status)
	}
	limit := f.maxBytes()
	if resp.ContentLength > limit {
		return nil, fmt.Errorf("fetch %s: %w: Content-Length %d is over %d bytes",
			where, ErrTooLarge, resp.ContentLength, limit)
	}
	body, err := readAtMost(resp.Body, limit, resp.ContentLength)
	if err != nil {
		if !errors.Is(err, ErrTooLarge) {
			err = classify(ctx, timeout, err)
		}
		return nil, fmt.Errorf("fetch %s: %w", where, err)
	}
	return body, nil
}

func (f *Fetcher) timeout() time.Duration {
	if f.Timeout <= 0 {
		return defaultTimeout
	}
	return f.Timeout
}

func (f *Fetcher) maxBytes() int64 {
	if f.MaxBytes <= 0 {
		return defaultMaxBytes
	}
	return f.MaxBytes
}

// checkRedirect lets the client follow a redirect to an http or https URL,
// at most maxRedirects times. Where the redirect leads is checked when its
// connection is dialled.
func checkRedirect(req *http.Request, via []*http.Request) error {
	if len(via) > maxRedirects {
		return fmt.Errorf("%w: more than %d redirects", ErrNotFound, maxRedirects)
	}
	if err := checkURL(req.URL); err != nil {
		return fmt.Errorf("redirect: %w", err)
	}
	return nil
}

// parseURL parses s as an absolute http or https URL.
func parseURL(s string) (*url.URL, error) {
	u, err := url.Parse(s)
	if err != nil {
		// The url.Error repeats s, which may be megabytes of base64.
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return nil, fmt.Errorf("fetch: %w: %v", ErrURL, err)
	}
	if err := checkURL(u); err != nil {
		return nil, fmt.Errorf("fetch: %w", err)
	}
	return u, nil
}

// checkURL reports an error wrapping ErrURL unless u is an http or https
// URL with a host and no user info.
func checkURL(u *url.URL) error {
	switch {
	case u.Scheme != "http" && u.Scheme != "https":
		if u.Scheme == "" {
			return fmt.Errorf("%w: no scheme", ErrURL)
		}
		return fmt.Errorf("%w: scheme %.16q", ErrURL, u.Scheme)
	case u.User != nil:
		return fmt.Errorf("%w: user info in URL", ErrURL)
	case u.Hostname() == "":
		return fmt.Errorf("%w: no host", ErrURL)
	}
	return nil
}

// describe names u in errors without its query, which may hold signed
// credentials, and without its fragment.
func describe(u *url.URL) string {
	return u.Scheme + "://" + u.Host + u.EscapedPath()
}

// errOwnDeadline is the cause of the context Fetch gives a request when the
// Fetcher's Timeout, rather than the caller, ends it.
var errOwnDeadline = errors.New("fetch timeout")

// classify turns an error from the HTTP client or from reading a body into
// one wrapping the sentinel for it. ctx is the request's context, timeout
// the Fetcher's.
func classify(ctx context.Context, timeout time.Duration, err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err // drop the URL, which may hold credentials in its query
	}
	if errors.Is(err, ErrURL) || errors.Is(err, ErrForbidden) || errors.Is(err, ErrNotFound) {
		return err
	}
	if ctx.Err() != nil {
		switch cause := context.Cause(ctx); {
		case errors.Is(cause, errOwnDeadline):
			return fmt.Errorf("%w after %v: %w", ErrTimeout, timeout, context.DeadlineExceeded)
		case errors.Is(cause, context.DeadlineExceeded):
			return fmt.Errorf("%w by the context's deadline: %w", ErrTimeout, cause)
		default:
			return cause
		}
	}
	var dnsErr *net.DNSError
	if errors.As(err, &dnsErr) && dnsErr.IsNotFound {
		return fmt.Errorf("%w: %w", ErrNotFound, err)
	}
	var netErr net.Error
	if errors.As(err, &netErr) && netErr.Timeout() {
		return fmt.Errorf("%w: %w", ErrTimeout, err)
	}
	return fmt.Errorf("%w: %w", ErrNetwork, err)
}

// readAtMost reads r to its end, or fails with ErrTooLarge after limit+1
// bytes. size is the announced length, or -1 when unknown.
func readAtMost(r io.Reader, limit, size int64) ([]byte, error) {
	var buf bytes.Buffer
	switch {
	case size >= 0:
		buf.Grow(int(size))
	default:
		buf.Grow(int(min(limit, 64<<10)))
	}
	n := limit
	if n < math.MaxInt64 {
		n++
	}
	got, err := buf.ReadFrom(io.LimitReader(r, n))
	if err != nil {
		return nil, err
	}
	if got > limit {
		return nil, fmt.Errorf("%w: body is over %d bytes", ErrTooLarge, limit)
	}
	return buf.Bytes(), nil
}
