// Package crs serves the EasyAR Cloud Recognition (CRS) web API: target
// management, search, similarity, grading and the token service, with the
// service's JSON envelope, signatures and status codes, so that existing
// CRS clients work against pixmatch unchanged. Handlers translate the
// wire to gallery.Service calls and back; nothing else.
package crs

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/pixmatch/pixmatch/server/api/dialect"
	"github.com/pixmatch/pixmatch/server/auth"
	"github.com/pixmatch/pixmatch/server/config"
	"github.com/pixmatch/pixmatch/server/gallery"
	"github.com/pixmatch/pixmatch/shared/apierror"
	"github.com/pixmatch/pixmatch/shared/imagefile"
)

// Deps are what the CRS handler works with.
type Deps struct {
	Service *gallery.Service
	// Keys holds the API keys signatures are checked with.
	Keys   auth.Keys
	Tokens *auth.Tokens
	// Replays remembers the signatures of writes, so that a replayed
	// write is refused (auth.Verifier.Consume): the process's one memory,
	// shared with the other dialects; a Memory of the handler's own when
	// nil.
	Replays auth.Replays
	Config  config.CRS
	// BodyTimeout is how long a client may take to send a request body.
	BodyTimeout time.Duration
	Log         *slog.Logger
	Now         dialect.Clock // the wall clock when nil
}

// Handler serves the CRS API of a gallery service.
type Handler struct {
	svc         *gallery.Service
	tokens      *auth.Tokens
	cfg         config.CRS
	bodyTimeout time.Duration
	log         *slog.Logger
	clock       dialect.Clock
	verifier    *auth.Verifier
	policy      gallery.Policy
}

// New returns the CRS handler over d.
func New(d Deps) *Handler {
	if d.Replays == nil {
		d.Replays = &auth.Memory{}
	}
	imgs := d.Service.Config().Images
	return &Handler{
		svc: d.Service, tokens: d.Tokens, cfg: d.Config, bodyTimeout: d.BodyTimeout,
		log: dialect.Logger(d.Log), clock: d.Now,
		verifier: &auth.Verifier{Keys: d.Keys, Tokens: d.Tokens, Now: d.Now.Now, Skew: d.Config.TimestampSkew, Replays: d.Replays},
		policy: gallery.Policy{
			Formats: []imagefile.Format{imagefile.JPEG, imagefile.PNG},
			Limits:  imagefile.Limits{MaxPixels: imgs.MaxPixels, MinSide: imgs.MinSide},
		},
	}
}

// Routes adds the CRS routes to e.
func (h *Handler) Routes(e *echo.Echo) {
	e.GET("/ping", h.ping)
	e.GET("/ping/", h.ping)
	for _, p := range []string{"/targets", "/targets/"} {
		e.POST(p, h.create)
		e.DELETE(p, h.deleteMany)
	}
	e.GET("/targets/infos", h.list)
	e.GET("/targets/count", h.count)
	e.GET("/target/:id", h.get)
	e.PUT("/target/:id", h.update)
	e.DELETE("/target/:id", h.delete)
	for _, p := range []string{"/similar", "/similar/"} {
		e.POST(p, h.similar)
	}
	for _, kind := range []string{"detection", "tracking", "detail"} {
		e.POST("/grade/"+kind, h.grade(kind))
		e.POST("/grade/"+kind+"/", h.grade(kind))
	}
	for _, p := range []string{"/search", "/search/", "/v2/search", "/v2/search/"} {
		e.POST(p, h.search)
	}
	e.POST("/search/features", h.searchFeatures)
	e.POST("/search/features/", h.searchFeatures)
	e.POST("/tunnels", h.tunnel)
	e.POST("/tunnels/", h.tunnel)
	e.POST("/token/v2", h.token)
	e.POST("/token/v2/", h.token)
}

func (h *Handler) ping(c echo.Context) error {
	return h.ok(c, message{"pong"})
}

// open reads and authenticates a request for an operation needing perm,
// and finds the gallery it addresses.
func (h *Handler) open(c echo.Context, perm auth.Permission) (*request, error) {
	r, err := h.read(c)
	if err != nil {
		return nil, err
	}
	ctx := c.Request().Context()
	p, err := h.verifier.Verify(ctx, r.params, authorization(c.Request()))
	if err != nil {
		return nil, err
	}
	r.principal = p
	switch {
	case p.AppID != "":
		r.gallery, err = h.svc.Galleries.ByAppID(p.AppID)
	case p.Gallery != 0:
		r.gallery, err = h.svc.Galleries.ByID(p.Gallery)
	default: // an appKey for every gallery, without appId: the only one, if it is
		all := h.svc.Galleries.List()
		if len(all) != 1 {
			return nil, apierror.CRSInvalidAppID.Because(fmt.Errorf("appKey %q names no appId and the server has %d databases", p.KeyID, len(all)))
		}
		r.gallery = all[0]
	}
	if errors.Is(err, gallery.ErrNotFound) {
		return nil, apierror.CRSAppIDNotExist.Because(err)
	}
	if err != nil {
		return nil, err
	}
	if !p.Can(r.gallery.AppID, r.gallery.ID, perm) {
		denied := fmt.Errorf("key %q may not %v database %q", p.KeyID, perm, r.gallery.AppID)
		if p.Method == auth.Token {
			return nil, apierror.CRSInvalidAppKeyToken.Because(denied)
		}
		return nil, apierror.CRSAppIDNotExist.Because(denied)
	}
	if err := h.svc.Galleries.Serving(r.gallery.ID); err != nil {
		return nil, apierror.CRSAppIDNotExist.Because(fmt.Errorf("database %q: %w", r.gallery.AppID, err))
	}
	if perm&auth.Write != 0 { // a replayed write would undo a later change
		if err := h.verifier.Consume(ctx, p); err != nil {
			return nil, err
		}
	}
	return r, nil
}

// picture reads and decodes the request's image.
func (h *Handler) picture(ctx context.Context, r *request) (*gallery.Picture, error) {
	return h.decode(ctx, r, h.policy)
}

// decode reads the request's image and decodes it under policy.
func (h *Handler) decode(ctx context.Context, r *request, policy gallery.Policy) (*gallery.Picture, error) {
	data, err := h.image(r)
	if err != nil {
		return nil, err
	}
	pic, err := h.svc.Pictures.Read(ctx, data, policy)
	return pic, imageError(err)
}

// imageError maps a picture that cannot be used to its catalogue entry.
func imageError(err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, gallery.ErrImageTooLarge):
		return apierror.CRSTooLarge.Because(err)
	case errors.Is(err, gallery.ErrBusy):
		return apierror.CRSOverloaded.Because(err)
	case errors.Is(err, gallery.ErrImageFormat), errors.Is(err, gallery.ErrImageCorrupt),
		errors.Is(err, gallery.ErrImageTooSmall), errors.Is(err, gallery.ErrNoContent),
		errors.Is(err, gallery.ErrOrientation):
		return apierror.CRSImageNotCorrect.Because(err)
	}
	return err
}

// ctx returns the request's context.
var ctx = dialect.Ctx

// tunnel answers the legacy WebSocket recognition tunnel of the Sense 3
// SDKs, which pixmatch does not implement.
func (h *Handler) tunnel(c echo.Context) error {
	return h.fail(c, apierror.CRSOtherError.Because(errors.New("the legacy recognition tunnel is not implemented; use /search or /v2/search")), apierror.CRSOtherError)
}
