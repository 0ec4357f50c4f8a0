package d1

import (
	"context"
	"fmt"

	"github.com/pixmatch/pixmatch/server/store"
)

const taskColumns = `gallery_id, kind, status, code, message, source, callback, result,
	total, done, failed, created, modified`

// CreateTask records a new task and returns it with its ID. A running
// task is refused with store.ErrTaskRunning while another of its gallery
// and kind runs: the check is part of the one INSERT, so no other
// CreateTask can come between them.
func (s *Store) CreateTask(ctx context.Context, t store.Task) (store.Task, error) {
	if t.Created == 0 {
		t.Created = s.at()
	}
	if t.Modified == 0 {
		t.Modified = t.Created
	}
	err := s.db.QueryRowContext(ctx, `INSERT INTO tasks (`+taskColumns+`)
		SELECT ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?
		WHERE ? <> ? OR NOT EXISTS (SELECT 1 FROM tasks WHERE gallery_id = ? AND kind = ? AND status = ?)
		RETURNING id`,
		t.Gallery, string(t.Kind), t.Status, t.Code, t.Message, t.Source, t.Callback, t.Result,
		t.Total, t.Done, t.Failed, t.Created, t.Modified,
		t.Status, store.TaskRunning, t.Gallery, string(t.Kind), store.TaskRunning,
	).Scan(&t.ID)
	if err != nil {
		err = storeError(err)
		if t.Status == store.TaskRunning && isNotFound(err) {
			err = store.ErrTaskRunning
		}
		return t, fmt.Errorf("d1: create %s task in gallery %d: %w", t.Kind, t.Gallery, err)
	}
	return t, nil
}

// UpdateTask saves a task's status, outcome and progress.
func (s *Store) UpdateTask(ctx context.Context, t store.Task) error {
	if t.Modified == 0 {
		t.Modified = s.at()
	}
	err := mustAffect(s.db.ExecContext(ctx, `UPDATE tasks SET status = ?, code = ?, message = ?,
		result = ?, total = ?, done = ?, failed = ?, modified = ? WHERE gallery_id = ? AND id = ?`,
		t.Status, t.Code, t.Message, t.Result, t.Total, t.Done, t.Failed, t.Modified, t.Gallery, t.ID))
	if err != nil {
		return fmt.Errorf("d1: update task %d of gallery %d: %w", t.ID, t.Gallery, storeError(err))
	}
	return nil
}

// FailRunningTasks ends every running task as failed and returns how
// many it ended.
func (s *Store) FailRunningTasks(ctx context.Context, code, message string) (int, error) {
	res, err := s.db.ExecContext(ctx, `UPDATE tasks SET status = ?, code = ?, message = ?, modified = ?
		WHERE status = ?`, store.TaskFailed, code, message, s.at(), store.TaskRunning)
	if err != nil {
		return 0, fmt.Errorf("d1: fail running tasks: %w", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, fmt.Errorf("d1: fail running tasks: %w", err)
	}
	return int(n), nil
}

// Task returns one task of a gallery.
func (s *Store) Task(ctx context.Context, gallery, id int64) (store.Task, error) {
	t, err := scanTask(s.db.QueryRowContext(ctx, `SELECT id, `+taskColumns+` FROM tasks WHERE gallery_id = ? AND id = ?`, gallery, id))
	if err != nil {
		return t, fmt.Errorf("d1: task %d of gallery %d: %w", id, gallery, storeError(err))
	}
	return t, nil
}

// Tasks lists a page of a gallery's tasks of one kind, newest first, and
// how many there are in all.
func (s *Store) Tasks(ctx context.Context, gallery int64, kind store.TaskKind, p store.Page) ([]store.Task, int, error) {
	if p.Offset < 0 {
		return nil, 0, fmt.Errorf("d1: tasks of gallery %d: negative offset %d", gallery, p.Offset)
	}
	var total int
	if err := s.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM tasks WHERE gallery_id = ? AND kind = ?`,
		gallery, string(kind)).Scan(&total); err != nil {
		return nil, 0, fmt.Errorf("d1: count tasks of gallery %d: %w", gallery, err)
	}
	ts, err := queryAll(ctx, s.db, scanTask, `SELECT id, `+taskColumns+` FROM tasks
		WHERE gallery_id = ? AND kind = ? ORDER BY id DESC LIMIT ? OFFSET ?`, gallery, string(kind), limit(p.Limit), p.Offset)
	if err != nil {
		return nil, 0, fmt.Errorf("d1: tasks of gallery %d: %w", gallery, err)
	}
	return ts, total, nil
}

func scanTask(sc scanner) (store.Task, error) {
	var t store.Task
	var kind string
	err := sc.Scan(&t.ID, &t.Gallery, &kind, &t.Status, &t.Code, &t.Message, &t.Source, &t.Callback,
		&t.Result, &t.Total, &t.Done, &t.Failed, &t.Created, &t.Modified)
	t.Kind = store.TaskKind(kind)
	return t, err
}

// limit is SQLite's LIMIT for a page limit: -1, no limit, for zero or less.
func limit(n int) int64 {
	if n <= 0 {
		return -1
	}
	return int64(n)
}
