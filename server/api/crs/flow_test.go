package crs_test

import (
	"bytes"
	"encoding/base64"
	"image"
	"image/jpeg"
	"image/png"
	"net/http"
	"testing"

	"github.com/pixmatch/pixmatch/shared/distort"
	"github.com/pixmatch/pixmatch/shared/testphoto"
)

// photo returns a test photograph as a JPEG file.
func photo(name string) []byte { return testphoto.File(name) }

// edited returns a test photograph after edits, as a JPEG file.
func edited(t testing.TB, name string, edits ...func(image.Image) image.Image) []byte {
	t.Helper()
	img := testphoto.Image(name)
	for _, e := range edits {
		img = e(img)
	}
	return encodeJPEG(t, img)
}

func encodeJPEG(t testing.TB, img image.Image) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := jpeg.Encode(&b, img, &jpeg.Options{Quality: 80}); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func encodePNG(t testing.TB, img image.Image) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

type target struct {
	TargetID      string  `json:"targetId"`
	Name          string  `json:"name"`
	Size          string  `json:"size"`
	Meta          string  `json:"meta"`
	Type          string  `json:"type"`
	Active        string  `json:"active"`
	Modified      int64   `json:"modified"`
	TrackingImage string  `json:"trackingImage"`
	Grade         string  `json:"grade"`
	Score         float64 `json:"score"`
}

// TestClientFlow walks through what a CRS client does with a database:
// ping, create, list, count, get, update, deactivate, search (JSON and
// multipart), check similar, grade and delete.
func TestClientFlow(t *testing.T) {
	e := newEnv(t)
	c := e.client()

	r := c.query(http.MethodGet, "/ping", nil)
	want(t, r, 200, 0)
	if r.message() != "pong" {
		t.Fatalf("ping: %s", r.raw)
	}

	ids := map[string]string{}
	for _, name := range []string{"coffee", "chelsea", "astronaut", "rocket"} {
		ids[name] = c.createTarget(name, photo(name), map[string]any{"custom": "kept"})
	}

	// Create answers the target at the top of result and under result.target.
	r = c.json(http.MethodPost, "/targets", map[string]any{"image": b64(photo("china")), "name": "china", "active": "0", "allowSimilar": "1", "size": 25})
	want(t, r, 200, 0)
	var created struct {
		target
		Target target `json:"target"`
	}
	r.into(t, &created)
	if created.TargetID == "" || created.Target.TargetID != created.TargetID || created.Active != "0" || created.Size != "25" {
		t.Fatalf("create result: %s", r.raw)
	}
	ids["china"] = created.TargetID

	r = c.query(http.MethodGet, "/targets/count", nil)
	want(t, r, 200, 0)
	var count struct{ Count int }
	r.into(t, &count)
	if count.Count != 5 {
		t.Fatalf("count %d, want 5", count.Count)
	}

	// Paging: two pages of 3 and 2, duplicate query keys tolerated.
	r = c.queryDup("/targets/infos", map[string]any{"pageNum": 2, "pageSize": 3})
	want(t, r, 200, 0)
	var page struct{ Targets []target }
	r.into(t, &page)
	if len(page.Targets) != 2 || page.Targets[0].TargetID != ids["rocket"] {
		t.Fatalf("page 2 of 3: %s", r.raw)
	}

	r = c.query(http.MethodGet, "/target/"+ids["coffee"], nil)
	want(t, r, 200, 0)
	var got map[string]any
	r.into(t, &got)
	if got["name"] != "coffee" || got["custom"] != "kept" || got["active"] != "1" || got["type"] != "ImageTarget" {
		t.Fatalf("get: %v", got)
	}
	if img, _ := base64.StdEncoding.DecodeString(got["trackingImage"].(string)); !bytes.Equal(img, photo("coffee")) {
		t.Fatal("trackingImage is not the uploaded image")
	}
	if _, isNumber := got["modified"].(float64); !isNumber {
		t.Fatalf("modified is %T, want a number", got["modified"])
	}

	// Search by JSON: a smaller, recompressed photo of the coffee.
	query := edited(t, "coffee", distort.Scale(0.5), distort.JPEG(60))
	r = c.json(http.MethodPost, "/search", map[string]any{"image": b64(query), "notracking": "true"})
	want(t, r, 200, 0)
	var hit struct{ Target target }
	r.into(t, &hit)
	if hit.Target.TargetID != ids["coffee"] || hit.Target.Score <= 0.5 || hit.Target.Score > 1 || hit.Target.TrackingImage != "" {
		t.Fatalf("search: %s", r.raw)
	}

	// Search by multipart, the way the SDK does, for a mirrored photo.
	r = c.multipart("/v2/search", map[string]any{"notracking": "false"}, edited(t, "chelsea", distort.Mirror))
	want(t, r, 200, 0)
	r.into(t, &hit)
	if hit.Target.TargetID != ids["chelsea"] || hit.Target.TrackingImage == "" {
		t.Fatalf("v2/search: %s", r.raw)
	}

	// Deactivate: the target stays stored but is no longer found.
	r = c.json(http.MethodPut, "/target/"+ids["chelsea"], map[string]any{"active": "0"})
	want(t, r, 200, 0)
	r = c.multipart("/v2/search", nil, edited(t, "chelsea", distort.Mirror))
	want(t, r, 404, 17)
	if r.message() != "No result: there is no matching." {
		t.Fatalf("no result message: %s", r.raw)
	}

	// Update is partial: the name changes, the meta stays.
	r = c.json(http.MethodPut, "/target/"+ids["coffee"], map[string]any{"name": "espresso"})
	want(t, r, 200, 0)
	var updated struct {
		target
		Target target `json:"target"`
	}
	r.into(t, &updated)
	if updated.Name != "espresso" || updated.Meta != "bWV0YQ==" || updated.Target.Name != "espresso" {
		t.Fatalf("update: %s", r.raw)
	}

	// Similar lists the inactive chelsea too.
	r = c.json(http.MethodPost, "/similar/", map[string]any{"image": b64(edited(t, "chelsea", distort.JPEG(40)))})
	want(t, r, 200, 0)
	var sim struct{ Results []target }
	r.into(t, &sim)
	if len(sim.Results) != 1 || sim.Results[0].TargetID != ids["chelsea"] {
		t.Fatalf("similar: %s", r.raw)
	}
	r = c.json(http.MethodPost, "/similar", map[string]any{"image": b64(photo("brick"))})
	want(t, r, 200, 0)
	r.into(t, &sim)
	if len(sim.Results) != 0 {
		t.Fatalf("similar for an unrelated photo: %s", r.raw)
	}

	for _, kind := range []string{"detection", "tracking"} {
		r = c.json(http.MethodPost, "/grade/"+kind, map[string]any{"image": b64(photo("astronaut"))})
		want(t, r, 200, 0)
		var g struct{ Grade *int }
		r.into(t, &g)
		if g.Grade == nil || *g.Grade < 0 || *g.Grade > 4 {
			t.Fatalf("grade/%s: %s", kind, r.raw)
		}
	}
	r = c.json(http.MethodPost, "/grade/detail", map[string]any{"image": b64(photo("astronaut"))})
	want(t, r, 200, 0)
	var detail map[string]int
	r.into(t, &detail)
	if _, ok := detail["trackablePatchContrast"]; !ok {
		t.Fatalf("grade/detail: %s", r.raw)
	}

	// Delete one, then two at once.
	r = c.query(http.MethodDelete, "/target/"+ids["rocket"], nil)
	want(t, r, 200, 0)
	var deleted struct{ TargetID string }
	r.into(t, &deleted)
	if deleted.TargetID != ids["rocket"] {
		t.Fatalf("delete: %s", r.raw)
	}
	r = c.json(http.MethodDelete, "/targets", map[string]any{"targetId": ids["astronaut"] + "," + ids["china"]})
	want(t, r, 200, 0)
	r = c.query(http.MethodGet, "/targets/count", nil)
	r.into(t, &count)
	if count.Count != 2 {
		t.Fatalf("count after deletes %d, want 2", count.Count)
	}
	r = c.json(http.MethodPost, "/search", map[string]any{"image": b64(photo("rocket"))})
	want(t, r, 404, 17)
}

// queryDup sends the query the way the Node SDK's getTargetsByPage does:
// the page parameters in the URL and again among the signed ones.
func (c *client) queryDup(path string, params map[string]any) reply {
	c.e.t.Helper()
	q := ""
	for k, v := range params {
		q += "&" + k + "=" + render(v)
	}
	signed := c.sign(params)
	for k, v := range signed {
		q += "&" + k + "=" + render(v)
	}
	req, _ := http.NewRequest(http.MethodGet, c.e.srv.URL+path+"?"+q[1:], nil)
	return c.do(req)
}

// TestExpectNumber returns several results, each scored.
func TestExpectNumber(t *testing.T) {
	e := newEnv(t)
	c := e.client()
	a := c.createTarget("chelsea", photo("chelsea"), nil)
	b := c.createTarget("chelsea-framed", edited(t, "chelsea", distort.Border(0.05, image.White)), map[string]any{"allowSimilar": "1"})
	r := c.json(http.MethodPost, "/search", map[string]any{"image": b64(edited(t, "chelsea", distort.JPEG(50))), "expectNumber": 5})
	want(t, r, 200, 0)
	var res struct {
		Target  target
		Targets []target
	}
	r.into(t, &res)
	if len(res.Targets) != 2 || res.Target.TargetID != res.Targets[0].TargetID {
		t.Fatalf("expectNumber 5: %s", r.raw)
	}
	found := map[string]bool{res.Targets[0].TargetID: true, res.Targets[1].TargetID: true}
	if !found[a] || !found[b] || res.Targets[0].Score < res.Targets[1].Score {
		t.Fatalf("expectNumber results: %s", r.raw)
	}
}

// TestSurvivesRestart checks that targets outlive the server: the index
// is rebuilt from the store.
func TestSurvivesRestart(t *testing.T) {
	e := newEnv(t)
	c := e.client()
	id := c.createTarget("coffee", photo("coffee"), nil)
	e2 := reopen(t, e)
	r := e2.client().json(http.MethodPost, "/search", map[string]any{"image": b64(edited(t, "coffee", distort.Rotate(1)))})
	want(t, r, 200, 0)
	var hit struct{ Target target }
	r.into(t, &hit)
	if hit.Target.TargetID != id {
		t.Fatalf("after restart: %s", r.raw)
	}
}

func testphotoImage(name string) image.Image { return testphoto.Image(name) }
