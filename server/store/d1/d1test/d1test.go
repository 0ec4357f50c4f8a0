// Package d1test gives tests a database that behaves as Cloudflare D1
// does, for the D1 store (server/store/d1) and what runs on it.
package d1test

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"path/filepath"
	"slices"
	"sync"
	"sync/atomic"
	"testing"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// D1's limits.
const (
	maxValue  = 2_000_000
	maxParams = 100
)

// D1 mode: modernc SQLite held to what D1 allows, so that the store's
// tests on the host find what D1 would refuse.
//
//   - No transactions: Begin fails, as the d1 driver's does.
//   - One connection: D1 runs a database's statements one at a time.
//   - D1's limits, set in SQLite itself: a string, BLOB or row of at most
//     2,000,000 bytes, at most 100 bound parameters (d1.MaxValue and
//     d1.MaxParams; this package cannot import d1, whose tests use it).
//   - No Go function is registered with the driver.

// Open returns a D1-mode database in a temporary file, closed when the
// test ends.
func Open(t testing.TB) *sql.DB {
	t.Helper()
	db, _ := OpenCounting(t)
	return db
}

// Counter counts the statements a D1-mode database ran: on a Worker each
// is a round trip to D1, paid for in the isolate's CPU as well as in time.
type Counter struct {
	n  atomic.Int64
	mu sync.Mutex
	qs []string
}

// Texts returns the statements run so far, in order.
func (c *Counter) Texts() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Clone(c.qs)
}

func (c *Counter) add(q string) {
	c.n.Add(1)
	c.mu.Lock()
	c.qs = append(c.qs, q)
	c.mu.Unlock()
}

// Statements returns how many statements ran so far.
func (c *Counter) Statements() int64 { return c.n.Load() }

// OpenCounting is Open with the statements the database runs counted.
func OpenCounting(t testing.TB) (*sql.DB, *Counter) {
	t.Helper()
	// Not synced to disk: D1's durability is D1's; the tests check what
	// the statements leave.
	base, err := sqlite.NewConnector(filepath.Join(t.TempDir(), "d1.sqlite") + "?_pragma=synchronous(OFF)")
	if err != nil {
		t.Fatal(err)
	}
	count := &Counter{}
	db := sql.OpenDB(d1Connector{base, count})
	db.SetMaxOpenConns(1)
	db.SetMaxIdleConns(1)
	t.Cleanup(func() { db.Close() })
	return db, count
}

type d1Connector struct {
	driver.Connector
	count *Counter
}

// Connect opens a connection with D1's limits.
func (c d1Connector) Connect(ctx context.Context) (driver.Conn, error) {
	conn, err := c.Connector.Connect(ctx)
	if err != nil {
		return nil, err
	}
	if err := setLimits(ctx, conn); err != nil {
		conn.Close()
		return nil, err
	}
	return d1Conn{conn.(sqliteConn), c.count}, nil
}

// sqliteConn is what modernc's connections implement and d1Conn passes
// on.
type sqliteConn interface {
	driver.Conn
	driver.ExecerContext
	driver.QueryerContext
	driver.ConnPrepareContext
}

// setLimits sets D1's limits on conn. sqlite.Limit takes a *sql.Conn, so conn
// is lent to a pool of its own for the call, which keeps it (as in use)
// and is never closed: closing it would close conn. The test's own pool
// closes conn.
func setLimits(ctx context.Context, conn driver.Conn) error {
	lend := sql.OpenDB(lender{conn})
	c, err := lend.Conn(ctx)
	if err != nil {
		return err
	}
	for id, v := range map[int]int{sqlite3.SQLITE_LIMIT_LENGTH: maxValue, sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER: maxParams} {
		if _, err := sqlite.Limit(c, id, v); err != nil {
			return err
		}
	}
	return nil
}

// lender connects once, to the connection it holds.
type lender struct{ conn driver.Conn }

func (l lender) Connect(context.Context) (driver.Conn, error) { return l.conn, nil }
func (l lender) Driver() driver.Driver                        { return nil }

// d1Conn is a connection without transactions, its statements counted.
type d1Conn struct {
	sqliteConn
	count *Counter
}

// QueryContext runs a query, counted.
func (c d1Conn) QueryContext(ctx context.Context, q string, args []driver.NamedValue) (driver.Rows, error) {
	c.count.add(q)
	return c.sqliteConn.QueryContext(ctx, q, args)
}

// ExecContext runs a statement, counted.
func (c d1Conn) ExecContext(ctx context.Context, q string, args []driver.NamedValue) (driver.Result, error) {
	c.count.add(q)
	return c.sqliteConn.ExecContext(ctx, q, args)
}

var errNoTransactions = errors.New("d1 mode: transaction is not currently supported")

func (d1Conn) Begin() (driver.Tx, error) { return nil, errNoTransactions }
func (d1Conn) BeginTx(context.Context, driver.TxOptions) (driver.Tx, error) {
	return nil, errNoTransactions
}
