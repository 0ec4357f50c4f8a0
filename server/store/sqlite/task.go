package sqlite

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/pixmatch/pixmatch/server/store"
)

const taskColumns = `gallery_id, kind, status, code, message, source, callback, result,
	total, done, failed, created, modified`

// CreateTask records a new task and returns it with its ID. The store
// sets Created (and Modified) to now when zero. A running task is refused
// with store.ErrTaskRunning while another of its gallery and kind runs:
// the check and the insert share one write transaction, and write
// transactions are serialised (BEGIN IMMEDIATE), so no other CreateTask
// can come between them.
func (s *Store) CreateTask(ctx context.Context, t store.Task) (store.Task, error) {
	if t.Created == 0 {
		t.Created = now()
	}
	if t.Modified == 0 {
		t.Modified = t.Created
	}
	err := s.write(ctx, func(tx *sql.Tx) error {
		if t.Status == store.TaskRunning {
			var running int64
			err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM tasks WHERE gallery_id = ? AND kind = ? AND status = ?`,
				t.Gallery, string(t.Kind), store.TaskRunning).Scan(&running)
			if err != nil {
				return err
			}
			if running > 0 {
				return store.ErrTaskRunning
			}
		}
		res, err := tx.ExecContext(ctx, `INSERT INTO tasks (`+taskColumns+`)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			t.Gallery, string(t.Kind), t.Status, t.Code, t.Message, t.Source, t.Callback, t.Result,
			t.Total, t.Done, t.Failed, t.Created, t.Modified)
		if err != nil {
			return err
		}
		t.ID, err = res.LastInsertId()
		return err
	})
	if err != nil {
		return t, fmt.Errorf("sqlite: create %s task in gallery %d: %w", t.Kind, t.Gallery, storeError(err))
	}
	return t, nil
}

// UpdateTask saves a task's status, outcome and progress; its gallery,
// kind, source, callback and creation time stay as stored.
func (s *Store) UpdateTask(ctx context.Context, t store.Task) error {
	if t.Modified == 0 {
		t.Modified = now()
	}
	err := s.write(ctx, func(tx *sql.Tx) error {
		return mustAffect(tx.ExecContext(ctx, `UPDATE tasks SET status = ?, code = ?, message = ?,
			result = ?, total = ?, done = ?, failed = ?, modified = ? WHERE gallery_id = ? AND id = ?`,
			t.Status, t.Code, t.Message, t.Result, t.Total, t.Done, t.Failed, t.Modified, t.Gallery, t.ID))
	})
	if err != nil {
		return fmt.Errorf("sqlite: update task %d of gallery %d: %w", t.ID, t.Gallery, storeError(err))
	}
	return nil
}

// FailRunningTasks ends every running task of every gallery as failed,
// with code and message, and returns how many it ended.
func (s *Store) FailRunningTasks(ctx context.Context, code, message string) (int, error) {
	var n int64
	err := s.write(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE tasks SET status = ?, code = ?, message = ?, modified = ?
			WHERE status = ?`, store.TaskFailed, code, message, now(), store.TaskRunning)
		if err != nil {
			return err
		}
		n, err = res.RowsAffected()
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("sqlite: fail running tasks: %w", err)
	}
	return int(n), nil
}

// Task returns one task of a gallery.
func (s *Store) Task(ctx context.Context, gallery, id int64) (store.Task, error) {
	row := s.reader.QueryRowContext(ctx, `SELECT id, `+taskColumns+` FROM tasks WHERE gallery_id = ? AND id = ?`, gallery, id)
	t, err := scanTask(row)
	if err != nil {
		return t, fmt.Errorf("sqlite: task %d of gallery %d: %w", id, gallery, storeError(err))
	}
	return t, nil
}

// Tasks lists a page of a gallery's tasks of one kind, newest first, and
// how many there are in all.
func (s *Store) Tasks(ctx context.Context, gallery int64, kind store.TaskKind, p store.Page) ([]store.Task, int, error) {
	if p.Offset < 0 {
		return nil, 0, fmt.Errorf("sqlite: tasks of gallery %d: negative offset %d", gallery, p.Offset)
	}
	limit := int64(p.Limit)
	if limit <= 0 {
		limit = -1
	}
	var total int
	if err := s.reader.QueryRowContext(ctx, `SELECT COUNT(*) FROM tasks WHERE gallery_id = ? AND kind = ?`,
		gallery, string(kind)).Scan(&total); err != nil {
		return nil, 0, fmt.Errorf("sqlite: count tasks of gallery %d: %w", gallery, err)
	}
	rows, err := s.reader.QueryContext(ctx, `SELECT id, `+taskColumns+` FROM tasks
		WHERE gallery_id = ? AND kind = ? ORDER BY id DESC LIMIT ? OFFSET ?`, gallery, string(kind), limit, p.Offset)
	if err != nil {
		return nil, 0, fmt.Errorf("sqlite: tasks of gallery %d: %w", gallery, err)
	}
	defer rows.Close()
	var ts []store.Task
	for rows.Next() {
		t, err := scanTask(rows)
		if err != nil {
			return nil, 0, fmt.Errorf("sqlite: tasks of gallery %d: %w", gallery, err)
		}
		ts = append(ts, t)
	}
	if err := rows.Err(); err != nil {
		return nil, 0, fmt.Errorf("sqlite: tasks of gallery %d: %w", gallery, err)
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
