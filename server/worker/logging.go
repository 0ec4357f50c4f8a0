package worker

import (
	"context"
	"log/slog"
	"time"
)

// EnvLogRequests is the variable (wrangler var) that has the Worker log
// every request's access line, as `pixmatch serve` does; unset, it logs
// only the requests that failed on its side (HTTP 5xx) or took
// SlowRequest or more.
const EnvLogRequests = "PIXMATCH_LOG_REQUESTS"

// SlowRequest is how long a request takes before its access line is
// logged whatever EnvLogRequests says.
const SlowRequest = time.Second

// accessLine is the message of the app's access line (server/app's
// observer), with its status and duration attributes.
const (
	accessLine     = "request"
	accessStatus   = "status"
	accessDuration = "duration"
)

// Requests returns a handler that passes h every record but the app's
// access lines of requests that were answered below HTTP 500 within
// SlowRequest, unless all is set. A log line is a call into JavaScript
// and a line in Cloudflare's logs for every request (6 % of a search's
// CPU under workerd); the lines a user needs (a failure, a slow search,
// the first use's credentials, an isolate's start) remain.
func Requests(h slog.Handler, all bool) slog.Handler {
	if all {
		return h
	}
	return requests{h}
}

// requests drops the access lines of requests that went well.
type requests struct{ slog.Handler }

// Handle passes r on unless it is the access line of a request that
// went well.
func (q requests) Handle(ctx context.Context, r slog.Record) error {
	if r.Message != accessLine || r.Level != slog.LevelInfo {
		return q.Handler.Handle(ctx, r)
	}
	keep := false
	r.Attrs(func(a slog.Attr) bool {
		switch a.Key {
		case accessStatus:
			keep = keep || a.Value.Kind() == slog.KindInt64 && a.Value.Int64() >= 500
		case accessDuration:
			keep = keep || a.Value.Kind() == slog.KindDuration && a.Value.Duration() >= SlowRequest
		}
		return !keep
	})
	if !keep {
		return nil
	}
	return q.Handler.Handle(ctx, r)
}

// WithAttrs keeps the filter over h's WithAttrs.
func (q requests) WithAttrs(as []slog.Attr) slog.Handler {
	return requests{q.Handler.WithAttrs(as)}
}

// WithGroup keeps the filter over h's WithGroup.
func (q requests) WithGroup(name string) slog.Handler {
	return requests{q.Handler.WithGroup(name)}
}
