//go:build linux

package worker

import (
	"bytes"
	"context"
	"encoding/base64"
	"image"
	"image/png"
	"net/http"
	"net/http/httptest"
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/pixmatch/pixmatch/server/store/d1"
	"github.com/pixmatch/pixmatch/server/store/d1/d1test"
	"github.com/pixmatch/pixmatch/server/worker/workerdtest"
	"github.com/pixmatch/pixmatch/shared/testphoto"
)

// hugePNG returns a PNG of side×side flat 8-bit RGBA pixels, base64: a
// few hundred kilobytes whose decode takes 4 bytes a pixel.
func hugePNG(t *testing.T, side int) string {
	t.Helper()
	img := image.NewNRGBA(image.Rect(0, 0, side, side))
	for i := range img.Pix {
		img.Pix[i] = 0x80
	}
	var b bytes.Buffer
	if err := (&png.Encoder{CompressionLevel: png.BestCompression}).Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return base64.StdEncoding.EncodeToString(b.Bytes())
}

// TestIsolateMemory: an isolate's requests draw on the isolate's budgets
// of decodes and bodies, sized for its 128 MB, not on budgets of their
// own. A picture whose decode takes more than all of IsolateDecodeBytes
// (a 265 KB PNG of 8000×8000 pixels, 256 MB to decode) is refused as too
// large, searched or created; while another request holds all of the
// decode budget, a search and a create wait for it and are answered busy
// (statusCode 21, HTTP 503), and while the bodies' budget is held, so is
// a create; none of them changes anything, and once the budgets are
// free the copy is found again.
func TestIsolateMemory(t *testing.T) {
	env := map[string]string{EnvAPIKey: workerdKey, EnvAPISecret: workerdSecret, EnvAppID: workerdAppID}
	db, blobs := d1test.Open(t), &d1.MemoryBlobs{}
	iso := NewIsolate(func(ctx context.Context) (*d1.Store, error) { return d1.Open(ctx, db, blobs) },
		func(k string) string { return env[k] }, quiet)
	srv := httptest.NewServer(iso)
	t.Cleanup(srv.Close)
	w := &workerd{&workerdtest.Workerd{URL: srv.URL}, t}

	name := testphoto.Names()[0]
	w.create(map[string]string{"image": photo(t, name, same), "name": "first"})
	search := map[string]string{"image": photo(t, name, same)}
	w.crs(http.MethodPost, "/search", search).want(t, "search of the copy", 200, 0)
	before := w.state()

	huge := hugePNG(t, 8000)
	w.crs(http.MethodPost, "/search", map[string]string{"image": huge}).want(t, "search of an 8000×8000 PNG", 413, 422)
	w.crs(http.MethodPost, "/targets", map[string]string{"image": huge, "name": "huge"}).want(t, "create of an 8000×8000 PNG", 413, 422)

	ctx := context.Background()
	decodes, bodies := iso.shared.Decodes, iso.shared.Bodies
	if decodes.Capacity() != IsolateDecodeBytes || bodies.Capacity() != IsolateBodyBytes {
		t.Fatalf("the isolate's budgets: %d and %d bytes, want %d and %d", decodes.Capacity(), bodies.Capacity(), IsolateDecodeBytes, IsolateBodyBytes)
	}
	if err := decodes.Acquire(ctx, decodes.Capacity()); err != nil {
		t.Fatal(err)
	}
	w.crs(http.MethodPost, "/search", search).want(t, "search while the decodes are held", 503, 21)
	w.crs(http.MethodPost, "/targets", map[string]string{"image": photo(t, testphoto.Names()[1], same), "name": "second"}).
		want(t, "create while the decodes are held", 503, 21)
	decodes.Release(decodes.Capacity())
	if err := bodies.Acquire(ctx, bodies.Capacity()); err != nil {
		t.Fatal(err)
	}
	w.crs(http.MethodPost, "/targets", map[string]string{"image": photo(t, testphoto.Names()[1], same), "name": "second"}).
		want(t, "create while the bodies are held", 503, 21)
	bodies.Release(bodies.Capacity())

	if after := w.state(); after != before {
		t.Errorf("refused requests changed the gallery: %s, then %s", before, after)
	}
	w.crs(http.MethodPost, "/search", search).want(t, "search once the budgets are free", 200, 0)
}

// TestBodyLimit: worker.mjs reads bodies whole up to the largest an API
// reads, and marks one it did not read with the header WholeBody looks
// for.
func TestBodyLimit(t *testing.T) {
	src, err := os.ReadFile("worker.mjs")
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`const bodyLimit = (\d+) << (\d+);`).FindSubmatch(src)
	if m == nil {
		t.Fatal("worker.mjs has no bodyLimit")
	}
	base, _ := strconv.ParseInt(string(m[1]), 10, 64)
	shift, _ := strconv.Atoi(string(m[2]))
	if limit := base << shift; limit != MaxWholeBody() {
		t.Errorf("worker.mjs reads bodies of up to %d bytes, the APIs up to %d", limit, MaxWholeBody())
	}
	if !bytes.Contains(src, []byte(`const bodyHeader = "`+strings.ToLower(BodyMarkHeader)+`";`)) {
		t.Errorf("worker.mjs does not mark a body it did not read with %s", BodyMarkHeader)
	}
}
