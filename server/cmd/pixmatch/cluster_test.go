package main

import (
	"bytes"
	"context"
	"fmt"
	"image/jpeg"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/pixmatch/pixmatch/server/auth"
	"github.com/pixmatch/pixmatch/server/loadgen"
	"github.com/pixmatch/pixmatch/shared/syncwire"
	"github.com/pixmatch/pixmatch/shared/testphoto"
)

// raceEnabled is set in builds with the race detector (race_test.go).
var raceEnabled bool

// TestReadYourWritesAcrossServers is a client behind a load balancer: it
// adds a target through one of two servers on one PostgreSQL and at once
// searches through the other, 100 times in a row, each server in turn
// the writer. Every search finds the target just added, the first time:
// a search reads the gallery's stored version and catches up before it
// reads the indexes, without waiting for a notification. Under the race
// detector, where an add takes ten times as long, 20 times (`make
// test-cluster` runs the 100 without it).
func TestReadYourWritesAcrossServers(t *testing.T) {
	rounds, servers := acrossServers(t)
	var slowest time.Duration
	for i := range rounds {
		photo := jpegPicture(t, 13, i, 240)
		from, to := servers[i%2], servers[(i+1)%2]
		id, err := createTarget(from.url, "app1", "key1", "secret1", fmt.Sprintf("ryw-%d", i), photo)
		if err != nil {
			t.Fatal(err)
		}
		start := time.Now()
		code, found := search(t, to.url, photo)
		slowest = max(slowest, time.Since(start))
		if code != 0 || found != id {
			t.Fatalf("round %d: a search through the other server right after the add answered statusCode %d, target %q; want %s", i, code, found, id)
		}
	}
	t.Logf("%d targets, each found by the other server at once; the slowest search took %v", rounds, slowest)
}

// TestCountsReadYourWritesAcrossServers is a client behind a load
// balancer that counts where TestReadYourWritesAcrossServers searches: it
// adds a target through one of two servers on one PostgreSQL and at once
// reads the gallery's size through the other, from its /metrics, and the
// changes since the version it held from its sync API (with that
// version's ETag), 100 times in a row (20 under the race detector), each
// server in turn the writer. Every answer holds the target just added:
// the metrics count it, and the sync API sends the add, never "not
// modified" — each reader catches up before it reads the indexes. (The
// batch may also carry earlier targets again: their feature records are
// made after their adds are acknowledged, each a change of its own.)
func TestCountsReadYourWritesAcrossServers(t *testing.T) {
	rounds, servers := acrossServers(t)
	var held int64 // the version the reader holds
	for i := range rounds {
		from, to := servers[i%2], servers[(i+1)%2]
		if _, err := createTarget(from.url, "app1", "key1", "secret1", fmt.Sprintf("count-%d", i), jpegPicture(t, 14, i, 240)); err != nil {
			t.Fatal(err)
		}
		if n := indexed(t, to.url); n != float64(i+1) {
			t.Fatalf("round %d: right after the add the other server's /metrics counts %v targets; want %d", i, n, i+1)
		}
		code, batch := syncSince(t, to.url, held)
		added := 0
		for _, r := range batch.Records {
			if int64(r.Seq) > held { // created since: a record update keeps its target's Seq
				added++
			}
		}
		if code != http.StatusOK || batch.From != held || batch.To <= held || added != 1 {
			t.Fatalf("round %d: the other server's sync API since version %d answered %d, a batch from %d to %d of %d records, %d of them added since; want 200, the one add",
				i, held, code, batch.From, batch.To, len(batch.Records), added)
		}
		held = batch.To
	}
}

// TestCountsWhilePostgresIsDown: while PostgreSQL is down (killed), what
// counts a gallery through a server on it answers at once and says so —
// the CRS count and the sync API a catalogue error (CRS statusCode 20, RPC
// error: the request's key cannot be looked up, nor the gallery's
// version read), /readyz 503, /metrics its other numbers without the
// gallery's size, which it cannot vouch for — and once PostgreSQL is back
// the server counts again without a restart.
func TestCountsWhilePostgresIsDown(t *testing.T) {
	ctx := context.Background()
	c, dsn := ownPostgres(t, "down")
	s := startServing(t, []string{"--data", t.TempDir(), "--db", dsn})
	if _, err := createTarget(s.url, "app1", "key1", "secret1", "coffee", testphoto.File("coffee")); err != nil {
		t.Fatal(err)
	}

	c.Kill()
	start := time.Now()
	if code, _ := get(t, s.url, "/targets/count", "app1", "key1", "secret1"); code != 20 {
		t.Errorf("count with PostgreSQL down: statusCode %d, want 20", code)
	}
	if code, _ := syncSince(t, s.url, 0); code != http.StatusInternalServerError {
		t.Errorf("sync with PostgreSQL down: HTTP %d, want 500 (RPC error)", code)
	}
	if code := httpStatus(t, s.url+"/readyz"); code != http.StatusServiceUnavailable {
		t.Errorf("/readyz with PostgreSQL down: HTTP %d, want 503", code)
	}
	res, err := http.Get(s.url + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != http.StatusOK || strings.Contains(string(body), "pixmatch_gallery_targets{") || !strings.Contains(string(body), "pixmatch_http_requests_total") {
		t.Errorf("/metrics with PostgreSQL down: HTTP %d, with the gallery's size %v; want 200, the other metrics without it",
			res.StatusCode, strings.Contains(string(body), "pixmatch_gallery_targets{"))
	}
	if took := time.Since(start); took > 10*time.Second {
		t.Errorf("the four answers with PostgreSQL down took %v", took)
	}

	if err := c.Restart(ctx); err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		code, result := get(t, s.url, "/targets/count", "app1", "key1", "secret1")
		if code == 0 && result["count"] == float64(1) && indexed(t, s.url) == 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("30 s after PostgreSQL restarted the count answers statusCode %d, %v", code, result)
		}
	}
}

// TestRequestsWhilePostgresIsFrozen: PostgreSQL stops answering without
// closing its connections (its processes stopped, as a hung machine or a
// lost network leaves them). A count and a search through a server on it
// answer a catalogue error when the request's deadline (--request-timeout)
// passes, not when the client gives up; once PostgreSQL runs on, the
// server answers again without a restart.
func TestRequestsWhilePostgresIsFrozen(t *testing.T) {
	c, dsn := ownPostgres(t, "frozen")
	s := startServing(t, []string{"--data", t.TempDir(), "--db", dsn, "--request-timeout", "2s"})
	if _, err := createTarget(s.url, "app1", "key1", "secret1", "coffee", testphoto.File("coffee")); err != nil {
		t.Fatal(err)
	}
	c.Freeze()
	thawed := false
	defer func() {
		if !thawed {
			c.Thaw()
		}
	}()
	start := time.Now()
	if code, _ := get(t, s.url, "/targets/count", "app1", "key1", "secret1"); code == 0 {
		t.Errorf("count with PostgreSQL frozen: statusCode 0, want a catalogue error")
	}
	if took := time.Since(start); took > 8*time.Second {
		t.Errorf("the count with PostgreSQL frozen answered after %v (deadline 2 s)", took)
	}
	c.Thaw()
	thawed = true
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		code, result := get(t, s.url, "/targets/count", "app1", "key1", "secret1")
		if code == 0 && result["count"] == float64(1) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("30 s after PostgreSQL ran on the count answers statusCode %d, %v", code, result)
		}
	}
}

// syncSince asks a server's sync API for the gallery app1's changes since
// a version, sending that version's ETag: the HTTP status and, for 200,
// the batch.
func syncSince(t *testing.T, base string, since int64) (int, syncwire.Batch) {
	t.Helper()
	p := map[string]string{"appId": "app1", "apiKey": "key1", "since": strconv.FormatInt(since, 10),
		"timestamp": strconv.FormatInt(time.Now().UnixMilli(), 10)}
	p["signature"] = auth.Sign(p, "secret1")
	q := url.Values{}
	for k, v := range p {
		if k != "appId" {
			q.Set(k, v)
		}
	}
	req, _ := http.NewRequest(http.MethodGet, base+"/sync/app1?"+q.Encode(), nil)
	req.Header.Set("If-None-Match", fmt.Sprintf(`"v%d"`, since))
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	data, _ := io.ReadAll(res.Body)
	if res.StatusCode != http.StatusOK {
		return res.StatusCode, syncwire.Batch{}
	}
	b, err := syncwire.Decode(data)
	if err != nil {
		t.Fatal(err)
	}
	return res.StatusCode, b
}

// httpStatus returns the HTTP status of a GET of u.
func httpStatus(t *testing.T, u string) int {
	t.Helper()
	res, err := http.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	return res.StatusCode
}

// jpegPicture returns loadgen's picture i of seed as a JPEG file.
func jpegPicture(t *testing.T, seed uint64, i, side int) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := jpeg.Encode(&b, loadgen.Picture(seed, i, side), &jpeg.Options{Quality: 85}); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// acrossServers starts two servers on one PostgreSQL (twoServers) and
// returns how many rounds a read-your-writes test makes: 100, 20 under the
// race detector, where an add takes ten times as long.
func acrossServers(t *testing.T) (int, []*server) {
	one, two := twoServers(t)
	if raceEnabled {
		return 20, []*server{one, two}
	}
	return 100, []*server{one, two}
}
