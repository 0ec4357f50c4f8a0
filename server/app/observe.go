package app

import (
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/labstack/echo/v4"
	"golang.org/x/time/rate"

	"github.com/pixmatch/pixmatch/server/api/alibaba"
	"github.com/pixmatch/pixmatch/server/api/dialect"
	"github.com/pixmatch/pixmatch/server/metrics"
)

// Refused requests (a 4xx that ran no search, a 503) get at most
// refusedLines access lines a second, in bursts of refusedBurst: a
// client hammering the server with bad keys or over its limits must not
// bury the log. The lines left out are counted in
// pixmatch_log_lines_dropped_total.
const (
	refusedLines = 10
	refusedBurst = 20
)

// The APIs a request belongs to, as metrics and the access log name them.
const (
	apiCRS     = "crs"
	apiAlibaba = "alibaba"
	apiSync    = "sync"
	apiWeb     = "web"
	apiOps     = "ops"
)

// opsPaths are the operator's own paths.
var opsPaths = []string{metricsPath, healthPath, readyPath}

// observer writes the access line of every request and counts it in the
// metrics (when there are any).
type observer struct {
	log     *slog.Logger
	metrics *metrics.Metrics
	refused *rate.Limiter

	routesOnce sync.Once
	e          *echo.Echo
	routes     map[string]bool // "METHOD path" of every route
}

// observe returns the middleware that writes one access line per request
// at Info (the request ID the response carries in X-Request-Id, method,
// path, status, catalogue code and cause, duration) and counts it in m
// (nil: no metrics). It must come after middleware.RequestID.
func observe(e *echo.Echo, log *slog.Logger, m *metrics.Metrics) echo.MiddlewareFunc {
	o := &observer{log: log, metrics: m, refused: rate.NewLimiter(refusedLines, refusedBurst), e: e}
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			start := time.Now()
			if err := next(c); err != nil {
				c.Error(err) // answered here, so that the status is known
			}
			o.done(c, time.Since(start))
			return nil
		}
	}
}

// done records one answered request.
func (o *observer) done(c echo.Context, took time.Duration) {
	req, res := c.Request(), c.Response()
	out := dialect.OutcomeOf(c)
	api := apiOf(req)
	code := ""
	if out.Entry != nil {
		code = out.Entry.Code
	}
	action := o.action(c, out)
	if o.metrics != nil {
		o.metrics.Answered(metrics.Request{API: api, Action: action, Status: res.Status, Code: code, Duration: took})
		if out.Searched {
			o.metrics.Searched(api, out.Tier)
		}
	}
	if refused(res.Status, out) && !o.refused.Allow() {
		if o.metrics != nil {
			o.metrics.LogDropped()
		}
		return
	}
	attrs := []slog.Attr{
		slog.String("id", res.Header().Get(echo.HeaderXRequestID)),
		slog.String("method", req.Method), slog.String("path", req.URL.Path),
		slog.Int("status", res.Status), slog.String("api", api), slog.String("action", action),
		slog.Duration("duration", took),
	}
	if code != "" {
		attrs = append(attrs, slog.String("code", code))
	}
	if out.Cause != nil {
		attrs = append(attrs, slog.String("err", out.Cause.Error()))
	}
	o.log.LogAttrs(req.Context(), slog.LevelInfo, "request", attrs...)
}

// refused tells a request the server turned away (a 4xx that ran no
// search, or busy) from one it served.
func refused(status int, out dialect.Outcome) bool {
	return status >= 400 && status < 500 && !out.Searched || status == http.StatusServiceUnavailable
}

// action names what a request asked for from a fixed set: the Alibaba
// action the dialect ran, or the route that served it, or "unrouted".
func (o *observer) action(c echo.Context, out dialect.Outcome) string {
	if out.Action != "" {
		return out.Action
	}
	o.routesOnce.Do(func() {
		o.routes = map[string]bool{}
		for _, r := range o.e.Routes() {
			o.routes[r.Method+" "+r.Path] = true
		}
	})
	route := c.Request().Method + " " + c.Path()
	if o.routes[route] {
		return route
	}
	return "unrouted"
}

// apiOf tells which API a request's path belongs to.
func apiOf(req *http.Request) string {
	p := req.URL.Path
	switch {
	case slices.Contains(opsPaths, p):
		return apiOps
	case strings.HasPrefix(p, "/sync/"):
		return apiSync
	case slices.ContainsFunc(crsPrefixes, func(prefix string) bool { return strings.HasPrefix(p, prefix) }):
		return apiCRS
	case strings.HasPrefix(p, "/item/") || strings.HasPrefix(p, "/files/") || (p == "/" && alibaba.IsRPC(req)):
		return apiAlibaba
	}
	return apiWeb
}
