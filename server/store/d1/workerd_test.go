//go:build linux

package d1

import (
	"bytes"
	"context"
	"database/sql"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/url"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/pixmatch/pixmatch/server/store"
	"github.com/pixmatch/pixmatch/server/store/d1/d1test"
	"github.com/pixmatch/pixmatch/server/store/storetest"
	"github.com/pixmatch/pixmatch/server/worker/workerdtest"
)

// TestConformanceUnderWorkerd runs the conformance suite against a real
// D1 and R2: the store runs here, and each of its statements and blobs
// is run by workerd's local D1 and R2, under wrangler dev, through the
// small Worker of testdata/workerd (d1test.Remote), which calls D1 as
// the Worker's driver does. So the store's SQL is held to D1's own
// SQLite, its limits and its types, not to modernc's in D1 mode alone
// (TestConformance); and the feature tier's shortlist of lists as
// TestShortlistedListsAnswerAsTheWhole holds it. Each subtest starts from an
// empty database and bucket.
func TestConformanceUnderWorkerd(t *testing.T) {
	if testing.Short() {
		t.Skip("starts wrangler dev")
	}
	w, _ := workerdtest.StartIn(t, filepath.Join("testdata", "workerd"), t.TempDir())
	db := d1test.Remote(t, w.URL)
	blobs := remoteBlobs{w.URL}
	open := func(t *testing.T) *Store {
		ctx := context.Background()
		if err := blobs.call(ctx, http.MethodPost, "/reset", nil); err != nil {
			t.Fatalf("reset the D1 and R2: %v", err)
		}
		s, err := Open(ctx, db, blobs)
		if err != nil {
			t.Fatalf("Open: %v", err)
		}
		return s
	}
	storetest.Run(t, func(t *testing.T) store.Store { return open(t) })
	// The feature tier's pick (picks.go): window functions, MATERIALIZED
	// and group_concat as D1's SQLite runs them.
	t.Run("ShortlistedLists", func(t *testing.T) { shortlistedAnswerAsTheWhole(t, open(t)) })
	t.Run("Values", func(t *testing.T) { valuesAsOnTheHost(t, db) })
}

// valuesAsOnTheHost binds values of every kind the store binds, and some
// it never does, and reads them back through D1 and its answer's text
// (d1wire's sql.mjs, as the Worker's driver) and through modernc SQLite
// in D1 mode: both must read the same, but for the one conversion D1's
// drivers make (an integral REAL reads as an int64: JavaScript has one
// kind of number).
func valuesAsOnTheHost(t *testing.T, remote *sql.DB) {
	every := make([]byte, 256)
	for i := range every {
		every[i] = byte(i)
	}
	values := []any{
		nil, int64(0), int64(-1), int64(1) << 53, -(int64(1) << 53), int64(123456789012345),
		0.5, -1.25e-300, 3.25e18, 1e300, true, false,
		"", "plain", "quote\" back\\slash/", "\x00nul\ttab\nline\u2028", "é€😀 <>&",
		strings.Repeat("long text, ", 20_000), every, []byte{1},
	}
	query := "SELECT "
	for i := range values {
		if i > 0 {
			query += ", "
		}
		query += fmt.Sprintf("?%d AS c%d", i+1, i)
	}
	read := func(db *sql.DB) []any {
		t.Helper()
		out := make([]any, len(values))
		ptrs := make([]any, len(values))
		for i := range out {
			ptrs[i] = &out[i]
		}
		if err := db.QueryRowContext(context.Background(), query, values...).Scan(ptrs...); err != nil {
			t.Fatal(err)
		}
		return out
	}
	got, want := read(remote), read(d1test.Open(t))
	for i, v := range want {
		if f, ok := v.(float64); ok && f == math.Trunc(f) && math.Abs(f) < 1<<63 {
			want[i] = int64(f)
		}
	}
	for i := range values {
		if !reflect.DeepEqual(got[i], want[i]) {
			t.Errorf("value %d (%.40v): D1 reads %.60v (%[3]T), the host %.60v (%[4]T)", i, values[i], got[i], want[i])
		}
	}
}

// remoteBlobs is the R2 bucket of testdata/workerd's Worker at a URL.
type remoteBlobs struct{ url string }

func (r remoteBlobs) Put(ctx context.Context, key string, value []byte) error {
	return r.call(ctx, http.MethodPut, "/blob?key="+url.QueryEscape(key), value)
}

func (r remoteBlobs) Get(ctx context.Context, key string) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, r.url+"/blob?key="+url.QueryEscape(key), nil)
	if err != nil {
		return nil, err
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	switch {
	case err != nil:
		return nil, err
	case res.StatusCode == http.StatusNotFound:
		return nil, fmt.Errorf("blob %s: %w", key, ErrNoBlob)
	case res.StatusCode != http.StatusOK:
		return nil, fmt.Errorf("R2: %s", b)
	}
	return b, nil
}

func (r remoteBlobs) Delete(ctx context.Context, keys ...string) error {
	for _, k := range keys {
		if err := r.call(ctx, http.MethodDelete, "/blob?key="+url.QueryEscape(k), nil); err != nil {
			return err
		}
	}
	return nil
}

// call sends a request to the Worker and fails unless it succeeds.
func (r remoteBlobs) call(ctx context.Context, method, path string, body []byte) error {
	req, err := http.NewRequestWithContext(ctx, method, r.url+path, bytes.NewReader(body))
	if err != nil {
		return err
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	if res.StatusCode/100 != 2 {
		return fmt.Errorf("%s %s: HTTP %d: %s", method, path, res.StatusCode, b)
	}
	return nil
}
