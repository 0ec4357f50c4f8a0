package app

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/pixmatch/pixmatch/server/budget"
	"github.com/pixmatch/pixmatch/server/gallery"
	"github.com/pixmatch/pixmatch/server/jobs"
	"github.com/pixmatch/pixmatch/server/metrics"
	"github.com/pixmatch/pixmatch/server/store"
)

// The operator's paths. None asks for an API key: put the server behind
// a firewall or bind the metrics elsewhere (serve --metrics-addr) when
// they must not be public.
const (
	metricsPath = "/metrics"
	healthPath  = "/healthz"
	readyPath   = "/readyz"
)

// readyTimeout bounds the store query of a readiness check.
const readyTimeout = 2 * time.Second

// health is the answer of /healthz and /readyz.
type health struct {
	Status string `json:"status"`           // "ok" or "unavailable"
	Reason string `json:"reason,omitempty"` // why not ready; never a server path
}

// opsRoutes serves /healthz, /readyz and, when route is true, m at
// /metrics; it points m's gauges at the server's state.
func opsRoutes(e *echo.Echo, svc *gallery.Service, log *slog.Logger, m *metrics.Metrics, route bool, bodies *budget.Budget, runner *jobs.Runner) {
	e.GET(healthPath, func(c echo.Context) error { return c.JSON(http.StatusOK, health{Status: "ok"}) })
	e.GET(readyPath, func(c echo.Context) error {
		if reason, err := notReady(c.Request().Context(), svc); err != nil {
			log.Warn("not ready", "reason", reason, "err", err)
			return c.JSON(http.StatusServiceUnavailable, health{Status: "unavailable", Reason: reason})
		}
		return c.JSON(http.StatusOK, health{Status: "ok"})
	})
	if m == nil {
		return
	}
	m.Watch(metrics.Sources{
		Galleries:   func(ctx context.Context) []metrics.Gallery { return gallerySizes(ctx, svc) },
		BodyBytes:   func() (int64, int64) { return bodies.InUse(), bodies.Capacity() },
		DecodeBytes: svc.Pictures.DecodeBytes,
		Tasks:       func() []metrics.Task { return taskProgress(svc) },
		Jobs:        runner.Running,

		FeaturePending: svc.Targets.Unfeatured,
	})
	if route {
		e.GET(metricsPath, echo.WrapHandler(m.Handler()))
	}
}

// notReady returns why the server cannot serve yet, with the error
// behind it, or a nil error when it can: the store answers a query, and
// every gallery the service knows has its index loaded and, on a store
// shared with other servers, holding what they committed.
func notReady(ctx context.Context, svc *gallery.Service) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, readyTimeout)
	defer cancel()
	if _, err := svc.Setting(ctx, tokenKeySetting); err != nil && !errors.Is(err, store.ErrNotFound) {
		return "the store does not answer", err
	}
	for _, g := range svc.Galleries.List() {
		if _, err := svc.Galleries.Fresh(ctx, g.ID); err != nil && !errors.Is(err, gallery.ErrSuspended) {
			return "gallery " + g.Name + " is not loaded or cannot catch up with the store", err
		}
	}
	return "", nil
}

// gallerySizes reads the size of every serving gallery's index as
// Targets.Counts counts it (caught up with the other servers sharing the
// store), within ctx and readyTimeout: a gallery it cannot count
// (suspended, deleted meanwhile, the store down) is left out.
func gallerySizes(ctx context.Context, svc *gallery.Service) []metrics.Gallery {
	ctx, cancel := context.WithTimeout(ctx, readyTimeout)
	defer cancel()
	var out []metrics.Gallery
	for _, g := range svc.Galleries.List() {
		n, active, err := svc.Targets.Counts(ctx, g.ID)
		if err != nil {
			continue
		}
		out = append(out, metrics.Gallery{Name: g.Name, Targets: n, Active: active})
	}
	return out
}

// WithMetrics counts every request, search and dropped log line in m and
// points m's gauges at the server's state; route serves m at GET
// /metrics on this handler too (false: the caller serves m.Handler()
// elsewhere). Without it nothing is counted and /metrics is not served.
func WithMetrics(m *metrics.Metrics, route bool) Option {
	return func(o *options) { o.metrics, o.metricsRoute = m, route }
}

// taskProgress is the progress of the imports and dumps the service runs,
// by gallery name.
func taskProgress(svc *gallery.Service) []metrics.Task {
	var out []metrics.Task
	for _, t := range svc.Tasks.Running() {
		g, err := svc.Galleries.ByID(t.Gallery)
		if err != nil {
			continue // deleted meanwhile
		}
		out = append(out, metrics.Task{Gallery: g.Name, Kind: string(t.Kind), Total: t.Total, Done: t.Done, Failed: t.Failed})
	}
	return out
}
