package auth

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/pixmatch/pixmatch/shared/apierror"
)

// Method is how a request authenticated itself.
type Method uint8

// The CRS authentication methods. The zero Method is none: the zero
// Principal may do nothing.
const (
	// APIKey is the current scheme: apiKey, appId, timestamp and a
	// signature under the apiSecret.
	APIKey Method = iota + 1
	// AppKey is the legacy scheme of the Sense 3.x SDKs: appKey, timestamp
	// and a signature under the appSecret.
	AppKey
	// Token is an access token from the token service in the
	// Authorization header.
	Token
)

// String returns "apiKey", "appKey" or "token".
func (m Method) String() string {
	switch m {
	case APIKey:
		return "apiKey"
	case AppKey:
		return "appKey"
	case Token:
		return "token"
	}
	return "Method(" + strconv.Itoa(int(m)) + ")"
}

// Principal is who makes an authenticated request and what it may do.
type Principal struct {
	// KeyID is the apiKey or appKey that signed the request or was issued
	// the token.
	KeyID string
	// Method is how the request authenticated itself.
	Method Method
	// AppID is the database the request addresses: its appId parameter,
	// or for a token without one the first appId its ACL grants. It is
	// empty for an appKey request without appId, which addresses Gallery
	// (or, for a key bound to none, whatever the caller decides).
	AppID string
	// Gallery is the only gallery the key may use; 0 means every gallery.
	Gallery int64

	acl ACL // the token's ACL; nil for signed requests

	// once is the key of the request's one-time value, its signature, for
	// Consume; empty for a token. onceUntil is when its timestamp leaves
	// the allowed skew.
	once      string
	onceUntil time.Time
}

// Grants returns the rights p holds on the database appID, leaving aside
// the key's Gallery restriction: read and write for a signed request, what
// the ACL grants for a token.
func (p Principal) Grants(appID string) Permission {
	switch p.Method {
	case APIKey, AppKey:
		return Read | Write
	case Token:
		return p.acl.Grants(appID)
	}
	return 0
}

// Can reports whether p holds every right of perm on the database with the
// given appId and gallery id. A key bound to a gallery can do nothing on
// any other.
func (p Principal) Can(appID string, gallery int64, perm Permission) bool {
	if perm == 0 || (p.Gallery != 0 && gallery != p.Gallery) {
		return false
	}
	return p.Grants(appID)&perm == perm
}

// Verifier authenticates CRS requests.
type Verifier struct {
	// Keys holds the apiKeys and appKeys.
	Keys Keys
	// Tokens reads access tokens; with none, every token is refused.
	Tokens *Tokens
	// Now tells the time; time.Now when nil.
	Now func() time.Time
	// Skew is how far a request's timestamp may be from Now, either way;
	// DefaultSkew when zero.
	Skew time.Duration
	// Replays remembers the signatures Consume spends. With none, nothing
	// is remembered, and a captured write is accepted again for as long as
	// its timestamp is within Skew.
	Replays Replays
}

// Verify authenticates a request from its parameters (query string, body
// and multipart fields merged) and its Authorization header. The method is
// chosen in this order:
//
//   - A non-empty authorization is a token (raw, or after "Bearer "). A
//     token that does not decode, open, or parse, has expired, or whose key
//     is gone is CRSInvalidToken. The database is the appId parameter, or
//     without one the first appId the ACL grants; a token whose ACL grants
//     nothing on it is CRSInvalidAppKeyToken.
//   - An apiKey parameter: appId missing is CRSInvalidAppID; timestamp
//     missing, not integer milliseconds or more than Skew from Now is
//     CRSInvalidDate; the key unknown is CRSAppIDNotExist; the signature
//     missing or wrong is CRSInvalidSignature.
//   - An appKey parameter: the same checks but for appId, which is
//     optional. A Principal with neither AppID nor Gallery addresses no
//     particular database; the caller decides (pixmatch picks the server's
//     only gallery, or refuses with CRSInvalidAppID when there are several).
//   - Anything else is CRSInvalidAppID.
//
// Each catalogue entry carries the precise cause for the logs. An error
// that is not a catalogue entry is a failure of Keys, for the caller to
// answer as an internal error.
func (v *Verifier) Verify(ctx context.Context, params map[string]string, authorization string) (Principal, error) {
	if authorization = strings.TrimSpace(authorization); authorization != "" {
		return v.verifyToken(ctx, params, authorization)
	}
	if _, ok := params["apiKey"]; ok {
		if params["appId"] == "" {
			return Principal{}, apierror.CRSInvalidAppID.Because(errors.New("apiKey request without appId"))
		}
		return v.checkSigned(ctx, params, APIKey)
	}
	if _, ok := params["appKey"]; ok {
		return v.checkSigned(ctx, params, AppKey)
	}
	return Principal{}, apierror.CRSInvalidAppID.Because(errors.New("no apiKey, appKey or Authorization token"))
}

// checkSigned checks the timestamp, key and signature of a request signed
// with method, APIKey or AppKey, whose key is the parameter of the same
// name, and returns its Principal.
func (v *Verifier) checkSigned(ctx context.Context, params map[string]string, method Method) (Principal, error) {
	idParam := method.String()
	id := params[idParam]
	if id == "" {
		return Principal{}, apierror.CRSInvalidAppID.Because(fmt.Errorf("%s is empty", idParam))
	}
	skew := skewOr(v.Skew)
	ts, err := checkTimestamp(params["timestamp"], v.now(), skew)
	if err != nil {
		return Principal{}, apierror.CRSInvalidDate.Because(err)
	}
	cred, err := lookUp(ctx, v.Keys, id, apierror.CRSAppIDNotExist)
	if err != nil {
		return Principal{}, err
	}
	sig, err := checkSignature(params, cred.Secret)
	if err != nil {
		return Principal{}, apierror.CRSInvalidSignature.Because(fmt.Errorf("%s %q: %w", idParam, id, err))
	}
	return Principal{KeyID: cred.ID, Method: method, AppID: params["appId"], Gallery: cred.Gallery,
		once: onceKey("crs", cred.ID, string(sig)), onceUntil: ts.Add(skew)}, nil
}

// Consume spends the one-time value of p, which Verify returned for a
// request that writes (create, update, delete), so that the same request
// sent again is refused. The value is the request's signature, remembered
// in Replays until its timestamp is more than Skew in the past: a signed
// write is never legitimately sent twice with the same signature, since
// a client signs each request with a new timestamp.
//
// A signature used already is CRSInvalidDate: the timestamp is the only
// one-time value of the protocol, and a client told its date is invalid
// takes the server's time from the answer's envelope and signs again,
// which is right for one retrying a request whose answer it lost. A full
// Replays is CRSOverloaded. A token-authenticated Principal, or a Verifier
// without Replays, spends nothing: tokens are bearer credentials sent many
// times. Reads are not meant to be spent: a replayed read changes nothing.
// An error that is not a catalogue entry is a failure of Replays, for the
// caller to answer as an internal error.
func (v *Verifier) Consume(ctx context.Context, p Principal) error {
	if p.once == "" || v.Replays == nil {
		return nil
	}
	err := v.Replays.Use(ctx, p.once, p.onceUntil)
	switch {
	case errors.Is(err, ErrReplayed):
		return apierror.CRSInvalidDate.Because(fmt.Errorf("%s %q: the signature of this write was used already: %w", p.Method, p.KeyID, err))
	case errors.Is(err, ErrReplaysFull):
		return apierror.CRSOverloaded.Because(err)
	case err != nil:
		return fmt.Errorf("auth: remember the signature of %s %q: %w", p.Method, p.KeyID, err)
	}
	return nil
}

// verifyToken authenticates a request carrying an access token.
func (v *Verifier) verifyToken(ctx context.Context, params map[string]string, authorization string) (Principal, error) {
	token := authorization
	if len(token) > len("Bearer ") && strings.EqualFold(token[:len("Bearer ")], "Bearer ") {
		token = strings.TrimSpace(token[len("Bearer "):])
	}
	if v.Tokens == nil {
		return Principal{}, apierror.CRSInvalidToken.Because(errors.New("this server issues no tokens"))
	}
	claims, cred, err := v.Tokens.parse(ctx, v.Keys, token)
	if _, isEntry := errors.AsType[*apierror.Error](err); isEntry {
		return Principal{}, apierror.CRSInvalidToken.Because(err)
	}
	if err != nil {
		return Principal{}, err
	}
	appID := params["appId"]
	if appID == "" {
		appID = claims.ACL.firstGranted()
	}
	if claims.ACL.Grants(appID) == 0 {
		return Principal{}, apierror.CRSInvalidAppKeyToken.Because(fmt.Errorf("token of key %q grants nothing on appId %q", claims.KeyID, appID))
	}
	return Principal{KeyID: cred.ID, Method: Token, AppID: appID, Gallery: cred.Gallery, acl: claims.ACL}, nil
}

// now returns v.Now(), or the wall clock when v.Now is nil.
func (v *Verifier) now() time.Time {
	if v.Now == nil {
		return time.Now()
	}
	return v.Now()
}
