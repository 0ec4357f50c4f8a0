package d1test

import (
	"bytes"
	"context"
	"database/sql"
	"database/sql/driver"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/pixmatch/pixmatch/server/store/d1/d1wire"
)

// Remote returns a database whose every statement runs on a real D1: the
// local D1 of the Worker of server/store/d1/testdata/workerd (proxy.mjs)
// that `wrangler dev` serves at url. Statements cross as JSON and run as
// the Worker's driver (server/worker OpenD1) runs them, through the same
// code (d1wire's sql.mjs), whose answer is parsed as that driver parses
// it (d1wire): a number to an int64 when it is integral, else a float64;
// text to a string; a BLOB to []byte; NULL to nil. Like that driver, it
// has no transactions. The database is closed when the test ends.
func Remote(t testing.TB, url string) *sql.DB {
	t.Helper()
	r := remote{url: url, client: &http.Client{Timeout: time.Minute}}
	db := d1wire.Open(r.send)
	t.Cleanup(func() { db.Close() })
	return db
}

type remote struct {
	url    string
	client *http.Client
}

// send posts a statement to the proxy and returns its answer's text.
func (c remote) send(ctx context.Context, query string, args []driver.NamedValue, exec bool) ([]byte, error) {
	vals := make([]any, len(args))
	for i, a := range args {
		switch v := a.Value.(type) {
		case []byte:
			vals[i] = map[string]string{"b": base64.StdEncoding.EncodeToString(v)}
		case nil, int64, float64, bool, string:
			vals[i] = v
		default:
			return nil, fmt.Errorf("d1test: the Worker's driver cannot bind a %T", v)
		}
	}
	body, err := json.Marshal(map[string]any{"query": query, "args": vals, "exec": exec})
	if err != nil {
		return nil, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.url+"/sql", bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	res, err := c.client.Do(req)
	if err != nil {
		return nil, err
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		return nil, err
	}
	if res.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("D1: %s", b)
	}
	return b, nil
}
