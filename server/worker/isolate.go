package worker

import (
	"context"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/pixmatch/pixmatch/server/app"
	"github.com/pixmatch/pixmatch/server/jobs"
	"github.com/pixmatch/pixmatch/server/store/d1"
)

// Isolate is the handler of the one Go instance a Worker isolate runs
// (worker.mjs starts it on the isolate's first request and hands it
// every request after): the instance's start, the packages' init and the
// store's opening are paid once per isolate, not once per request.
//
// What it keeps between requests is the opened store: the D1 database
// and R2 bucket handles, the schema checked once, and the app's keys
// once read (for d1.SettingTTL: they are made once and never change, and
// reading them was two D1 queries a request). Each request gets an app
// assembled anew over a fresh gallery service (Assemble), so nothing a
// request read survives into the next: the galleries, keys, limits and
// the targets a search looked up are read from D1, the truth every
// isolate shares, within the request that uses them. The one exception
// is work, not truth: the feature records a search decoded and prepared
// for verification are kept in a checked cache (gallery.RecordCache),
// which each search reads the records' R2 keys for again, from D1, and
// uses only while they are the same (a record written again is written
// under a new key). Its requests also share the budgets of the memory
// pictures being decoded and bodies being held take (Shared): they share
// the isolate's 128 MB, so each app draws on the isolate's budgets, not
// on budgets of its own. An Isolate whose store
// did not open (D1 unreachable) answers that request with Failed and
// tries again on the next.
type Isolate struct {
	open   func(context.Context) (*d1.Store, error)
	getenv func(string) string
	log    *slog.Logger

	mu     sync.Mutex // guards st while it opens
	st     *d1.Store  // nil until open succeeds
	shared *Shared
}

// IsolateRecordFeatures bounds the feature records an isolate keeps
// decoded: 40,000 features, about 4 MB of the Go instance's live heap
// with their grouping by node (100 bytes a feature): a shortlist of 40
// targets of the largest records, 1,000 features (500 of the picture's
// own, up to 100 from each of the five views enrolment shoots; the
// measured gallery's records are all of that size). A camera pointed at
// one print sends frame after frame with about the same shortlist, and
// so verifies the same records: a record a frame reads first is kept in
// place of one the frame did not read, least recently read first, so a
// bound of one shortlist keeps every record the next frame shares with
// the last; a bound under it would keep none of them from one frame to
// the next. With the collector's GOGC of 400 a byte of live heap lets
// the heap grow by five before the soft limit: the instance's memory
// reached 76-81 MB in the measurement, against 70-77 MB without the
// cache, so an isolate retires its instance somewhat sooner.
const IsolateRecordFeatures = 40_000

// NewIsolate returns the handler of an isolate whose store open opens,
// reading the first-use variables with getenv.
func NewIsolate(open func(context.Context) (*d1.Store, error), getenv func(string) string, log *slog.Logger) *Isolate {
	return &Isolate{open: open, getenv: getenv, log: log, shared: NewShared()}
}

// ServeHTTP answers one request with an app assembled for it. Jobs the
// request starts (Alibaba imports and dumps) are stopped when it ends:
// the isolate gives its instance no time between requests.
func (i *Isolate) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	st, err := i.store(ctx)
	if err != nil {
		Failed(err, i.log).ServeHTTP(w, r)
		return
	}
	runner := jobs.New(ctx, i.log)
	defer i.stop(runner)
	h, err := Assemble(ctx, st, i.shared, i.getenv, i.log, app.WithJobs(runner))
	if err != nil {
		Failed(err, i.log).ServeHTTP(w, r)
		return
	}
	h.ServeHTTP(w, r)
}

// store returns the isolate's store, opening it on first use.
func (i *Isolate) store(ctx context.Context) (*d1.Store, error) {
	i.mu.Lock()
	defer i.mu.Unlock()
	if i.st != nil {
		return i.st, nil
	}
	st, err := i.open(ctx)
	if err != nil {
		return nil, err
	}
	i.st = st
	i.log.Info(Opened)
	i.rebag(ctx, st)
	return st, nil
}

// rebagBatch is the most targets an isolate bags as it opens its store.
const rebagBatch = 50

// rebag lists, in the feature tier, up to rebagBatch targets of each
// gallery whose feature records were written without a bag (d1.Store.Rebag:
// by a Worker from before the tier), so that a deployment's old targets
// join the tier over the isolates that start. A failure is logged: the
// targets wait for the next isolate, found by the hash tier meanwhile.
func (i *Isolate) rebag(ctx context.Context, st *d1.Store) {
	gs, err := st.Galleries(ctx)
	for _, g := range gs {
		var n int
		if n, err = st.Rebag(ctx, g.ID, rebagBatch); err != nil {
			break
		}
		if n > 0 {
			i.log.Info("worker: listed targets in the feature tier", "gallery", g.Name, "targets", n)
		}
	}
	if err != nil {
		i.log.Warn("worker: list targets in the feature tier", "err", err)
	}
}

// Opened is what an isolate logs when it opened its store: once in its
// life, however many requests it serves.
const Opened = "worker: the isolate opened its store"

// stopWait is how long the end of a request waits for its jobs to stop.
const stopWait = time.Second

// stop ends the jobs of a request's runner.
func (i *Isolate) stop(runner *jobs.Runner) {
	ctx, cancel := context.WithTimeout(context.Background(), stopWait)
	defer cancel()
	if err := runner.Stop(ctx); err != nil {
		i.log.Warn("worker: the jobs of a request did not stop", "err", err)
	}
}
