// Package postgres implements store.Store on a PostgreSQL database (15 or
// newer) through pgx and its connection pool, so that several pixmatch
// servers can share one database.
//
// Acknowledged means committed: every write is one transaction, and a
// write that returned nil has been committed with synchronous_commit on
// (the store asks for it on its connections unless the URL names another
// level; it refuses off), so it survives the server process and
// PostgreSQL being killed. A write whose commit's answer was lost (the
// connection broke during COMMIT) returns an error: it may or may not be
// in the database, and is not acknowledged.
//
// Writes are serialised per gallery, not per process: each write
// transaction that changes a gallery first advances the gallery's version
// (UPDATE … RETURNING, which locks the gallery's row until the commit),
// so concurrent writers through any number of servers get consecutive
// versions without gaps, commit in version order, and take their locks in
// one order (the gallery, then its targets), which rules out deadlocks
// between them. Reads run on their own, under READ COMMITTED; Snapshot
// reads in one REPEATABLE READ transaction.
//
// The schema is versioned like the SQLite store's (schema_migrations), and
// migrations run under a transaction-scoped advisory lock, so servers that
// start together migrate once. A database whose schema is newer than this
// build knows is refused (ErrSchemaTooNew). The SQL stays close to the
// SQLite store's: the same tables, columns and indexes, with PostgreSQL's
// types (BIGINT, TEXT, BYTEA, BOOLEAN) and numbered parameters.
//
// Text columns hold PostgreSQL text, which cannot hold the NUL character
// or invalid UTF-8: a write carrying either fails (the SQLite store would
// keep it).
package postgres

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"runtime"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/pixmatch/pixmatch/server/store"
)

// Store is a store.Store kept in a PostgreSQL database. It is safe for
// concurrent use, and several Stores (in several processes) may share one
// database.
type Store struct {
	pool *pgxpool.Pool

	mu      sync.Mutex
	running map[int64]*pgx.Conn // task ID: the connection holding its lock (task.go)
	// interrupted is how a dead server's task ends (task.go's failDead)
	interrupted outcome
}

var _ store.Store = (*Store)(nil)

// IsURL reports whether db names a PostgreSQL database (a postgres:// or
// postgresql:// URL) rather than something else, such as a file.
func IsURL(db string) bool {
	return strings.HasPrefix(db, "postgres://") || strings.HasPrefix(db, "postgresql://")
}

// Open connects to the database at the URL dsn
// (postgres://USER[:PASSWORD]@HOST:PORT/DB?…, with pgx's and libpq's
// parameters, such as sslmode and pool_max_conns) and brings its schema up
// to date. It fails with an error wrapping ErrSchemaTooNew if the database
// was written by a newer pixmatch. Errors never repeat the URL's password.
func Open(ctx context.Context, dsn string) (*Store, error) {
	if !IsURL(dsn) {
		return nil, errors.New("postgres: open: want a postgres:// URL")
	}
	cfg, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		// pgx's parse errors hide the password; say only which URL failed.
		return nil, fmt.Errorf("postgres: open %s: %w", redact(dsn), err)
	}
	if err := durable(cfg.ConnConfig.RuntimeParams); err != nil {
		return nil, fmt.Errorf("postgres: open %s: %w", redact(dsn), err)
	}
	if !strings.Contains(dsn, "pool_max_conns") {
		cfg.MaxConns = int32(max(8, 4*runtime.GOMAXPROCS(0)))
	}
	cfg.MaxConnIdleTime = 5 * time.Minute
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("postgres: open %s: %w", redact(dsn), err)
	}
	if err := pool.Ping(ctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("postgres: open %s: %w", redact(dsn), err)
	}
	if err := migrate(ctx, pool); err != nil {
		pool.Close()
		return nil, fmt.Errorf("postgres: open %s: %w", redact(dsn), err)
	}
	return &Store{pool: pool, running: map[int64]*pgx.Conn{}, interrupted: interruptedOutcome}, nil
}

// durable asks for synchronous_commit on when the URL names no level, and
// refuses off, under which a commit may be answered before it is durable.
func durable(params map[string]string) error {
	switch params["synchronous_commit"] {
	case "":
		params["synchronous_commit"] = "on"
	case "off", "false", "no", "0":
		return errors.New("synchronous_commit=off would acknowledge writes that a crash can lose")
	}
	return nil
}

// redact returns the URL without its password, for messages.
func redact(dsn string) string {
	u, err := url.Parse(dsn)
	if err != nil {
		return "(the database URL)"
	}
	return u.Redacted()
}

// Close lets go of the locks of the tasks still running (a later start of
// any server sharing the database fails them), and closes the connection
// pool, waiting for the connections in use to be returned.
func (s *Store) Close() error {
	s.mu.Lock()
	running := s.running
	s.running = map[int64]*pgx.Conn{}
	s.mu.Unlock()
	for _, conn := range running {
		closeQuietly(conn)
	}
	s.pool.Close()
	return nil
}

// write runs fn in a transaction and commits it if fn returns nil.
func (s *Store) write(ctx context.Context, fn func(tx pgx.Tx) error) error {
	return pgx.BeginFunc(ctx, s.pool, fn)
}

// PostgreSQL's codes for the errors storeError translates.
const (
	uniqueViolation     = "23505"
	foreignKeyViolation = "23503"
)

// oneRunningTask is the index that keeps a running task the only one of
// its gallery and kind.
const oneRunningTask = "tasks_one_running"

// storeError translates driver errors into the store's sentinels: a missing
// row into store.ErrNotFound, a unique-key violation into store.ErrExists
// (store.ErrTaskRunning for the running-task index) and a reference to a
// missing row into store.ErrNotFound. The original error stays in the
// chain.
func storeError(err error) error {
	for _, sentinel := range []error{store.ErrNotFound, store.ErrExists, store.ErrTaskRunning} {
		if errors.Is(err, sentinel) {
			return err // translated already, deeper down
		}
	}
	if errors.Is(err, pgx.ErrNoRows) {
		return fmt.Errorf("%w: %w", store.ErrNotFound, err)
	}
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		switch {
		case pe.Code == uniqueViolation && pe.ConstraintName == oneRunningTask:
			return fmt.Errorf("%w: %w", store.ErrTaskRunning, err)
		case pe.Code == uniqueViolation:
			return fmt.Errorf("%w: %w", store.ErrExists, err)
		case pe.Code == foreignKeyViolation:
			return fmt.Errorf("%w: %w", store.ErrNotFound, err)
		}
	}
	return err
}

// now returns the current time in unix milliseconds.
func now() int64 { return time.Now().UnixMilli() }

// nullString stores the empty string as NULL, so that unique columns can
// hold any number of unset values.
func nullString(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// nullID stores the zero ID as NULL, meaning "no row".
func nullID(id int64) *int64 {
	if id == 0 {
		return nil
	}
	return &id
}

// mustAffect turns a statement that changed no row into pgx.ErrNoRows, so
// that storeError reports it as store.ErrNotFound.
func mustAffect(tag pgconn.CommandTag, err error) error {
	if err != nil {
		return err
	}
	if tag.RowsAffected() == 0 {
		return pgx.ErrNoRows
	}
	return nil
}

// collect reads every row of a query with scan, closing the rows.
func collect[T any](rows pgx.Rows, err error, scan func(pgx.Row) (T, error)) ([]T, error) {
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []T
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}
