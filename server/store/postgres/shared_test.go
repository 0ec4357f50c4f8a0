package postgres

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/pixmatch/pixmatch/server/store"
	"github.com/pixmatch/pixmatch/server/store/postgres/pgtest"
	"github.com/pixmatch/pixmatch/server/store/storetest"
)

// openTwo opens two stores on one fresh database, as two servers do.
func openTwo(t *testing.T) (a, b *Store) {
	t.Helper()
	dsn := pgtest.NewDatabase(t)
	for _, s := range []**Store{&a, &b} {
		var err error
		if *s, err = Open(context.Background(), dsn); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { (*s).Close() })
	}
	return a, b
}

// TestTwoServersShareVersions has writers on two stores of one database
// create, update and delete targets of one gallery at once: the versions
// they are given are 1..N without gaps or repeats, the change log holds
// one entry for each, and each store reads what both wrote.
func TestTwoServersShareVersions(t *testing.T) {
	a, b := openTwo(t)
	storetest.ConcurrentWriters(t, a, b)
}

// TestTwoServersOneRunningTask starts the same import through both stores
// at once, ten times over: each time exactly one is recorded, the others
// are refused, though no process serialises the two stores' writes.
func TestTwoServersOneRunningTask(t *testing.T) {
	for range 10 {
		a, b := openTwo(t)
		storetest.ConcurrentTasks(t, a, b)
	}
}

// TestStartingServerLeavesLiveTasks has server A run an import while
// server B starts: B's FailRunningTasks leaves A's task running, and
// A's next import is still refused. When A dies (its sessions end), the
// next start of B fails the task, and a new import may start.
func TestStartingServerLeavesLiveTasks(t *testing.T) {
	ctx := context.Background()
	a, b, g, running := runningTask(t, store.TaskImport)
	if n, err := b.FailRunningTasks(ctx, "InternalError", "interrupted"); err != nil || n != 0 {
		t.Fatalf("B's start failed %d tasks (%v); want A's left running", n, err)
	}
	if got, err := b.Task(ctx, g.ID, running.ID); err != nil || got.Status != store.TaskRunning {
		t.Fatalf("A's task after B's start: %+v, %v", got, err)
	}
	_, err := b.CreateTask(ctx, store.Task{Gallery: g.ID, Kind: store.TaskImport, Status: store.TaskRunning})
	if !errors.Is(err, store.ErrTaskRunning) {
		t.Fatalf("a second import through B: %v, want ErrTaskRunning", err)
	}

	a.Close() // A dies: PostgreSQL ends its sessions, and their locks, in a moment
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		n, err := b.FailRunningTasks(ctx, "InternalError", "interrupted")
		if err != nil || n > 1 || (n == 0 && time.Now().After(deadline)) {
			t.Fatalf("B's next start failed %d tasks (%v); want A's", n, err)
		}
		if n == 1 {
			break
		}
	}
	if got, err := b.Task(ctx, g.ID, running.ID); err != nil || got.Status != store.TaskFailed || got.Message != "interrupted" {
		t.Errorf("A's task after A died: %+v, %v; want failed, interrupted", got, err)
	}
	if _, err := b.CreateTask(ctx, store.Task{Gallery: g.ID, Kind: store.TaskImport, Status: store.TaskRunning}); err != nil {
		t.Errorf("an import after the dead server's was failed: %v", err)
	}
}

// TestDeadServersTaskDoesNotBlock has server A die mid-import (PostgreSQL
// ends the session holding its task's lock, as when A is killed or its
// connection breaks) while B runs on: B's next import starts at once,
// without a server restarting, and A's task ends failed, interrupted.
// While A lived, B's import was refused and A's task left running.
func TestDeadServersTaskDoesNotBlock(t *testing.T) {
	ctx := context.Background()
	a, b, g, running := runningTask(t, store.TaskDump)
	for _, s := range []*Store{b, a} { // A's own second dump is refused too
		if _, err := s.CreateTask(ctx, store.Task{Gallery: g.ID, Kind: store.TaskDump, Status: store.TaskRunning}); !errors.Is(err, store.ErrTaskRunning) {
			t.Fatalf("a dump while a live server's runs: %v, want ErrTaskRunning", err)
		}
	}
	if got, _ := b.Task(ctx, g.ID, running.ID); got.Status != store.TaskRunning {
		t.Fatalf("A's task after refused dumps: %+v, want running", got)
	}
	// A dies: its lock's session ends (waiting up to 5 s until it has).
	var ended bool
	if err := b.pool.QueryRow(ctx, `SELECT bool_and(pg_terminate_backend(pid, 5000)) FROM pg_locks
		WHERE locktype = 'advisory' AND objid = $1 AND granted`, running.ID).Scan(&ended); err != nil || !ended {
		t.Fatalf("end A's session: %v, %v", ended, err)
	}
	next, err := b.CreateTask(ctx, store.Task{Gallery: g.ID, Kind: store.TaskDump, Status: store.TaskRunning})
	if err != nil {
		t.Fatalf("B's dump right after A died: %v, want it started", err)
	}
	got, err := b.Task(ctx, g.ID, running.ID)
	if err != nil || got.Status != store.TaskFailed || got.Code != interruptedCode || got.Message != interruptedMessage {
		t.Errorf("A's task after B's dump started: %+v, %v; want failed, interrupted", got, err)
	}
	if _, err := a.CreateTask(ctx, store.Task{Gallery: g.ID, Kind: store.TaskDump, Status: store.TaskRunning}); !errors.Is(err, store.ErrTaskRunning) {
		t.Errorf("a dump through A while B's (%d) runs: %v, want ErrTaskRunning", next.ID, err)
	}
}

// runningTask opens two stores on a new database, as two servers, and
// has the first start a task of kind in a new gallery.
func runningTask(t *testing.T, kind store.TaskKind) (a, b *Store, g store.Gallery, running store.Task) {
	t.Helper()
	ctx := context.Background()
	dsn := pgtest.NewDatabase(t)
	a, b = open(t, dsn), open(t, dsn)
	g, err := a.CreateGallery(ctx, store.Gallery{Name: "g", AppID: "app"})
	if err != nil {
		t.Fatal(err)
	}
	if running, err = a.CreateTask(ctx, store.Task{Gallery: g.ID, Kind: kind, Status: store.TaskRunning}); err != nil {
		t.Fatal(err)
	}
	return a, b, g, running
}
