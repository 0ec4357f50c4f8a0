package sync_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"image/jpeg"
	"io"
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/pixmatch/pixmatch/server/auth"
	"github.com/pixmatch/pixmatch/server/gallery"
	"github.com/pixmatch/pixmatch/server/internal/testserver"
	"github.com/pixmatch/pixmatch/shared/fingerprint"
	"github.com/pixmatch/pixmatch/shared/match"
	"github.com/pixmatch/pixmatch/shared/syncwire"
	"github.com/pixmatch/pixmatch/shared/testphoto"
)

// token gets an access token with the given permissions.
func token(t *testing.T, s *testserver.Server, perms string) string {
	t.Helper()
	acl := fmt.Sprintf(`[{"service":"ecs:crs","resource":["%s"],"effect":"Allow","permission":[%s]}]`, testserver.AppID, perms)
	p := map[string]string{"apiKey": testserver.Key, "expires": "3600", "acl": acl, "timestamp": strconv.FormatInt(time.Now().UnixMilli(), 10)}
	p["signature"] = auth.Sign(p, testserver.Secret)
	body, _ := json.Marshal(p)
	res, err := http.Post(s.URL()+"/token/v2", "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var r struct {
		StatusCode int
		Result     struct{ Token string }
	}
	if err := json.NewDecoder(res.Body).Decode(&r); err != nil || r.StatusCode != 0 {
		t.Fatalf("token: %d %v", r.StatusCode, err)
	}
	return r.Result.Token
}

// follower syncs like the browser does.
type follower struct {
	t     *testing.T
	s     *testserver.Server
	token string
	state *syncwire.State
	etag  string
	gaps  int // deltas that did not follow the copy
}

// sync fetches what changed and applies it, fetching a snapshot instead
// of a delta that does not follow the copy, as the browser does; it
// returns the HTTP status and the kind of the batch applied (0 for a
// 304).
func (f *follower) sync() (int, syncwire.Kind) {
	f.t.Helper()
	code, b := f.fetch(f.state.Version())
	if code != http.StatusOK {
		return code, 0
	}
	err := f.state.Apply(b)
	if errors.Is(err, syncwire.ErrGap) {
		f.gaps++
		if code, b = f.fetch(0); code != http.StatusOK {
			f.t.Fatalf("snapshot after a gap: HTTP %d", code)
		}
		err = f.state.Apply(b)
	}
	if err != nil {
		f.t.Fatal(err)
	}
	return code, b.Kind
}

// fetch asks for the changes since a version: the HTTP status and, for
// 200, the batch.
func (f *follower) fetch(since int64) (int, syncwire.Batch) {
	f.t.Helper()
	url := fmt.Sprintf("%s/sync/%s?since=%d", f.s.URL(), testserver.AppID, since)
	req, _ := http.NewRequest(http.MethodGet, url, nil)
	req.Header.Set("Authorization", f.token)
	if f.etag != "" {
		req.Header.Set("If-None-Match", f.etag)
	}
	res, err := http.DefaultClient.Do(req) // asks for gzip and inflates it, as browsers do
	if err != nil {
		f.t.Fatal(err)
	}
	defer res.Body.Close()
	data, _ := io.ReadAll(res.Body)
	if res.StatusCode != http.StatusOK {
		return res.StatusCode, syncwire.Batch{}
	}
	b, err := syncwire.Decode(data)
	if err != nil {
		f.t.Fatal(err)
	}
	f.etag = res.Header.Get("ETag")
	if got := res.Header.Get("X-Pixmatch-Version"); got != strconv.FormatInt(b.To, 10) {
		f.t.Errorf("X-Pixmatch-Version %s for a batch to %d", got, b.To)
	}
	return res.StatusCode, b
}

// finds reports whether the follower's copy recognises a photo, and as
// which target name.
func (f *follower) finds(photo string) string {
	f.t.Helper()
	q, err := fingerprint.Query(testphoto.Image(photo))
	if err != nil {
		f.t.Fatal(err)
	}
	profile := match.Profile{Windows: match.Full.Windows, Checks: f.state.Checks()}
	hits, err := match.Search(context.Background(), f.state.Index(), q, match.Options{Limit: 1, Profile: profile})
	if err != nil {
		f.t.Fatal(err)
	}
	if len(hits) == 0 {
		return ""
	}
	seq, _ := strconv.ParseUint(hits[0].ID, 10, 64)
	return f.state.Name(seq)
}

func add(t *testing.T, s *testserver.Server, name, photo string) gallery.Target {
	t.Helper()
	pic, err := s.Service.Pictures.Read(context.Background(), testphoto.File(photo), gallery.Policy{})
	if err != nil {
		t.Fatal(err)
	}
	tg, err := s.Service.Targets.Add(context.Background(), s.Gallery.ID, gallery.Target{Name: name, Active: true}, pic, gallery.AddOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return tg
}

// TestFollow follows a gallery through additions, a deactivation and a
// deletion, with snapshots, deltas and unchanged syncs.
func TestFollow(t *testing.T) {
	s := testserver.New(t)
	coffee := add(t, s, "coffee", "coffee")
	add(t, s, "rocket", "rocket")
	f := &follower{t: t, s: s, token: token(t, s, `"READ"`), state: syncwire.NewState(int(fingerprint.Windows))}

	if code, kind := f.sync(); code != 200 || kind != syncwire.Snapshot || f.state.Len() != 2 {
		t.Fatalf("first sync: %d kind %d, %d targets", code, kind, f.state.Len())
	}
	if got := f.finds("coffee"); got != "coffee" {
		t.Fatalf("the copy finds %q for the coffee", got)
	}
	if code, _ := f.sync(); code != http.StatusNotModified {
		t.Fatalf("sync without changes: HTTP %d", code)
	}

	chelsea := add(t, s, "chelsea", "chelsea")
	off := false
	if _, err := s.Service.Targets.Update(context.Background(), s.Gallery.ID, coffee.ID, gallery.Patch{Active: &off}); err != nil {
		t.Fatal(err)
	}
	if code, kind := f.sync(); code != 200 || kind != syncwire.Delta {
		t.Fatalf("sync after changes: %d kind %d", code, kind)
	}
	if f.finds("chelsea") != "chelsea" || f.finds("coffee") != "" {
		t.Fatalf("after the delta: chelsea %q, deactivated coffee %q", f.finds("chelsea"), f.finds("coffee"))
	}

	if _, err := s.Service.Targets.Delete(context.Background(), s.Gallery.ID, chelsea.ID); err != nil {
		t.Fatal(err)
	}
	f.sync()
	if f.finds("chelsea") != "" || f.state.Len() != 2 {
		t.Fatalf("after a delete the copy still finds chelsea (%d held)", f.state.Len())
	}
	// A follower that starts over gets the same state as one that followed.
	fresh := &follower{t: t, s: s, token: f.token, state: syncwire.NewState(int(fingerprint.Windows))}
	fresh.sync()
	if fresh.state.Version() != f.state.Version() || fresh.state.Len() != f.state.Len() {
		t.Fatalf("fresh copy: version %d, %d held; followed copy: version %d, %d held",
			fresh.state.Version(), fresh.state.Len(), f.state.Version(), f.state.Len())
	}
}

// TestFarBehindGetsSnapshot: a follower further behind than half the
// gallery receives a snapshot instead of the long log.
func TestFarBehindGetsSnapshot(t *testing.T) {
	s := testserver.New(t)
	f := &follower{t: t, s: s, token: token(t, s, `"READ"`), state: syncwire.NewState(int(fingerprint.Windows))}
	add(t, s, "coffee", "coffee")
	f.sync()
	for i, name := range []string{"astronaut", "camera", "chelsea", "china", "coins", "flower", "rocket"} {
		tg := add(t, s, name, name)
		for j := 0; j < 10; j++ { // long histories
			n := fmt.Sprintf("%s-%d-%d", name, i, j)
			s.Service.Targets.Update(context.Background(), s.Gallery.ID, tg.ID, gallery.Patch{Name: &n})
		}
	}
	if code, kind := f.sync(); code != 200 || kind != syncwire.Snapshot || f.state.Len() != 8 {
		t.Fatalf("far behind: %d kind %d, %d held", code, kind, f.state.Len())
	}
}

func TestSyncAuth(t *testing.T) {
	s := testserver.New(t)
	get := func(path, tok string) int {
		req, _ := http.NewRequest(http.MethodGet, s.URL()+path, nil)
		if tok != "" {
			req.Header.Set("Authorization", tok)
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		return res.StatusCode
	}
	read := token(t, s, `"READ"`)
	tests := []struct {
		path, token string
		want        int
	}{
		{"/sync/" + testserver.AppID, "", 400},
		{"/sync/" + testserver.AppID, "garbage", 401},
		{"/sync/" + testserver.AppID, read, 200},
		{"/sync/ffffffffffffffffffffffffffffffff", read, 403},
		{"/sync/" + testserver.AppID + "/targets/1", read, 404},
	}
	for _, tt := range tests {
		if got := get(tt.path, tt.token); got != tt.want {
			t.Errorf("GET %s with token %.8q: HTTP %d, want %d", tt.path, tt.token, got, tt.want)
		}
	}
}

// TestTargetDetailsAndThumbnail reads a target by sequence number and by
// targetId, and its thumbnail.
func TestTargetDetailsAndThumbnail(t *testing.T) {
	s := testserver.New(t)
	pic, _ := s.Service.Pictures.Read(context.Background(), testphoto.File("chelsea"), gallery.Policy{})
	tg, err := s.Service.Targets.Add(context.Background(), s.Gallery.ID, gallery.Target{Name: "cat", Meta: "bWV0YQ==", Active: true}, pic, gallery.AddOptions{})
	if err != nil {
		t.Fatal(err)
	}
	tok := token(t, s, `"READ"`)
	for _, ref := range []string{strconv.FormatInt(tg.Seq, 10), tg.ID} {
		req, _ := http.NewRequest(http.MethodGet, s.URL()+"/sync/"+testserver.AppID+"/targets/"+ref, nil)
		req.Header.Set("Authorization", tok)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		var d map[string]any
		json.NewDecoder(res.Body).Decode(&d)
		res.Body.Close()
		if d["name"] != "cat" || d["meta"] != "bWV0YQ==" || d["targetId"] != tg.ID || d["seq"] != float64(tg.Seq) {
			t.Fatalf("details by %s: %v", ref, d)
		}
	}
	req, _ := http.NewRequest(http.MethodGet, s.URL()+"/sync/"+testserver.AppID+"/targets/"+tg.ID+"/image", nil)
	req.Header.Set("Authorization", tok)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	img, err := jpeg.Decode(res.Body)
	if err != nil || res.Header.Get("Content-Type") != "image/jpeg" {
		t.Fatalf("thumbnail: %v %s", err, res.Header.Get("Content-Type"))
	}
	if b := img.Bounds(); b.Dx() != 256 || b.Dy() != 170 {
		t.Fatalf("thumbnail of a 451×300 photo is %v, want 256×170", b)
	}
}
