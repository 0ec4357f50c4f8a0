// Package openapi serves the OpenAPI 3.0 description of pixmatch's HTTP
// APIs at GET /openapi.json, without authentication: the CRS API, the
// sync API and the Alibaba RPC actions, as README.md lists them, and the
// operator's paths (/healthz, /readyz, /metrics, this description).
//
// The description is openapi.json, embedded at build time and served as
// it is. It cannot drift from the server: the API test suites
// (server/api/crs, sync, alibaba) validate every response they receive,
// and every request the server accepted, against it
// (testserver.ValidateResponses): a change that makes the server answer
// or accept what the description does not allow fails them, and a route
// without an operation fails this package's tests.
//
// How it describes what OpenAPI cannot say directly:
//   - CRS answers every request in one envelope {statusCode, result,
//     timestamp, date}; each operation's 200 response gives its result,
//     and its default response the failure envelope, whose statusCode
//     and HTTP status come from README's status-code table. A search's
//     200 may also carry statusCode 21 (out of QPS) with a message.
//   - Trailing slashes, accepted everywhere by CRS, are not listed.
//   - The Alibaba RPC API has one URL, POST / (GET too), and an Action
//     parameter. Path "/" describes the call in general; each action is
//     described on its own under the path "/#" + Action: a client sends
//     it to / (a URL's fragment is never sent) with Action set.
//
// Not described: the legacy Alibaba /item/ API and the web app's files.
package openapi

import (
	"net/http"

	"github.com/labstack/echo/v4"
)

// Path is where the description is served.
const Path = "/openapi.json"

// Document returns the description, OpenAPI 3.0 in JSON; nil in the
// Workers edition, which serves the file as a static asset (make worker
// copies it) instead of carrying it in its module. The caller must not
// change it.
func Document() []byte { return document }

// Routes serves the description at Path to anyone: it holds no secret.
// Without the document (the Workers edition) it adds no route.
func Routes(e *echo.Echo) {
	if document == nil {
		return
	}
	e.GET(Path, serve)
	e.HEAD(Path, serve)
}

func serve(c echo.Context) error {
	c.Response().Header().Set("Cache-Control", "no-cache")
	return c.Blob(http.StatusOK, echo.MIMEApplicationJSON, document)
}
