package d1wire

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
)

// Runner runs a statement on a D1 database — an exec when exec is set,
// else a query — and returns its answer's text (sql.mjs's). Its args are
// what database/sql's default conversion makes of the caller's: nil,
// int64, float64, bool, string, []byte (a BLOB) or time.Time, which D1
// cannot bind.
type Runner func(ctx context.Context, query string, args []driver.NamedValue, exec bool) ([]byte, error)

// Open returns a database whose statements run is handed one at a time,
// its answers parsed here: the Worker's driver (server/worker OpenD1)
// and the tests' driver of a real local D1 (d1test.Remote), which differ
// only in how a statement reaches D1. Like syumai/workers' d1 driver, it
// has no transactions: D1 holds no session.
func Open(run Runner) *sql.DB { return sql.OpenDB(connector{run}) }

type connector struct{ run Runner }

func (c connector) Connect(context.Context) (driver.Conn, error) { return conn(c), nil }
func (c connector) Driver() driver.Driver                        { return openOnly{} }

// openOnly is only there for sql.DB's Driver method.
type openOnly struct{}

func (openOnly) Open(string) (driver.Conn, error) {
	return nil, errors.New("d1wire: open a database with Open")
}

// conn runs each statement on its own.
type conn connector

var (
	_ driver.ExecerContext  = conn{}
	_ driver.QueryerContext = conn{}
)

func (c conn) Prepare(string) (driver.Stmt, error) { return nil, errors.ErrUnsupported }
func (c conn) Close() error                        { return nil }

// Begin and BeginTx refuse, in syumai/workers' driver's words.
func (c conn) Begin() (driver.Tx, error) {
	return nil, errors.New("d1: Begin is deprecated and not implemented")
}

func (c conn) BeginTx(context.Context, driver.TxOptions) (driver.Tx, error) {
	return nil, errors.New("d1: transaction is not currently supported")
}

func (c conn) ExecContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Result, error) {
	text, err := c.run(ctx, query, args, true)
	if err != nil {
		return nil, err
	}
	r, err := ParseResult(text)
	if err != nil {
		return nil, err
	}
	return r, nil
}

func (c conn) QueryContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Rows, error) {
	text, err := c.run(ctx, query, args, false)
	if err != nil {
		return nil, err
	}
	rows, err := ParseRows(text)
	if err != nil {
		return nil, err
	}
	return rows, nil
}
