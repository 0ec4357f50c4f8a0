package postgres

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"sync"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/pixmatch/pixmatch/server/store"
	"github.com/pixmatch/pixmatch/server/store/postgres/pgtest"
)

// appliedMigrations returns the rows of schema_migrations.
func appliedMigrations(t *testing.T, s *Store) [][3]any {
	t.Helper()
	rows, err := s.pool.Query(context.Background(), `SELECT version, name, applied FROM schema_migrations ORDER BY version`)
	out, err := collect(rows, err, func(row pgx.Row) ([3]any, error) {
		var v, applied int64
		var name string
		err := row.Scan(&v, &name, &applied)
		return [3]any{v, name, applied}, err
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestMigrations opens a new database (every step applied and recorded),
// opens it again (nothing applied twice), and then finds a schema from a
// newer pixmatch: Open refuses it with ErrSchemaTooNew and changes nothing.
func TestMigrations(t *testing.T) {
	ctx := context.Background()
	dsn := pgtest.NewDatabase(t)
	s, err := Open(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	first := appliedMigrations(t, s)
	if len(first) != len(migrations) {
		t.Fatalf("new database has %d migrations applied, want %d", len(first), len(migrations))
	}
	for i, m := range first {
		if m[0] != int64(i+1) || m[1] != migrations[i].name {
			t.Errorf("migration row %d = %v, want version %d %q", i, m, i+1, migrations[i].name)
		}
	}
	g, err := s.CreateGallery(ctx, store.Gallery{Name: "kept", AppID: "app-kept"})
	if err != nil {
		t.Fatal(err)
	}
	s.Close()

	s, err = Open(ctx, dsn)
	if err != nil {
		t.Fatalf("Open(current): %v", err)
	}
	if again := appliedMigrations(t, s); !reflect.DeepEqual(again, first) {
		t.Errorf("reopening changed schema_migrations: %v, was %v", again, first)
	}
	future := len(migrations) + 1
	if _, err := s.pool.Exec(ctx, `INSERT INTO schema_migrations VALUES ($1, 'from the future', 0)`, future); err != nil {
		t.Fatal(err)
	}
	s.Close()

	_, err = Open(ctx, dsn)
	if !errors.Is(err, ErrSchemaTooNew) || !strings.Contains(err.Error(), fmt.Sprintf("schema version %d, this build knows up to %d", future, len(migrations))) {
		t.Fatalf("Open(newer schema) = %v, want ErrSchemaTooNew naming both versions", err)
	}
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	var name string
	var rows int
	if err := conn.QueryRow(ctx, `SELECT name, (SELECT COUNT(*) FROM schema_migrations) FROM galleries WHERE id = $1`, g.ID).Scan(&name, &rows); err != nil || name != g.Name || rows != future {
		t.Errorf("after the refused Open: gallery %q, %d migration rows, %v; want %q and %d", name, rows, err, g.Name, future)
	}
}

// TestConcurrentOpen starts four servers on one new database at once: the
// advisory lock lets one migrate while the others wait, and all open it.
func TestConcurrentOpen(t *testing.T) {
	dsn := pgtest.NewDatabase(t)
	var wg sync.WaitGroup
	stores := make([]*Store, 4)
	errs := make([]error, 4)
	for i := range stores {
		wg.Go(func() { stores[i], errs[i] = Open(context.Background(), dsn) })
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("Open %d: %v", i, err)
			continue
		}
		defer stores[i].Close()
	}
	if t.Failed() {
		return
	}
	if got := appliedMigrations(t, stores[0]); len(got) != len(migrations) {
		t.Errorf("%d migration rows, want %d", len(got), len(migrations))
	}
}
