package jobs_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"testing"
	"testing/synctest"
	"time"

	"github.com/pixmatch/pixmatch/server/jobs"
)

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

// start starts a job running fn, failing the test if it is refused.
func start(t *testing.T, r *jobs.Runner, fn func(context.Context)) {
	t.Helper()
	j, err := r.Start("test")
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	j.Go(fn)
}

// TestStopCancelsAndWaits: Stop cancels a job blocked on its context,
// with ErrStopped as the cause, and returns once the job has returned.
// synctest fails the test if any goroutine of the bubble is left.
func TestStopCancelsAndWaits(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := jobs.New(context.Background(), quiet)
		var cause error
		returned := false
		start(t, r, func(ctx context.Context) {
			<-ctx.Done()
			time.Sleep(time.Second) // cleaning up after the cancel
			cause = context.Cause(ctx)
			returned = true
		})
		synctest.Wait()
		if n := r.Running(); n != 1 {
			t.Fatalf("Running = %d, want 1", n)
		}
		if err := r.Stop(context.Background()); err != nil {
			t.Fatalf("Stop: %v", err)
		}
		if !returned || !errors.Is(cause, jobs.ErrStopped) {
			t.Fatalf("Stop returned before the job (%v) or the cause is %v", returned, cause)
		}
		if n := r.Running(); n != 0 {
			t.Fatalf("Running after Stop = %d", n)
		}
	})
}

// TestStopIsBounded: a job that ignores its context keeps Stop waiting
// only as long as Stop's context allows.
func TestStopIsBounded(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := jobs.New(context.Background(), quiet)
		release := make(chan struct{})
		start(t, r, func(context.Context) { <-release })
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
		defer cancel()
		began := time.Now()
		err := r.Stop(ctx)
		if !errors.Is(err, context.DeadlineExceeded) || time.Since(began) != 3*time.Second {
			t.Fatalf("Stop = %v after %v, want the deadline after 3s", err, time.Since(began))
		}
		close(release)
		if err := r.Wait(context.Background()); err != nil || r.Running() != 0 {
			t.Fatalf("Wait = %v, %d running", err, r.Running())
		}
	})
}

// TestRefusedAfterStop: after Stop no job starts, and none runs.
func TestRefusedAfterStop(t *testing.T) {
	r := jobs.New(context.Background(), quiet)
	if err := r.Stop(context.Background()); err != nil {
		t.Fatal(err)
	}
	j, err := r.Start("late")
	if !errors.Is(err, jobs.ErrStopped) || j != nil {
		t.Fatalf("Start after Stop = %v, %v; want ErrStopped", j, err)
	}
	if r.Running() != 0 {
		t.Fatalf("Running = %d", r.Running())
	}
}

// TestStopWaitsForStartedJob: a job started but not yet running when
// Stop comes is waited for, and runs with a cancelled context.
func TestStopWaitsForStartedJob(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := jobs.New(context.Background(), quiet)
		j, err := r.Start("slow to start")
		if err != nil {
			t.Fatal(err)
		}
		stopped := make(chan error)
		go func() { stopped <- r.Stop(context.Background()) }()
		synctest.Wait()
		select {
		case err := <-stopped:
			t.Fatalf("Stop returned %v before the started job ran", err)
		default:
		}
		var sawCancel bool
		j.Go(func(ctx context.Context) { sawCancel = ctx.Err() != nil })
		if err := <-stopped; err != nil || !sawCancel {
			t.Fatalf("Stop = %v, job saw cancel: %v", err, sawCancel)
		}
	})
}

// TestDrop: a dropped job ends; a second Drop and the Drop after Go do
// nothing.
func TestDrop(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := jobs.New(context.Background(), quiet)
		j, _ := r.Start("dropped")
		j.Drop()
		j.Drop()
		ran, _ := r.Start("ran")
		ran.Go(func(context.Context) {})
		synctest.Wait()
		ran.Drop()
		if n := r.Running(); n != 0 {
			t.Fatalf("Running = %d, want 0", n)
		}
		if err := r.Stop(context.Background()); err != nil {
			t.Fatal(err)
		}
	})
}

// TestParentContext: the end of the Runner's context cancels its jobs.
func TestParentContext(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		parent, cancel := context.WithCancel(context.Background())
		r := jobs.New(parent, quiet)
		start(t, r, func(ctx context.Context) { <-ctx.Done() })
		cancel()
		if err := r.Wait(context.Background()); err != nil {
			t.Fatal(err)
		}
	})
}

// TestPanic: a job that panics ends and is logged; others go on.
func TestPanic(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := jobs.New(context.Background(), quiet)
		start(t, r, func(context.Context) { panic("boom") })
		if err := r.Wait(context.Background()); err != nil {
			t.Fatal(err)
		}
		done := false
		start(t, r, func(context.Context) { done = true })
		if err := r.Stop(context.Background()); err != nil || !done {
			t.Fatalf("Stop = %v, second job ran: %v", err, done)
		}
	})
}
