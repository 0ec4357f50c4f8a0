package main

import (
	"context"
	"crypto/tls"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"runtime"
	"runtime/debug"
	"strings"
	"sync"
	"time"

	"github.com/pixmatch/pixmatch/server/config"
	"github.com/pixmatch/pixmatch/server/netlimit"
)

// httpServer is the HTTP server of serve, on its capped listener.
type httpServer struct {
	srv *http.Server
	ln  *netlimit.Listener
}

// newHTTPServer serves handler on ln with the server's limits: headers
// within ReadHeaderTimeout; a body within BodyTimeout (the handlers set
// it, the server's ReadTimeout backs it); a response within
// WriteTimeout; an idle connection closed after IdleTimeout; at most
// MaxConns connections, fewer if the process's limit of open files
// demands it.
func newHTTPServer(ln net.Listener, handler http.Handler, lim config.Server, log *slog.Logger) *httpServer {
	conns := netlimit.Cap(lim.MaxConns)
	if conns < lim.MaxConns {
		log.Warn("fewer connections than configured: the limit of open files is low", "connections", conns, "files", netlimit.FileLimit())
	}
	capped := netlimit.Listen(ln, conns)
	return &httpServer{ln: capped, srv: &http.Server{
		Handler:           handler,
		ReadHeaderTimeout: lim.ReadHeaderTimeout,
		ReadTimeout:       lim.ReadHeaderTimeout + lim.BodyTimeout,
		WriteTimeout:      lim.WriteTimeout,
		IdleTimeout:       lim.IdleTimeout,
		ConnState:         capped.ConnState,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelDebug),
	}}
}

// serve accepts connections until shutdown: https when the server has a
// TLSConfig (its certificates), else http.
func (s *httpServer) serve() error {
	var err error
	if s.srv.TLSConfig != nil {
		err = s.srv.ServeTLS(s.ln, "", "")
	} else {
		err = s.srv.Serve(s.ln)
	}
	if !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// shutdown stops accepting, waits for the requests in flight, and after
// timeout closes the connections still open.
func (s *httpServer) shutdown(timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	if err := s.srv.Shutdown(ctx); err != nil {
		return errors.Join(err, s.srv.Close())
	}
	return nil
}

// limitMemory sets the Go runtime's soft memory limit, unless GOMEMLIMIT
// does, to what the server holds once started plus what its budgets let
// requests take (decodes, bodies and their processing) and a margin: the
// garbage collector then frees what finished requests dropped before the
// process grows past what it may need, instead of letting the heap double.
func limitMemory(lim config.Server, log *slog.Logger) {
	if os.Getenv("GOMEMLIMIT") != "" {
		return
	}
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	const margin = 128 << 20
	limit := int64(m.HeapAlloc) + lim.DecodeBytes + lim.BodyBytes + margin
	debug.SetMemoryLimit(limit)
	log.Debug("memory limit", "bytes", limit)
}

// tlsFiles are the certificate and key serve answers https with.
type tlsFiles struct{ cert, key string }

// register adds --tls-cert and --tls-key to fs.
func (t *tlsFiles) register(fs *flag.FlagSet) {
	fs.StringVar(&t.cert, "tls-cert", "", "FILE: the PEM certificate (with its chain) to serve https with; needs --tls-key")
	fs.StringVar(&t.key, "tls-key", "", "FILE: the PEM private key of --tls-cert")
}

// scheme is the one the server answers: https with a certificate.
func (t tlsFiles) scheme() string {
	if t.cert != "" {
		return "https"
	}
	return "http"
}

// config loads the certificate and its key: nil when neither is given
// (serve plain http), an error when only one is or they do not load.
// The files are read again when they change (see certificate), so that a
// renewed certificate is served without a restart.
func (t tlsFiles) config(log *slog.Logger) (*tls.Config, error) {
	switch {
	case t.cert == "" && t.key == "":
		return nil, nil
	case t.cert == "" || t.key == "":
		return nil, errors.New("--tls-cert and --tls-key go together: give both to serve https, or neither to serve http")
	}
	c := &certificate{files: t, recheck: time.Minute, log: log}
	if err := c.load(); err != nil {
		return nil, err
	}
	return &tls.Config{GetCertificate: c.get, MinVersion: tls.VersionTLS12}, nil
}

// stamp identifies the files' contents: their sizes and modification
// times.
func (t tlsFiles) stamp() (string, error) {
	var out strings.Builder
	for _, name := range []string{t.cert, t.key} {
		st, err := os.Stat(name)
		if err != nil {
			return "", err
		}
		fmt.Fprintf(&out, "%d@%d;", st.Size(), st.ModTime().UnixNano())
	}
	return out.String(), nil
}

// certificate is the key pair of files, loaded again at a handshake when
// the files changed, looked at once every recheck at most. A pair that
// does not load (a renewal half written) leaves the last good one
// served, and is tried again at the next look.
type certificate struct {
	files   tlsFiles
	recheck time.Duration
	log     *slog.Logger

	mu     sync.Mutex
	pair   *tls.Certificate
	stamp  string // of the files pair was loaded from
	looked time.Time
}

// load reads the files.
func (c *certificate) load() error {
	stamp, err := c.files.stamp()
	if err != nil {
		return fmt.Errorf("--tls-cert %s and --tls-key %s: %w", c.files.cert, c.files.key, err)
	}
	pair, err := tls.LoadX509KeyPair(c.files.cert, c.files.key)
	if err != nil {
		return fmt.Errorf("--tls-cert %s and --tls-key %s: %w", c.files.cert, c.files.key, err)
	}
	c.pair, c.stamp = &pair, stamp
	return nil
}

// get is the tls.Config's GetCertificate.
func (c *certificate) get(*tls.ClientHelloInfo) (*tls.Certificate, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if time.Since(c.looked) < c.recheck {
		return c.pair, nil
	}
	c.looked = time.Now()
	if stamp, err := c.files.stamp(); err == nil && stamp == c.stamp {
		return c.pair, nil
	}
	if err := c.load(); err != nil {
		c.log.Warn("the TLS certificate changed but does not load: serving the last one", "err", err)
		return c.pair, nil
	}
	c.log.Info("TLS certificate loaded again", "cert", c.files.cert)
	return c.pair, nil
}
