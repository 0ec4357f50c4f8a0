package gallery

import (
	"context"
	"strings"
	"sync"

	"github.com/pixmatch/pixmatch/server/store"
)

// Task is the record of a background job on a gallery, as the service and
// the dialects know it.
type Task struct {
	ID      int64
	Gallery int64
	Kind    TaskKind
	// Status is TaskRunning until the job ends, then its outcome: the
	// dialect's word for success, or TaskFailed.
	Status  string
	Code    string // "0" on success, else an error code
	Message string
	// Bucket and Path are where an import reads from.
	Bucket, Path string
	Callback     string // a URL told when an import ends
	Result       string // the file the task wrote: a dump, or an import's errors
	Total        int    // items to process
	Done         int    // items processed
	Failed       int    // items that failed
	Created      int64  // unix milliseconds
	Modified     int64  // unix milliseconds
}

// TaskKind names what a background job does.
type TaskKind = store.TaskKind

// The kinds of job, and the statuses the service knows: a task is
// running until its Status is anything else.
const (
	TaskDump    = store.TaskDump   // write every target's metadata to a file
	TaskImport  = store.TaskImport // add and delete targets listed in a file
	TaskRunning = store.TaskRunning
	TaskFailed  = store.TaskFailed
)

// ErrTaskRunning refuses a task while another of its gallery and kind
// runs.
var ErrTaskRunning = store.ErrTaskRunning

// taskRow is the store's row of t; an import's bucket and path are kept
// together as its source.
func taskRow(t Task) store.Task {
	r := store.Task{ID: t.ID, Gallery: t.Gallery, Kind: t.Kind, Status: t.Status, Code: t.Code,
		Message: t.Message, Callback: t.Callback, Result: t.Result,
		Total: t.Total, Done: t.Done, Failed: t.Failed, Created: t.Created, Modified: t.Modified}
	if t.Bucket != "" || t.Path != "" {
		r.Source = t.Bucket + "\n" + t.Path
	}
	return r
}

// taskOf is the task a stored row describes.
func taskOf(r store.Task) Task {
	bucket, path, _ := strings.Cut(r.Source, "\n")
	return Task{ID: r.ID, Gallery: r.Gallery, Kind: r.Kind, Status: r.Status, Code: r.Code,
		Message: r.Message, Bucket: bucket, Path: path, Callback: r.Callback, Result: r.Result,
		Total: r.Total, Done: r.Done, Failed: r.Failed, Created: r.Created, Modified: r.Modified}
}

// Tasks are the records of the galleries' background jobs. Running the
// jobs is their owner's (server/jobs); these keep what a client lists,
// and the progress of those this service runs.
type Tasks struct {
	s *Service

	mu      sync.Mutex
	running map[int64]Task // by ID: the tasks created running here and not ended
}

// Create records a new task of a gallery; a running task is refused with
// ErrTaskRunning while another of its gallery and kind runs, checked and
// recorded in one step.
func (ts *Tasks) Create(ctx context.Context, t Task) (Task, error) {
	if _, err := ts.s.live(t.Gallery); err != nil {
		return t, err
	}
	t.Created = ts.s.now().UnixMilli()
	t.Modified = t.Created
	r, err := ts.s.store.CreateTask(ctx, taskRow(t))
	if err == nil {
		ts.note(taskOf(r))
	}
	return taskOf(r), err
}

// note keeps t's progress while it runs, and forgets it when it ends.
func (ts *Tasks) note(t Task) {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	if t.Status != TaskRunning {
		delete(ts.running, t.ID)
		return
	}
	if ts.running == nil {
		ts.running = map[int64]Task{}
	}
	ts.running[t.ID] = t
}

// Running returns the tasks this service runs now, with their progress
// as last saved (Total, Done, Failed), in no order.
func (ts *Tasks) Running() []Task {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	out := make([]Task, 0, len(ts.running))
	for _, t := range ts.running {
		out = append(out, t)
	}
	return out
}

// Update saves a task's progress or outcome.
func (ts *Tasks) Update(ctx context.Context, t Task) error {
	t.Modified = ts.s.now().UnixMilli()
	if err := ts.s.store.UpdateTask(ctx, taskRow(t)); err != nil {
		return err
	}
	ts.note(t)
	return nil
}

// List returns a page of a gallery's tasks of one kind, newest first, and
// how many there are.
func (ts *Tasks) List(ctx context.Context, gallery int64, kind TaskKind, p store.Page) ([]Task, int, error) {
	rows, n, err := ts.s.store.Tasks(ctx, gallery, kind, p)
	out := make([]Task, len(rows))
	for i, r := range rows {
		out[i] = taskOf(r)
	}
	return out, n, err
}

// Get returns one task of a gallery.
func (ts *Tasks) Get(ctx context.Context, gallery, id int64) (Task, error) {
	r, err := ts.s.store.Task(ctx, gallery, id)
	return taskOf(r), err
}

// FailRunning ends every running task of every gallery as failed, with
// code and message, and returns how many it ended: at start, for the jobs
// a stopped process left behind.
func (ts *Tasks) FailRunning(ctx context.Context, code, message string) (int, error) {
	return ts.s.store.FailRunningTasks(ctx, code, message)
}
