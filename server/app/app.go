// Package app assembles pixmatch's HTTP server: the Echo instance, its
// middleware, and the routes of every dialect over one gallery service.
package app

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net/http"
	"net/netip"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"

	"github.com/pixmatch/pixmatch/server/api/alibaba"
	"github.com/pixmatch/pixmatch/server/api/crs"
	"github.com/pixmatch/pixmatch/server/api/openapi"
	"github.com/pixmatch/pixmatch/server/api/sync"
	webapp "github.com/pixmatch/pixmatch/server/api/web"
	"github.com/pixmatch/pixmatch/server/auth"
	"github.com/pixmatch/pixmatch/server/budget"
	"github.com/pixmatch/pixmatch/server/fetch"
	"github.com/pixmatch/pixmatch/server/gallery"
	"github.com/pixmatch/pixmatch/server/jobs"
	"github.com/pixmatch/pixmatch/server/metrics"
	"github.com/pixmatch/pixmatch/server/store"
	"github.com/pixmatch/pixmatch/web"
)

// New returns the HTTP handler serving every API of svc and the web app.
func New(ctx context.Context, svc *gallery.Service, log *slog.Logger, opts ...Option) (*echo.Echo, error) {
	var o options
	for _, opt := range opts {
		opt(&o)
	}
	tokens, err := tokenService(ctx, svc)
	if err != nil {
		return nil, err
	}
	replays := o.replays // the one memory of one-time values, for both dialects
	if replays == nil {
		replays = &auth.Memory{}
	}
	e := echo.New()
	e.JSONSerializer = plainJSON{}
	e.HideBanner = true
	e.HidePort = true
	e.Use(middleware.RequestID())
	e.Use(observe(e, log, o.metrics))
	e.Use(middleware.Recover())
	if o.cors != nil {
		e.Use(o.cors)
	}
	limits := svc.Config().Server
	e.Use(deadline(limits.RequestTimeout))
	bodies := o.bodies
	if bodies == nil {
		bodies = budget.New(limits.BodyBytes)
	}
	e.Use(bodyAccounts(bodies, limits.BusyWait))
	keys := Keys(svc)
	crsAPI := crs.New(crs.Deps{Service: svc, Keys: keys, Tokens: tokens, Replays: replays,
		Config: svc.Config().CRS, BodyTimeout: limits.BodyTimeout, Log: log})
	crsAPI.Routes(e)
	runner := o.jobs(ctx, log)
	opsRoutes(e, svc, log, o.metrics, o.metricsRoute, bodies, runner)
	if err := remakeFeatures(svc, runner, log); err != nil {
		return nil, err
	}
	ali, err := alibabaHandler(ctx, svc, alibaba.Deps{Keys: keys, Replays: replays, Jobs: runner, Log: log}, !o.perRequest)
	if err != nil {
		return nil, err
	}
	ali.Routes(e)
	e.HTTPErrorHandler = unrouted(e, crsAPI, ali)
	verifier := &auth.Verifier{Keys: keys, Tokens: tokens, Skew: svc.Config().CRS.TimestampSkew}
	sync.New(svc, verifier, log).Routes(e)
	openapi.Routes(e)
	app := webapp.New(o.static(), o.dist())
	app.Routes(e)
	e.GET("/", func(c echo.Context) error {
		if alibaba.IsRPC(c.Request()) {
			return ali.RPC(c)
		}
		return app.Index(c)
	})
	return e, nil
}

// remakeFeatures makes, in a job of runner, the feature records the
// service found missing when it opened (see gallery.Targets.RemakeFeatures);
// the server serves meanwhile, finding those targets by the hash tier.
func remakeFeatures(svc *gallery.Service, runner *jobs.Runner, log *slog.Logger) error {
	n := svc.Targets.Unfeatured()
	if n == 0 {
		return nil
	}
	job, err := runner.Start("features")
	if err != nil {
		return err
	}
	job.Go(func(ctx context.Context) {
		log.Info("making feature records", "targets", n)
		made, err := svc.Targets.RemakeFeatures(ctx, sync.FeatureTargets, func(g int64, id string, err error) {
			log.Warn("no feature record: the hash tier alone finds the target", "gallery", g, "target", id, "err", err)
		})
		log.Info("feature records made", "made", made, "of", n, "err", err)
	})
	return nil
}

// deadline ends each request's context after d (config.Server's
// RequestTimeout; 0: none), so that every call of its handler that waits
// gives up then.
func deadline(d time.Duration) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			if d <= 0 {
				return next(c)
			}
			req := c.Request()
			ctx, cancel := context.WithTimeout(req.Context(), d)
			defer cancel()
			c.SetRequest(req.WithContext(ctx))
			return next(c)
		}
	}
}

// bodyAccounts gives each request an account on the process's budget of
// body bytes, closed when the request ends, for the dialects to charge
// the bodies they read to (see package body).
func bodyAccounts(bodies *budget.Budget, wait time.Duration) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			a := bodies.Open(wait)
			defer a.Close()
			req := c.Request()
			c.SetRequest(req.WithContext(budget.NewContext(req.Context(), a)))
			return next(c)
		}
	}
}

// crsPrefixes are the paths of the CRS API and of the APIs that answer in
// its envelope (sync).
var crsPrefixes = []string{"/targets", "/target/", "/search", "/v2/", "/similar", "/grade/", "/token/", "/tunnels", "/ping", "/sync/"}

// unrouted answers requests no route serves, and handler failures that
// reached Echo unanswered, in the envelope of the API their path belongs
// to; what belongs to none (the web app's paths) gets Echo's answer.
func unrouted(e *echo.Echo, crsAPI *crs.Handler, ali *alibaba.Handler) echo.HTTPErrorHandler {
	return func(err error, c echo.Context) {
		if c.Response().Committed {
			return
		}
		status := http.StatusInternalServerError
		if he, ok := errors.AsType[*echo.HTTPError](err); ok {
			status = he.Code
		}
		switch apiOf(c.Request()) {
		case apiCRS, apiSync:
			crsAPI.Unrouted(c, status, err)
		case apiAlibaba:
			ali.Unrouted(c, status, err)
		default:
			e.DefaultHTTPErrorHandler(err, c)
		}
	}
}

// plainJSON writes JSON answers as Echo's default does, but without
// escaping <, > and & in strings: the API's answers are not HTML, and a
// client's own values (custom fields, meta) come back byte for byte.
type plainJSON struct{ echo.DefaultJSONSerializer }

func (plainJSON) Serialize(c echo.Context, v any, indent string) error {
	enc := json.NewEncoder(c.Response())
	enc.SetEscapeHTML(false)
	if indent != "" {
		enc.SetIndent("", indent)
	}
	return enc.Encode(v)
}

// Option changes how New assembles the server.
type Option func(*options)

type options struct {
	distFS       fs.FS
	runner       *jobs.Runner
	metrics      *metrics.Metrics
	metricsRoute bool
	cors         echo.MiddlewareFunc // WithCORS; nil: no cross-origin requests
	replays      auth.Replays
	perRequest   bool
	bodies       *budget.Budget
}

// WithReplays makes r the memory of one-time values (CRS signatures of
// writes, Alibaba nonces) instead of one in the process's memory: for a
// server that keeps nothing between requests (a Worker), r lives in its
// database.
func WithReplays(r auth.Replays) Option { return func(o *options) { o.replays = r } }

// WithBodyBudget makes b the memory request bodies are read within, in
// place of a budget of the app's own of config.Server.BodyBytes: a budget
// shared by apps that serve requests side by side in one memory (a
// Worker isolate's, one app a request).
func WithBodyBudget(b *budget.Budget) Option { return func(o *options) { o.bodies = b } }

// PerRequest marks an app assembled for one request among others in
// flight (a Worker's): it leaves the tasks it finds running as they are,
// where a starting server ends them as interrupted. Another request's
// task may be running, and an app per request must not write on every
// request.
func PerRequest() Option { return func(o *options) { o.perRequest = true } }

// WithJobs makes r the owner of the background jobs the server starts:
// Alibaba imports, dumps and their callbacks. The caller stops it when
// shutting down, after the HTTP server and before the store:
// r.Stop(ctx) interrupts the jobs and waits for them. Without it, the
// jobs run under New's ctx, cancelled when it ends but waited for by
// nobody.
func WithJobs(r *jobs.Runner) Option { return func(o *options) { o.runner = r } }

func (o options) jobs(ctx context.Context, log *slog.Logger) *jobs.Runner {
	if o.runner != nil {
		return o.runner
	}
	return jobs.New(ctx, log)
}

// WithDist serves the browser module from fsys instead of the one
// embedded at build time (tests build it themselves).
func WithDist(fsys fs.FS) Option { return func(o *options) { o.distFS = fsys } }

func (o options) static() fs.FS { return web.Static() }

func (o options) dist() fs.FS {
	if o.distFS != nil {
		return o.distFS
	}
	return web.Dist()
}

// alibabaHandler prepares the Alibaba dialect: its fetcher with the
// configured allow-list, the key that signs its file links, the owner of
// its jobs, and, when starting, the end of the tasks the last stop
// interrupted.
func alibabaHandler(ctx context.Context, svc *gallery.Service, d alibaba.Deps, starting bool) (*alibaba.Handler, error) {
	cfg := svc.Config().Alibaba
	var allow []netip.Prefix
	for _, s := range cfg.FetchAllow {
		p, err := netip.ParsePrefix(s)
		if err != nil {
			return nil, fmt.Errorf("app: fetch allow-list: %w", err)
		}
		allow = append(allow, p)
	}
	key, err := secret(ctx, svc, fileKeySetting)
	if err != nil {
		return nil, err
	}
	d.Service, d.Config, d.URLKey, d.BodyTimeout = svc, cfg, key, svc.Config().Server.BodyTimeout
	d.Fetcher = &fetch.Fetcher{Timeout: cfg.FetchTimeout, MaxBytes: int64(cfg.MaxImageBytes), Allow: allow}
	h := alibaba.New(d)
	if !starting {
		return h, nil
	}
	if err := h.EndInterrupted(ctx); err != nil {
		return nil, err
	}
	return h, nil
}

// Names of the stored keys: the one that seals access tokens, and the
// one that signs links to task files.
const (
	tokenKeySetting = "token-key"
	fileKeySetting  = "file-link-key"
)

// tokenService returns the token issuer.
func tokenService(ctx context.Context, svc *gallery.Service) (*auth.Tokens, error) {
	key, err := secret(ctx, svc, tokenKeySetting)
	if err != nil {
		return nil, err
	}
	return auth.NewTokens(key, nil)
}

// secret returns a random 32-byte key made on first use and kept in the
// store, so that what it signs survives restarts.
func secret(ctx context.Context, svc *gallery.Service, name string) ([]byte, error) {
	encoded, err := svc.Setting(ctx, name)
	if errors.Is(err, store.ErrNotFound) {
		key := make([]byte, auth.TokenKeySize)
		rand.Read(key)
		encoded = base64.StdEncoding.EncodeToString(key)
		err = svc.PutSetting(ctx, name, encoded)
	}
	if err != nil {
		return nil, fmt.Errorf("app: %s: %w", name, err)
	}
	key, err := base64.StdEncoding.DecodeString(encoded)
	if err != nil {
		return nil, fmt.Errorf("app: stored %s: %w", name, err)
	}
	return key, nil
}
