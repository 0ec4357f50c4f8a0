package crs

import (
	"context"
	"fmt"
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/pixmatch/pixmatch/server/api/dialect"
	"github.com/pixmatch/pixmatch/server/auth"
	"github.com/pixmatch/pixmatch/shared/apierror"
)

// tokenEnvelope is the body of the token service's answers, which add a
// msg to the usual envelope.
type tokenEnvelope struct {
	envelope
	Msg string `json:"msg"`
}

// token issues an access token (POST /token/v2): the request is signed
// with the apiSecret over apiKey, expires, acl and timestamp; the token
// grants what the ACL says on the databases it names.
func (h *Handler) token(c echo.Context) error {
	r, err := h.read(c)
	if err != nil {
		return h.tokenFail(c, err)
	}
	issued, err := h.tokens.Issue(ctx(c), h.verifier.Keys, r.params, h.authorizeToken)
	if err != nil {
		return h.tokenFail(c, err)
	}
	return c.JSON(http.StatusOK, tokenEnvelope{
		envelope: h.envelope(0, map[string]any{
			"apiKey":     issued.APIKey,
			"expires":    issued.Expires,
			"token":      issued.Token,
			"expiration": auth.FormatExpiration(issued.Expiration),
		}),
		Msg: "Success",
	})
}

// authorizeToken lets a key ask for a token only on databases that exist
// and that it may use.
func (h *Handler) authorizeToken(_ context.Context, cred auth.Credential, appIDs []string) error {
	for _, id := range appIDs {
		g, err := h.svc.Galleries.ByAppID(id)
		if err != nil {
			return fmt.Errorf("appId %q: %w (%v)", id, auth.ErrNotAuthorized, err)
		}
		if cred.Gallery != 0 && cred.Gallery != g.ID {
			return fmt.Errorf("key %q is bound to another database than %q: %w", cred.ID, id, auth.ErrNotAuthorized)
		}
	}
	return nil
}

func (h *Handler) tokenFail(c echo.Context, err error) error {
	e, ok := asCRS(err)
	if !ok {
		e = apierror.CRSTokenGenerateFail.Because(err)
	}
	dialect.Failed(h.log, c, e, err)
	return c.JSON(e.Status, tokenEnvelope{envelope: h.envelope(e.CRSCode(), message{e.Message}), Msg: e.Message})
}
