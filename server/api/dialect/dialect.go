// Package dialect holds what every API dialect's handler needs the same
// way: the clock it answers with, the request's context, its logger, and
// how a failed request is logged. The answers themselves are each
// dialect's own (the CRS envelope, Alibaba's error body).
package dialect

import (
	"context"
	"log/slog"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/pixmatch/pixmatch/shared/apierror"
)

// Clock tells a handler the time; the zero Clock is the wall clock.
// Tests set one to sign and answer at a fixed time.
type Clock func() time.Time

// Now returns the time.
func (c Clock) Now() time.Time {
	if c == nil {
		return time.Now()
	}
	return c()
}

// Ctx returns the context of c's request: cancelled when the client goes.
func Ctx(c echo.Context) context.Context { return c.Request().Context() }

// Logger returns log, or the default logger when log is nil.
func Logger(log *slog.Logger) *slog.Logger {
	if log == nil {
		return slog.Default()
	}
	return log
}

// Failed records (see OutcomeOf) and logs a request answered with the
// catalogue entry e because of err: at Debug for what the client caused
// (the server's access line at Info carries the code and the cause, and
// is rate-limited for refused requests), at Error for a 5xx, with the
// request's method and path and the attributes given.
func Failed(log *slog.Logger, c echo.Context, e *apierror.Error, err error, attrs ...any) {
	o := outcome(c)
	o.Entry, o.Cause = e, err
	level := slog.LevelDebug
	if e.Status >= 500 {
		level = slog.LevelError
	}
	req := c.Request()
	attrs = append([]any{"method", req.Method, "path", req.URL.Path, "status", e.Status, "code", e.Code}, attrs...)
	log.Log(req.Context(), level, e.Dialect.String()+" request failed", append(attrs, "err", err)...)
}
