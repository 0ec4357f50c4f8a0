// Package worker is pixmatch's Cloudflare Workers edition: the same Echo
// app as `pixmatch serve` (server/app: the CRS and Alibaba dialects, the
// sync API, the web app), over a D1 database and an R2 bucket
// (server/store/d1), served by syumai/workers (cmd/, built for js/wasm).
//
// A Worker isolate runs one Go instance for all its requests (worker.mjs,
// Isolate), which opens the store on its first request. But it keeps
// nothing of a request for the next: each request gets a fresh gallery
// service and app, which make the first gallery and key on an empty
// database (FirstUse), all before it answers (Assemble). D1 is the truth
// that isolates share, and isolates come and go at Cloudflare's will, so
// nothing the server keeps in memory carries over:
//
//   - Search loads no index. The gallery service is opened WithLookup:
//     a search finds its candidates in D1 by indexed lookups of the
//     codes' 16-bit parts (d1.Store.Candidates) and searches those with
//     the server's own index code, so the hash tier answers exactly as
//     the server's does (TestLookupAnswersAsTheServer).
//   - Nor does the feature tier (prints seen by a camera) keep an index:
//     each target's bag of words is written with its row and listed in
//     D1 by the row's triggers; a search reads its words' lists in one
//     statement, scores them as the server's index does, and verifies the
//     shortlist's records from R2 (gallery.WithFeatureLookup, features.go),
//     so it too answers as the server's does
//     (TestFeaturesAnswerAsTheServer). The trained vocabulary is a static
//     asset fetched once per isolate, not part of the module.
//   - The memory of signatures and nonces against replays is in D1
//     (d1.Store.Use), so a replayed signed write is refused as on a
//     server. So are the searches counted against a gallery's limits
//     (QPS, daily searches; d1.Store.CountSearch), in fixed windows of a
//     second and a UTC day rather than the server's token bucket.
//   - The one Go instance is tuned for many requests: its collector
//     lets the heap grow (TuneGC) but runs before a request with a large
//     body once garbage waits (Collecting), it asks to be retired once
//     its live heap grew (Retiring), request bodies are read whole by
//     the runtime and copied into Go once, by the app's read, never
//     kept past their request (WholeBody), and only failed or slow
//     requests get an access line unless EnvLogRequests says otherwise
//     (Requests), each line one console.log (Console). worker.mjs
//     hands it one request at a time: the Go scheduler runs whatever is
//     ready whenever any JavaScript event resumes it, and workerd
//     refuses one request's I/O made in another's context.
//   - An isolate has 128 MB in all, so the pictures its requests decode
//     and the bodies they hold draw on budgets of the isolate's size,
//     shared by every request's app (Shared, IsolateDecodeBytes,
//     IsolateBodyBytes), not on a server's.
//   - D1 is reached through the Worker's own database/sql driver
//     (OpenD1): one call into worker.mjs a statement, its whole answer
//     one text (d1wire), where syumai/workers' driver made a call for
//     each row and each value.
//   - Answers are never gzipped by the app (identity): the runtime
//     compresses a body marked gzip itself, and Cloudflare compresses
//     for the client.
//   - Alibaba imports and dumps run as background jobs; a Worker gives
//     an instance no time after its response, so they do not run: the
//     end of the request stops them. Their tasks write files, and a
//     Worker has no file system, so IncreaseInstance and DumpMeta are
//     refused (InternalOssError) before any task is recorded. Nor does a
//     request end the tasks it finds running, as a starting server ends
//     those its last stop interrupted (app.PerRequest): they may be
//     another request's, and a write on every request would be paid by
//     every request.
//
// The package builds for the host too (its tests run the Worker's app
// over D1-mode SQLite); R2, the D1 driver and the entry point need
// js/wasm.
package worker

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/pixmatch/pixmatch/server/api/crs"
	"github.com/pixmatch/pixmatch/server/app"
	"github.com/pixmatch/pixmatch/server/gallery"
	"github.com/pixmatch/pixmatch/server/store"
	"github.com/pixmatch/pixmatch/server/store/d1"
	"github.com/pixmatch/pixmatch/shared/apierror"
	"github.com/pixmatch/pixmatch/shared/fingerprint"
	"github.com/pixmatch/pixmatch/shared/match"
)

// The variables a Worker reads from its environment (wrangler vars or
// secrets) on first use.
const (
	EnvInstance  = "PIXMATCH_INSTANCE"   // the gallery's name; "default" when unset
	EnvAppID     = "PIXMATCH_APP_ID"     // its CRS appId; generated when unset
	EnvAPIKey    = "PIXMATCH_API_KEY"    // the API key's ID; generated when unset
	EnvAPISecret = "PIXMATCH_API_SECRET" // its secret; generated (and logged once) when unset
)

// New assembles the app of one request over the D1 database db and the
// blob store blobs, reading the first-use variables with getenv.
func New(ctx context.Context, db *sql.DB, blobs d1.Blobs, getenv func(string) string, log *slog.Logger) (http.Handler, error) {
	st, err := OpenStore(ctx, db, blobs)
	if err != nil {
		return nil, err
	}
	return Assemble(ctx, st, nil, getenv, log)
}

// Assemble assembles the app of one request over the opened store st:
// a gallery service that keeps nothing of earlier requests but what the
// isolate's requests share (NewShared's, for this request alone when
// nil), and the app over it, with opts (app.WithJobs, say) after the
// Worker's own.
func Assemble(ctx context.Context, st *d1.Store, shared *Shared, getenv func(string) string, log *slog.Logger, opts ...app.Option) (http.Handler, error) {
	if shared == nil {
		shared = NewShared()
	}
	gopts := []gallery.Option{gallery.WithLookup(Lookup{st}), gallery.WithFeatureLookup(Features{st}), gallery.WithCounter(st),
		gallery.WithRecordCache(shared.Records), gallery.WithDecodeBudget(shared.Decodes)}
	svc, err := gallery.Open(ctx, st, Config(), gopts...)
	if err != nil {
		return nil, err
	}
	if len(svc.Galleries.List()) == 0 { // an empty D1: the first request (a D1 read saved on the others)
		if err := FirstUse(ctx, st, getenv, log); err != nil {
			return nil, err
		}
		if err := svc.Refresh(ctx); err != nil {
			return nil, err
		}
	}
	h, err := app.New(ctx, svc, log, append([]app.Option{app.WithReplays(st), app.PerRequest(), app.WithBodyBudget(shared.Bodies)}, opts...)...)
	if err != nil {
		return nil, err
	}
	return identity(h), nil
}

// identity has h answer every request uncompressed, as to a client that
// accepts no gzip. The Workers runtime gzips a body itself whenever its
// Content-Encoding says gzip, so a body the app gzipped reached clients
// gzipped twice (the web app did not load); and a fresh instance per
// request would compress the web app's files anew each time. Cloudflare
// compresses answers for the client instead.
func identity(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r.Header.Del("Accept-Encoding")
		h.ServeHTTP(w, r)
	})
}

// Failed is the handler of a request whose app could not be assembled
// (D1 unreachable, say): the CRS envelope of CRSRPCError, the cause
// logged.
func Failed(cause error, log *slog.Logger) http.Handler {
	log.Error("worker: assemble the app", "err", cause)
	e := echo.New()
	e.Any("/*", func(c echo.Context) error {
		return crs.Error(c, apierror.CRSRPCError.Because(cause), time.Now())
	})
	return e
}

// FirstUse makes one gallery and one API key for every gallery in a
// store that has no gallery, from the environment, as `pixmatch serve`
// does on an empty data folder. Two first requests at once make one: the
// second finds the name taken and leaves it to the first. A secret it
// generates is logged once, as serve prints it once.
func FirstUse(ctx context.Context, st store.Store, getenv func(string) string, log *slog.Logger) error {
	admin := gallery.NewAdmin(st)
	existing, err := admin.Galleries(ctx)
	if err != nil || len(existing) > 0 {
		return err
	}
	name := getenv(EnvInstance)
	if name == "" {
		name = "default"
	}
	g, err := admin.CreateGallery(ctx, store.Gallery{Name: name, AppID: getenv(EnvAppID)})
	if errors.Is(err, store.ErrExists) {
		return nil // another first request made it
	}
	if err != nil {
		return fmt.Errorf("create the first gallery (%s, %s): %w", EnvInstance, EnvAppID, err)
	}
	k, err := admin.CreateKey(ctx, store.Key{ID: getenv(EnvAPIKey), Secret: getenv(EnvAPISecret)})
	if err != nil {
		return fmt.Errorf("create the first API key (%s, %s): %w", EnvAPIKey, EnvAPISecret, err)
	}
	args := []any{"gallery", g.Name, "appId", g.AppID, "apiKey", k.ID}
	if getenv(EnvAPISecret) == "" { // a secret from the environment stays out of the logs
		args = append(args, "apiSecret", k.Secret)
	}
	log.Info("first use: created a gallery and an API key for every gallery", args...)
	return nil
}

// Lookup finds a gallery's targets in D1 for the gallery service
// (gallery.Lookup).
type Lookup struct{ Store *d1.Store }

// Candidates returns the targets holding a code within o's bound of a
// probe of q, looked up and read in one D1 statement.
func (l Lookup) Candidates(ctx context.Context, gallery int64, q fingerprint.Fingerprint, o match.Options) ([]store.Target, error) {
	return l.Store.CandidateTargets(ctx, gallery, match.Probes(q), o.Bound())
}

// Counts returns how many targets the gallery holds, and how many are
// active.
func (l Lookup) Counts(ctx context.Context, gallery int64) (all, active int, err error) {
	return l.Store.Counts(ctx, gallery)
}

// AnyActive reports whether the gallery holds an active target.
func (l Lookup) AnyActive(ctx context.Context, gallery int64) (bool, error) {
	return l.Store.AnyActive(ctx, gallery)
}
