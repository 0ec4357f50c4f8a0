package postgres

import (
	"context"
	"testing"

	"github.com/pixmatch/pixmatch/server/store/postgres/pgtest"
	"github.com/pixmatch/pixmatch/server/store/storetest"
)

// openTwo opens two stores on one fresh database, as two servers do.
func openTwo(t *testing.T) (a, b *Store) {
	t.Helper()
	dsn := pgtest.NewDatabase(t)
	for _, s := range []**Store{&a, &b} {
		var err error
		if *s, err = Open(context.Background(), dsn); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { (*s).Close() })
	}
	return a, b
}

// TestTwoServersShareVersions has writers on two stores of one database
// create, update and delete targets of one gallery at once: the versions
// they are given are 1..N without gaps or repeats, the change log holds
// one entry for each, and each store reads what both wrote.
func TestTwoServersShareVersions(t *testing.T) {
	a, b := openTwo(t)
	storetest.ConcurrentWriters(t, a, b)
}

// TestTwoServersOneRunningTask starts the same import through both stores
// at once, ten times over: each time exactly one is recorded, the others
// are refused, though no process serialises the two stores' writes.
func TestTwoServersOneRunningTask(t *testing.T) {
	for range 10 {
		a, b := openTwo(t)
		storetest.ConcurrentTasks(t, a, b)
	}
}
