package openapi_test

import (
	"bytes"
	"io"
	"net/http"
	"regexp"
	"strings"
	"testing"

	"github.com/labstack/echo/v4"

	"github.com/pixmatch/pixmatch/server/api/openapi"
	"github.com/pixmatch/pixmatch/server/internal/testserver"
)

// TestDescriptionIsValid checks that the description loads and is valid
// OpenAPI 3 (kin-openapi's loader and Validate).
func TestDescriptionIsValid(t *testing.T) {
	doc, err := testserver.Description()
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(doc.OpenAPI, "3.") {
		t.Fatalf("openapi %q, want 3.x", doc.OpenAPI)
	}
}

// TestServed checks that GET /openapi.json answers the description to a
// client without credentials.
func TestServed(t *testing.T) {
	s := testserver.New(t)
	res, err := http.Get(s.URL() + openapi.Path)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	if res.StatusCode != http.StatusOK || !strings.HasPrefix(res.Header.Get("Content-Type"), "application/json") {
		t.Fatalf("GET %s: %d %s", openapi.Path, res.StatusCode, res.Header.Get("Content-Type"))
	}
	if !bytes.Equal(body, openapi.Document()) {
		t.Fatalf("GET %s: %d bytes, not the description's %d", openapi.Path, len(body), len(openapi.Document()))
	}
}

// TestEveryRouteDescribed checks that every route the server has for the
// CRS, sync and Alibaba APIs has an operation in the description: a
// route added without describing it fails here.
func TestEveryRouteDescribed(t *testing.T) {
	doc, err := testserver.Description()
	if err != nil {
		t.Fatal(err)
	}
	e, ok := testserver.New(t).HTTP.Config.Handler.(*echo.Echo)
	if !ok {
		t.Fatal("the test server's handler is not the Echo instance")
	}
	param := regexp.MustCompile(`:(\w+)`)
	described := 0
	for _, r := range e.Routes() {
		p := r.Path
		switch {
		case r.Method == http.MethodHead, strings.HasPrefix(p, "/item/"), p == "/sw.js", strings.HasPrefix(p, "/app/"):
			continue // not an API operation: the web app, the legacy Alibaba API
		case r.Method == echo.RouteNotFound, r.Method == "echo_route_not_found":
			continue
		}
		if len(p) > 1 {
			p = strings.TrimSuffix(p, "/")
		}
		p = param.ReplaceAllString(p, "{$1}")
		item := doc.Paths.Value(p)
		if item == nil || item.GetOperation(r.Method) == nil {
			t.Errorf("%s %s (route %s) has no operation in the description", r.Method, p, r.Path)
		}
		described++
	}
	if described < 20 {
		t.Fatalf("only %d API routes checked: the server's routes were not found", described)
	}
}
