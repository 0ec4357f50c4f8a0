//go:build linux

package worker

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/pixmatch/pixmatch/server/api/sync"
	"github.com/pixmatch/pixmatch/server/auth"
	"github.com/pixmatch/pixmatch/shared/syncwire"
	"github.com/pixmatch/pixmatch/shared/testphoto"
)

// token asks the Worker's token service (POST /token/v2, signed with the
// API key) for an access token with perms on the gallery appID.
func (w *workerd) token(appID string, perms ...string) string {
	w.t.Helper()
	r := w.askToken(appID, perms...)
	r.want(w.t, "a token", 200, 0)
	var res struct {
		Token string `json:"token"`
	}
	if json.Unmarshal(r.Result, &res); res.Token == "" {
		w.t.Fatalf("the token service answered %s", r.Result)
	}
	return res.Token
}

// askToken sends the token service a request for perms on appID.
func (w *workerd) askToken(appID string, perms ...string) reply {
	w.t.Helper()
	acl, _ := json.Marshal([]map[string]any{{
		"service": "ecs:crs", "resource": []string{appID}, "effect": "Allow", "permission": perms,
	}})
	now := time.Now().UnixMilli()
	p := map[string]string{"apiKey": workerdKey, "expires": "3600", "acl": string(acl), "timestamp": strconv.FormatInt(now, 10)}
	body := map[string]any{"apiKey": workerdKey, "expires": 3600, "acl": string(acl), "timestamp": now,
		"signature": auth.Sign(p, workerdSecret)}
	return w.withToken(http.MethodPost, "/token/v2", body, "")
}

// tokens: a token from the token service searches and writes; one that
// may only read cannot write, a tampered one is refused (6), each write
// refused changing nothing; and the service gives no token for a gallery
// the key may not use (4001017).
func (w *workerd) tokens() {
	t := w.t
	name := testphoto.Names()[0]
	rw := w.token(workerdAppID, "READ", "WRITE")
	found := w.withToken(http.MethodPost, "/search", map[string]any{"image": photo(t, name, same), "appId": workerdAppID}, rw)
	found.want(t, "a search with a token", 200, 0)
	if !strings.Contains(string(found.Result), "renamed") {
		t.Errorf("a search with a token found %s", found.Result)
	}
	ro := w.token(workerdAppID, "READ")
	before := w.state()
	create := map[string]any{"image": photo(t, testphoto.Names()[2], same), "name": "by token", "appId": workerdAppID}
	w.withToken(http.MethodPost, "/targets", create, ro).want(t, "a write with a read-only token", 403, 6)
	tampered := []byte(rw)
	tampered[len(tampered)/2] ^= 1
	w.withToken(http.MethodPost, "/targets", create, string(tampered)).want(t, "a write with a tampered token", 401, 6)
	w.askToken("ffffffffffffffffffffffffffffffff", "READ").want(t, "a token for another gallery", 403, 4001017)
	if after := w.state(); after != before {
		t.Errorf("refused writes changed the gallery: %s, then %s", before, after)
	}
	w.withToken(http.MethodPost, "/targets", create, rw).want(t, "a write with a token", 200, 0)
}

// statusCodes: a subset of the CRS status-code table, each a refused
// write that changes nothing.
func (w *workerd) statusCodes(id string) {
	t := w.t
	names := testphoto.Names()
	image := photo(t, names[3], same)
	stale := strconv.FormatInt(time.Now().Add(-time.Hour).UnixMilli(), 10)
	for _, c := range []struct {
		what         string
		method, path string
		params       map[string]string
		tamper       func(map[string]string)
		http, code   int
	}{
		{"414 a size that is not a number", http.MethodPost, "/targets", map[string]string{"image": image, "name": "x", "size": "NaN"}, nil, 400, 414},
		{"414 an update's size", http.MethodPut, "/target/" + id, map[string]string{"size": "-1"}, nil, 400, 414},
		{"419 a copy of a target", http.MethodPost, "/targets", map[string]string{"image": photo(t, names[0], same), "name": "twin"}, nil, 409, 419},
		{"422 a meta over 2 MB", http.MethodPost, "/targets", map[string]string{"image": image, "name": "x", "meta": strings.Repeat("m", 2<<20+1)}, nil, 413, 422},
		{"427 an image that is not one", http.MethodPost, "/targets", map[string]string{"image": "bm90IGEgcGljdHVyZQ==", "name": "x"}, nil, 400, 427},
		{"404 no such target", http.MethodPut, "/target/00000000-0000-0000-0000-000000000000", map[string]string{"name": "x"}, nil, 404, 404},
		{"2 a tampered signature", http.MethodPost, "/targets", map[string]string{"image": image, "name": "x"},
			func(p map[string]string) { p["name"] = "y" }, 401, 2},
		{"3 a stale timestamp", http.MethodPost, "/targets", map[string]string{"image": image, "name": "x", "timestamp": stale}, nil, 400, 3},
		{"4 an unknown API key", http.MethodPost, "/targets", map[string]string{"image": image, "name": "x"},
			func(p map[string]string) { p["apiKey"] = "nobody" }, 401, 4},
		{"4 an unknown appId", http.MethodDelete, "/target/" + id, map[string]string{"appId": "nobody"}, nil, 401, 4},
	} {
		before := w.state()
		w.send(c.method, c.path, c.params, c.tamper).want(t, c.what, c.http, c.code)
		if after := w.state(); after != before {
			t.Errorf("%s changed the gallery: %s, then %s", c.what, before, after)
		}
	}
	w.crs(http.MethodPost, "/search", map[string]string{"image": photo(t, names[5], same)}).want(t, "17 a search of no target", 404, 17)
}

// state describes the gallery for "nothing changed" checks: its version
// (from the sync API) and every target's row as listed.
func (w *workerd) state() string {
	w.t.Helper()
	list := w.crs(http.MethodGet, "/targets/infos", map[string]string{"pageNum": "1", "pageSize": "100"})
	list.want(w.t, "list", 200, 0)
	status, _, version := w.syncBatch(w.token(workerdAppID, "READ"), 0, "")
	return fmt.Sprintf("HTTP %d at version %d, %s", status, version, list.Result)
}

// syncBatch asks GET /sync/{appId}?since= with token and the ETag etag
// (when not empty), and returns the HTTP status, the batch (on 200) and
// the ETag or version answered.
func (w *workerd) syncBatch(token string, since int64, etag string) (int, syncwire.Batch, int64) {
	w.t.Helper()
	req, _ := http.NewRequest(http.MethodGet, fmt.Sprintf("%s/sync/%s?since=%d", w.URL, workerdAppID, since), nil)
	req.Header.Set("Authorization", token)
	if etag != "" {
		req.Header.Set("If-None-Match", etag)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		w.t.Fatal(err)
	}
	defer res.Body.Close()
	data, _ := io.ReadAll(res.Body)
	if res.StatusCode != http.StatusOK {
		return res.StatusCode, syncwire.Batch{}, 0
	}
	if ct := res.Header.Get("Content-Type"); ct != sync.ContentType {
		w.t.Fatalf("sync: Content-Type %q", ct)
	}
	b, err := syncwire.Decode(data)
	if err != nil {
		w.t.Fatalf("sync: %v", err)
	}
	return res.StatusCode, b, b.To
}

// sync: a follower's snapshot holds every target; asked again at its
// version with its ETag, the Worker answers 304; after a change, the
// delta since that version carries the changed target only.
func (w *workerd) sync(id string) {
	t := w.t
	token := w.token(workerdAppID, "READ")
	status, snap, v := w.syncBatch(token, 0, "")
	if status != 200 || snap.Kind != syncwire.Snapshot || len(snap.Records) != 3 {
		t.Fatalf("the snapshot: HTTP %d, kind %v, %d records; want 200, a snapshot of 3", status, snap.Kind, len(snap.Records))
	}
	etag := `"v` + strconv.FormatInt(v, 10) + `"`
	if status, _, _ = w.syncBatch(token, v, etag); status != http.StatusNotModified {
		t.Errorf("an unchanged gallery asked at its version: HTTP %d, want 304", status)
	}
	w.crs(http.MethodPut, "/target/"+id, map[string]string{"name": "renamed", "meta": "synced"}).want(t, "update", 200, 0)
	status, delta, to := w.syncBatch(token, v, etag)
	if status != 200 || delta.Kind != syncwire.Delta || delta.From != v || to <= v || len(delta.Records) != 1 {
		t.Errorf("the delta after a change: HTTP %d, kind %v from %d to %d, %d records; want 200, a delta from %d of 1",
			status, delta.Kind, delta.From, to, len(delta.Records), v)
	}
}
