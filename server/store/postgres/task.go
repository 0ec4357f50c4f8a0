package postgres

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/pixmatch/pixmatch/server/store"
)

const taskColumns = `gallery_id, kind, status, code, message, source, callback, result,
	total, done, failed, created, modified`

// A running task belongs to the server that started it, and only that
// server's death may end it: CreateTask takes a session-level advisory
// lock on the task's ID on a connection of its own, before the task is
// inserted, and holds it until UpdateTask records an outcome (or the
// store closes, or the server dies and PostgreSQL ends the session).
// FailRunningTasks, which a starting server calls, fails only the running
// tasks whose lock no session holds (and its own): those of dead servers,
// not those another live server is running. A task whose lock connection broke
// (PostgreSQL restarted) counts as dead.
//
// A dead server's task does not wait for a server to start, either: when
// CreateTask finds a task of its gallery and kind running, it fails that
// task if no session holds its lock, as FailRunningTasks would, and
// inserts the new one. A live server's task is left running, and the new
// one refused.

// The code and message a running task of a dead server ends with when
// CreateTask finds it, until FailRunningTasks (which a server calls as it
// starts, with its catalogue's) gives others.
const (
	interruptedCode    = "InternalError"
	interruptedMessage = "The task was interrupted: its server stopped before it ended."
)

// outcome is how a task ended.
type outcome struct{ Code, Message string }

var interruptedOutcome = outcome{interruptedCode, interruptedMessage}

// taskLockClass is the first key of the tasks' advisory locks, which are
// the database's, not the schema's: a hash of the schema the store works
// in, so that stores in different schemas of one database (their task IDs
// overlap) keep apart. The second key is the task's ID.
const taskLockClass = `hashtext(current_schema() || '.tasks')`

// CreateTask records a new task and returns it with its ID. The store
// sets Created (and Modified) to now when zero. A running task is refused
// with store.ErrTaskRunning while another of its gallery and kind runs:
// a partial unique index on the running tasks refuses the insert, so the
// check and the insert are one step for every server sharing the
// database, and a refused task records nothing. A task found running
// whose server died is failed first (failDead), and the new one inserted.
func (s *Store) CreateTask(ctx context.Context, t store.Task) (store.Task, error) {
	if t.Created == 0 {
		t.Created = now()
	}
	if t.Modified == 0 {
		t.Modified = t.Created
	}
	var lock *pgx.Conn
	if t.Status == store.TaskRunning {
		var err error
		if lock, t.ID, err = s.lockNewTask(ctx); err != nil {
			return t, fmt.Errorf("postgres: create %s task in gallery %d: %w", t.Kind, t.Gallery, err)
		}
	}
	err := s.insertTask(ctx, &t)
	if errors.Is(err, store.ErrTaskRunning) && lock != nil {
		if ended, ferr := s.failDead(ctx, t.Gallery, t.Kind); ferr != nil {
			err = errors.Join(err, ferr)
		} else if ended > 0 {
			err = s.insertTask(ctx, &t)
		}
	}
	if err != nil {
		if lock != nil {
			closeQuietly(lock)
		}
		return t, fmt.Errorf("postgres: create %s task in gallery %d: %w", t.Kind, t.Gallery, err)
	}
	if lock != nil {
		s.mu.Lock()
		s.running[t.ID] = lock
		s.mu.Unlock()
	}
	return t, nil
}

// insertTask inserts t, setting its ID when it has none.
func (s *Store) insertTask(ctx context.Context, t *store.Task) error {
	err := s.write(ctx, func(tx pgx.Tx) error {
		return tx.QueryRow(ctx, `INSERT INTO tasks (id, `+taskColumns+`)
			VALUES (COALESCE($1, nextval('tasks_id_seq')), $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14) RETURNING id`,
			nullID(t.ID), t.Gallery, string(t.Kind), t.Status, t.Code, t.Message, t.Source, t.Callback, t.Result,
			t.Total, t.Done, t.Failed, t.Created, t.Modified).Scan(&t.ID)
	})
	return storeError(err)
}

// failDead fails the running task of a gallery and kind when no session
// holds its lock (its server died), with the interrupted outcome, and
// returns how many it failed (0 or 1). A task of a live server, this
// store's included (its lock is on a connection of its own), is left
// running.
func (s *Store) failDead(ctx context.Context, gallery int64, kind store.TaskKind) (int, error) {
	s.mu.Lock()
	end := s.interrupted
	s.mu.Unlock()
	var n int64
	err := s.write(ctx, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `UPDATE tasks SET status = $1, code = $2, message = $3, modified = $4
			WHERE gallery_id = $5 AND kind = $6 AND status = $7 AND pg_try_advisory_xact_lock(`+taskLockClass+`, id::int)`,
			store.TaskFailed, end.Code, end.Message, now(), gallery, string(kind), store.TaskRunning)
		n = tag.RowsAffected()
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("fail the task of a dead server: %w", err)
	}
	return int(n), nil
}

// lockNewTask takes the next task ID and, on a connection of its own, the
// lock that says the task's server lives.
func (s *Store) lockNewTask(ctx context.Context) (*pgx.Conn, int64, error) {
	conn, err := pgx.ConnectConfig(ctx, s.pool.Config().ConnConfig.Copy())
	if err != nil {
		return nil, 0, err
	}
	var id int64
	if err := conn.QueryRow(ctx, `SELECT nextval('tasks_id_seq')`).Scan(&id); err != nil {
		closeQuietly(conn)
		return nil, 0, err
	}
	var locked bool
	if err := conn.QueryRow(ctx, `SELECT pg_try_advisory_lock(`+taskLockClass+`, $1::int)`, id).Scan(&locked); err != nil || !locked {
		closeQuietly(conn)
		return nil, 0, cmp.Or(err, fmt.Errorf("the lock of task %d is taken", id))
	}
	return conn, id, nil
}

// release lets go of a task's lock, if this store holds it.
func (s *Store) release(id int64) {
	s.mu.Lock()
	conn := s.running[id]
	delete(s.running, id)
	s.mu.Unlock()
	if conn != nil {
		closeQuietly(conn)
	}
}

// closeQuietly closes a connection of the store's own, within a second.
func closeQuietly(conn *pgx.Conn) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	conn.Close(ctx)
}

// UpdateTask saves a task's status, outcome and progress; its gallery,
// kind, source, callback and creation time stay as stored. A task that
// no longer runs lets go of its lock.
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
	if t.Status != store.TaskRunning {
		s.release(t.ID)
	}
	return nil
}

// FailRunningTasks ends the running tasks of this store and those of
// dead servers (no session holds their lock) as failed, with code and
// message, and returns how many it ended. The tasks other live servers
// run are left running. A server calls it as it starts, when it runs no
// task yet.
func (s *Store) FailRunningTasks(ctx context.Context, code, message string) (int, error) {
	s.mu.Lock()
	s.interrupted.Code, s.interrupted.Message = code, message // for failDead
	own := make([]int64, 0, len(s.running))
	for id := range s.running {
		own = append(own, id)
	}
	s.mu.Unlock()
	var n int64
	err := s.write(ctx, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `UPDATE tasks SET status = $1, code = $2, message = $3, modified = $4
			WHERE status = $5 AND (id = ANY($6) OR pg_try_advisory_xact_lock(`+taskLockClass+`, id::int))`,
			store.TaskFailed, code, message, now(), store.TaskRunning, own)
		n = tag.RowsAffected()
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("postgres: fail running tasks: %w", err)
	}
	for _, id := range own {
		s.release(id)
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
