package auth

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/pixmatch/pixmatch/shared/apierror"
)

// MaxTokenLifetime is the longest validity a token request may ask for.
const MaxTokenLifetime = 30 * 24 * time.Hour

// ExpirationLayout is the layout of a token's expiration on the wire,
// always written in UTC: "2025-12-17T08:01:14.399+0000".
const ExpirationLayout = "2006-01-02T15:04:05.000-0700"

// FormatExpiration returns t in UTC laid out as ExpirationLayout.
func FormatExpiration(t time.Time) string {
	return t.UTC().Format(ExpirationLayout)
}

// TokenKeySize is the length in bytes of the key that seals tokens
// (AES-256).
const TokenKeySize = 32

// tokenVersion is the first byte of every sealed token, naming its format.
const tokenVersion = 1

// tokenAAD binds a sealed token to its purpose, so a blob sealed with the
// same key for anything else never opens as a token.
var tokenAAD = []byte("pixmatch crs token v1")

// Tokens issues and reads CRS access tokens: claims sealed with
// AES-256-GCM under a server key and a random nonce, encoded in standard
// base64. Tokens are self-contained: the server keeps no record of them,
// and a token stops working when it expires, when its key is removed from
// Keys, or when the server key changes.
type Tokens struct {
	aead cipher.AEAD
	now  func() time.Time

	// Skew is how far a token request's timestamp may be from now, either
	// way; DefaultSkew when zero.
	Skew time.Duration
}

// NewTokens returns Tokens sealing with key, which must be TokenKeySize
// bytes, and telling the time with now (time.Now when nil).
func NewTokens(key []byte, now func() time.Time) (*Tokens, error) {
	if len(key) != TokenKeySize {
		return nil, fmt.Errorf("auth: token key is %d bytes, want %d", len(key), TokenKeySize)
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, fmt.Errorf("auth: token key: %w", err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, fmt.Errorf("auth: token key: %w", err)
	}
	if now == nil {
		now = time.Now
	}
	return &Tokens{aead: aead, now: now}, nil
}

// TokenClaims is what a token says: who it was issued to, what it allows,
// and when it was issued and expires.
type TokenClaims struct {
	KeyID   string
	ACL     ACL
	Issued  time.Time
	Expires time.Time
}

// TokenRequest is the body of a token request (POST /token/v2), as a
// client builds it.
type TokenRequest struct {
	APIKey    string
	Expires   int64  // validity in seconds
	ACL       string // the ACL as JSON text, signed as such
	Timestamp string // milliseconds since the Unix epoch, in decimal
	Signature string
}

// Params returns the request's parameters as the token service reads them;
// signature is left out while it is empty.
func (r TokenRequest) Params() map[string]string {
	p := map[string]string{
		"apiKey":    r.APIKey,
		"expires":   strconv.FormatInt(r.Expires, 10),
		"acl":       r.ACL,
		"timestamp": r.Timestamp,
	}
	if r.Signature != "" {
		p[SignatureParam] = r.Signature
	}
	return p
}

// Signed returns a copy of r carrying its signature under secret.
func (r TokenRequest) Signed(secret string) TokenRequest {
	r.Signature = ""
	r.Signature = Sign(r.Params(), secret)
	return r
}

// IssuedToken is the token service's answer. Expiration goes on the wire
// through FormatExpiration.
type IssuedToken struct {
	APIKey     string
	Expires    int64 // validity in seconds, as requested
	Token      string
	Expiration time.Time
}

// Authorizer decides whether the key cred may be issued a token naming
// appIDs (every appId of the ACL, once each). It returns nil to allow, an
// error wrapping ErrNotAuthorized to refuse, and any other error when it
// could not decide. The server supplies it: only it knows which appIds
// exist and which gallery each names.
type Authorizer func(ctx context.Context, cred Credential, appIDs []string) error

// ErrNotAuthorized is wrapped by an Authorizer's refusal.
var ErrNotAuthorized = errors.New("not authorized")

// Issue checks a token request as EasyAR's token service does and issues
// the token. params are the request's fields (from ParamsFromJSON); the
// signature covers every one of them but signature, with the acl as its
// JSON text. The checks, in order, and their answers:
//
//   - apiKey unknown: CRSTokenAPIKeyInvalid
//   - timestamp not integer milliseconds within Skew of now:
//     CRSTokenTimestampInvalid
//   - signature missing or wrong: CRSTokenSignatureInvalid
//   - expires not a positive integer of at most MaxTokenLifetime seconds,
//     acl not a JSON array of statements, a service other than "ecs:crs":
//     CRSParameterInvalid
//   - no statement, or a statement naming no appId: CRSTokenResourceEmpty
//   - authorize refuses: CRSTokenAppIDNotAuthorized
//   - sealing fails: CRSTokenGenerateFail
//
// A nil authorize allows keys usable on every gallery and refuses keys
// bound to one, since nothing can tell which appId names their gallery.
// Errors that are not catalogue entries are failures of keys or authorize.
func (t *Tokens) Issue(ctx context.Context, keys Keys, params map[string]string, authorize Authorizer) (IssuedToken, error) {
	id := params["apiKey"]
	if id == "" {
		return IssuedToken{}, apierror.CRSTokenAPIKeyInvalid.Because(errors.New("no apiKey"))
	}
	cred, err := lookUp(ctx, keys, id, apierror.CRSTokenAPIKeyInvalid)
	if err != nil {
		return IssuedToken{}, err
	}
	now := t.now()
	if _, err := checkTimestamp(params["timestamp"], now, skewOr(t.Skew)); err != nil {
		return IssuedToken{}, apierror.CRSTokenTimestampInvalid.Because(err)
	}
	if _, err := checkSignature(params, cred.Secret); err != nil {
		return IssuedToken{}, apierror.CRSTokenSignatureInvalid.Because(fmt.Errorf("token request by %q: %w", id, err))
	}
	expires, err := parseExpires(params["expires"])
	if err != nil {
		return IssuedToken{}, apierror.CRSParameterInvalid.Because(err)
	}
	acl, err := ParseACL(params["acl"])
	if err != nil {
		return IssuedToken{}, err
	}
	if err := authorizeACL(ctx, authorize, cred, acl.AppIDs()); err != nil {
		return IssuedToken{}, err
	}
	claims := TokenClaims{
		KeyID:   cred.ID,
		ACL:     acl,
		Issued:  now.Truncate(time.Millisecond),
		Expires: now.Truncate(time.Millisecond).Add(time.Duration(expires) * time.Second),
	}
	token, err := t.seal(claims)
	if err != nil {
		return IssuedToken{}, apierror.CRSTokenGenerateFail.Because(err)
	}
	return IssuedToken{APIKey: cred.ID, Expires: expires, Token: token, Expiration: claims.Expires}, nil
}

// parseExpires reads a token request's validity in seconds.
func parseExpires(text string) (int64, error) {
	n, err := strconv.ParseInt(text, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("expires %.40q is not an integer of seconds", text)
	}
	if n <= 0 || n > int64(MaxTokenLifetime/time.Second) {
		return 0, fmt.Errorf("expires %d is not between 1 and %d seconds", n, int64(MaxTokenLifetime/time.Second))
	}
	return n, nil
}

// authorizeACL asks authorize whether cred may name appIDs, and maps its
// answer to the catalogue.
func authorizeACL(ctx context.Context, authorize Authorizer, cred Credential, appIDs []string) error {
	var err error
	if authorize != nil {
		err = authorize(ctx, cred, appIDs)
	} else if cred.Gallery != 0 {
		err = fmt.Errorf("key %q is bound to gallery %d and no authorizer can check appIds: %w", cred.ID, cred.Gallery, ErrNotAuthorized)
	}
	switch {
	case err == nil:
		return nil
	case errors.Is(err, ErrNotAuthorized):
		return apierror.CRSTokenAppIDNotAuthorized.Because(err)
	}
	return fmt.Errorf("auth: authorize token for key %q: %w", cred.ID, err)
}

// Parse reads a token and returns its claims. A token that is not base64 is
// CRSTokenNotBase64; one that does not open under the server key, or holds
// no valid claims, is CRSTokenDecryptionError; one past its expiry is
// CRSTokenExpired; one whose key keys no longer holds is
// CRSTokenAPIKeyInvalid. Errors that are not catalogue entries are failures
// of keys.
func (t *Tokens) Parse(ctx context.Context, keys Keys, token string) (TokenClaims, error) {
	claims, _, err := t.parse(ctx, keys, token)
	return claims, err
}

// parse is Parse, also returning the credential of the token's key.
func (t *Tokens) parse(ctx context.Context, keys Keys, token string) (TokenClaims, Credential, error) {
	claims, err := t.open(token)
	if err != nil {
		return TokenClaims{}, Credential{}, err
	}
	if now := t.now(); !now.Before(claims.Expires) {
		return TokenClaims{}, Credential{}, apierror.CRSTokenExpired.Because(
			fmt.Errorf("token of key %q expired at %s, %v ago", claims.KeyID, FormatExpiration(claims.Expires), now.Sub(claims.Expires).Round(time.Millisecond)))
	}
	cred, err := lookUp(ctx, keys, claims.KeyID, apierror.CRSTokenAPIKeyInvalid)
	if err != nil {
		return TokenClaims{}, Credential{}, err
	}
	return claims, cred, nil
}

// sealedClaims is the JSON sealed in a token, kept short: the key id, the
// ACL, and the issue and expiry times in Unix milliseconds.
type sealedClaims struct {
	KeyID   string            `json:"k"`
	ACL     []sealedStatement `json:"a"`
	Issued  int64             `json:"i"`
	Expires int64             `json:"e"`
}

// sealedStatement is a Statement inside sealedClaims.
type sealedStatement struct {
	AppIDs     []string   `json:"r"`
	Deny       bool       `json:"d,omitempty"`
	Permission Permission `json:"p"`
}

// seal returns claims sealed and encoded as a token.
func (t *Tokens) seal(c TokenClaims) (string, error) {
	sc := sealedClaims{KeyID: c.KeyID, Issued: c.Issued.UnixMilli(), Expires: c.Expires.UnixMilli()}
	for _, s := range c.ACL {
		sc.ACL = append(sc.ACL, sealedStatement(s))
	}
	plain, err := json.Marshal(sc)
	if err != nil {
		return "", fmt.Errorf("encode token claims: %w", err)
	}
	out := make([]byte, 1+t.aead.NonceSize(), 1+t.aead.NonceSize()+len(plain)+t.aead.Overhead())
	out[0] = tokenVersion
	if _, err := rand.Read(out[1:]); err != nil {
		return "", fmt.Errorf("token nonce: %w", err)
	}
	out = t.aead.Seal(out, out[1:], plain, tokenAAD)
	return base64.StdEncoding.EncodeToString(out), nil
}

// open decodes and unseals a token, checking nothing but its integrity and
// shape.
func (t *Tokens) open(token string) (TokenClaims, error) {
	raw, err := base64.StdEncoding.DecodeString(strings.TrimSpace(token))
	if err != nil {
		return TokenClaims{}, apierror.CRSTokenNotBase64.Because(fmt.Errorf("token: %w", err))
	}
	ns := t.aead.NonceSize()
	if len(raw) < 1+ns+t.aead.Overhead() || raw[0] != tokenVersion {
		return TokenClaims{}, apierror.CRSTokenDecryptionError.Because(fmt.Errorf("token of %d bytes is not a version %d token", len(raw), tokenVersion))
	}
	plain, err := t.aead.Open(nil, raw[1:1+ns], raw[1+ns:], tokenAAD)
	if err != nil {
		return TokenClaims{}, apierror.CRSTokenDecryptionError.Because(fmt.Errorf("token: %w", err))
	}
	var sc sealedClaims
	if err := json.Unmarshal(plain, &sc); err != nil {
		return TokenClaims{}, apierror.CRSTokenDecryptionError.Because(fmt.Errorf("token claims: %w", err))
	}
	if sc.KeyID == "" {
		return TokenClaims{}, apierror.CRSTokenDecryptionError.Because(errors.New("token claims name no key"))
	}
	c := TokenClaims{KeyID: sc.KeyID, Issued: time.UnixMilli(sc.Issued), Expires: time.UnixMilli(sc.Expires)}
	for _, s := range sc.ACL {
		c.ACL = append(c.ACL, Statement(s))
	}
	return c, nil
}

// skewOr returns skew, or DefaultSkew when skew is not positive.
func skewOr(skew time.Duration) time.Duration {
	if skew <= 0 {
		return DefaultSkew
	}
	return skew
}
