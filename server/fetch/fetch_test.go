package fetch

import (
	"bytes"
	"context"
	"errors"
	"image"
	"image/color"
	"image/png"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

var loopback = []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}

// quick is how soon a fetch must fail when it is refused before connecting,
// refused on its headers, or given a 300 ms Timeout: well under the 5 s
// default Timeout it would run into otherwise, with room for a loaded
// machine.
const quick = time.Second

// picture returns a small PNG image.
func picture(t testing.TB) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, 64, 48))
	for y := range 48 {
		for x := range 64 {
			img.Set(x, y, color.RGBA{uint8(x * 4), uint8(y * 5), uint8(x ^ y), 255})
		}
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// pattern returns n deterministic bytes.
func pattern(n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(i % 251)
	}
	return b
}

// picServer is an HTTP server on 127.0.0.1 that counts its requests.
type picServer struct {
	*httptest.Server
	hits atomic.Int64
}

// newPicServer starts a server with the endpoints the tests fetch.
func newPicServer(t testing.TB, pic []byte) *picServer {
	t.Helper()
	s := &picServer{}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /pic", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "image/png")
		w.Write(pic)
	})
	mux.HandleFunc("GET /status/{code}", func(w http.ResponseWriter, r *http.Request) {
		code, _ := strconv.Atoi(r.PathValue("code"))
		w.WriteHeader(code)
		w.Write([]byte("not a picture"))
	})
	mux.HandleFunc("GET /hop/{n}", func(w http.ResponseWriter, r *http.Request) {
		n, _ := strconv.Atoi(r.PathValue("n"))
		if n == 0 {
			w.Write(pic)
			return
		}
		http.Redirect(w, r, "/hop/"+strconv.Itoa(n-1), http.StatusFound)
	})
	mux.HandleFunc("GET /to", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, r.URL.Query().Get("loc"), http.StatusFound)
	})
	mux.HandleFunc("GET /cookie", func(w http.ResponseWriter, r *http.Request) {
		http.SetCookie(w, &http.Cookie{Name: "session", Value: "secret", Path: "/"})
		http.Redirect(w, r, "/echo", http.StatusFound)
	})
	mux.HandleFunc("GET /echo", func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte(r.UserAgent() + "|" + r.Header.Get("Cookie")))
	})
	mux.HandleFunc("GET /sized/{n}", func(w http.ResponseWriter, r *http.Request) {
		n, _ := strconv.Atoi(r.PathValue("n"))
		w.Header().Set("Content-Length", strconv.Itoa(n))
		w.Write(pattern(n))
	})
	mux.HandleFunc("GET /chunked/{n}", func(w http.ResponseWriter, r *http.Request) {
		n, _ := strconv.Atoi(r.PathValue("n"))
		w.(http.Flusher).Flush() // headers go out without a Content-Length
		w.Write(pattern(n))
	})
	mux.HandleFunc("GET /declared", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", strconv.Itoa(1<<30))
		w.Write(pattern(1024))
		w.(http.Flusher).Flush()
		waitDone(r.Context(), 10*time.Second)
	})
	mux.HandleFunc("GET /trickle", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", "1000")
		w.(http.Flusher).Flush()
		for i := 0; i < 1000 && r.Context().Err() == nil; i++ {
			w.Write([]byte{byte(i)})
			w.(http.Flusher).Flush()
			waitDone(r.Context(), 50*time.Millisecond)
		}
	})
	mux.HandleFunc("GET /stall", func(w http.ResponseWriter, r *http.Request) {
		waitDone(r.Context(), 10*time.Second)
		w.Write(pic)
	})
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.hits.Add(1)
		mux.ServeHTTP(w, r)
	}))
	t.Cleanup(s.Close)
	return s
}

// waitDone waits until ctx is done or d has passed.
func waitDone(ctx context.Context, d time.Duration) {
	select {
	case <-ctx.Done():
	case <-time.After(d):
	}
}

// closedPort returns a loopback address nothing listens on.
func closedPort(t testing.TB) string {
	t.Helper()
	l, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return addr
}

func TestFetch(t *testing.T) {
	pic := picture(t)
	srv := newPicServer(t, pic)
	port := srv.Listener.Addr().(*net.TCPAddr).Port
	expand := strings.NewReplacer(
		"{srv}", srv.URL,
		"{port}", strconv.Itoa(port),
		"{closed}", closedPort(t),
	).Replace

	tests := []struct {
		name     string
		url      string
		fetcher  *Fetcher
		want     []byte
		wantErr  error
		hits     int64         // requests the server should see
		within   time.Duration // how soon Fetch must return; 3 s when zero
		deadline time.Duration // a deadline on the caller's context
	}{
		{name: "download", url: "{srv}/pic", fetcher: &Fetcher{Allow: loopback}, want: pic, hits: 1},
		{name: "upper-case scheme", url: "HTTP" + strings.TrimPrefix(srv.URL, "http") + "/pic",
			fetcher: &Fetcher{Allow: loopback}, want: pic, hits: 1},
		{name: "query and fragment", url: "{srv}/pic?x=1#top", fetcher: &Fetcher{Allow: loopback}, want: pic, hits: 1},
		{name: "three redirects", url: "{srv}/hop/3", fetcher: &Fetcher{Allow: loopback}, want: pic, hits: 4},
		{name: "user agent, no cookies", url: "{srv}/cookie", fetcher: &Fetcher{Allow: loopback},
			want: []byte("pixmatch|"), hits: 2},
		{name: "exactly MaxBytes with Content-Length", url: "{srv}/sized/1000",
			fetcher: &Fetcher{Allow: loopback, MaxBytes: 1000}, want: pattern(1000), hits: 1},
		{name: "exactly MaxBytes chunked", url: "{srv}/chunked/1000",
			fetcher: &Fetcher{Allow: loopback, MaxBytes: 1000}, want: pattern(1000), hits: 1},
		{name: "default MaxBytes", url: "{srv}/chunked/4194304", fetcher: &Fetcher{Allow: loopback},
			want: pattern(4 << 20), hits: 1},

		{name: "loopback without Allow", url: "{srv}/pic", wantErr: ErrForbidden, within: quick},
		{name: "localhost resolves to loopback", url: "http://localhost:{port}/pic", wantErr: ErrForbidden,
			within: quick},
		{name: "IPv6 loopback", url: "http://[::1]:{port}/pic", fetcher: &Fetcher{Allow: loopback},
			wantErr: ErrForbidden, within: quick},
		{name: "IPv4-mapped loopback", url: "http://[::ffff:127.0.0.1]:{port}/pic", wantErr: ErrForbidden,
			within: quick},
		{name: "metadata service", url: "http://169.254.169.254/latest/meta-data/", wantErr: ErrForbidden,
			within: quick},
		{name: "private", url: "http://10.0.0.1/x.jpg", wantErr: ErrForbidden, within: quick},
		{name: "CGNAT", url: "https://100.64.0.1:8443/x.jpg", wantErr: ErrForbidden, within: quick},
		{name: "unspecified", url: "http://0.0.0.0:{port}/pic", wantErr: ErrForbidden, within: quick},
		{name: "redirect to private", url: "{srv}/to?loc=http://10.0.0.1/x.jpg", fetcher: &Fetcher{Allow: loopback},
			wantErr: ErrForbidden, hits: 1, within: quick},
		{name: "redirect to IPv6 loopback", url: "{srv}/to?loc=http://[::1]:{port}/pic",
			fetcher: &Fetcher{Allow: loopback}, wantErr: ErrForbidden, hits: 1, within: quick},
		{name: "redirect to ftp", url: "{srv}/to?loc=ftp://127.0.0.1/x.jpg", fetcher: &Fetcher{Allow: loopback},
			wantErr: ErrURL, hits: 1},
		{name: "redirect with user info", url: "{srv}/to?loc=http://u:p@127.0.0.1:{port}/pic",
			fetcher: &Fetcher{Allow: loopback}, wantErr: ErrURL, hits: 1},
		{name: "four redirects", url: "{srv}/hop/4", fetcher: &Fetcher{Allow: loopback}, wantErr: ErrNotFound, hits: 4},

		{name: "ftp", url: "ftp://127.0.0.1/x.jpg", wantErr: ErrURL},
		{name: "file", url: "file:///pictures/x.jpg", wantErr: ErrURL},
		{name: "garbage", url: "::not a url::", wantErr: ErrURL},
		{name: "base64", url: "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR4nGP4z8DwHwAFAAH/q842iQAAAABJRU5ErkJggg==",
			wantErr: ErrURL},
		{name: "empty", url: "", wantErr: ErrURL},
		{name: "no host", url: "http:///x.jpg", wantErr: ErrURL},
		{name: "scheme-relative", url: "//127.0.0.1/x.jpg", wantErr: ErrURL},
		{name: "user info", url: "http://user:pw@127.0.0.1:{port}/pic", fetcher: &Fetcher{Allow: loopback}, wantErr: ErrURL},
		{name: "leading space", url: " {srv}/pic", fetcher: &Fetcher{Allow: loopback}, wantErr: ErrURL},

		{name: "404", url: "{srv}/status/404", fetcher: &Fetcher{Allow: loopback}, wantErr: ErrNotFound, hits: 1},
		{name: "500", url: "{srv}/status/500", fetcher: &Fetcher{Allow: loopback}, wantErr: ErrNotFound, hits: 1},
		{name: "unknown host", url: "http://no-such-host.invalid/x.jpg", wantErr: ErrNotFound},
		{name: "closed port", url: "http://{closed}/x.jpg", fetcher: &Fetcher{Allow: loopback}, wantErr: ErrNetwork},

		{name: "trickle", url: "{srv}/trickle", fetcher: &Fetcher{Allow: loopback, Timeout: 300 * time.Millisecond},
			wantErr: ErrTimeout, hits: 1, within: quick},
		{name: "stalled headers", url: "{srv}/stall", fetcher: &Fetcher{Allow: loopback, Timeout: 300 * time.Millisecond},
			wantErr: ErrTimeout, hits: 1, within: quick},
		{name: "caller's deadline", url: "{srv}/stall", fetcher: &Fetcher{Allow: loopback},
			deadline: 200 * time.Millisecond, wantErr: ErrTimeout, hits: 1, within: quick},

		{name: "too large with Content-Length", url: "{srv}/sized/1001",
			fetcher: &Fetcher{Allow: loopback, MaxBytes: 1000}, wantErr: ErrTooLarge, hits: 1},
		{name: "too large chunked", url: "{srv}/chunked/1001",
			fetcher: &Fetcher{Allow: loopback, MaxBytes: 1000}, wantErr: ErrTooLarge, hits: 1},
		{name: "too large by default", url: "{srv}/chunked/4194305", fetcher: &Fetcher{Allow: loopback},
			wantErr: ErrTooLarge, hits: 1},
		{name: "declared too large, not read", url: "{srv}/declared", fetcher: &Fetcher{Allow: loopback},
			wantErr: ErrTooLarge, hits: 1, within: quick},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := t.Context()
			if tt.deadline > 0 {
				var cancel context.CancelFunc
				ctx, cancel = context.WithTimeout(ctx, tt.deadline)
				defer cancel()
			}
			within := tt.within
			if within == 0 {
				within = 3 * time.Second
			}
			before := srv.hits.Load()
			start := time.Now()
			f := tt.fetcher
			if f == nil {
				f = &Fetcher{}
			}
			got, err := f.Fetch(ctx, expand(tt.url))
			elapsed := time.Since(start)

			if tt.wantErr == nil && err != nil {
				t.Fatalf("Fetch: %v", err)
			}
			if tt.wantErr != nil && !errors.Is(err, tt.wantErr) {
				t.Fatalf("Fetch error = %v, want %v", err, tt.wantErr)
			}
			if !bytes.Equal(got, tt.want) {
				t.Errorf("Fetch body: %d bytes, want %d", len(got), len(tt.want))
			}
			if elapsed > within {
				t.Errorf("Fetch took %v, want at most %v", elapsed, within)
			}
			if hits := srv.hits.Load() - before; hits != tt.hits {
				t.Errorf("server saw %d requests, want %d", hits, tt.hits)
			}
		})
	}
}

// TestFetchErrorsWrapOneSentinel checks that each failure names exactly one
// sentinel, so the API layer maps it to one error code.
func TestFetchErrorsWrapOneSentinel(t *testing.T) {
	srv := newPicServer(t, picture(t))
	f := &Fetcher{Allow: loopback, MaxBytes: 10, Timeout: 200 * time.Millisecond}
	sentinels := []error{ErrURL, ErrForbidden, ErrNotFound, ErrTimeout, ErrTooLarge, ErrNetwork}
	for _, u := range []string{
		"ftp://x", "http://10.0.0.1/", srv.URL + "/status/404", srv.URL + "/stall",
		srv.URL + "/pic", "http://" + closedPort(t) + "/", "http://no-such-host.invalid/",
	} {
		_, err := f.Fetch(t.Context(), u)
		var n int
		for _, s := range sentinels {
			if errors.Is(err, s) {
				n++
			}
		}
		if n != 1 {
			t.Errorf("Fetch(%s) = %v, wraps %d sentinels, want 1", u, err, n)
		}
	}
}

func TestFetchHidesQuery(t *testing.T) {
	srv := newPicServer(t, picture(t))
	f := &Fetcher{Allow: loopback}
	_, err := f.Fetch(t.Context(), srv.URL+"/status/403?Signature=s3cr3t")
	if !errors.Is(err, ErrNotFound) {
		t.Fatalf("Fetch error = %v, want ErrNotFound", err)
	}
	if strings.Contains(err.Error(), "s3cr3t") {
		t.Errorf("error %q shows the query", err)
	}
	_, err = f.Fetch(t.Context(), "http://"+closedPort(t)+"/x?Signature=s3cr3t")
	if !errors.Is(err, ErrNetwork) || strings.Contains(err.Error(), "s3cr3t") {
		t.Errorf("error %q: want ErrNetwork without the query", err)
	}
}

func TestFetchCancel(t *testing.T) {
	srv := newPicServer(t, picture(t))
	f := &Fetcher{Allow: loopback}

	t.Run("while waiting", func(t *testing.T) {
		ctx, cancel := context.WithCancel(t.Context())
		time.AfterFunc(100*time.Millisecond, cancel)
		start := time.Now()
		_, err := f.Fetch(ctx, srv.URL+"/stall")
		if !errors.Is(err, context.Canceled) || errors.Is(err, ErrTimeout) {
			t.Errorf("Fetch error = %v, want context.Canceled", err)
		}
		if d := time.Since(start); d > time.Second {
			t.Errorf("Fetch took %v after a cancel at 100ms", d)
		}
	})
	t.Run("while reading", func(t *testing.T) {
		ctx, cancel := context.WithCancel(t.Context())
		time.AfterFunc(150*time.Millisecond, cancel)
		_, err := f.Fetch(ctx, srv.URL+"/trickle")
		if !errors.Is(err, context.Canceled) || errors.Is(err, ErrTimeout) {
			t.Errorf("Fetch error = %v, want context.Canceled", err)
		}
	})
	t.Run("before", func(t *testing.T) {
		ctx, cancel := context.WithCancel(t.Context())
		cancel()
		before := srv.hits.Load()
		if _, err := f.Fetch(ctx, srv.URL+"/pic"); !errors.Is(err, context.Canceled) {
			t.Errorf("Fetch error = %v, want context.Canceled", err)
		}
		if srv.hits.Load() != before {
			t.Errorf("a cancelled fetch reached the server")
		}
	})
}

// TestRedirectToOtherLoopbackAddress checks that Allow is by address: a
// server allowed at 127.0.0.1 cannot redirect to one at 127.0.0.2.
func TestRedirectToOtherLoopbackAddress(t *testing.T) {
	l, err := net.Listen("tcp4", "127.0.0.2:0")
	if err != nil {
		t.Skipf("cannot listen on 127.0.0.2: %v", err)
	}
	pic := picture(t)
	inner := &picServer{}
	inner.Server = httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		inner.hits.Add(1)
		w.Write(pic)
	}))
	inner.Listener.Close()
	inner.Listener = l
	inner.Start()
	defer inner.Close()
	outer := newPicServer(t, pic)

	f := &Fetcher{Allow: loopback}
	_, err = f.Fetch(t.Context(), outer.URL+"/to?loc="+inner.URL+"/pic")
	if !errors.Is(err, ErrForbidden) {
		t.Errorf("Fetch error = %v, want ErrForbidden", err)
	}
	if n := inner.hits.Load(); n != 0 {
		t.Errorf("forbidden server saw %d requests", n)
	}
	f = &Fetcher{Allow: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/30")}}
	got, err := f.Fetch(t.Context(), outer.URL+"/to?loc="+inner.URL+"/pic")
	if err != nil || !bytes.Equal(got, pic) {
		t.Errorf("Fetch with both allowed = %d bytes, %v; want the picture", len(got), err)
	}
}

func TestFetcherReusesConnections(t *testing.T) {
	pic := picture(t)
	var conns atomic.Int64
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Write(pic)
	}))
	srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			conns.Add(1)
		}
	}
	srv.Start()
	defer srv.Close()
	f := &Fetcher{Allow: loopback}
	for range 5 {
		if _, err := f.Fetch(t.Context(), srv.URL+"/pic"); err != nil {
			t.Fatal(err)
		}
	}
	if n := conns.Load(); n != 1 {
		t.Errorf("5 fetches used %d connections, want 1", n)
	}
}

func TestIsURL(t *testing.T) {
	tests := []struct {
		s    string
		want bool
	}{
		{"http://example.com/a.jpg", true},
		{"https://example.com/a.jpg?x=1", true},
		{"HTTPS://EXAMPLE.COM/A.JPG", true},
		{"Http://bucket.oss.example.com/key", true},
		{"http://", true},
		{"/9j/4AAQSkZJRgABAQEASABIAAD/2wBDAAMCAgMCAgMDAwMEAwMEBQgFBQQEBQoHBwYIDAoMDAsKCwsNDhIQDQ4RDgsLEBYQERMUFRUVDA8XGBYUGBIUFRT/", false},
		{"iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR4nGP4z8DwHwAFAAH/q842iQAAAABJRU5ErkJggg==", false},
		{"httpAAAA+/+/", false},
		{"https", false},
		{"httpsA/+Q==", false},
		{"ftp://example.com/a.jpg", false},
		{"//example.com/a.jpg", false},
		{"", false},
		{" http://example.com/a.jpg", false},
	}
	for _, tt := range tests {
		if got := IsURL(tt.s); got != tt.want {
			t.Errorf("IsURL(%.30q) = %v, want %v", tt.s, got, tt.want)
		}
	}
}

func TestHasScheme(t *testing.T) {
	tests := []struct {
		s    string
		want bool
	}{
		{"http://example.com/a.jpg", true},
		{"file:///etc/passwd", true},
		{"FILE:/etc/passwd", true},
		{"gopher://127.0.0.1:70/_x", true},
		{"ftp://example.com/a.jpg", true},
		{"svn+ssh://host/repo", true},
		{"x-custom.v1://thing", true},
		{"/9j/4AAQSkZJRgABAQEASABIAAD/2wBDAAMCAgMCAgMDAwMEAwMEBQgFBQQEBQoHBwYIDAoMDAsKCwsNDhIQDQ4RDgsLEBYQERMUFRUVDA8XGBYUGBIUFRT/", false},
		{"iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR4nGP4z8DwHwAFAAH/q842iQAAAABJRU5ErkJggg==", false},
		{"://example.com", false},
		{"1http://example.com", false},
		{"+a://x", false},
		{"ht tp://x", false},
		{"hello: world", false},
		{"data:image/png;base64,iVBOR", false},
		{"", false},
	}
	for _, tt := range tests {
		if got := HasScheme(tt.s); got != tt.want {
			t.Errorf("HasScheme(%.30q) = %v, want %v", tt.s, got, tt.want)
		}
	}
}

func BenchmarkFetch(b *testing.B) {
	body := pattern(1 << 20)
	srv := newPicServer(b, body)
	f := &Fetcher{Allow: loopback, MaxBytes: 2 << 20}
	u := srv.URL + "/sized/" + strconv.Itoa(len(body))
	b.SetBytes(int64(len(body)))
	for b.Loop() {
		if _, err := f.Fetch(b.Context(), u); err != nil {
			b.Fatal(err)
		}
	}
}
