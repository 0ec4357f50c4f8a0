// Package alibaba serves the Alibaba Cloud Image Search API: the
// 2020-12-14 RPC API the official SDKs call (POST /, the action in the
// x-acs-action header or the Action parameter) and the legacy 2018
// /item/{add,search,delete} API with its meta^content body. An instance
// is a pixmatch gallery, found by its name; an AccessKey is an API key.
// Handlers translate the wire to gallery.Service calls and back.
package alibaba

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/labstack/echo/v4"

	"github.com/pixmatch/pixmatch/server/api/body"
	"github.com/pixmatch/pixmatch/server/api/dialect"
	"github.com/pixmatch/pixmatch/server/auth"
	"github.com/pixmatch/pixmatch/server/config"
	"github.com/pixmatch/pixmatch/server/fetch"
	"github.com/pixmatch/pixmatch/server/gallery"
	"github.com/pixmatch/pixmatch/server/jobs"
	"github.com/pixmatch/pixmatch/server/store"
	"github.com/pixmatch/pixmatch/shared/apierror"
)

// Deps are what the Alibaba handler works with.
type Deps struct {
	Service *gallery.Service
	// Keys holds the AccessKey pairs signatures are checked with.
	Keys    auth.Keys
	Config  config.Alibaba
	Fetcher *fetch.Fetcher
	// URLKey signs the links to dump files and import reports.
	URLKey []byte
	// Replays remembers the nonces of the requests, so that a replayed
	// request is refused: the process's one memory, shared with the other
	// dialects; a Memory of the handler's own when nil.
	Replays auth.Replays
	// Jobs owns the imports, dumps and callbacks the handler starts;
	// required. Stopping it interrupts them, and then refuses new ones
	// with InternalError.
	Jobs *jobs.Runner
	// BodyTimeout is how long a client may take to send a request body.
	BodyTimeout time.Duration
	Log         *slog.Logger
	Now         dialect.Clock // the wall clock when nil
}

// Handler serves the Alibaba Image Search API of a gallery service.
type Handler struct {
	svc         *gallery.Service
	cfg         config.Alibaba
	fetcher     *fetch.Fetcher
	urlKey      []byte
	jobs        *jobs.Runner
	bodyTimeout time.Duration
	log         *slog.Logger
	clock       dialect.Clock
	verifier    *auth.AlibabaVerifier
	actions     map[string]func(*call) error // by action name, built once
}

// New returns the Alibaba handler over d. It panics without d.Jobs.
func New(d Deps) *Handler {
	if d.Jobs == nil {
		panic("alibaba: Deps.Jobs is nil")
	}
	if d.Replays == nil {
		d.Replays = &auth.Memory{}
	}
	h := &Handler{
		svc: d.Service, cfg: d.Config, fetcher: d.Fetcher, urlKey: d.URLKey, jobs: d.Jobs,
		bodyTimeout: d.BodyTimeout, log: dialect.Logger(d.Log), clock: d.Now,
		verifier: &auth.AlibabaVerifier{Keys: d.Keys, Now: d.Now.Now, Replays: d.Replays},
	}
	h.actions = map[string]func(*call) error{
		"AddImage":              h.addImage,
		"DeleteImage":           h.deleteImage,
		"UpdateImage":           h.updateImage,
		"CheckImageExists":      h.checkImageExists,
		"SearchImageByPic":      h.searchByPic,
		"SearchImageByName":     h.searchByName,
		"SearchImageByText":     h.searchByText,
		"SearchImageByFilter":   h.searchByFilter,
		"SearchImage":           h.searchImage,
		"CompareSimilarByImage": h.compare,
		"Detail":                h.detail,
		"DumpMeta":              h.dumpMeta,
		"DumpMetaList":          h.dumpMetaList,
		"IncreaseInstance":      h.increaseInstance,
		"IncreaseList":          h.increaseList,
	}
	return h
}

// Routes adds the routes to e.
func (h *Handler) Routes(e *echo.Echo) {
	e.POST("/", h.rpc) // GET / is routed by the caller through IsRPC and RPC
	for _, op := range []string{"add", "search", "delete"} {
		e.POST("/item/"+op, h.legacy(op))
	}
	e.GET("/files/:gallery/:name", h.file)
}

func (h *Handler) now() time.Time { return h.clock.Now() }

// IsRPC reports whether a request to / is an Alibaba API call (it names
// an action or carries a signature) rather than a visit to the web app.
func IsRPC(r *http.Request) bool {
	q := r.URL.Query()
	return r.Header.Get("x-acs-action") != "" || q.Has("Action") || q.Has("Signature") ||
		strings.HasPrefix(r.Header.Get("Authorization"), "ACS3-")
}

// RPC serves an Alibaba API call to /.
func (h *Handler) RPC(c echo.Context) error { return h.rpc(c) }

// call is one RPC request, read and authenticated.
type call struct {
	c         echo.Context
	action    string
	params    url.Values // query and form body merged, body values first
	requestID string
	start     time.Time

	key     auth.Credential
	gallery store.Gallery
}

// rpc serves POST / and GET /: reads the request, checks its signature,
// finds the instance and runs the action.
func (h *Handler) rpc(c echo.Context) error {
	k := &call{c: c, start: h.now(), requestID: newRequestID()}
	body, err := h.readBody(c)
	if err != nil {
		return h.fail(k, err)
	}
	form, err := url.ParseQuery(string(body))
	if err != nil && len(body) > 0 && isForm(c.Request()) {
		return h.fail(k, apierror.BadRequest.Because(fmt.Errorf("form body: %w", err)))
	}
	if !isForm(c.Request()) {
		form = url.Values{}
	}
	k.params = merge(form, c.QueryParams())
	if err := k.takeRequestID(); err != nil {
		return h.fail(k, err)
	}
	k.action = c.Request().Header.Get("x-acs-action")
	if k.action == "" {
		k.action = k.params.Get("Action")
	}
	k.key, err = h.verifier.Verify(c.Request().Context(), auth.AlibabaRequest{
		Method: c.Request().Method, Path: c.Request().URL.Path, Query: c.QueryParams(),
		Header: c.Request().Header, Host: c.Request().Host, Body: body, Form: form,
	})
	if err != nil {
		return h.fail(k, err)
	}
	run, ok := h.actions[k.action]
	if !ok {
		return h.fail(k, apierror.UnsupportedOperationType.Because(fmt.Errorf("action %q", k.action)))
	}
	dialect.SetAction(c, k.action)
	if err := h.instance(k, k.params.Get("InstanceName")); err != nil {
		return h.fail(k, err)
	}
	if err := run(k); err != nil {
		return h.fail(k, err)
	}
	return nil
}

func isForm(r *http.Request) bool {
	return strings.HasPrefix(r.Header.Get(echo.HeaderContentType), echo.MIMEApplicationForm)
}

// merge joins form and query parameters; the form's come first.
func merge(form, query url.Values) url.Values {
	out := url.Values{}
	for k, vs := range form {
		out[k] = append(out[k], vs...)
	}
	for k, vs := range query {
		out[k] = append(out[k], vs...)
	}
	return out
}

// readBody reads the request body up to the configured limit, giving the
// client BodyTimeout to send it. Errors: InvalidPicContent over the
// limit, RequestTimeout for a client too slow to send it, DeniedRequest
// when the process holds all the body bytes it allows, BadRequest for a
// body that breaks off.
func (h *Handler) readBody(c echo.Context) ([]byte, error) {
	b, err := body.Read(c, h.cfg.MaxBodyBytes, h.bodyTimeout)
	switch {
	case err == nil:
		return b, nil
	case errors.Is(err, body.ErrTooLarge):
		return nil, apierror.InvalidPicContent.Because(err)
	case errors.Is(err, body.ErrTimeout):
		return nil, apierror.RequestTimeout.Because(err)
	case errors.Is(err, body.ErrBusy):
		return nil, apierror.DeniedRequest.Because(err)
	}
	return nil, apierror.BadRequest.Because(fmt.Errorf("read body: %w", err))
}

// instance finds the gallery named by an InstanceName and checks that the
// key may use it and that it is available.
func (h *Handler) instance(k *call, name string) error {
	const maxName = 20
	switch {
	case name == "":
		return apierror.InvalidInstanceName.Because(errors.New("no InstanceName"))
	case len(name) > maxName:
		return apierror.InvalidInstance.Because(fmt.Errorf("InstanceName of %d characters, over %d", len(name), maxName))
	}
	g, err := h.svc.Galleries.ByName(name)
	if errors.Is(err, gallery.ErrNotFound) {
		return apierror.InvalidInstance.Because(err)
	}
	if err != nil {
		return err
	}
	if k.key.Gallery != 0 && k.key.Gallery != g.ID {
		return apierror.NoPermission.Because(fmt.Errorf("key %q may not use instance %q", k.key.ID, name))
	}
	if g.Suspended {
		return apierror.InstanceStatusError.Because(fmt.Errorf("instance %q is suspended", name))
	}
	k.gallery = g
	return nil
}

// takeRequestID lets a client choose the RequestId of its request.
func (k *call) takeRequestID() error {
	const maxRequestID = 64
	vs, ok := k.params["RequestId"]
	if !ok {
		return nil
	}
	id := vs[0]
	switch {
	case strings.TrimSpace(id) == "":
		return apierror.InvalidRequestId.Because(errors.New("RequestId is empty"))
	case len(id) > maxRequestID:
		return apierror.InvalidRequestIdTooLarge.Because(fmt.Errorf("RequestId of %d characters, over %d", len(id), maxRequestID))
	}
	k.requestID = id
	return nil
}

func newRequestID() string { return strings.ToUpper(uuid.NewString()) }

// ctx returns the request's context.
func (k *call) ctx() context.Context { return dialect.Ctx(k.c) }

// baseURL is the address clients reach this server at.
func baseURL(c echo.Context) string { return c.Scheme() + "://" + c.Request().Host }
