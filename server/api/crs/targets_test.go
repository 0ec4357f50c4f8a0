package crs_test

import (
	"net/http"
	"testing"
)

// TestAllowSimilarForcesTheAdd adds and updates with a byte-identical
// picture under another name: allowSimilar "1" lets it through, for a
// create and for an image update alike.
func TestAllowSimilarForcesTheAdd(t *testing.T) {
	e := newEnv(t)
	c := e.client()
	c.createTarget("coffee", photo("coffee"), nil)
	c.createTarget("coffee 2", photo("coffee"), map[string]any{"allowSimilar": "1"})
	rocket := c.createTarget("rocket", photo("rocket"), nil)
	r := c.json(http.MethodPut, "/target/"+rocket, map[string]any{"image": b64(photo("coffee")), "allowSimilar": "1"})
	want(t, r, 200, 0)
	var count struct{ Count int }
	c.query(http.MethodGet, "/targets/count", nil).into(t, &count)
	if count.Count != 3 {
		t.Fatalf("count %d, want 3", count.Count)
	}
	// /similar lists all three copies, each scored 1.
	r = c.json(http.MethodPost, "/similar", map[string]any{"image": b64(photo("coffee"))})
	want(t, r, 200, 0)
	var sim struct{ Results []target }
	r.into(t, &sim)
	if len(sim.Results) != 3 || sim.Results[0].Score != 1 || sim.Results[2].Score != 1 {
		t.Fatalf("similar: %s", r.raw)
	}
}
