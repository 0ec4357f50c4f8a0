package e2e

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"image"
	"image/jpeg"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pixmatch/pixmatch/server/app"
	"github.com/pixmatch/pixmatch/server/auth"
	"github.com/pixmatch/pixmatch/server/internal/testserver"
	"github.com/pixmatch/pixmatch/shared/apierror"
	"github.com/pixmatch/pixmatch/shared/testphoto"
)

// site is the server under test: a testserver's gallery service behind
// app.New with the browser module built for this test binary, on
// loopback. It logs every request it answers.
//
// testserver cannot take app options yet, so the site runs a second
// app.New over the service of a testserver.Server; the testserver's own
// listener stays unused.
type site struct {
	t   testing.TB
	srv *testserver.Server
	web *httptest.Server

	mu   sync.Mutex
	hits []hit
}

// hit is one request the site answered.
type hit struct {
	Method, Path string
	Status       int
	Bytes        int64         // of the body sent, as sent (compressed or not)
	Took         time.Duration // from the request's arrival to the end of the answer
}

// newSite starts a site on a new database.
func newSite(t testing.TB) *site {
	t.Helper()
	return serve(t, testserver.New(t))
}

// serve starts a site over srv's gallery service.
func serve(t testing.TB, srv *testserver.Server) *site {
	t.Helper()
	h, err := app.New(context.Background(), srv.Service, slog.New(slog.DiscardHandler), app.WithDist(os.DirFS(moduleDir)))
	if err != nil {
		t.Fatal(err)
	}
	s := &site{t: t, srv: srv}
	s.web = httptest.NewServer(s.record(h))
	t.Cleanup(s.web.Close)
	return s
}

// URL is the site's base URL.
func (s *site) URL() string { return s.web.URL }

// stop closes the listener and every connection, as a server that went
// away does.
func (s *site) stop() {
	s.web.CloseClientConnections()
	s.web.Close()
}

// requests returns the requests answered so far whose path starts with
// prefix.
func (s *site) requests(prefix string) []hit {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []hit
	for _, h := range s.hits {
		if strings.HasPrefix(h.Path, prefix) {
			out = append(out, h)
		}
	}
	return out
}

// record wraps h so that every answer is logged.
func (s *site) record(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		cw := &countingWriter{ResponseWriter: w}
		started := time.Now()
		h.ServeHTTP(cw, r)
		took := time.Since(started)
		s.mu.Lock()
		s.hits = append(s.hits, hit{Method: r.Method, Path: r.URL.Path, Status: cw.status, Bytes: cw.n, Took: took})
		s.mu.Unlock()
	})
}

// countingWriter counts the body bytes of a response and keeps its status.
type countingWriter struct {
	http.ResponseWriter
	status int
	n      int64
}

func (w *countingWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *countingWriter) Write(p []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	n, err := w.ResponseWriter.Write(p)
	w.n += int64(n)
	return n, err
}

// Unwrap lets http.ResponseController reach the connection's writer.
func (w *countingWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// api returns a CRS client of the site, signing with the test key.
func (s *site) api() *crsClient { return &crsClient{t: s.t, base: s.URL()} }

// crsClient calls the site's CRS API the way the official SDKs do: every
// request signed with the API key and secret.
type crsClient struct {
	t    testing.TB
	base string
}

// envelope is a CRS answer.
type envelope struct {
	StatusCode int             `json:"statusCode"`
	Result     json.RawMessage `json:"result"`
}

// call sends params, signed, as a JSON body (POST, PUT) or in the query
// (GET, DELETE).
func (c *crsClient) call(method, path string, params map[string]any) envelope {
	c.t.Helper()
	signed := map[string]any{"apiKey": testserver.Key, "appId": testserver.AppID, "timestamp": time.Now().UnixMilli()}
	for k, v := range params {
		signed[k] = v
	}
	return c.send(method, path, sign(signed))
}

// send sends already signed parameters.
func (c *crsClient) send(method, path string, params map[string]any) envelope {
	c.t.Helper()
	var req *http.Request
	var err error
	switch method {
	case http.MethodGet, http.MethodDelete:
		q := url.Values{}
		for k, v := range params {
			q.Set(k, render(v))
		}
		req, err = http.NewRequest(method, c.base+path+"?"+q.Encode(), nil)
	default:
		body, _ := json.Marshal(params)
		req, err = http.NewRequest(method, c.base+path, bytes.NewReader(body))
		if req != nil {
			req.Header.Set("Content-Type", "application/json")
		}
	}
	if err != nil {
		c.t.Fatal(err)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		c.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer res.Body.Close()
	raw, err := io.ReadAll(res.Body)
	if err != nil {
		c.t.Fatalf("%s %s: %v", method, path, err)
	}
	var env envelope
	if err := json.Unmarshal(raw, &env); err != nil {
		c.t.Fatalf("%s %s: HTTP %d, not an envelope: %.200s", method, path, res.StatusCode, raw)
	}
	return env
}

// must checks that an answer succeeded and decodes its result into v.
func (c *crsClient) must(env envelope, what string, v any) {
	c.t.Helper()
	if env.StatusCode != 0 {
		c.t.Fatalf("%s: statusCode %d: %s", what, env.StatusCode, env.Result)
	}
	if v != nil {
		if err := json.Unmarshal(env.Result, v); err != nil {
			c.t.Fatalf("%s: result %s: %v", what, env.Result, err)
		}
	}
}

// addTarget adds a target with the given JPEG and returns its targetId.
// A picture similar to a target already there is added all the same.
func (c *crsClient) addTarget(name string, jpg []byte, meta string) string {
	c.t.Helper()
	var res struct {
		TargetID string `json:"targetId"`
	}
	c.must(c.call(http.MethodPost, "/targets", map[string]any{
		"image": base64.StdEncoding.EncodeToString(jpg), "name": name, "meta": meta,
		"size": "20", "type": "ImageTarget", "allowSimilar": "1",
	}), "add target "+name, &res)
	return res.TargetID
}

// addPhotos adds the named test photographs as targets of the same names.
func (c *crsClient) addPhotos(names ...string) {
	c.t.Helper()
	for _, n := range names {
		c.addTarget(n, testphoto.File(n), "")
	}
}

// search asks the server which target a picture shows: the best match's
// name, or "" when nothing matches.
func (c *crsClient) search(jpg []byte) string {
	c.t.Helper()
	env := c.call(http.MethodPost, "/search", map[string]any{
		"image": base64.StdEncoding.EncodeToString(jpg), "notracking": true,
	})
	if env.StatusCode == apierror.CRSNoResult.CRSCode() {
		return ""
	}
	var res struct {
		Target struct {
			Name string `json:"name"`
		} `json:"target"`
	}
	c.must(env, "search", &res)
	return res.Target.Name
}

// count returns the number of targets the server holds.
func (c *crsClient) count() int {
	c.t.Helper()
	var res struct {
		Count int `json:"count"`
	}
	c.must(c.call(http.MethodGet, "/targets/count", nil), "count targets", &res)
	return res.Count
}

// token asks the token service for an access token that reads and
// writes the test gallery.
func (c *crsClient) token() string {
	c.t.Helper()
	acl, _ := json.Marshal([]map[string]any{{
		"service": "ecs:crs", "resource": []string{testserver.AppID}, "effect": "Allow", "permission": []string{"READ", "WRITE"},
	}})
	var res struct {
		Token string `json:"token"`
	}
	c.must(c.send(http.MethodPost, "/token/v2", sign(map[string]any{
		"apiKey": testserver.Key, "expires": 3600, "acl": string(acl), "timestamp": time.Now().UnixMilli(),
	})), "token", &res)
	return res.Token
}

// sign adds the CRS signature of params under the test secret.
func sign(params map[string]any) map[string]any {
	flat := make(map[string]string, len(params))
	for k, v := range params {
		flat[k] = render(v)
	}
	params["signature"] = auth.Sign(flat, testserver.Secret)
	return params
}

// render writes a parameter's value as it is signed.
func render(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case int:
		return strconv.Itoa(x)
	case int64:
		return strconv.FormatInt(x, 10)
	}
	return fmt.Sprint(v)
}

// encodeJPEG encodes img at the given quality.
func encodeJPEG(t testing.TB, img image.Image, quality int) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := jpeg.Encode(&b, img, &jpeg.Options{Quality: quality}); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// writeFile writes data to a new file of the test and returns its path.
func writeFile(t testing.TB, name string, data []byte) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}
