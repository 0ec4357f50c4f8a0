package postgres

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/pixmatch/pixmatch/server/store"
)

const taskColumns = `gallery_id, kind, status, code, message, source, callback, result,
	total, done, failed, created, modified`

// CreateTask records a new task and returns it with its ID. The store
// sets Created (and Modified) to now when zero. A running task is refused
// with store.ErrTaskRunning while another of its gallery and kind runs:
// a partial unique index on the running tasks refuses the insert, so the
// check and the insert are one step for every server sharing the
// database, and a refused task records nothing.
func (s *Store) CreateTask(ctx context.Context, t store.Task) (store.Task, error) {
	if t.Created == 0 {
		t.Created = now()
	}
	if t.Modified == 0 {
		t.Modified = t.Created
	}
	err := s.write(ctx, func(tx pgx.Tx) error {
		return tx.QueryRow(ctx, `INSERT INTO tasks (`+taskColumns+`)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) RETURNING id`,
			t.Gallery, string(t.Kind), t.Status, t.Code, t.Message, t.Source, t.Callback, t.Result,
			t.Total, t.Done, t.Failed, t.Created, t.Modified).Scan(&t.ID)
	})
	if err != nil {
		return t, fmt.Errorf("postgres: create %s task in gallery %d: %w", t.Kind, t.Gallery, storeError(err))
	}
	return t, nil
}

// UpdateTask saves a task's status, outcome and progress; its gallery,
// kind, source, callback and creation time stay as stored.
func (s *Store) UpdateTask(ctx context.Context, t store.Task) error {
	if t.Modified == 0 {
		t.Modified = now()
	}
	err := s.write(ctx, func(tx pgx.Tx) error {
		return mustAffect(tx.Exec(ctx, `UPDATE tasks SET status = $1, code = $2, message = $3,
			result = $4, total = $5, done = $6, failed = $7, modified = $8 WHERE gallery_id = $9 AND id = $10`,
			t.Status, t.Code, t.Message, t.Result, t.Total, t.Done, t.Failed, t.Modified, t.Gallery, t.ID))
	})
	if err != nil {
		return fmt.Errorf("postgres: update task %d of gallery %d: %w", t.ID, t.Gallery, storeError(err))
	}
	return nil
}

// FailRunningTasks ends every running task of every gallery as failed,
// with code and message, and returns how many it ended.
func (s *Store) FailRunningTasks(ctx context.Context, code, message string) (int, error) {
	var n int64
	err := s.write(ctx, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `UPDATE tasks SET status = $1, code = $2, message = $3, modified = $4
			WHERE status = $5`, store.TaskFailed, code, message, now(), store.TaskRunning)
		n = tag.RowsAffected()
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("postgres: fail running tasks: %w", err)
	}
	return int(n), nil
}

// Task returns one task of a gallery.
func (s *Store) Task(ctx context.Context, gallery, id int64) (store.Task, error) {
	t, err := scanTask(s.pool.QueryRow(ctx, `SELECT id, `+taskColumns+` FROM tasks WHERE gallery_id = $1 AND id = $2`, gallery, id))
	if err != nil {
		return t, fmt.Errorf("postgres: task %d of gallery %d: %w", id, gallery, storeError(err))
	}
	return t, nil
}

// Tasks lists a page of a gallery's tasks of one kind, newest first, and
// how many there are in all.
func (s *Store) Tasks(ctx context.Context, gallery int64, kind store.TaskKind, p store.Page) ([]store.Task, int, error) {
	if p.Offset < 0 {
		return nil, 0, fmt.Errorf("postgres: tasks of gallery %d: negative offset %d", gallery, p.Offset)
	}
	var total int
	if err := s.pool.QueryRow(ctx, `SELECT COUNT(*) FROM tasks WHERE gallery_id = $1 AND kind = $2`,
		gallery, string(kind)).Scan(&total); err != nil {
		return nil, 0, fmt.Errorf("postgres: count tasks of gallery %d: %w", gallery, err)
	}
	rows, err := s.pool.Query(ctx, `SELECT id, `+taskColumns+` FROM tasks
		WHERE gallery_id = $1 AND kind = $2 ORDER BY id DESC LIMIT $3 OFFSET $4`,
		gallery, string(kind), limit(p.Limit), p.Offset)
	ts, err := collect(rows, err, scanTask)
	if err != nil {
		return nil, 0, fmt.Errorf("postgres: tasks of gallery %d: %w", gallery, err)
	}
	return ts, total, nil
}

// limit is a page's LIMIT: NULL, PostgreSQL's "no limit", for zero or less.
func limit(n int) *int64 {
	if n <= 0 {
		return nil
	}
	v := int64(n)
	return &v
}

func scanTask(row pgx.Row) (store.Task, error) {
	var t store.Task
	var kind string
	err := row.Scan(&t.ID, &t.Gallery, &kind, &t.Status, &t.Code, &t.Message, &t.Source, &t.Callback,
		&t.Result, &t.Total, &t.Done, &t.Failed, &t.Created, &t.Modified)
	t.Kind = store.TaskKind(kind)
	return t, err
}
