package sqlite

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
)

// Backup writes a consistent copy of the database to path, while others
// read and write it: SQLite's VACUUM INTO, run in one read transaction,
// copies the state of the last commit before it started, including what
// the write-ahead log holds and the database file does not yet. Writes
// go on meanwhile; the copy has none of those that commit after it
// started.
//
// path must not exist: Backup never overwrites a file. The copy is
// written beside it under a temporary name, synced to disk, and only then
// given its name, so a backup cut short leaves no file at path. It is a
// plain SQLite database (not in WAL mode), private to the user (0600),
// and opens with Open.
func (s *Store) Backup(ctx context.Context, path string) error {
	if _, err := os.Lstat(path); err == nil {
		return fmt.Errorf("sqlite: backup to %s: %w", path, os.ErrExist)
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*.tmp")
	if err != nil {
		return fmt.Errorf("sqlite: backup: %w", err)
	}
	name := tmp.Name()
	defer os.Remove(name) // gone once linked to path, or on failure
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("sqlite: backup: %w", err)
	}
	if err := s.vacuumInto(ctx, name); err != nil {
		return fmt.Errorf("sqlite: backup to %s: %w", path, err)
	}
	if err := syncFile(name); err != nil {
		return fmt.Errorf("sqlite: backup: %w", err)
	}
	// Link, unlike rename, refuses to replace a file made meanwhile.
	if err := os.Link(name, path); err != nil {
		return fmt.Errorf("sqlite: backup to %s: %w", path, err)
	}
	return syncFile(filepath.Dir(path))
}

// vacuumInto runs VACUUM INTO on a connection of its own: the readers'
// query_only forbids it, and the writer's one connection would hold up
// every write for as long as the copy takes.
func (s *Store) vacuumInto(ctx context.Context, name string) error {
	var seq int
	var schema, file string
	if err := s.reader.QueryRowContext(ctx, `PRAGMA database_list`).Scan(&seq, &schema, &file); err != nil {
		return err
	}
	db, err := openPool(ctx, file, 1, false)
	if err != nil {
		return err
	}
	_, err = db.ExecContext(ctx, `VACUUM INTO ?`, name)
	return errors.Join(err, db.Close())
}

// syncFile flushes a file or a directory to disk.
func syncFile(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	return errors.Join(f.Sync(), f.Close())
}
