package main

import (
	"context"
	"database/sql"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
)

// backup writes a consistent copy of the data folder's database to FILE,
// while a server may be running on it (see sqlite.Store.Backup).
//
//	pixmatch backup FILE [--data DIR]
func backup(ctx context.Context, args []string, out io.Writer) error {
	file, dir, err := fileAndData("backup", args)
	if err != nil {
		return err
	}
	if _, err := os.Stat(filepath.Join(dir, databaseFile)); err != nil {
		return fmt.Errorf("backup: no database in %s: %w", dir, err)
	}
	st, err := openStore(ctx, dir)
	if err != nil {
		return err
	}
	defer st.Close()
	if err := st.Backup(ctx, file); err != nil {
		return err
	}
	fmt.Fprintf(out, "backed up %s to %s\n", filepath.Join(dir, databaseFile), file)
	return nil
}

// restore puts a backup made by backup into an empty (or absent) data
// folder, after checking that it is a sound pixmatch database this
// build can open. It refuses a folder that holds anything: restoring
// never overwrites data.
//
//	pixmatch restore FILE [--data DIR]
func restore(ctx context.Context, args []string, out io.Writer) error {
	file, dir, err := fileAndData("restore", args)
	if err != nil {
		return err
	}
	if err := integrity(ctx, file); err != nil {
		return fmt.Errorf("restore: %s: %w", file, err)
	}
	if entries, err := os.ReadDir(dir); err == nil && len(entries) > 0 {
		return fmt.Errorf("restore: %s is not empty: restore into an empty or new folder", dir)
	} else if err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("restore: %w", err)
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("restore: %w", err)
	}
	path := filepath.Join(dir, databaseFile)
	if err := copyNew(file, path); err != nil {
		return fmt.Errorf("restore: %w", err)
	}
	st, err := openStore(ctx, dir) // brings an older schema up to date; refuses a newer one
	if err != nil {
		os.Remove(path)
		return err
	}
	if err := st.Close(); err != nil {
		return err
	}
	fmt.Fprintf(out, "restored %s into %s\n", file, dir)
	return nil
}

// fileAndData reads "FILE [--data DIR]" in either order.
func fileAndData(cmd string, args []string) (file, dir string, err error) {
	fs := flag.NewFlagSet(cmd, flag.ContinueOnError)
	data := fs.String("data", "./data", "folder of the embedded database")
	if len(args) > 0 && args[0] != "" && args[0][0] != '-' {
		file, args = args[0], args[1:]
	}
	if err := fs.Parse(args); err != nil {
		return "", "", err
	}
	if file == "" && fs.NArg() > 0 {
		file, args = fs.Arg(0), fs.Args()[1:]
		if err := fs.Parse(args); err != nil {
			return "", "", err
		}
	}
	if file == "" || fs.NArg() > 0 {
		return "", "", fmt.Errorf("usage: pixmatch %s FILE [--data DIR]", cmd)
	}
	return file, *data, nil
}

// integrity opens a database file read-only and runs SQLite's
// integrity_check on it.
func integrity(ctx context.Context, file string) error {
	if _, err := os.Stat(file); err != nil {
		return err
	}
	db, err := sql.Open("sqlite", "file:"+file+"?mode=ro")
	if err != nil {
		return err
	}
	defer db.Close()
	var check string
	if err := db.QueryRowContext(ctx, `PRAGMA integrity_check`).Scan(&check); err != nil {
		return fmt.Errorf("not a database: %w", err)
	}
	if check != "ok" {
		return fmt.Errorf("damaged database: %s", check)
	}
	return nil
}

// copyNew copies src to dst, a new file private to the user, synced to
// disk before it returns.
func copyNew(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	_, err = io.Copy(out, in)
	if err == nil {
		err = out.Sync()
	}
	if err = errors.Join(err, out.Close()); err != nil {
		os.Remove(dst)
	}
	return err
}
