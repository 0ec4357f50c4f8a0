//go:build !js

package workertest

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"image"
	"image/draw"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pixmatch/pixmatch/server/app"
	"github.com/pixmatch/pixmatch/server/auth"
	"github.com/pixmatch/pixmatch/server/config"
	"github.com/pixmatch/pixmatch/server/gallery"
	"github.com/pixmatch/pixmatch/server/store"
	"github.com/pixmatch/pixmatch/server/store/sqlite"
	"github.com/pixmatch/pixmatch/shared/fingerprint"
	"github.com/pixmatch/pixmatch/shared/syncwire"
	"github.com/pixmatch/pixmatch/shared/testphoto"
)

// The gallery and key the test server starts with.
const (
	appID  = "feedfacefeedfacefeedfacefeedface"
	key    = "worker_test_key"
	secret = "worker_test_secret"
)

// server is a real pixmatch server on loopback that also serves the
// built module, logs the sync requests it answers, and can be told to
// break the next delta.
type server struct {
	t       *testing.T
	http    *httptest.Server
	svc     *gallery.Service
	gallery store.Gallery

	mu       sync.Mutex
	requests []syncRequest
	breakOne bool // shift the From of the next delta, making a gap
}

// syncRequest is what the server saw of one sync request.
type syncRequest struct {
	since, ifNoneMatch, authorization string
	status                            int
	gzipped                           bool
}

func newServer(t *testing.T, module string) *server {
	ctx := context.Background()
	dir := t.TempDir()
	st, err := sqlite.Open(ctx, filepath.Join(dir, "pixmatch.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	g, err := st.CreateGallery(ctx, store.Gallery{Name: "worker", AppID: appID})
	if err != nil {
		t.Fatal(err)
	}
	if err := st.CreateKey(ctx, store.Key{ID: key, Secret: secret}); err != nil {
		t.Fatal(err)
	}
	cfg := config.Default()
	cfg.Alibaba.Files = filepath.Join(dir, "files")
	svc, err := gallery.Open(ctx, st, cfg)
	if err != nil {
		t.Fatal(err)
	}
	h, err := app.New(ctx, svc, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	s := &server{t: t, svc: svc, gallery: g}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /module/pixmatch.wasm", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/wasm")
		http.ServeFile(w, r, module)
	})
	mux.Handle("/sync/", s.logged(h))
	mux.Handle("/", h)
	s.http = httptest.NewServer(mux)
	t.Cleanup(s.http.Close)
	return s
}

// logged records each sync request and, when told to, rewrites a delta
// so that it no longer follows the version the client holds.
func (s *server) logged(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		breaking := s.breakOne
		s.mu.Unlock()
		if breaking {
			r.Header.Del("Accept-Encoding") // a plain body to rewrite
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, r)
		body := rec.Body.Bytes()
		if breaking && rec.Code == http.StatusOK {
			body = s.shift(body)
		}
		s.mu.Lock()
		s.requests = append(s.requests, syncRequest{
			since: r.URL.Query().Get("since"), ifNoneMatch: r.Header.Get("If-None-Match"),
			authorization: r.Header.Get("Authorization"), status: rec.Code,
			gzipped: rec.Header().Get("Content-Encoding") == "gzip",
		})
		s.mu.Unlock()
		for k, v := range rec.Header() {
			w.Header()[k] = v
		}
		w.WriteHeader(rec.Code)
		w.Write(body)
	})
}

// shift moves a delta's From one version on, once.
func (s *server) shift(body []byte) []byte {
	b, err := syncwire.Decode(body)
	if err != nil {
		s.t.Fatalf("the server sent a malformed batch: %v", err)
	}
	if b.Kind != syncwire.Delta {
		return body
	}
	b.From++
	out, err := syncwire.Encode(b)
	if err != nil {
		s.t.Fatal(err)
	}
	s.mu.Lock()
	s.breakOne = false
	s.mu.Unlock()
	return out
}

// takeRequests returns the sync requests seen since the last call.
func (s *server) takeRequests() []syncRequest {
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.requests
	s.requests = nil
	return r
}

// version returns the gallery's version on the server.
func (s *server) version() int64 {
	g, err := s.svc.Galleries.ByAppID(appID)
	if err != nil {
		s.t.Fatal(err)
	}
	return g.Version
}

// token gets an access token that may read the gallery.
func (s *server) token() string {
	acl := fmt.Sprintf(`[{"service":"ecs:crs","resource":["%s"],"effect":"Allow","permission":["READ"]}]`, appID)
	p := map[string]string{"apiKey": key, "expires": "3600", "acl": acl, "timestamp": strconv.FormatInt(time.Now().UnixMilli(), 10)}
	p["signature"] = auth.Sign(p, secret)
	body, _ := json.Marshal(p)
	res, err := http.Post(s.http.URL+"/token/v2", "application/json", bytes.NewReader(body))
	if err != nil {
		s.t.Fatal(err)
	}
	defer res.Body.Close()
	var r struct {
		StatusCode int
		Result     struct{ Token string }
	}
	if err := json.NewDecoder(res.Body).Decode(&r); err != nil || r.StatusCode != 0 {
		s.t.Fatalf("token: status %d, %v", r.StatusCode, err)
	}
	return r.Result.Token
}

// add stores a photo as an active target named after it, with int_attr n.
func (s *server) add(photo string, n int32) gallery.Target {
	pic, err := s.svc.Pictures.Read(context.Background(), testphoto.File(photo), gallery.Policy{})
	if err != nil {
		s.t.Fatal(err)
	}
	t := gallery.Target{Name: photo, Active: true, IntAttr: [4]int32{n}}
	tg, err := s.svc.Targets.Add(context.Background(), s.gallery.ID, t, pic, gallery.AddOptions{})
	if err != nil {
		s.t.Fatalf("adding %s: %v", photo, err)
	}
	return tg
}

// worker is pixmatch-worker.js running in Node.
type worker struct {
	t      *testing.T
	in     io.WriteCloser
	out    *bufio.Reader
	stderr *bytes.Buffer
	pixels string // folder of the pictures' pixel files
}

// reply is the worker's answer to one request.
type reply struct {
	Result json.RawMessage
	Error  *struct {
		Message, Code      string
		Status, StatusCode int
	}
}

func startWorker(t *testing.T, node string) *worker {
	cmd := exec.Command(node, filepath.Join("testdata", "worker.cjs"), filepath.Join("..", "..", "web", "static", "pixmatch-worker.js"))
	w := &worker{t: t, stderr: new(bytes.Buffer), pixels: t.TempDir()}
	cmd.Stderr = w.stderr
	var err error
	if w.in, err = cmd.StdinPipe(); err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	w.out = bufio.NewReader(stdout)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		w.in.Close()
		cmd.Wait()
	})
	return w
}

// ask sends one request and waits for the reply.
func (w *worker) ask(op string, args map[string]any) reply {
	w.t.Helper()
	line, _ := json.Marshal(map[string]any{"op": op, "args": args})
	if _, err := w.in.Write(append(line, '\n')); err != nil {
		w.t.Fatalf("%s: %v; node said: %s", op, err, w.stderr)
	}
	out, err := w.out.ReadBytes('\n')
	if err != nil {
		w.t.Fatalf("%s: no reply (%v); node said: %s", op, err, w.stderr)
	}
	var r reply
	if err := json.Unmarshal(out, &r); err != nil {
		w.t.Fatalf("%s: reply %q: %v", op, out, err)
	}
	return r
}

// result sends a request that must succeed and decodes its result into v.
func (w *worker) result(op string, args map[string]any, v any) {
	w.t.Helper()
	r := w.ask(op, args)
	if r.Error != nil {
		w.t.Fatalf("%s failed: %+v; node said: %s", op, *r.Error, w.stderr)
	}
	if v != nil {
		if err := json.Unmarshal(r.Result, v); err != nil {
			w.t.Fatalf("%s: result %s: %v", op, r.Result, err)
		}
	}
}

// picture writes a photo's RGBA pixels for the worker and returns the
// picture argument naming them, and the pixels as an image.
func (w *worker) picture(photo string) (map[string]any, *image.NRGBA) {
	src := testphoto.Image(photo)
	b := src.Bounds()
	img := image.NewNRGBA(image.Rect(0, 0, b.Dx(), b.Dy()))
	draw.Draw(img, img.Rect, src, b.Min, draw.Src)
	file := filepath.Join(w.pixels, photo+".rgba")
	if err := os.WriteFile(file, img.Pix, 0o600); err != nil {
		w.t.Fatal(err)
	}
	return map[string]any{"file": file, "width": b.Dx(), "height": b.Dy()}, img
}

// syncResult is what sync resolves to.
type syncResult struct {
	Version int64
	Count   int
	Changed bool
}

type match struct {
	Seq      int64
	Name     string
	Distance int
	Score    float64
}

type searchResult struct {
	Matches []match
	MS      struct{ Decode, Fingerprint, Search *float64 } `json:"ms"`
}

// finds searches the worker's gallery for a photo and returns the names
// found.
func (w *worker) finds(photo string, options map[string]any) []string {
	w.t.Helper()
	pic, _ := w.picture(photo)
	var r searchResult
	w.result("search", map[string]any{"picture": pic, "options": options}, &r)
	if r.MS.Decode == nil || r.MS.Fingerprint == nil || r.MS.Search == nil {
		w.t.Errorf("search of %s: timings missing: %+v", photo, r.MS)
	}
	var names []string
	for _, m := range r.Matches {
		if m.Distance > fingerprint.Threshold || m.Score != fingerprint.Score(m.Distance) {
			w.t.Errorf("search of %s: match %+v has a wrong distance or score", photo, m)
		}
		names = append(names, m.Name)
	}
	return names
}

// buildModule compiles wasm/ for js/wasm into dir.
func buildModule(t *testing.T, dir string) (module, execJS string) {
	module = filepath.Join(dir, "pixmatch.wasm")
	cmd := exec.Command("go", "build", "-trimpath", "-o", module, "github.com/pixmatch/pixmatch/wasm")
	cmd.Env = append(os.Environ(), "GOOS=js", "GOARCH=wasm")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("building the module: %v\n%s", err, out)
	}
	root, err := exec.Command("go", "env", "GOROOT").Output()
	if err != nil {
		t.Fatal(err)
	}
	return module, filepath.Join(strings.TrimSpace(string(root)), "lib", "wasm", "wasm_exec.js")
}

func TestWorkerSyncsAndSearches(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the module and runs Node")
	}
	node, err := exec.LookPath("node")
	if err != nil {
		t.Skip("Node is not installed")
	}
	module, execJS := buildModule(t, t.TempDir())
	s := newServer(t, module)
	s.add("coffee", 7)
	chelsea := s.add("chelsea", 8)
	astronaut := s.add("astronaut", 9)
	token := s.token()
	w := startWorker(t, node)

	var info struct{ Version, Count, FingerprintVersion int64 }
	w.result("open", map[string]any{
		"base": s.http.URL + "/", "appId": appID, "token": token,
		"wasmURL": s.http.URL + "/module/pixmatch.wasm",
		"execURL": (&url.URL{Scheme: "file", Path: execJS}).String(),
	}, &info)
	if info.Version != 0 || info.Count != 0 || info.FingerprintVersion != fingerprint.Version {
		t.Fatalf("opened with %+v, want an empty gallery of fingerprint version %d", info, fingerprint.Version)
	}
	if got := w.finds("coffee", nil); len(got) != 0 {
		t.Errorf("an empty gallery finds %v", got)
	}

	// The first sync fetches a snapshot; the next one is answered 304.
	wantSync(t, w, s, syncResult{s.version(), 3, true}, []syncRequest{{since: "0", authorization: token, status: 200, gzipped: true}})
	v := s.version()
	wantSync(t, w, s, syncResult{v, 3, false}, []syncRequest{{since: itoa(v), ifNoneMatch: etag(v), authorization: token, status: 304}})

	// Changes on the server arrive as a delta.
	s.add("rocket", 10)
	off := false
	if _, err := s.svc.Targets.Update(context.Background(), s.gallery.ID, chelsea.ID, gallery.Patch{Active: &off}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.svc.Targets.Delete(context.Background(), s.gallery.ID, astronaut.ID); err != nil {
		t.Fatal(err)
	}
	wantSync(t, w, s, syncResult{s.version(), 3, true}, []syncRequest{{since: itoa(v), ifNoneMatch: etag(v), authorization: token, status: 200, gzipped: true}})

	checkSearches(t, w)
	checkFingerprint(t, w)
	checkRecovery(t, w, s, token)
}

// checkSearches searches the synced gallery: coffee and rocket are
// active, chelsea inactive, astronaut deleted.
func checkSearches(t *testing.T, w *worker) {
	for _, tc := range []struct {
		photo   string
		options map[string]any
		want    []string
	}{
		{"coffee", nil, []string{"coffee"}},
		{"rocket", map[string]any{"limit": 3}, []string{"rocket"}},
		{"chelsea", nil, nil},   // inactive
		{"astronaut", nil, nil}, // deleted
		{"coffee", map[string]any{"filter": "int_attr = 7"}, []string{"coffee"}},
		{"coffee", map[string]any{"filter": "int_attr != 7"}, nil},
		{"brick", nil, nil}, // never added
	} {
		if got := w.finds(tc.photo, tc.options); !slices.Equal(got, tc.want) {
			t.Errorf("search of %s with %v finds %v, want %v", tc.photo, tc.options, got, tc.want)
		}
	}
	pic, _ := w.picture("coffee")
	if r := w.ask("search", map[string]any{"picture": pic, "options": map[string]any{"filter": "int_attr >"}}); r.Error == nil || r.Error.Code != "filter" {
		t.Errorf("a bad filter gave %+v, want an error of code filter", r.Error)
	}
}

// checkFingerprint checks that the worker computes the codes the server
// computes for the same pixels.
func checkFingerprint(t *testing.T, w *worker) {
	pic, img := w.picture("coffee")
	var fp struct {
		Version int
		Codes   []string
	}
	w.result("fingerprint", map[string]any{"picture": pic, "kind": "target"}, &fp)
	want, err := fingerprint.Target(img)
	if err != nil {
		t.Fatal(err)
	}
	if fp.Version != fingerprint.Version || !slices.Equal(fp.Codes, texts(want.Codes)) {
		t.Errorf("fingerprint %+v, the server computes %v", fp, texts(want.Codes))
	}
}

// checkRecovery checks what the worker does when the server refuses its
// token, when a delta does not follow the held version, and after a reset.
func checkRecovery(t *testing.T, w *worker, s *server, token string) {
	w.ask("setToken", map[string]any{"token": "not-a-token"})
	if r := w.ask("sync", nil); r.Error == nil || r.Error.Status < 400 || r.Error.StatusCode == 0 || r.Error.Message == "" {
		t.Errorf("sync with a bad token: %+v, want an HTTP error with a CRS statusCode", r.Error)
	}
	s.takeRequests()
	w.ask("setToken", map[string]any{"token": token})

	// A delta that does not follow the held version is replaced by a
	// snapshot.
	v := s.version()
	s.add("coins", 11)
	s.mu.Lock()
	s.breakOne = true
	s.mu.Unlock()
	wantSync(t, w, s, syncResult{s.version(), 4, true}, []syncRequest{
		{since: itoa(v), ifNoneMatch: etag(v), authorization: token, status: 200},
		{since: "0", authorization: token, status: 200, gzipped: true},
	})
	if got := w.finds("coins", nil); !slices.Equal(got, []string{"coins"}) {
		t.Errorf("after the snapshot, coins finds %v", got)
	}

	// Reset forgets the gallery; the next sync starts over.
	var info struct{ Version, Count int64 }
	w.result("reset", nil, &info)
	if info.Version != 0 || info.Count != 0 {
		t.Errorf("after reset: %+v", info)
	}
	wantSync(t, w, s, syncResult{s.version(), 4, true}, []syncRequest{{since: "0", authorization: token, status: 200, gzipped: true}})
}

func itoa(v int64) string { return strconv.FormatInt(v, 10) }

// etag is the tag the server gives version v.
func etag(v int64) string { return `"v` + itoa(v) + `"` }

// wantSync syncs and checks the result and the requests the server saw.
func wantSync(t *testing.T, w *worker, s *server, want syncResult, requests []syncRequest) {
	t.Helper()
	var got syncResult
	w.result("sync", nil, &got)
	if got != want {
		t.Errorf("sync: %+v, want %+v", got, want)
	}
	if seen := s.takeRequests(); !slices.Equal(seen, requests) {
		t.Errorf("sync sent %+v, want %+v", seen, requests)
	}
}

// texts writes codes as the module does (fingerprint.Code.String).
func texts(codes []fingerprint.Code) []string {
	out := make([]string, len(codes))
	for i, c := range codes {
		out[i] = c.String()
	}
	return out
}
