// Package jobs owns the work a request starts and does not wait for: an
// Alibaba batch import, a metadata dump, the callback that reports an
// import's end. One Runner owns every such job of a server, so that
// shutting down can stop them all, the way http.Server.Shutdown stops
// requests.
//
// A job is started in two steps, so that a request refused because the
// server is stopping changes nothing, and a Stop that comes between the
// steps still waits for the job:
//
//	job, err := runner.Start("import")
//	if errors.Is(err, jobs.ErrStopped) {
//		// refuse the request; nothing was recorded
//	}
//	task, err := record(ctx) // the request's own work
//	if err != nil {
//		job.Drop() // the job will not run
//		return err
//	}
//	job.Go(func(ctx context.Context) { ... }) // ctx ends at Stop
//
// Each job runs in its own goroutine with its own context, derived from
// the context the Runner was made with (never from the request's, which
// ends with the response): Stop cancels it with the cause ErrStopped, and
// so does the end of the Runner's context. Stop(ctx) then waits for every
// job to return, for as long as ctx allows; after Stop, Start refuses
// with ErrStopped. A job that panics is logged and ends; the server
// keeps serving, as net/http does for a handler.
package jobs

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime/debug"
	"sync"
)

// ErrStopped is why Start refuses a job after Stop, and the cause of a
// running job's context when Stop cancels it.
var ErrStopped = errors.New("jobs: the server is stopping")

// A Runner starts jobs and stops them all. It is safe for concurrent use.
type Runner struct {
	log    *slog.Logger
	ctx    context.Context
	cancel context.CancelCauseFunc

	mu      sync.Mutex
	stopped bool
	running int           // jobs started and not yet ended
	idle    chan struct{} // closed when running drops to zero; nil while zero
}

// New returns a Runner whose jobs' contexts derive from ctx: they end
// when ctx does, or at Stop. log receives the jobs that panic (nil:
// slog.Default()).
func New(ctx context.Context, log *slog.Logger) *Runner {
	if log == nil {
		log = slog.Default()
	}
	ctx, cancel := context.WithCancelCause(ctx)
	return &Runner{log: log, ctx: ctx, cancel: cancel}
}

// A Job is a job started with Start: counted as running, and given its
// context, until the function passed to Go returns or Drop is called.
type Job struct {
	r      *Runner
	name   string
	ctx    context.Context
	cancel context.CancelFunc
	end    sync.Once
}

// Start registers a job named name (for logs) that is about to run. It
// fails with ErrStopped once Stop has been called. The caller must end
// the job with exactly one of Go or Drop.
func (r *Runner) Start(name string) (*Job, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.stopped {
		return nil, fmt.Errorf("start %s: %w", name, ErrStopped)
	}
	r.running++
	if r.idle == nil {
		r.idle = make(chan struct{})
	}
	ctx, cancel := context.WithCancel(r.ctx)
	return &Job{r: r, name: name, ctx: ctx, cancel: cancel}, nil
}

// Go runs fn in a new goroutine with the job's context; the job ends
// when fn returns.
func (j *Job) Go(fn func(ctx context.Context)) {
	go func() {
		defer j.Drop()
		defer func() {
			if v := recover(); v != nil {
				j.r.log.Error("background job panicked", "job", j.name, "panic", v, "stack", string(debug.Stack()))
			}
		}()
		fn(j.ctx)
	}()
}

// Drop ends a job that will not run, or has run. Calling it again does
// nothing.
func (j *Job) Drop() {
	j.end.Do(func() {
		j.cancel()
		j.r.mu.Lock()
		defer j.r.mu.Unlock()
		j.r.running--
		if j.r.running == 0 {
			close(j.r.idle)
			j.r.idle = nil
		}
	})
}

// Running returns how many jobs have started and not yet ended.
func (r *Runner) Running() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.running
}

// Wait blocks until no job is running or ctx ends, and returns ctx's
// error in the second case. Jobs may start again afterwards; Stop is
// what ends them for good.
func (r *Runner) Wait(ctx context.Context) error {
	r.mu.Lock()
	idle := r.idle
	r.mu.Unlock()
	if idle == nil {
		return nil
	}
	select {
	case <-idle:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("jobs: %d still running: %w", r.Running(), context.Cause(ctx))
	}
}

// Stop refuses new jobs from now on, cancels the context of every
// running job and waits until they have all returned or ctx ends; in the
// second case it returns an error wrapping ctx's error that says how
// many are still running. It may be called more than once.
func (r *Runner) Stop(ctx context.Context) error {
	r.mu.Lock()
	r.stopped = true
	r.mu.Unlock()
	r.cancel(ErrStopped)
	return r.Wait(ctx)
}
