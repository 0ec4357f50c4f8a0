package app

import (
	"fmt"
	"net/url"

	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"
)

// WithCORS lets browser apps served from origins (exact origins such as
// "https://shop.example", or "*" for any) call every API from their
// pages: preflights are answered, the responses carry
// Access-Control-Allow-Origin, and X-Request-Id is readable. Without it,
// or with no origins, the server answers no cross-origin request (a
// browser's same-origin rule then refuses them). No credentials are
// allowed: the APIs authenticate by signatures, not cookies.
//
// The middleware is made here, not in New, so that a program without
// WithCORS (the Cloudflare Worker) does not link Echo's CORS middleware
// and the regular expressions it compiles origins into (regexp, some
// 60 KB of the Worker's gzipped module).
func WithCORS(origins []string) Option {
	return func(o *options) { o.cors = cors(origins) }
}

// CheckOrigin reports whether s is an origin WithCORS takes: "*", or a
// scheme, a host and an optional port, nothing else.
func CheckOrigin(s string) error {
	if s == "*" {
		return nil
	}
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" ||
		u.Path != "" || u.RawQuery != "" || u.Fragment != "" || u.User != nil {
		return fmt.Errorf("origin %q: want scheme://host[:port], or *", s)
	}
	return nil
}

// cors returns the CORS middleware for origins; nil, for none.
func cors(origins []string) echo.MiddlewareFunc {
	if len(origins) == 0 {
		return nil
	}
	return middleware.CORSWithConfig(middleware.CORSConfig{
		AllowOrigins:  origins,
		ExposeHeaders: []string{echo.HeaderXRequestID},
		MaxAge:        600,
	})
}
