package crs_test

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/labstack/echo/v4"

	"github.com/pixmatch/pixmatch/server/api/crs"
	"github.com/pixmatch/pixmatch/server/app"
	"github.com/pixmatch/pixmatch/server/auth"
)

// activeOf returns the active field of the target id.
func activeOf(t *testing.T, c *client, id string) string {
	t.Helper()
	r := c.query(http.MethodGet, "/target/"+id, nil)
	want(t, r, 200, 0)
	var got struct {
		Active string `json:"active"`
	}
	r.into(t, &got)
	return got.Active
}

// TestReplayedWrite replays a captured signed PUT {"active":"0"} after the
// owner re-activated the target: it is refused with statusCode 3, the
// target stays active and nothing changes. A write signed anew is
// accepted, and a signed read may be sent again.
func TestReplayedWrite(t *testing.T) {
	e := newEnv(t)
	c := e.client()
	id := c.createTarget("coffee", photo("coffee"), nil)
	captured := c.sign(map[string]any{"active": "0"})
	want(t, c.rawJSON(http.MethodPut, "/target/"+id, captured), 200, 0)
	want(t, c.json(http.MethodPut, "/target/"+id, map[string]any{"active": "1"}), 200, 0)

	before := e.Snapshot()
	r := c.rawJSON(http.MethodPut, "/target/"+id, captured)
	want(t, r, 400, 3)
	if r.message() != "invalid date" {
		t.Errorf("message %q, want invalid date", r.message())
	}
	if after := e.Snapshot(); after != before {
		t.Errorf("the replay changed the gallery: %s -> %s", before, after)
	}
	if a := activeOf(t, c, id); a != "1" {
		t.Fatalf("target active %q after the replay, want 1", a)
	}

	want(t, c.json(http.MethodPut, "/target/"+id, map[string]any{"active": "0"}), 200, 0)
	read := c.sign(nil)
	for range 2 {
		want(t, c.rawJSON(http.MethodGet, "/targets/count", read), 200, 0)
	}
}

// TestReplayedCreate replays a captured create after the owner deleted
// the target: it is refused, and the target is not back.
func TestReplayedCreate(t *testing.T) {
	e := newEnv(t)
	c := e.client()
	captured := c.sign(map[string]any{"image": b64(photo("coffee")), "name": "coffee"})
	r := c.rawJSON(http.MethodPost, "/targets", captured)
	want(t, r, 200, 0)
	var made struct {
		TargetID string `json:"targetId"`
	}
	r.into(t, &made)
	want(t, c.json(http.MethodDelete, "/target/"+made.TargetID, nil), 200, 0)

	before := e.Snapshot()
	want(t, c.rawJSON(http.MethodPost, "/targets", captured), 400, 3)
	if after := e.Snapshot(); after != before {
		t.Errorf("the replay changed the gallery: %s -> %s", before, after)
	}
}

// TestReplaysFull serves the CRS API with a memory of one signature: the
// second write is refused with statusCode 21, HTTP 503, and changes
// nothing.
func TestReplaysFull(t *testing.T) {
	e := newEnv(t)
	id := e.client().createTarget("coffee", photo("coffee"), nil)
	ec := echo.New()
	crs.New(crs.Deps{Service: e.svc, Keys: app.Keys(e.svc), Config: e.svc.Config().CRS,
		Log: slog.New(slog.NewTextHandler(io.Discard, nil)), Replays: &auth.Memory{Max: 1}}).Routes(ec)
	small := httptest.NewServer(ec)
	defer small.Close()
	c := (&env{Server: e.Server, t: t, srv: small, svc: e.svc, gallery: e.gallery}).client()

	want(t, c.json(http.MethodPut, "/target/"+id, map[string]any{"active": "0"}), 200, 0)
	before := e.Snapshot()
	want(t, c.json(http.MethodPut, "/target/"+id, map[string]any{"active": "1"}), 503, 21)
	if after := e.Snapshot(); after != before {
		t.Errorf("the refused write changed the gallery: %s -> %s", before, after)
	}
	want(t, c.query(http.MethodGet, "/targets/count", nil), 200, 0)
}
