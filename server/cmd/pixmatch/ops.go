package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/pixmatch/pixmatch/server/app"
	"github.com/pixmatch/pixmatch/server/gallery"
	"github.com/pixmatch/pixmatch/server/metrics"
	"github.com/pixmatch/pixmatch/server/store"
	"github.com/pixmatch/pixmatch/server/store/observed"
)

// metricsOff is the --metrics-addr that serves no metrics.
const metricsOff = "off"

// opsFlags are serve's flags for whoever operates the server: its log,
// where its metrics are served, and the origins of browser apps it
// answers.
type opsFlags struct {
	logFormat   string
	logLevel    slog.Level
	metricsAddr string
	corsOrigins []string
}

// register adds the flags to fs.
func (o *opsFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&o.logFormat, "log-format", "text", "log lines as text or json")
	fs.TextVar(&o.logLevel, "log-level", slog.LevelInfo, "least level logged: debug, info, warn or error")
	fs.StringVar(&o.metricsAddr, "metrics-addr", "", "HOST:PORT to serve /metrics on instead of the main address (off: no metrics)")
	fs.Func("cors-origin", "ORIGIN: a browser app's origin (https://host[:port], or *) allowed to call the APIs (repeatable)", func(v string) error {
		if err := app.CheckOrigin(v); err != nil {
			return err
		}
		o.corsOrigins = append(o.corsOrigins, v)
		return nil
	})
}

// options are the app options the flags ask for, with the metrics of mx.
func (o *opsFlags) options(mx *metricsServer) []app.Option {
	return append(mx.options(), app.WithCORS(o.corsOrigins))
}

// logger returns the log the flags ask for, writing to w.
func (o *opsFlags) logger(w io.Writer) (*slog.Logger, error) {
	opts := &slog.HandlerOptions{Level: o.logLevel}
	switch strings.ToLower(o.logFormat) {
	case "text":
		return slog.New(slog.NewTextHandler(w, opts)), nil
	case "json":
		return slog.New(slog.NewJSONHandler(w, opts)), nil
	}
	return nil, fmt.Errorf("--log-format %q: want text or json", o.logFormat)
}

// metricsServer serves a server's metrics: on the main address, on a
// listener of their own, or (nil) not at all.
type metricsServer struct {
	m      *metrics.Metrics
	ln     net.Listener // nil: served on the main address
	srv    *http.Server
	served sync.WaitGroup
}

// listenMetrics prepares the metrics --metrics-addr asks for, listening
// already when they have an address of their own, so that a port in use
// fails the start before anything is created.
func (o *opsFlags) listenMetrics() (*metricsServer, error) {
	switch o.metricsAddr {
	case metricsOff:
		return nil, nil
	case "":
		return &metricsServer{m: metrics.New()}, nil
	}
	ln, err := net.Listen("tcp", o.metricsAddr)
	if err != nil {
		return nil, fmt.Errorf("--metrics-addr: %w", err)
	}
	return &metricsServer{m: metrics.New(), ln: ln}, nil
}

// observe returns st with its failures counted into the metrics, or st
// when there are none.
func (ms *metricsServer) observe(st store.Store) store.Store {
	if ms == nil {
		return st
	}
	return observed.New(st, ms.m.StoreFailed)
}

// following is the gallery option that observes following's delays in
// the metrics, or none when there are none.
func (ms *metricsServer) following() []gallery.Option {
	if ms == nil {
		return nil
	}
	return []gallery.Option{gallery.WithFollowDelays(ms.m.Followed)}
}

// options are the app options that count into the metrics.
func (ms *metricsServer) options() []app.Option {
	if ms == nil {
		return nil
	}
	return []app.Option{app.WithMetrics(ms.m, ms.ln == nil)}
}

// start serves the metrics on their own listener, if they have one,
// until close.
func (ms *metricsServer) start(out io.Writer, log *slog.Logger) {
	if ms == nil || ms.ln == nil {
		return
	}
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", ms.m.Handler())
	ms.srv = &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second,
		ErrorLog: slog.NewLogLogger(log.Handler(), slog.LevelDebug)}
	fmt.Fprintf(out, "metrics on http://%s/metrics\n", ms.ln.Addr())
	ms.served.Go(func() {
		if err := ms.srv.Serve(ms.ln); !errors.Is(err, http.ErrServerClosed) {
			log.Error("metrics listener failed", "err", err)
		}
	})
}

// close stops serving the metrics.
func (ms *metricsServer) close() {
	if ms == nil || ms.ln == nil {
		return
	}
	if ms.srv != nil {
		ms.srv.Close()
	}
	ms.ln.Close()
	ms.served.Wait()
}
