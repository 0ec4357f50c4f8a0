// Package body reads request bodies for the API dialects: within the
// time a client is given to send one, within the dialect's size limit,
// and charged to the process's budget of body bytes in flight (see
// package budget) before it is read. Each dialect maps the three ways a
// body can fail — too large, too slow, no room — to its own catalogue.
package body

import (
	"errors"
	"fmt"
	"net/http"
	"os"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/pixmatch/pixmatch/server/budget"
)

// Errors of Read, besides the reader's own.
var (
	// ErrTooLarge: the body is over the limit.
	ErrTooLarge = budget.ErrBodyTooLarge
	// ErrBusy: the process holds as many body bytes as it allows and none
	// came free within the wait.
	ErrBusy = budget.ErrBusy
	// ErrTimeout: the client did not send the body in time.
	ErrTimeout = errors.New("the request body did not arrive in time")
)

// Read reads the body of c's request, of at most limit bytes, giving the
// client timeout to send it (no limit when 0).
func Read(c echo.Context, limit int64, timeout time.Duration) ([]byte, error) {
	req := c.Request()
	if req.Body == nil || req.Body == http.NoBody {
		return nil, nil
	}
	if timeout > 0 {
		// Not every ResponseWriter supports deadlines (a test recorder
		// does not); the server's own ReadTimeout bounds the body then.
		_ = http.NewResponseController(c.Response().Writer).SetReadDeadline(time.Now().Add(timeout))
	}
	b, err := budget.ReadAll(req.Context(), req.Body, req.ContentLength, limit)
	// A share that waited out its deadline is busy, not a slow client:
	// its error carries the deadline too.
	if err != nil && !errors.Is(err, ErrBusy) && isTimeout(err) {
		return nil, fmt.Errorf("%w: %w", ErrTimeout, err)
	}
	return b, err
}

// isTimeout reports whether err is a network deadline.
func isTimeout(err error) bool {
	if errors.Is(err, os.ErrDeadlineExceeded) {
		return true
	}
	var t interface{ Timeout() bool }
	return errors.As(err, &t) && t.Timeout()
}
