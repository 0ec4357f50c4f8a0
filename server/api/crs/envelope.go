package crs

import (
	"errors"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/pixmatch/pixmatch/server/api/dialect"
	"github.com/pixmatch/pixmatch/shared/apierror"
)

// envelope is the body of every CRS response.
type envelope struct {
	StatusCode int    `json:"statusCode"`
	Result     any    `json:"result"`
	Timestamp  int64  `json:"timestamp"`
	Date       string `json:"date"`
}

// message is the result of a failed request.
type message struct {
	Message string `json:"message"`
}

// dateLayout is how the envelope's date is written: ISO 8601 in UTC with
// milliseconds, as the service does.
const dateLayout = "2006-01-02T15:04:05.000Z"

func (h *Handler) envelope(code int, result any) envelope { return newEnvelope(code, result, h.now()) }

func newEnvelope(code int, result any, now time.Time) envelope {
	now = now.UTC()
	return envelope{StatusCode: code, Result: result, Timestamp: now.UnixMilli(), Date: now.Format(dateLayout)}
}

// Error answers c with the CRS envelope of the catalogue entry e, at the
// time now: for the APIs that speak CRS's envelope without being its
// handlers (the sync API, paths no route serves).
func Error(c echo.Context, e *apierror.Error, now time.Time) error {
	return c.JSON(e.Status, newEnvelope(e.CRSCode(), message{e.Message}, now))
}

// Unrouted answers a request to a CRS path that no route serves (HTTP
// status 404 or 405 from the router), or whose handler failed without
// answering (500): CRSNoSuchPath or CRSOtherError in the envelope.
func (h *Handler) Unrouted(c echo.Context, status int, cause error) error {
	e := apierror.CRSNoSuchPath
	if status >= 500 {
		e = apierror.CRSOtherError
	}
	return h.fail(c, e.Because(cause), nil)
}

// ok answers a successful request.
func (h *Handler) ok(c echo.Context, result any) error {
	return c.JSON(http.StatusOK, h.envelope(0, result))
}

// fail answers with the catalogue entry err carries; any other error is
// answered as fallback (CRSOtherError when nil). Failures are logged.
func (h *Handler) fail(c echo.Context, err error, fallback *apierror.Error) error {
	if fallback == nil {
		fallback = apierror.CRSOtherError
	}
	e, ok := asCRS(err)
	if !ok {
		e = fallback.Because(err)
	}
	dialect.Failed(h.log, c, e, err)
	return c.JSON(e.Status, h.envelope(e.CRSCode(), message{e.Message}))
}

func (h *Handler) now() time.Time { return h.clock.Now() }

// asCRS finds the CRS catalogue entry in err's chain.
func asCRS(err error) (*apierror.Error, bool) {
	e, ok := errors.AsType[*apierror.Error](err)
	return e, ok && e.Dialect == apierror.CRS
}
