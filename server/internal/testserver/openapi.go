package testserver

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"

	"github.com/pixmatch/pixmatch/server/api/alibaba"
	"github.com/pixmatch/pixmatch/server/api/openapi"
	"github.com/pixmatch/pixmatch/server/store/postgres/pgtest"
)

// validating is set by ValidateResponses.
var validating atomic.Bool

// ValidateResponses makes every server New starts from now on check each
// response it sends against the OpenAPI description (package openapi)
// with kin-openapi's openapi3filter.ValidateResponse, failing the test
// that started the server on a mismatch: an undocumented field, a field
// of another type, a missing required one, an undocumented status or
// content type, or an API path the description leaves out. A request
// the server accepted (2xx) is checked too (ValidateRequest, without
// authentication): what the server takes, the description must allow.
// A package's TestMain calls it before m.Run (see RunValidated), so that
// its whole suite checks the description cannot drift from the server.
//
// Not checked: refused requests (bad input is sent on purpose), the
// bodies of 304 answers, HEAD, and
// what the description does not cover by design: the web app's files
// and the legacy Alibaba /item/ API. Unrouted requests (404 and 405) to
// paths the description does not list are let through too.
func ValidateResponses() { validating.Store(true) }

// RunValidated runs a package's tests with ValidateResponses on, and
// exits with their result: a TestMain of one line. It stops the
// PostgreSQL cluster the tests started, if they ran as clusters.
func RunValidated(m *testing.M) {
	ValidateResponses()
	os.Exit(pgtest.Main(m))
}

// Description loads the OpenAPI description and checks that it is
// valid, once for the process.
var Description = sync.OnceValues(func() (*openapi3.T, error) {
	loader := openapi3.NewLoader()
	doc, err := loader.LoadFromData(openapi.Document())
	if err != nil {
		return nil, fmt.Errorf("openapi: load: %w", err)
	}
	if err := doc.Validate(loader.Context); err != nil {
		return nil, fmt.Errorf("openapi: invalid: %w", err)
	}
	return doc, nil
})

// validator serves next and checks its responses against doc.
type validator struct {
	t    testing.TB
	doc  *openapi3.T
	next http.Handler
	// checks are the validations under way: each runs once its response
	// is sent, so that it does not hold the client up; the server's
	// cleanup waits for them.
	checks sync.WaitGroup
}

// exchange is a request and the response it got, as sent.
type exchange struct {
	req    *http.Request
	sent   []byte // the request body, as the handler read it
	status int
	header http.Header
	body   []byte
}

// validated wraps h in a validator when ValidateResponses was called.
func (s *Server) validated(h http.Handler) http.Handler {
	if !validating.Load() {
		return h
	}
	doc, err := Description()
	if err != nil {
		s.T.Fatal(err)
	}
	v := &validator{t: s.T, doc: doc, next: h}
	s.T.Cleanup(v.checks.Wait) // after the server closes: no request is left
	return v
}

func (v *validator) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	var sent bytes.Buffer
	if r.Body != nil {
		r.Body = teeBody{io.TeeReader(r.Body, &sent), r.Body}
	}
	rec := &recorder{ResponseWriter: w}
	v.next.ServeHTTP(rec, r)
	if rec.status == 0 {
		rec.status = http.StatusOK
	}
	x := exchange{req: r.Clone(context.Background()), sent: sent.Bytes(), status: rec.status,
		header: rec.Header().Clone(), body: rec.body.Bytes()}
	v.checks.Go(func() {
		if err := v.check(x); err != nil {
			v.t.Errorf("openapi: %s %s answered %d, which the description does not allow: %v\nbody: %.600s",
				x.req.Method, x.req.URL.Path, x.status, err, x.body)
		}
	})
}

// check validates one response and, when the server accepted the
// request (2xx), the request too.
func (v *validator) check(x exchange) error {
	route, params, skip := v.route(x.req, x.sent, x.status)
	if skip {
		return nil
	}
	if route == nil {
		return fmt.Errorf("no operation describes it")
	}
	ctx := context.Background()
	x.req.Body = io.NopCloser(bytes.NewReader(x.sent))
	req := &openapi3filter.RequestValidationInput{Request: x.req, PathParams: params, Route: route,
		Options: &openapi3filter.Options{AuthenticationFunc: openapi3filter.NoopAuthenticationFunc, MultiError: true}}
	if x.status < 300 {
		if err := openapi3filter.ValidateRequest(ctx, req); err != nil {
			return fmt.Errorf("the request it accepted: %w", err)
		}
	}
	res := &openapi3filter.ResponseValidationInput{
		RequestValidationInput: req,
		Status:                 x.status,
		Header:                 x.header,
		Options:                &openapi3filter.Options{IncludeResponseStatus: true, MultiError: true},
	}
	res.SetBodyBytes(x.body)
	return openapi3filter.ValidateResponse(ctx, res)
}

// route finds the operation that describes r: for an Alibaba call, the
// one of its action (path "/#Action"). skip is true for what the
// description leaves out by design.
func (v *validator) route(r *http.Request, body []byte, status int) (route *routers.Route, params map[string]string, skip bool) {
	p := r.URL.Path
	switch {
	case r.Method == http.MethodHead, strings.HasPrefix(p, "/item/"), p == "/" && r.Method == http.MethodGet && !alibaba.IsRPC(r):
		return nil, nil, true
	case p == "/":
		return v.action(r, body), nil, false
	}
	if len(p) > 1 {
		p = strings.TrimSuffix(p, "/")
	}
	for _, template := range v.doc.Paths.InMatchingOrder() {
		item := v.doc.Paths.Value(template)
		if strings.HasPrefix(template, "/#") {
			continue
		}
		params, ok := matchPath(template, p)
		if !ok {
			continue
		}
		if op := item.GetOperation(r.Method); op != nil {
			return &routers.Route{Spec: v.doc, Path: template, PathItem: item, Method: r.Method, Operation: op}, params, false
		}
	}
	unrouted := status == http.StatusNotFound || status == http.StatusMethodNotAllowed
	return nil, nil, unrouted
}

// action is the operation of the Alibaba action r calls, or the general
// one of / when it names none the description knows.
func (v *validator) action(r *http.Request, form []byte) *routers.Route {
	name := r.Header.Get("x-acs-action")
	if name == "" {
		name = r.URL.Query().Get("Action")
	}
	if name == "" {
		values, _ := url.ParseQuery(string(form))
		name = values.Get("Action")
	}
	path := "/#" + name
	item := v.doc.Paths.Value(path)
	if name == "" || item == nil {
		path, item = "/", v.doc.Paths.Value("/")
	}
	op := item.GetOperation(r.Method)
	if op == nil {
		op = item.Post // an action is described once, as a POST; a GET answers the same
	}
	return &routers.Route{Spec: v.doc, Path: path, PathItem: item, Method: r.Method, Operation: op}
}

// matchPath matches a request path to a path template of the
// description, returning its parameters.
func matchPath(template, path string) (map[string]string, bool) {
	want, got := strings.Split(template, "/"), strings.Split(path, "/")
	if len(want) != len(got) {
		return nil, false
	}
	params := map[string]string{}
	for i, w := range want {
		if strings.HasPrefix(w, "{") && strings.HasSuffix(w, "}") && got[i] != "" {
			params[w[1:len(w)-1]] = got[i]
		} else if w != got[i] {
			return nil, false
		}
	}
	return params, true
}

// recorder keeps a copy of a response while it is sent.
type recorder struct {
	http.ResponseWriter
	status int
	body   bytes.Buffer
}

func (rec *recorder) WriteHeader(code int) {
	if rec.status == 0 {
		rec.status = code
	}
	rec.ResponseWriter.WriteHeader(code)
}

func (rec *recorder) Write(b []byte) (int, error) {
	if rec.status == 0 {
		rec.status = http.StatusOK
	}
	rec.body.Write(b)
	return rec.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the connection (deadlines,
// flushes).
func (rec *recorder) Unwrap() http.ResponseWriter { return rec.ResponseWriter }

// teeBody is a request body whose reads are copied.
type teeBody struct {
	io.Reader
	io.Closer
}
