package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pixmatch/pixmatch/server/auth"
	"github.com/pixmatch/pixmatch/server/store"
	"github.com/pixmatch/pixmatch/server/store/postgres"
	"github.com/pixmatch/pixmatch/server/store/postgres/pgtest"
	"github.com/pixmatch/pixmatch/shared/testphoto"
)

// otherPhoto is a test photo unlike coffee.
const otherPhoto = "rocket"

// TestServeOnPostgres makes a gallery and a key with the admin commands
// on a PostgreSQL database (--db), serves that database, and runs the CRS
// flow through the real HTTP API: two creates, a search that finds the
// first, its delete, a search that no longer does. The targets and the change log are
// in PostgreSQL, and the data folder holds no embedded database.
func TestServeOnPostgres(t *testing.T) {
	dsn := pgtest.NewDatabase(t)
	dir := t.TempDir()
	a := admin{t, dir}
	a.ok("galleries", "create", "shop", "--app-id", "app1", "--db", dsn)
	a.ok("keys", "create", "--id", "key1", "--secret", "secret1", "--db", dsn)
	if got := a.ok("galleries", "list", "--db", dsn); !strings.Contains(got, "app1") {
		t.Fatalf("galleries list --db:\n%s", got)
	}
	s := startServing(t, []string{"--data", dir, "--db", dsn})

	photo := testphoto.File("coffee")
	id, err := createTarget(s.url, "app1", "key1", "secret1", "coffee", photo)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := createTarget(s.url, "app1", "key1", "secret1", "kept", testphoto.File(otherPhoto)); err != nil {
		t.Fatal(err)
	}
	if code, found := search(t, s.url, photo); code != 0 || found != id {
		t.Fatalf("search after create: statusCode %d, target %q; want %s", code, found, id)
	}
	if code := deleteTarget(t, s.url, id); code != 0 {
		t.Fatalf("delete: statusCode %d", code)
	}
	if code, found := search(t, s.url, photo); code != 17 {
		t.Fatalf("search after delete: statusCode %d, target %q; want 17 (no match)", code, found)
	}

	st, err := postgres.Open(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	g, err := st.GalleryByAppID(context.Background(), "app1")
	if err != nil {
		t.Fatal(err)
	}
	// Two creates and the delete of the first, and between them maybe
	// the targets' feature records, made after the adds: puts of
	// targets already created.
	cs, err := st.Changes(context.Background(), g.ID, 0, 0)
	created, deleted := map[string]bool{}, 0
	for _, c := range cs {
		switch {
		case c.Op == store.OpPut && c.Seq == c.Version:
			created[c.TargetID] = true
		case c.Op == store.OpPut && created[c.TargetID]:
		case c.Op == store.OpDelete && c.TargetID == id && created[id]:
			deleted++
		default:
			deleted = -1 // anything else
		}
	}
	if err != nil || len(created) != 2 || !created[id] || deleted != 1 {
		t.Errorf("PostgreSQL's change log: %+v, %v; want two creates and the delete of %s", cs, err, id)
	}
	if _, err := os.Stat(filepath.Join(dir, databaseFile)); !os.IsNotExist(err) {
		t.Errorf("serve --db made an embedded database in the data folder: %v", err)
	}
}

// TestDBFlagRefusesOtherURLs checks that --db takes only a PostgreSQL URL,
// and that the refusal creates nothing.
func TestDBFlagRefusesOtherURLs(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	for _, args := range [][]string{
		{"serve", "--addr", "127.0.0.1:0", "--data", dir, "--db", "mysql://u@h/db"},
		{"galleries", "list", "--data", dir, "--db", filepath.Join(dir, "x.db")},
	} {
		var out bytes.Buffer
		err := run(context.Background(), args, &out, func(string) string { return "" })
		if err == nil || !strings.Contains(err.Error(), "--db wants a postgres://") {
			t.Errorf("%v: %v, want the --db refusal", args, err)
		}
	}
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Errorf("a refused --db created the data folder: %v", err)
	}
}

// search signs and sends POST /search; it returns the statusCode and the
// best target's ID.
func search(t *testing.T, base string, image []byte) (int, string) {
	t.Helper()
	params := map[string]string{
		"image": base64.StdEncoding.EncodeToString(image), "appId": "app1", "apiKey": "key1",
		"timestamp": fmt.Sprint(time.Now().UnixMilli()),
	}
	params["signature"] = auth.Sign(params, "secret1")
	body, _ := json.Marshal(params)
	res, err := http.Post(base+"/search", "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var r struct {
		StatusCode int
		Result     struct{ Target struct{ TargetID string } }
	}
	if err := json.NewDecoder(res.Body).Decode(&r); err != nil {
		t.Fatal(err)
	}
	return r.StatusCode, r.Result.Target.TargetID
}

// deleteTarget signs and sends DELETE /target/ID; it returns the statusCode.
func deleteTarget(t *testing.T, base, id string) int {
	t.Helper()
	q := map[string]string{"timestamp": fmt.Sprint(time.Now().UnixMilli()), "appId": "app1", "apiKey": "key1"}
	q["signature"] = auth.Sign(q, "secret1")
	body, _ := json.Marshal(q)
	return statusCode(t, http.MethodDelete, base+"/target/"+id, body)
}

// statusCode sends a JSON body and returns the CRS statusCode answered.
func statusCode(t *testing.T, method, url string, body []byte) int {
	t.Helper()
	req, _ := http.NewRequest(method, url, bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var r struct{ StatusCode int }
	if err := json.NewDecoder(res.Body).Decode(&r); err != nil {
		t.Fatal(err)
	}
	return r.StatusCode
}

// TestTwoServersFollow runs two servers on one PostgreSQL database: what
// is added through one is found through the other, and what is deleted
// through one is no longer found through the other, each within a second
// (the other follows the change log, woken by PostgreSQL's NOTIFY).
func TestTwoServersFollow(t *testing.T) {
	one, two := twoServers(t)

	var slowest time.Duration
	for i, name := range []string{"coffee", "rocket", "chelsea"} {
		from, to := one, two
		if i == 1 {
			from, to = two, one
		}
		photo := testphoto.File(name)
		id, err := createTarget(from.url, "app1", "key1", "secret1", name, photo)
		if err != nil {
			t.Fatal(err)
		}
		slowest = max(slowest, waitFor(t, to, photo, id))
		if i == 2 {
			if code := deleteTarget(t, from.url, id); code != 0 {
				t.Fatalf("delete: statusCode %d", code)
			}
			slowest = max(slowest, waitFor(t, to, photo, ""))
		}
	}
	t.Logf("the other server answered each change within %v", slowest)
}

// waitFor searches s for photo until the best target is want ("" for no
// match), and returns how long that took; more than a second fails.
func waitFor(t *testing.T, s *server, photo []byte, want string) time.Duration {
	t.Helper()
	start := time.Now()
	for {
		code, found := search(t, s.url, photo)
		if found == want && (want != "" || code == 17) {
			return time.Since(start)
		}
		if took := time.Since(start); took > time.Second {
			t.Fatalf("after %v the other server answers statusCode %d, target %q; want %q", took, code, found, want)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestServersShareLimitsAndReplays: two servers on one PostgreSQL keep a
// gallery's daily search limit together — of 12 searches sent to each in
// turn, exactly the 5 the limit allows are answered — and a signed create
// one server accepted is refused as a replay by the other, creating
// nothing.
func TestServersShareLimitsAndReplays(t *testing.T) {
	one, two := twoServers(t, "--daily-searches", "5")

	create := signedCreate("app1", "key1", "secret1", "coffee", testphoto.File("coffee"))
	send := func(s *server) int { return statusCode(t, http.MethodPost, s.url+"/targets/", create) }
	if code := send(one); code != 0 {
		t.Fatalf("the signed create: statusCode %d", code)
	}
	if code := send(two); code != 3 {
		t.Errorf("the same signed create through the other server: statusCode %d, want 3 (a replay)", code)
	}
	// The other server follows the create (counting, unlike searching,
	// spends none of the daily limit), and the replay added nothing.
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		code, result := get(t, two.url, "/targets/count", "app1", "key1", "secret1")
		if code == 0 && result["count"] == float64(1) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("after a replay the other server counts statusCode %d, %v; want 1 target", code, result)
		}
	}

	answered, refused := 0, 0
	for i := range 12 {
		switch code, _ := search(t, []*server{one, two}[i%2].url, testphoto.File("coffee")); code {
		case 0, 17:
			answered++
		case 21:
			refused++
		default:
			t.Fatalf("search %d: statusCode %d", i, code)
		}
	}
	if answered != 5 || refused != 7 {
		t.Errorf("%d searches answered and %d refused by the daily limit of 5 kept by two servers; want 5 and 7", answered, refused)
	}
}

// TestFollowDelayUnderLoad: while two clients add targets through one
// server without pause, the other server's indexes hold 99 % of the
// changes within a second of their commit by following alone. Nothing
// reads through the other server meanwhile (a read catches up by itself,
// read-your-writes); afterwards its pixmatch_follow_delay_seconds, the
// delay of every change following applied, says how long each took. The
// median and the 99th percentile (a bucket's upper bound) are logged;
// a 99th percentile past 1 s fails.
func TestFollowDelayUnderLoad(t *testing.T) {
	one, two := twoServers(t)
	// The load lasts 4 s and at least 12 adds (under the race detector an
	// add takes a second and more), at most 30 s.
	start := time.Now()
	var writers sync.WaitGroup
	var added atomic.Int64
	loading := func() bool {
		took := time.Since(start)
		return took < 30*time.Second && (took < 4*time.Second || added.Load() < 12)
	}
	for w := range 2 {
		writers.Go(func() {
			for i := 0; loading(); i++ {
				if _, err := createTarget(one.url, "app1", "key1", "secret1", fmt.Sprintf("load-%d-%d", w, i), jpegPicture(t, uint64(w+1), i, 400)); err == nil {
					added.Add(1)
				}
			}
		})
	}
	writers.Wait()
	time.Sleep(followEvery + 500*time.Millisecond) // the last changes, by a tick at worst
	d := parseDelays(metricsText(t, two.url))
	t.Logf("follow delay under %d adds by two writers: %v", added.Load(), d)
	if added.Load() == 0 {
		t.Fatal("the writers added nothing: no load")
	}
	if d.count < float64(added.Load()) {
		t.Errorf("the other server followed %v changes of %d adds", d.count, added.Load())
	}
	if p99 := d.quantile(0.99); p99 > 1 {
		t.Errorf("the other server held 99 %% of the changes within %v s of their commit, want within 1 s", p99)
	}
}

// TestBenchReportsFollowDelays: `pixmatch bench --follow` reports how
// the other server followed the adds the run made through the first: as
// many changes as adds, each within a second.
func TestBenchReportsFollowDelays(t *testing.T) {
	one, two := twoServers(t)
	var out bytes.Buffer
	err := bench(context.Background(), []string{"--url", one.url, "--app-id", "app1", "--api-key", "key1", "--api-secret", "secret1",
		"--targets", "0", "--mix", "add=1", "--clients", "1", "--requests", "3", "--side", "240", "--follow", two.url}, &out, func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	// The three adds, and maybe their feature records, made after the
	// adds were acknowledged: changes of their own.
	want := regexp.MustCompile(`follow delay of ` + regexp.QuoteMeta(two.url) + `: ([0-9]+) changes followed, median within `)
	m := want.FindStringSubmatch(out.String())
	if n, _ := strconv.Atoi(append(m, "", "")[1]); m == nil || n < 3 || n > 6 || strings.Contains(out.String(), "within +Inf") {
		t.Errorf("bench --follow printed\n%s\nwant a line %q…, of 3 to 6 changes, no delay past the last bucket", out.String(), want)
	}
}

// metricsText returns a server's /metrics.
func metricsText(t *testing.T, base string) string {
	t.Helper()
	res, err := http.Get(base + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return string(b)
}

// indexed reads from a server's /metrics how many targets its index of
// the gallery "shop" holds.
func indexed(t *testing.T, base string) float64 {
	t.Helper()
	for _, line := range strings.Split(metricsText(t, base), "\n") {
		if v, ok := strings.CutPrefix(line, `pixmatch_gallery_targets{gallery="shop"} `); ok {
			n, err := strconv.ParseFloat(v, 64)
			if err != nil {
				t.Fatal(err)
			}
			return n
		}
	}
	t.Fatalf("%s/metrics has no size of the gallery shop", base)
	return 0
}

// twoServers starts two servers on a new PostgreSQL database holding the
// gallery "shop" (appId app1, made with the extra galleries create flags)
// and the key key1 (secret1).
func twoServers(t *testing.T, galleryFlags ...string) (one, two *server) {
	t.Helper()
	dsn := pgtest.NewDatabase(t)
	a := admin{t, t.TempDir()}
	a.ok(append(append([]string{"galleries", "create", "shop", "--app-id", "app1"}, galleryFlags...), "--db", dsn)...)
	a.ok("keys", "create", "--id", "key1", "--secret", "secret1", "--db", dsn)
	return startServing(t, []string{"--data", t.TempDir(), "--db", dsn}), startServing(t, []string{"--data", t.TempDir(), "--db", dsn})
}
