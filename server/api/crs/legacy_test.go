package crs_test

import (
	"context"
	"net/http"
	"testing"

	"github.com/pixmatch/pixmatch/server/store"
	"github.com/pixmatch/pixmatch/shared/distort"
)

// TestLegacyAppKey drives a Sense 3 era client: it signs with an appKey
// bound to one database and sends no appId.
func TestLegacyAppKey(t *testing.T) {
	e := newEnv(t)
	if _, err := e.svc.Galleries.CreateKey(context.Background(), store.Key{ID: "test_app_key", Secret: "test_app_secret", Gallery: e.gallery.ID}); err != nil {
		t.Fatal(err)
	}
	c := &client{e: e, key: "test_app_key", secret: "test_app_secret", legacy: true}
	id := c.createTarget("coffee", photo("coffee"), nil)
	r := c.json(http.MethodPost, "/search/", map[string]any{"image": b64(edited(t, "coffee", distort.Rotate(2)))})
	want(t, r, 200, 0)
	var hit struct{ Target target }
	r.into(t, &hit)
	if hit.Target.TargetID != id {
		t.Fatalf("legacy search: %s", r.raw)
	}
	c.secret = "wrong"
	want(t, c.query(http.MethodGet, "/targets/count", nil), 401, 2)
}

// TestJavaStyle sends the timestamp as a JSON string, as the Java SDK
// does, and updates a target's image.
func TestJavaStyle(t *testing.T) {
	e := newEnv(t)
	c := e.client()
	c.stringTS = true
	id := c.createTarget("coffee", photo("coffee"), nil)
	r := c.json(http.MethodPut, "/target/"+id, map[string]any{"image": b64(photo("rocket")), "name": "rocket"})
	want(t, r, 200, 0)
	r = c.json(http.MethodPost, "/search", map[string]any{"image": b64(edited(t, "rocket", distort.JPEG(40)))})
	want(t, r, 200, 0)
	var hit struct{ Target target }
	r.into(t, &hit)
	if hit.Target.TargetID != id || hit.Target.Name != "rocket" {
		t.Fatalf("search after image update: %s", r.raw)
	}
	want(t, c.json(http.MethodPost, "/search", map[string]any{"image": b64(photo("coffee"))}), 404, 17)
}

// TestUnboundAppKey signs Java-sample style with the first-start key (bound
// to no gallery) as appKey and no appId: the server's only gallery is
// meant; once there are two, the request must name one.
func TestUnboundAppKey(t *testing.T) {
	e := newEnv(t)
	c := &client{e: e, key: testKey, secret: testSecret, legacy: true, stringTS: true}
	c.createTarget("coffee", photo("coffee"), nil)
	want(t, c.query(http.MethodGet, "/targets/infos", nil), 200, 0)
	if _, err := e.svc.Galleries.Create(context.Background(), store.Gallery{Name: "second", AppID: "second"}); err != nil {
		t.Fatal(err)
	}
	want(t, c.query(http.MethodGet, "/targets/infos", nil), 400, 1)
	c.appID = "second"
	want(t, c.query(http.MethodGet, "/targets/count", map[string]any{"appId": "second"}), 200, 0)
}
