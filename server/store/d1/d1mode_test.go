package d1

import (
	"context"
	"database/sql"
	"testing"

	"github.com/pixmatch/pixmatch/server/store/d1/d1test"
)

// openD1Mode returns a D1-mode database (see d1test), closed when the
// test ends.
func openD1Mode(t testing.TB) *sql.DB { return d1test.Open(t) }

// TestD1Mode checks that the mode refuses what D1 refuses.
func TestD1Mode(t *testing.T) {
	ctx := context.Background()
	db := openD1Mode(t)
	if _, err := db.BeginTx(ctx, nil); err == nil {
		t.Error("BeginTx succeeded in D1 mode")
	}
	if _, err := db.ExecContext(ctx, `CREATE TABLE t (v BLOB)`); err != nil {
		t.Fatal(err)
	}
	if _, err := db.ExecContext(ctx, `INSERT INTO t VALUES (?)`, make([]byte, MaxValue+1)); err == nil {
		t.Error("a value over 2,000,000 bytes was stored")
	}
	if _, err := db.ExecContext(ctx, `INSERT INTO t VALUES (?)`, make([]byte, MaxValue-100)); err != nil {
		t.Errorf("a value within the limit: %v", err)
	}
	args := make([]any, MaxParams+1)
	query := `SELECT 1 WHERE 1 IN (?` + repeat(", ?", MaxParams) + `)`
	for i := range args {
		args[i] = i
	}
	if _, err := db.QueryContext(ctx, query, args...); err == nil {
		t.Error("a statement bound more than 100 parameters")
	}
}

func repeat(s string, n int) string {
	out := ""
	for range n {
		out += s
	}
	return out
}
