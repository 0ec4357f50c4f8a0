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
)

// validating is set by ValidateResponses.
var validating atomic.Bool

// ValidateResponses makes every server New starts from now on check each
// response it sends against the OpenAPI description (package openapi)
// with kin-openapi's openapi3filter.ValidateResponse, failing the test
// that started the server on a mismatch: an undocumented field, a field
// of another type, a missing required one, an undocumented status or
// content type, or an API path the description leaves out. A package's
// TestMain calls it before m.Run, so that its whole suite checks the
// description cannot drift from the server.
//
// Not checked: requests (clients send what the description allows, and
// more: bad input is tested on purpose), 304 answers (no body), HEAD, and
// what the description does not cover by design: the web app's files
// and the legacy Alibaba /item/ API. Unrouted requests (404 and 405) to
// paths the description does not list are let through too.
func ValidateResponses() { validating.Store(true) }

// RunValidated runs a package's tests with ValidateResponses on, and
// exits with their result: a TestMain of one line.
func RunValidated(m *testing.M) {
	ValidateResponses()
	os.Exit(m.Run())
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
	return &validator{t: s.T, doc: doc, next: h}
}

func (v *validator) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	var sent bytes.Buffer // the body, as the handler read it (an action may be in a form)
	if r.Body != nil && r.URL.Path == "/" {
		r.Body = teeBody{io.TeeReader(r.Body, &sent), r.Body}
	}
	rec := &recorder{ResponseWriter: w}
	v.next.ServeHTTP(rec, r)
	if rec.status == 0 {
		rec.status = http.StatusOK
	}
	if err := v.check(r, sent.Bytes(), rec); err != nil {
		v.t.Errorf("openapi: %s %s answered %d, which the description does not allow: %v\nbody: %.600s",
			r.Method, r.URL.Path, rec.status, err, rec.body.Bytes())
	}
}

// check validates one response.
func (v *validator) check(r *http.Request, form []byte, rec *recorder) error {
	route, params, skip := v.route(r, form, rec.status)
	if skip {
		return nil
	}
	if route == nil {
		return fmt.Errorf("no operation describes it")
	}
	in := &openapi3filter.ResponseValidationInput{
		RequestValidationInput: &openapi3filter.RequestValidationInput{Request: r, PathParams: params, Route: route},
		Status:                 rec.status,
		Header:                 rec.Header(),
		Options:                &openapi3filter.Options{IncludeResponseStatus: true, MultiError: true},
	}
	in.SetBodyBytes(rec.body.Bytes())
	return openapi3filter.ValidateResponse(context.Background(), in)
}

// route finds the operation that describes r: for an Alibaba call, the
// one of its action (path "/#Action"). skip is true for what the
// description leaves out by design.
func (v *validator) route(r *http.Request, form []byte, status int) (route *routers.Route, params map[string]string, skip bool) {
	p := r.URL.Path
	switch {
	case r.Method == http.MethodHead, strings.HasPrefix(p, "/item/"), p == "/" && r.Method == http.MethodGet && !alibaba.IsRPC(r):
		return nil, nil, true
	case p == "/":
		return v.action(r, form), nil, false
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
	if values, err := url.ParseQuery(string(form)); name == "" && err == nil {
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
