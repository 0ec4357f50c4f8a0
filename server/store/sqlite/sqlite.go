// Package sqlite implements store.Store on an embedded SQLite database
// file, through database/sql and the pure-Go modernc.org/sqlite driver.
//
// The database runs in WAL mode with synchronous=FULL, so a write that
// returned nil has been fsynced and survives the process being killed.
// Writes go through a pool of exactly one connection and start with BEGIN
// IMMEDIATE, which serialises them inside the process (callers queue on
// database/sql's pool, honouring their context) and against other
// processes (through SQLite's lock and busy_timeout). Reads use a separate
// pool of query-only connections; under WAL they see the last committed
// state and never wait for a writer.
package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/pixmatch/pixmatch/server/store"
)

// Store is a store.Store kept in one SQLite database file. It is safe for
// concurrent use.
type Store struct {
	writer *sql.DB // one connection; every write transaction
	reader *sql.DB // query-only connections for lookups and listings
}

var _ store.Store = (*Store)(nil)

// pragmas are set on every connection of both pools. busy_timeout lets a
// connection wait for another process's lock instead of failing at once.
var pragmas = []string{
	"busy_timeout(5000)",
	"foreign_keys(ON)",
	"journal_mode(WAL)",
	"synchronous(FULL)",
}

// Open opens the database file at path, creating it and its directory if
// needed, and brings its schema up to date. It fails with an error wrapping
// ErrSchemaTooNew if the file was written by a newer pixmatch.
//
// What it creates is private to the server's user: the directory 0700,
// the file 0600, created before the driver opens it (SQLite gives the
// -wal and -shm files the database file's mode). An existing directory or
// file keeps its mode.
func Open(ctx context.Context, path string) (*Store, error) {
	if path == "" || strings.ContainsRune(path, '?') || strings.HasPrefix(path, ":memory:") {
		return nil, fmt.Errorf("sqlite: open %q: want the path of a database file", path)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	f, err := os.OpenFile(path, os.O_RDONLY|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	s := &Store{}
	if s.writer, err = openPool(ctx, path, 1, false); err != nil {
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	if err := migrate(ctx, s.writer); err != nil {
		s.writer.Close()
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	// Opened after the migration, so that the file is already in WAL mode
	// and the readers' journal_mode pragma needs no write lock.
	if s.reader, err = openPool(ctx, path, max(4, runtime.GOMAXPROCS(0)), true); err != nil {
		s.writer.Close()
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	return s, nil
}

// openPool opens a pool of at most n connections to path and checks that
// one can be made.
func openPool(ctx context.Context, path string, n int, readOnly bool) (*sql.DB, error) {
	q := url.Values{}
	for _, p := range pragmas {
		q.Add("_pragma", p)
	}
	if readOnly {
		q.Add("_pragma", "query_only(1)")
	} else {
		q.Set("_txlock", "immediate")
	}
	db, err := sql.Open("sqlite", path+"?"+q.Encode())
	if err != nil {
		return nil, err
	}
	db.SetMaxOpenConns(n)
	db.SetMaxIdleConns(n)
	db.SetConnMaxIdleTime(5 * time.Minute)
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, err
	}
	return db, nil
}

// Close closes both connection pools. The last connection to close
// checkpoints the write-ahead log into the database file.
func (s *Store) Close() error {
	return errors.Join(s.reader.Close(), s.writer.Close())
}

// write runs fn in a write transaction and commits it if fn returns nil.
func (s *Store) write(ctx context.Context, fn func(tx *sql.Tx) error) error {
	tx, err := s.writer.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	if err := fn(tx); err != nil {
		// database/sql has already rolled back a transaction whose
		// context ended; any other rollback failure is worth reporting.
		if rerr := tx.Rollback(); rerr != nil && !errors.Is(rerr, sql.ErrTxDone) {
			return errors.Join(err, fmt.Errorf("rollback: %w", rerr))
		}
		return err
	}
	return tx.Commit()
}

// storeError translates driver errors into the store's sentinels: a missing
// row into store.ErrNotFound, a unique-key violation into store.ErrExists
// and a reference to a missing row into store.ErrNotFound. The original
// error stays in the chain.
func storeError(err error) error {
	if errors.Is(err, sql.ErrNoRows) {
		return store.ErrNotFound
	}
	var se *sqlite.Error
	if errors.As(err, &se) {
		switch se.Code() {
		case sqlite3.SQLITE_CONSTRAINT_UNIQUE, sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY:
			return fmt.Errorf("%w: %w", store.ErrExists, err)
		case sqlite3.SQLITE_CONSTRAINT_FOREIGNKEY:
			return fmt.Errorf("%w: %w", store.ErrNotFound, err)
		}
	}
	return err
}

// now returns the current time in unix milliseconds.
func now() int64 { return time.Now().UnixMilli() }

// nullString stores the empty string as NULL, so that unique columns can
// hold any number of unset values.
func nullString(s string) sql.NullString {
	return sql.NullString{String: s, Valid: s != ""}
}

// nullID stores the zero ID as NULL, meaning "no row".
func nullID(id int64) sql.NullInt64 {
	return sql.NullInt64{Int64: id, Valid: id != 0}
}

// boolInt stores a bool as the INTEGER 0 or 1.
func boolInt(b bool) int64 {
	if b {
		return 1
	}
	return 0
}
