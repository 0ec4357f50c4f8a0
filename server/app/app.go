// Package app assembles pixmatch's HTTP server: the Echo instance, its
// middleware, and the routes of every dialect over one gallery service.
package app

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"

	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"

	"github.com/pixmatch/pixmatch/server/api/crs"
	"github.com/pixmatch/pixmatch/server/auth"
	"github.com/pixmatch/pixmatch/server/gallery"
	"github.com/pixmatch/pixmatch/server/store"
)

// New returns the HTTP handler serving every API of svc.
func New(ctx context.Context, svc *gallery.Service, log *slog.Logger) (*echo.Echo, error) {
	tokens, err := tokenService(ctx, svc)
	if err != nil {
		return nil, err
	}
	e := echo.New()
	e.HideBanner = true
	e.HidePort = true
	e.Use(middleware.RequestID())
	e.Use(middleware.Recover())
	e.Use(middleware.RequestLoggerWithConfig(middleware.RequestLoggerConfig{
		LogMethod: true, LogURI: true, LogStatus: true, LogLatency: true, LogRequestID: true,
		LogValuesFunc: func(c echo.Context, v middleware.RequestLoggerValues) error {
			log.Debug("request", "method", v.Method, "uri", v.URI, "status", v.Status, "latency", v.Latency, "id", v.RequestID)
			return nil
		},
	}))
	(&crs.Handler{Service: svc, Tokens: tokens, Config: svc.Config().CRS, Log: log}).Register(e)
	return e, nil
}

// tokenKeySetting names the stored key that seals access tokens.
const tokenKeySetting = "token-key"

// tokenService returns the token issuer, with its key made on first use
// and kept in the store so tokens survive restarts.
func tokenService(ctx context.Context, svc *gallery.Service) (*auth.Tokens, error) {
	encoded, err := svc.Setting(ctx, tokenKeySetting)
	if errors.Is(err, store.ErrNotFound) {
		key := make([]byte, auth.TokenKeySize)
		rand.Read(key)
		encoded = base64.StdEncoding.EncodeToString(key)
		err = svc.PutSetting(ctx, tokenKeySetting, encoded)
	}
	if err != nil {
		return nil, fmt.Errorf("app: token key: %w", err)
	}
	key, err := base64.StdEncoding.DecodeString(encoded)
	if err != nil {
		return nil, fmt.Errorf("app: stored token key: %w", err)
	}
	return auth.NewTokens(key, nil)
}
