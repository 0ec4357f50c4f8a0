package postgres

import (
	"context"
	"strings"
	"testing"

	"github.com/pixmatch/pixmatch/server/store/postgres/pgtest"
)

// TestOpenRefuses checks what Open will not open: something that is not
// a postgres:// URL, and a URL asking for commits acknowledged before
// they are durable. A failure never repeats the URL's password.
func TestOpenRefuses(t *testing.T) {
	dsn := pgtest.NewDatabase(t)
	for _, bad := range []string{"", "./data/pixmatch.db", "mysql://u@h/db", dsn + "&synchronous_commit=off"} {
		if s, err := Open(context.Background(), bad); err == nil {
			s.Close()
			t.Errorf("Open(%q) succeeded, want an error", bad)
		}
	}
	// Nothing listens on port 1.
	_, err := Open(context.Background(), "postgres://user:hunter2@127.0.0.1:1/db?connect_timeout=2")
	if err == nil || strings.Contains(err.Error(), "hunter2") {
		t.Errorf("Open(unreachable) = %v; want an error without the password", err)
	}
}

// TestSynchronousCommit checks that the store's connections commit
// durably even in a database whose default is synchronous_commit=off.
func TestSynchronousCommit(t *testing.T) {
	ctx := context.Background()
	c := pgtest.Shared(t)
	dsn, err := c.CreateDatabase(ctx, "lax")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.DropDatabase(ctx, "lax") })
	if err := c.Exec(ctx, "postgres", `ALTER DATABASE lax SET synchronous_commit = off`); err != nil {
		t.Fatal(err)
	}
	s, err := Open(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	var level string
	if err := s.pool.QueryRow(ctx, `SHOW synchronous_commit`).Scan(&level); err != nil || level != "on" {
		t.Errorf("the store's connections run with synchronous_commit %q, %v; want on", level, err)
	}
}
