package crs_test

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sort"
	"strconv"
	"testing"
	"time"

	"github.com/pixmatch/pixmatch/server/auth"
	"github.com/pixmatch/pixmatch/server/config"
	"github.com/pixmatch/pixmatch/server/gallery"
	"github.com/pixmatch/pixmatch/server/internal/testserver"
	"github.com/pixmatch/pixmatch/server/store"
)

// env is a real pixmatch server on loopback (see testserver), as the
// CRS tests use it.
type env struct {
	*testserver.Server
	t       testing.TB
	srv     *httptest.Server
	svc     *gallery.Service
	gallery store.Gallery
}

const (
	testKey    = testserver.Key
	testSecret = testserver.Secret
)

func newEnv(t testing.TB, tune ...func(*config.Config, *store.Gallery)) *env {
	t.Helper()
	var tunes []testserver.Tune
	for _, f := range tune {
		tunes = append(tunes, f)
	}
	return wrap(t, testserver.New(t, tunes...))
}

func wrap(t testing.TB, s *testserver.Server) *env {
	return &env{Server: s, t: t, srv: s.HTTP, svc: s.Service, gallery: s.Gallery}
}

// reopen restarts e's server over the same database.
func reopen(t testing.TB, e *env, tune ...func(*config.Config)) *env {
	t.Helper()
	return wrap(t, e.Reopen(tune...))
}

// client signs requests the way the official SDKs do.
type client struct {
	e         *env
	appID     string
	key       string // apiKey, or appKey when legacy
	secret    string
	legacy    bool   // sign with appKey instead of apiKey+appId
	token     string // send this Authorization header instead of signing
	stringTS  bool   // send the timestamp as a JSON string (the Java SDK)
	userAgent string
	clock     time.Time // zero: now
}

func (e *env) client() *client {
	return &client{e: e, appID: e.gallery.AppID, key: testKey, secret: testSecret}
}

// reply is a decoded CRS response.
type reply struct {
	HTTP       int
	StatusCode int             `json:"statusCode"`
	Result     json.RawMessage `json:"result"`
	Timestamp  int64           `json:"timestamp"`
	Date       string          `json:"date"`
	raw        []byte
}

func (r reply) message() string {
	var m struct{ Message string }
	json.Unmarshal(r.Result, &m)
	return m.Message
}

func (r reply) into(t testing.TB, v any) {
	t.Helper()
	if err := json.Unmarshal(r.Result, v); err != nil {
		t.Fatalf("result %s: %v", r.Result, err)
	}
}

// sign adds the common parameters and the signature to params.
func (c *client) sign(params map[string]any) map[string]any {
	out := map[string]any{}
	for k, v := range params {
		out[k] = v
	}
	if c.token != "" {
		if c.appID != "" {
			out["appId"] = c.appID
		}
		return out
	}
	ts := c.clock
	if ts.IsZero() {
		ts = time.Now()
	}
	if c.stringTS {
		out["timestamp"] = strconv.FormatInt(ts.UnixMilli(), 10)
	} else {
		out["timestamp"] = ts.UnixMilli()
	}
	if c.legacy {
		out["appKey"] = c.key
	} else {
		out["apiKey"] = c.key
		out["appId"] = c.appID
	}
	flat := map[string]string{}
	for k, v := range out {
		flat[k] = render(v)
	}
	out["signature"] = auth.Sign(flat, c.secret)
	return out
}

// render writes a value as the JavaScript SDK concatenates it.
func render(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case int64:
		return strconv.FormatInt(x, 10)
	case int:
		return strconv.Itoa(x)
	case bool:
		return strconv.FormatBool(x)
	}
	b, _ := json.Marshal(v)
	return string(b)
}

func (c *client) do(req *http.Request) reply {
	c.e.t.Helper()
	if c.token != "" {
		req.Header.Set("Authorization", c.token)
	}
	if c.userAgent != "" {
		req.Header.Set("User-Agent", c.userAgent)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		c.e.t.Fatal(err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	r := reply{HTTP: res.StatusCode, raw: body}
	if err := json.Unmarshal(body, &r); err != nil {
		c.e.t.Fatalf("%s %s: HTTP %d, body %q: %v", req.Method, req.URL.Path, res.StatusCode, body, err)
	}
	return r
}

// json sends params, signed, as a JSON body.
func (c *client) json(method, path string, params map[string]any) reply {
	c.e.t.Helper()
	body, _ := json.Marshal(c.sign(params))
	return c.raw(method, path, "application/json", body)
}

func (c *client) raw(method, path, contentType string, body []byte) reply {
	c.e.t.Helper()
	req, err := http.NewRequest(method, c.e.srv.URL+path, bytes.NewReader(body))
	if err != nil {
		c.e.t.Fatal(err)
	}
	req.Header.Set("Content-Type", contentType)
	return c.do(req)
}

// query sends params, signed, in the query string.
func (c *client) query(method, path string, params map[string]any) reply {
	c.e.t.Helper()
	q := url.Values{}
	for k, v := range c.sign(params) {
		q.Set(k, render(v))
	}
	req, err := http.NewRequest(method, c.e.srv.URL+path+"?"+q.Encode(), nil)
	if err != nil {
		c.e.t.Fatal(err)
	}
	return c.do(req)
}

// multipart sends params, signed, as form fields and image as a file part.
func (c *client) multipart(path string, params map[string]any, image []byte) reply {
	c.e.t.Helper()
	var b bytes.Buffer
	w := multipart.NewWriter(&b)
	signed := c.sign(params)
	keys := make([]string, 0, len(signed))
	for k := range signed {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		w.WriteField(k, render(signed[k]))
	}
	fw, _ := w.CreateFormFile("image", "frame.jpg")
	fw.Write(image)
	w.Close()
	return c.raw(http.MethodPost, path, w.FormDataContentType(), b.Bytes())
}

// parts sends params, signed, as form fields and files as file parts by
// field name.
func (c *client) parts(path string, params map[string]any, files map[string][]byte) reply {
	c.e.t.Helper()
	var b bytes.Buffer
	w := multipart.NewWriter(&b)
	for k, v := range c.sign(params) {
		w.WriteField(k, render(v))
	}
	for name, data := range files {
		fw, _ := w.CreateFormFile(name, name+".bin")
		fw.Write(data)
	}
	w.Close()
	return c.raw(http.MethodPost, path, w.FormDataContentType(), b.Bytes())
}

func b64(data []byte) string { return base64.StdEncoding.EncodeToString(data) }

// want checks a reply's HTTP status and statusCode.
func want(t testing.TB, r reply, http, code int) {
	t.Helper()
	if r.HTTP != http || r.StatusCode != code {
		t.Fatalf("HTTP %d statusCode %d, want HTTP %d statusCode %d: %s", r.HTTP, r.StatusCode, http, code, r.raw)
	}
	if r.Timestamp == 0 || r.Date == "" {
		t.Fatalf("envelope without timestamp or date: %s", r.raw)
	}
}

// createTarget adds a target and returns its ID.
func (c *client) createTarget(name string, image []byte, extra map[string]any) string {
	c.e.t.Helper()
	p := map[string]any{"image": b64(image), "name": name, "size": "20", "meta": "bWV0YQ==", "type": "ImageTarget"}
	for k, v := range extra {
		p[k] = v
	}
	r := c.json(http.MethodPost, "/targets/", p)
	want(c.e.t, r, 200, 0)
	var res struct {
		TargetID string `json:"targetId"`
	}
	r.into(c.e.t, &res)
	if res.TargetID == "" {
		c.e.t.Fatalf("create answered no targetId: %s", r.raw)
	}
	return res.TargetID
}

func jsonMarshal(v any) ([]byte, error) { return json.Marshal(v) }

func itoa(n int) string { return strconv.Itoa(n) }
