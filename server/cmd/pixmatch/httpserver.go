package main

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"os"
	"runtime"
	"runtime/debug"
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

// serve accepts connections until shutdown.
func (s *httpServer) serve() error {
	if err := s.srv.Serve(s.ln); !errors.Is(err, http.ErrServerClosed) {
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
