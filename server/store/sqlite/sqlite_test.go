package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/pixmatch/pixmatch/server/store"
	"github.com/pixmatch/pixmatch/server/store/storetest"
)

// openTemp opens a new store in a temporary directory, closed when the
// test ends.
func openTemp(t testing.TB) *Store {
	t.Helper()
	s, err := Open(context.Background(), filepath.Join(t.TempDir(), "data", "pixmatch.db"))
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return s
}

func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Store { return openTemp(t) })
}

func TestOpenRefusesBadPaths(t *testing.T) {
	for _, path := range []string{"", ":memory:", "a?mode=ro"} {
		if s, err := Open(context.Background(), path); err == nil {
			s.Close()
			t.Errorf("Open(%q) succeeded, want an error", path)
		}
	}
}

// TestPragmas checks the settings of connections of both pools.
func TestPragmas(t *testing.T) {
	s := openTemp(t)
	pools := []struct {
		name      string
		db        *sql.DB
		queryOnly int
	}{{"writer", s.writer, 0}, {"reader", s.reader, 1}}
	for _, p := range pools {
		want := map[string]any{
			"journal_mode": "wal",
			"synchronous":  int64(2), // FULL
			"foreign_keys": int64(1),
			"busy_timeout": int64(5000),
			"query_only":   int64(p.queryOnly),
		}
		for pragma, value := range want {
			var got any
			if err := p.db.QueryRow(`PRAGMA ` + pragma).Scan(&got); err != nil || got != value {
				t.Errorf("%s: PRAGMA %s = %v (%T), %v; want %v", p.name, pragma, got, got, err, value)
			}
		}
	}
	if _, err := s.reader.Exec(`INSERT INTO settings (name, value) VALUES ('x', 'y')`); err == nil {
		t.Error("a reader connection wrote to the database")
	}
}

// appliedMigrations returns the rows of schema_migrations.
func appliedMigrations(t *testing.T, db *sql.DB) [][3]any {
	t.Helper()
	rows, err := db.Query(`SELECT version, name, applied FROM schema_migrations ORDER BY version`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out [][3]any
	for rows.Next() {
		var (
			v, applied int64
			name       string
		)
		if err := rows.Scan(&v, &name, &applied); err != nil {
			t.Fatal(err)
		}
		out = append(out, [3]any{v, name, applied})
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

func TestMigrations(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "pixmatch.db")

	s, err := Open(ctx, path)
	if err != nil {
		t.Fatalf("Open(new): %v", err)
	}
	first := appliedMigrations(t, s.reader)
	if len(first) != len(migrations) {
		t.Fatalf("new database has %d migrations applied, want %d", len(first), len(migrations))
	}
	for i, m := range first {
		if m[0] != int64(i+1) || m[1] != migrations[i].name {
			t.Errorf("migration row %d = %v, want version %d %q", i, m, i+1, migrations[i].name)
		}
	}
	var mode string
	if err := s.reader.QueryRow(`PRAGMA journal_mode`).Scan(&mode); err != nil || mode != "wal" {
		t.Errorf("journal_mode = %q, %v; want wal", mode, err)
	}
	g, err := s.CreateGallery(ctx, store.Gallery{Name: "kept", AppID: "kept"})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	// Reopening a current database changes nothing.
	s, err = Open(ctx, path)
	if err != nil {
		t.Fatalf("Open(current): %v", err)
	}
	if again := appliedMigrations(t, s.reader); !reflect.DeepEqual(again, first) {
		t.Errorf("reopening changed schema_migrations from %v to %v", first, again)
	}
	if got, err := s.Gallery(ctx, g.ID); err != nil || got != g {
		t.Errorf("after reopening, Gallery = %+v, %v; want %+v", got, err, g)
	}
	// Stamp the file as written by a newer build.
	_, err = s.writer.Exec(`INSERT INTO schema_migrations (version, name, applied) VALUES (?, 'from the future', 0)`,
		len(migrations)+1)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	s, err = Open(ctx, path)
	if err == nil {
		s.Close()
		t.Fatal("Open(newer schema) succeeded")
	}
	if !errors.Is(err, ErrSchemaTooNew) || !strings.Contains(err.Error(), path) {
		t.Errorf("Open(newer schema) error %q; want ErrSchemaTooNew naming the file", err)
	}
}

func TestMigrationFailureRollsBack(t *testing.T) {
	saved := migrations
	t.Cleanup(func() { migrations = saved })
	migrations = append(slices.Clone(saved), migration{name: "broken", steps: []string{
		`CREATE TABLE half_done (id INTEGER)`,
		`THIS IS NOT SQL`,
	}})

	path := filepath.Join(t.TempDir(), "pixmatch.db")
	if s, err := Open(context.Background(), path); err == nil {
		s.Close()
		t.Fatal("Open with a broken migration succeeded")
	} else if !strings.Contains(err.Error(), "broken") {
		t.Errorf("error %q does not name the failing migration", err)
	}

	// Nothing of the failed run, not even the steps before it, remains.
	migrations = saved
	s, err := Open(context.Background(), path)
	if err != nil {
		t.Fatalf("Open after the failed migration: %v", err)
	}
	defer s.Close()
	var n int
	err = s.reader.QueryRow(`SELECT COUNT(*) FROM sqlite_master WHERE name = 'half_done'`).Scan(&n)
	if err != nil || n != 0 {
		t.Errorf("table of the failed migration: count %d, %v; want 0", n, err)
	}
}

// TestReadsDoNotWaitForWriter holds a write transaction open and checks
// that lookups still answer, from the last committed state.
func TestReadsDoNotWaitForWriter(t *testing.T) {
	ctx := context.Background()
	s := openTemp(t)
	g, err := s.CreateGallery(ctx, store.Gallery{Name: "alpha", AppID: "alpha"})
	if err != nil {
		t.Fatal(err)
	}
	tx, err := s.writer.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	pending := storetest.Target(g.ID, 1, 10)
	if _, err := createTarget(ctx, tx, &pending, now()); err != nil {
		t.Fatal(err)
	}
	if got, err := s.Gallery(ctx, g.ID); err != nil || got.Version != 0 {
		t.Errorf("Gallery during a write = %+v, %v; want the committed version 0", got, err)
	}
	if n, err := s.CountTargets(ctx, g.ID); err != nil || n != 0 {
		t.Errorf("CountTargets during a write = %d, %v; want 0", n, err)
	}
}

func TestMain(m *testing.M) {
	code := m.Run()
	cleanupFixtures()
	os.Exit(code)
}
