package storetest

import (
	"context"
	"errors"
	"sync"
	"testing"

	"github.com/pixmatch/pixmatch/server/store"
)

// testRunningTasks checks that a running task is the only one of its
// gallery and kind, and that a refused CreateTask records nothing.
func testRunningTasks(t *testing.T, s store.Store) {
	ctx := context.Background()
	g := newGallery(t, s, "alpha")
	other := newGallery(t, s, "beta")
	running, err := s.CreateTask(ctx, store.Task{Gallery: g.ID, Kind: store.TaskImport, Status: store.TaskRunning})
	if err != nil {
		t.Fatal(err)
	}
	_, err = s.CreateTask(ctx, store.Task{Gallery: g.ID, Kind: store.TaskImport, Status: store.TaskRunning, Source: "second"})
	wantErr(t, "CreateTask(second running import)", err, store.ErrTaskRunning)
	if _, n, err := s.Tasks(ctx, g.ID, store.TaskImport, store.Page{}); err != nil || n != 1 {
		t.Errorf("after the refused CreateTask, %d imports (%v); want 1", n, err)
	}
	allowed := []store.Task{
		{Gallery: g.ID, Kind: store.TaskDump, Status: store.TaskRunning},       // another kind
		{Gallery: other.ID, Kind: store.TaskImport, Status: store.TaskRunning}, // another gallery
		{Gallery: g.ID, Kind: store.TaskImport, Status: store.TaskFailed},      // one that has ended
	}
	for _, task := range allowed {
		if _, err := s.CreateTask(ctx, task); err != nil {
			t.Errorf("CreateTask(%s %s in gallery %d) beside a running import: %v", task.Status, task.Kind, task.Gallery, err)
		}
	}
	running.Status, running.Code = "NORMAL", "0"
	if err := s.UpdateTask(ctx, running); err != nil {
		t.Fatal(err)
	}
	if _, err := s.CreateTask(ctx, store.Task{Gallery: g.ID, Kind: store.TaskImport, Status: store.TaskRunning}); err != nil {
		t.Errorf("CreateTask after the running import ended: %v", err)
	}
}

func testConcurrentTasks(t *testing.T, s store.Store) { ConcurrentTasks(t, s) }

// ConcurrentTasks starts eight imports of one gallery at once, through
// the given stores in turn (several stores on one database stand for
// several servers): exactly one is recorded, the others are refused with
// ErrTaskRunning.
func ConcurrentTasks(t *testing.T, stores ...store.Store) {
	const tries = 8
	ctx := context.Background()
	s := stores[0]
	g := newGallery(t, s, "alpha")
	var (
		wg      sync.WaitGroup
		mu      sync.Mutex
		created int
	)
	for i := range tries {
		s := stores[i%len(stores)]
		wg.Go(func() {
			_, err := s.CreateTask(ctx, store.Task{Gallery: g.ID, Kind: store.TaskImport, Status: store.TaskRunning})
			switch {
			case err == nil:
				mu.Lock()
				created++
				mu.Unlock()
			case !errors.Is(err, store.ErrTaskRunning):
				t.Errorf("CreateTask: %v, want nil or ErrTaskRunning", err)
			}
		})
	}
	wg.Wait()
	if _, n, err := s.Tasks(ctx, g.ID, store.TaskImport, store.Page{}); created != 1 || err != nil || n != 1 {
		t.Errorf("%d of %d concurrent CreateTask succeeded, %d recorded (%v); want exactly 1", created, tries, n, err)
	}
}

// testFailRunningTasks checks that FailRunningTasks ends the running
// tasks of every gallery and leaves the others as they are.
func testFailRunningTasks(t *testing.T, s store.Store) {
	ctx := context.Background()
	g := newGallery(t, s, "alpha")
	other := newGallery(t, s, "beta")
	create := func(task store.Task) store.Task {
		t.Helper()
		task.Created = baseTime
		made, err := s.CreateTask(ctx, task)
		if err != nil {
			t.Fatal(err)
		}
		return made
	}
	imp := create(store.Task{Gallery: g.ID, Kind: store.TaskImport, Status: store.TaskRunning, Total: 10, Done: 4})
	dump := create(store.Task{Gallery: other.ID, Kind: store.TaskDump, Status: store.TaskRunning})
	ended := create(store.Task{Gallery: g.ID, Kind: store.TaskDump, Status: "SUCCESS", Code: "0", Message: "success"})

	n, err := s.FailRunningTasks(ctx, "InternalError", "interrupted")
	if err != nil || n != 2 {
		t.Fatalf("FailRunningTasks = %d, %v; want 2", n, err)
	}
	for _, want := range []store.Task{imp, dump} {
		got, err := s.Task(ctx, want.Gallery, want.ID)
		want.Status, want.Code, want.Message = store.TaskFailed, "InternalError", "interrupted"
		if err != nil || got.Modified <= baseTime {
			t.Errorf("Task(%d) = %+v, %v; want a later Modified", want.ID, got, err)
		}
		want.Modified = got.Modified
		if got != want {
			t.Errorf("after FailRunningTasks, Task = %+v, want %+v", got, want)
		}
	}
	if got, err := s.Task(ctx, g.ID, ended.ID); err != nil || got != ended {
		t.Errorf("an ended task changed: %+v, %v; want %+v", got, err, ended)
	}
	if n, err := s.FailRunningTasks(ctx, "InternalError", "interrupted"); err != nil || n != 0 {
		t.Errorf("FailRunningTasks again = %d, %v; want 0", n, err)
	}
}
