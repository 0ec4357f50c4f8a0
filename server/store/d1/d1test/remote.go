package d1test

import (
	"bytes"
	"context"
	"database/sql"
	"database/sql/driver"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"strconv"
	"testing"
	"time"
)

// Remote returns a database whose every statement runs on a real D1: the
// local D1 of the Worker of server/store/d1/testdata/workerd (proxy.mjs)
// that `wrangler dev` serves at url. Statements cross as JSON and run as
// the Worker's driver (syumai/workers' cloudflare/d1) runs them — bound,
// then raw with column names for a query, run for an exec — and values
// come back converted as that driver converts them: a number to an int64
// when it is integral, else a float64; text to a string; a BLOB to
// []byte; NULL to nil. Like that driver, it has no transactions. The
// database is closed when the test ends.
func Remote(t testing.TB, url string) *sql.DB {
	t.Helper()
	db := sql.OpenDB(remoteConnector{url: url, client: &http.Client{Timeout: time.Minute}})
	t.Cleanup(func() { db.Close() })
	return db
}

type remoteConnector struct {
	url    string
	client *http.Client
}

func (c remoteConnector) Connect(context.Context) (driver.Conn, error) { return remoteConn(c), nil }
func (c remoteConnector) Driver() driver.Driver                        { return remoteDriver{} }

// remoteDriver is only there for sql.DB's Driver method.
type remoteDriver struct{}

func (remoteDriver) Open(string) (driver.Conn, error) {
	return nil, errors.New("d1test: open a remote D1 with Remote")
}

// remoteConn sends each statement on its own: D1 holds no session.
type remoteConn remoteConnector

var (
	_ driver.ExecerContext  = remoteConn{}
	_ driver.QueryerContext = remoteConn{}
)

func (c remoteConn) Prepare(string) (driver.Stmt, error) { return nil, errors.ErrUnsupported }
func (c remoteConn) Close() error                        { return nil }

// Begin and BeginTx refuse as the Worker's driver does.
func (c remoteConn) Begin() (driver.Tx, error) {
	return nil, errors.New("d1: Begin is deprecated and not implemented")
}

func (c remoteConn) BeginTx(context.Context, driver.TxOptions) (driver.Tx, error) {
	return nil, errors.New("d1: transaction is not currently supported")
}

// ExecContext runs an exec on the remote D1.
func (c remoteConn) ExecContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Result, error) {
	var r struct {
		Changes   int64 `json:"changes"`
		LastRowID int64 `json:"last_row_id"`
	}
	if err := c.send(ctx, query, args, true, &r); err != nil {
		return nil, err
	}
	return remoteResult{r.LastRowID, r.Changes}, nil
}

// QueryContext runs a query on the remote D1.
func (c remoteConn) QueryContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Rows, error) {
	var raw [][]json.RawMessage
	if err := c.send(ctx, query, args, false, &raw); err != nil {
		return nil, err
	}
	rows := &remoteRows{}
	if len(raw) == 0 {
		return rows, nil
	}
	for _, c := range raw[0] {
		var name string
		if err := json.Unmarshal(c, &name); err != nil {
			return nil, fmt.Errorf("d1test: a column name %s", c)
		}
		rows.cols = append(rows.cols, name)
	}
	for _, r := range raw[1:] {
		row := make([]driver.Value, len(r))
		for i, v := range r {
			var err error
			if row[i], err = fromJSON(v); err != nil {
				return nil, err
			}
		}
		rows.rows = append(rows.rows, row)
	}
	return rows, nil
}

// send posts a statement to the proxy and decodes its answer into out.
func (c remoteConn) send(ctx context.Context, query string, args []driver.NamedValue, exec bool, out any) error {
	vals := make([]any, len(args))
	for i, a := range args {
		switch v := a.Value.(type) {
		case []byte:
			vals[i] = map[string]string{"b": base64.StdEncoding.EncodeToString(v)}
		case nil, int64, float64, bool, string:
			vals[i] = v
		default:
			return fmt.Errorf("d1test: the Worker's driver cannot bind a %T", v)
		}
	}
	body, err := json.Marshal(map[string]any{"query": query, "args": vals, "exec": exec})
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.url+"/sql", bytes.NewReader(body))
	if err != nil {
		return err
	}
	res, err := c.client.Do(req)
	if err != nil {
		return err
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		return err
	}
	if res.StatusCode != http.StatusOK {
		return fmt.Errorf("D1: %s", b)
	}
	return json.Unmarshal(b, out)
}

// fromJSON converts a value of D1's answer as the Worker's driver does.
func fromJSON(v json.RawMessage) (driver.Value, error) {
	switch {
	case string(v) == "null":
		return nil, nil
	case len(v) > 0 && v[0] == '"':
		var s string
		err := json.Unmarshal(v, &s)
		return s, err
	case len(v) > 0 && v[0] == '{':
		var b struct{ B string }
		if err := json.Unmarshal(v, &b); err != nil {
			return nil, err
		}
		return base64.StdEncoding.DecodeString(b.B)
	}
	f, err := strconv.ParseFloat(string(v), 64)
	if err != nil {
		return nil, fmt.Errorf("d1test: a value %s", v)
	}
	if !math.IsInf(f, 0) && f == math.Trunc(f) {
		return int64(f), nil
	}
	return f, nil
}

type remoteResult struct{ id, changes int64 }

func (r remoteResult) LastInsertId() (int64, error) { return r.id, nil }
func (r remoteResult) RowsAffected() (int64, error) { return r.changes, nil }

type remoteRows struct {
	cols []string
	rows [][]driver.Value
	next int
}

func (r *remoteRows) Columns() []string { return r.cols }
func (r *remoteRows) Close() error      { return nil }

func (r *remoteRows) Next(dest []driver.Value) error {
	if r.next == len(r.rows) {
		return io.EOF
	}
	copy(dest, r.rows[r.next])
	r.next++
	return nil
}
