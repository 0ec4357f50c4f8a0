package crs_test

import (
	"bytes"
	"encoding/json"
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

// TestSizeIsAPositiveFiniteDecimal refuses every size that is not a
// positive, finite decimal number with 414 and nothing stored, and
// accepts the decimal forms.
func TestSizeIsAPositiveFiniteDecimal(t *testing.T) {
	e := newEnv(t)
	c := e.client()
	before := e.Snapshot()
	for _, size := range []any{"NaN", "nan", "Inf", "+Inf", "-Inf", "Infinity", "1e400", "-0", "0", "0.0", "-1",
		"0x10", "0x1p4", "1_0", "+20", "20cm", "", ".", "1e", "1e+", "2e6", "1.2.3", json.Number("1e400"), json.Number("-0")} {
		r := c.json(http.MethodPost, "/targets", map[string]any{"image": b64(photo("coffee")), "name": "x", "size": size})
		want(t, r, 400, 414)
	}
	if after := e.Snapshot(); after != before {
		t.Fatalf("refused sizes changed the gallery: %s -> %s", before, after)
	}
	id := c.createTarget("coffee", photo("coffee"), nil)
	for _, size := range []any{"20", "20.5", ".5", "5.", "2e1", "1E-2", "007", json.Number("12.50")} {
		r := c.json(http.MethodPut, "/target/"+id, map[string]any{"size": size})
		want(t, r, 200, 0)
	}
}

// TestEmptyUpdateChangesNothing sends PUTs that carry no known field:
// each answers the target as it is and writes nothing.
func TestEmptyUpdateChangesNothing(t *testing.T) {
	e := newEnv(t)
	c := e.client()
	id := c.createTarget("coffee", photo("coffee"), nil)
	var stored target
	c.query(http.MethodGet, "/target/"+id, nil).into(t, &stored)
	before := e.Snapshot()
	for _, body := range []map[string]any{{}, {"unknown": "field", "other": 1}} {
		r := c.json(http.MethodPut, "/target/"+id, body)
		want(t, r, 200, 0)
		var got struct {
			target
			Target target `json:"target"`
		}
		r.into(t, &got)
		if got.TargetID != id || got.Name != "coffee" || got.Modified != stored.Modified || got.Target.Modified != stored.Modified {
			t.Fatalf("PUT %v answered %s; want the target as stored (modified %d)", body, r.raw, stored.Modified)
		}
	}
	if after := e.Snapshot(); after != before {
		t.Fatalf("an empty update wrote: %s -> %s", before, after)
	}
	var now target
	c.query(http.MethodGet, "/target/"+id, nil).into(t, &now)
	if now.Modified != stored.Modified {
		t.Fatalf("modified %d after empty updates, was %d", now.Modified, stored.Modified)
	}
}

// TestCustomFieldsComeBackAsSent creates a target with custom fields whose
// numbers a float64 would change, and finds their exact bytes in the
// create, get, list and search answers.
func TestCustomFieldsComeBackAsSent(t *testing.T) {
	e := newEnv(t)
	c := e.client()
	extra := map[string]any{
		"big":    json.Number("12345678901234567890"),
		"price":  json.Number("1.50"),
		"nested": json.RawMessage(`{"a":[1.0,2e3,-0.000]}`),
		"html":   "<b>&</b>",
	}
	sent := [][]byte{[]byte(`"big":12345678901234567890`), []byte(`"price":1.50`), []byte(`"nested":{"a":[1.0,2e3,-0.000]}`),
		[]byte(`"html":"<b>&</b>"`)}
	p := map[string]any{"image": b64(photo("coffee")), "name": "coffee"}
	for k, v := range extra {
		p[k] = v
	}
	var body bytes.Buffer // sent as a client that does not escape HTML writes it
	enc := json.NewEncoder(&body)
	enc.SetEscapeHTML(false)
	enc.Encode(c.sign(p))
	r := c.raw(http.MethodPost, "/targets", "application/json", body.Bytes())
	want(t, r, 200, 0)
	var created struct{ TargetID string }
	r.into(t, &created)
	answers := map[string]reply{
		"create": r,
		"get":    c.query(http.MethodGet, "/target/"+created.TargetID, nil),
		"list":   c.query(http.MethodGet, "/targets/infos", nil),
		"search": c.json(http.MethodPost, "/search", map[string]any{"image": b64(photo("coffee"))}),
	}
	for what, r := range answers {
		want(t, r, 200, 0)
		for _, field := range sent {
			if !bytes.Contains(r.Result, field) {
				t.Errorf("%s answer lacks %s: %s", what, field, r.Result)
			}
		}
	}
}
