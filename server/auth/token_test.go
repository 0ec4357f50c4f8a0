package auth

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/pixmatch/pixmatch/shared/apierror"
)

// clock is a settable time source.
type clock struct{ t time.Time }

func (c *clock) Now() time.Time { return c.t }

// tokenKey derives a 32-byte token key from a label.
func tokenKey(label string) []byte {
	k := sha256.Sum256([]byte(label))
	return k[:]
}

func newTokens(t testing.TB, label string, c *clock) *Tokens {
	t.Helper()
	tok, err := NewTokens(tokenKey(label), c.Now)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// tokenBody returns the params of a token request signed by the key id,
// sent as a JSON body the way the Node SDK sends it: expires and timestamp
// as numbers, acl as a JSON string.
func tokenBody(t testing.TB, id, secret string, expires int64, acl string) map[string]string {
	t.Helper()
	r := TokenRequest{APIKey: id, Expires: expires, ACL: acl, Timestamp: ms(0)}.Signed(secret)
	body, err := json.Marshal(map[string]any{
		"apiKey": r.APIKey, "expires": r.Expires, "acl": r.ACL,
		"timestamp": json.Number(r.Timestamp), "signature": r.Signature,
	})
	if err != nil {
		t.Fatal(err)
	}
	params, err := ParamsFromJSON(body)
	if err != nil {
		t.Fatal(err)
	}
	return params
}

// acl returns a one-statement ACL text.
func acl(effect string, appIDs []string, perms ...string) string {
	s := map[string]any{"service": "ecs:crs", "resource": appIDs, "effect": effect, "permission": perms}
	b, _ := json.Marshal([]any{s})
	return string(b)
}

func TestIssue(t *testing.T) {
	c := &clock{epoch}
	tokens := newTokens(t, "server", c)
	params := tokenBody(t, "test_api_key", "test_api_secret", 3600, acl("Allow", []string{"app1"}, "READ"))
	it, err := tokens.Issue(context.Background(), testKeys(), params, nil)
	if err != nil {
		t.Fatal(err)
	}
	if it.APIKey != "test_api_key" || it.Expires != 3600 || !it.Expiration.Equal(epoch.Add(time.Hour)) {
		t.Errorf("issued %+v", it)
	}
	if got, want := FormatExpiration(it.Expiration), "2017-12-31T17:00:00.000+0000"; got != want {
		t.Errorf("FormatExpiration = %s, want %s", got, want)
	}
	if _, err := base64.StdEncoding.DecodeString(it.Token); err != nil {
		t.Errorf("token %q is not standard base64: %v", it.Token, err)
	}
	claims, err := tokens.Parse(context.Background(), testKeys(), it.Token)
	if err != nil {
		t.Fatal(err)
	}
	want := TokenClaims{
		KeyID:   "test_api_key",
		ACL:     ACL{{AppIDs: []string{"app1"}, Permission: Read}},
		Issued:  epoch,
		Expires: epoch.Add(time.Hour),
	}
	if !reflect.DeepEqual(claims, want) {
		t.Errorf("claims %+v, want %+v", claims, want)
	}
	again, err := tokens.Issue(context.Background(), testKeys(), params, nil)
	if err != nil {
		t.Fatal(err)
	}
	if again.Token == it.Token {
		t.Errorf("two tokens share a nonce")
	}
}

func TestIssueErrors(t *testing.T) {
	const id, secret = "test_api_key", "test_api_secret"
	read := acl("Allow", []string{"app1"}, "READ")
	ok := tokenBody(t, id, secret, 3600, read)
	down := errors.New("database is down")
	refuse := func(_ context.Context, cred Credential, appIDs []string) error {
		if slices.Contains(appIDs, "app1") {
			return nil
		}
		return fmt.Errorf("key %s may not use %v: %w", cred.ID, appIDs, ErrNotAuthorized)
	}
	tests := []struct {
		name      string
		params    map[string]string
		authorize Authorizer
		want      *apierror.Error
	}{
		{"ok", ok, nil, nil},
		{"30 days", tokenBody(t, id, secret, 30*86400, read), nil, nil},
		{"authorized", ok, refuse, nil},
		{"apiKey unknown", tokenBody(t, "nobody", secret, 3600, read), nil, apierror.CRSTokenAPIKeyInvalid},
		{"apiKey missing", signed(with(ok, "apiKey", "\x00"), secret), nil, apierror.CRSTokenAPIKeyInvalid},
		{"timestamp stale", signed(with(ok, "timestamp", ms(-5*time.Minute-time.Millisecond)), secret), nil, apierror.CRSTokenTimestampInvalid},
		{"timestamp at the edge", signed(with(ok, "timestamp", ms(5*time.Minute)), secret), nil, nil},
		{"timestamp in seconds", signed(with(ok, "timestamp", "1514736000"), secret), nil, apierror.CRSTokenTimestampInvalid},
		{"timestamp missing", signed(with(ok, "timestamp", "\x00"), secret), nil, apierror.CRSTokenTimestampInvalid},
		{"signature missing", with(ok, "signature", "\x00"), nil, apierror.CRSTokenSignatureInvalid},
		{"signature of another secret", signed(ok, "wrong"), nil, apierror.CRSTokenSignatureInvalid},
		{"acl changed after signing", with(ok, "acl", acl("Allow", []string{"app1"}, "READ", "WRITE")), nil, apierror.CRSTokenSignatureInvalid},
		{"expires changed after signing", with(ok, "expires", "7200"), nil, apierror.CRSTokenSignatureInvalid},
		{"expires 0", tokenBody(t, id, secret, 0, read), nil, apierror.CRSParameterInvalid},
		{"expires negative", tokenBody(t, id, secret, -1, read), nil, apierror.CRSParameterInvalid},
		{"expires over 30 days", tokenBody(t, id, secret, 30*86400+1, read), nil, apierror.CRSParameterInvalid},
		{"expires not an integer", signed(with(ok, "expires", "1.5"), secret), nil, apierror.CRSParameterInvalid},
		{"expires missing", signed(with(ok, "expires", "\x00"), secret), nil, apierror.CRSParameterInvalid},
		{"acl not JSON", tokenBody(t, id, secret, 3600, "[{"), nil, apierror.CRSParameterInvalid},
		{"acl an object", tokenBody(t, id, secret, 3600, `{"service":"ecs:crs","resource":["app1"],"effect":"Allow","permission":["READ"]}`), nil, apierror.CRSParameterInvalid},
		{"acl missing", signed(with(ok, "acl", "\x00"), secret), nil, apierror.CRSParameterInvalid},
		{"acl empty", tokenBody(t, id, secret, 3600, "[]"), nil, apierror.CRSTokenResourceEmpty},
		{"statement without resource", tokenBody(t, id, secret, 3600, `[{"service":"ecs:crs","effect":"Allow","permission":["READ"]}]`), nil, apierror.CRSTokenResourceEmpty},
		{"statement with empty resource", tokenBody(t, id, secret, 3600, acl("Allow", []string{""}, "READ")), nil, apierror.CRSTokenResourceEmpty},
		{"other service", tokenBody(t, id, secret, 3600, `[{"service":"ecs:ars","resource":["app1"],"effect":"Allow","permission":["READ"]}]`), nil, apierror.CRSParameterInvalid},
		{"unknown effect", tokenBody(t, id, secret, 3600, acl("Maybe", []string{"app1"}, "READ")), nil, apierror.CRSParameterInvalid},
		{"unknown permission", tokenBody(t, id, secret, 3600, acl("Allow", []string{"app1"}, "DELETE")), nil, apierror.CRSParameterInvalid},
		{"no permission", tokenBody(t, id, secret, 3600, acl("Allow", []string{"app1"})), nil, apierror.CRSParameterInvalid},
		{"authorize refuses", tokenBody(t, id, secret, 3600, acl("Allow", []string{"app2"}, "READ")), refuse, apierror.CRSTokenAppIDNotAuthorized},
		{"bound key without authorize", tokenBody(t, "bound_api_key", "bound_api_secret", 3600, read), nil, apierror.CRSTokenAppIDNotAuthorized},
	}
	tokens := newTokens(t, "server", &clock{epoch})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := tokens.Issue(context.Background(), testKeys(), tt.params, tt.authorize)
			errorIs(t, err, tt.want)
		})
	}

	t.Run("keys fail", func(t *testing.T) {
		_, err := tokens.Issue(context.Background(), brokenKeys{down}, ok, nil)
		if _, isEntry := errors.AsType[*apierror.Error](err); !errors.Is(err, down) || isEntry {
			t.Errorf("error %v, want %v outside the catalogue", err, down)
		}
	})
	t.Run("authorize fails", func(t *testing.T) {
		_, err := tokens.Issue(context.Background(), testKeys(), ok, func(context.Context, Credential, []string) error { return down })
		if _, isEntry := errors.AsType[*apierror.Error](err); !errors.Is(err, down) || isEntry {
			t.Errorf("error %v, want %v outside the catalogue", err, down)
		}
	})
}

func TestNewTokensKeySize(t *testing.T) {
	for _, n := range []int{0, 16, 31, 33, 64} {
		if _, err := NewTokens(make([]byte, n), nil); err == nil {
			t.Errorf("NewTokens accepted a %d-byte key", n)
		}
	}
}

// issued returns a token for the ACL text, issued by tokens to
// test_api_key for an hour.
func issued(t testing.TB, tokens *Tokens, keys Keys, aclText string) string {
	t.Helper()
	params := tokenBody(t, "test_api_key", "test_api_secret", 3600, aclText)
	it, err := tokens.Issue(context.Background(), keys, params, nil)
	if err != nil {
		t.Fatal(err)
	}
	return it.Token
}

// flipped returns the token with one bit of its sealed bytes changed at
// byte i.
func flipped(token string, i int) string {
	raw, _ := base64.StdEncoding.DecodeString(token)
	raw[i] ^= 1
	return base64.StdEncoding.EncodeToString(raw)
}

func TestVerifyToken(t *testing.T) {
	c := &clock{epoch}
	tokens := newTokens(t, "server", c)
	keys := testKeys()
	readApp1 := issued(t, tokens, keys, acl("Allow", []string{"app1"}, "READ"))
	denyWrite := issued(t, tokens, keys, `[
		{"service":"ecs:crs","resource":["app2"],"effect":"Deny","permission":["WRITE"]},
		{"service":"ecs:crs","resource":["app1","app2"],"effect":"Allow","permission":["READ","WRITE"]}]`)
	denyAll := issued(t, tokens, keys, `[
		{"service":"ecs:crs","resource":["app1","app2"],"effect":"Allow","permission":["READ","WRITE"]},
		{"service":"ecs:crs","resource":["app1"],"effect":"deny","permission":["READ","WRITE"]}]`)
	foreign := issued(t, newTokens(t, "another server", c), keys, acl("Allow", []string{"app1"}, "READ"))

	type check struct {
		appID string
		perm  Permission
		can   bool
	}
	tests := []struct {
		name      string
		token     string
		params    map[string]string
		at        time.Duration // clock offset from the issue time
		want      *apierror.Error
		wantCause *apierror.Error
		wantAppID string
		checks    []check
	}{
		{name: "read token reads", token: readApp1, params: map[string]string{"appId": "app1"}, wantAppID: "app1",
			checks: []check{{"app1", Read, true}, {"app1", Write, false}, {"app2", Read, false}}},
		{name: "Bearer prefix", token: "Bearer " + readApp1, params: map[string]string{"appId": "app1"}, wantAppID: "app1"},
		{name: "no appId falls back to the ACL", token: readApp1, params: map[string]string{"image": "aGVsbG8="}, wantAppID: "app1"},
		{name: "signed params are ignored", token: readApp1, params: map[string]string{"appId": "app1", "apiKey": "nobody", "signature": "x"}, wantAppID: "app1"},
		{name: "deny wins", token: denyWrite, params: map[string]string{"appId": "app2"}, wantAppID: "app2",
			checks: []check{{"app2", Read, true}, {"app2", Write, false}, {"app1", Read | Write, true}}},
		{name: "denied appId", token: denyAll, params: map[string]string{"appId": "app1"}, want: apierror.CRSInvalidAppKeyToken},
		{name: "fallback skips a denied appId", token: denyAll, params: map[string]string{}, wantAppID: "app2"},
		{name: "appId not in the ACL", token: readApp1, params: map[string]string{"appId": "app2"}, want: apierror.CRSInvalidAppKeyToken},
		{name: "just before expiry", token: readApp1, params: map[string]string{"appId": "app1"}, at: time.Hour - time.Millisecond, wantAppID: "app1"},
		{name: "expired", token: readApp1, params: map[string]string{"appId": "app1"}, at: time.Hour, want: apierror.CRSInvalidToken, wantCause: apierror.CRSTokenExpired},
		{name: "tampered nonce", token: flipped(readApp1, 3), params: map[string]string{"appId": "app1"}, want: apierror.CRSInvalidToken, wantCause: apierror.CRSTokenDecryptionError},
		{name: "tampered ciphertext", token: flipped(readApp1, 20), params: map[string]string{"appId": "app1"}, want: apierror.CRSInvalidToken, wantCause: apierror.CRSTokenDecryptionError},
		{name: "tampered version", token: flipped(readApp1, 0), params: map[string]string{"appId": "app1"}, want: apierror.CRSInvalidToken, wantCause: apierror.CRSTokenDecryptionError},
		{name: "truncated", token: readApp1[:24], params: map[string]string{"appId": "app1"}, want: apierror.CRSInvalidToken, wantCause: apierror.CRSTokenDecryptionError},
		{name: "another server's token", token: foreign, params: map[string]string{"appId": "app1"}, want: apierror.CRSInvalidToken, wantCause: apierror.CRSTokenDecryptionError},
		{name: "not base64", token: "not*base64!", params: map[string]string{"appId": "app1"}, want: apierror.CRSInvalidToken, wantCause: apierror.CRSTokenNotBase64},
		{name: "only Bearer", token: "Bearer ", params: map[string]string{"appId": "app1"}, want: apierror.CRSInvalidToken},
	}
	v := &Verifier{Keys: keys, Tokens: tokens, Now: c.Now}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c.t = epoch.Add(tt.at)
			defer func() { c.t = epoch }()
			p, err := v.Verify(context.Background(), tt.params, tt.token)
			errorIs(t, err, tt.want)
			if tt.wantCause != nil && !errors.Is(err, tt.wantCause) {
				t.Errorf("error %v does not carry %v", err, tt.wantCause)
			}
			if tt.want != nil {
				return
			}
			if p.Method != Token || p.KeyID != "test_api_key" || p.AppID != tt.wantAppID {
				t.Errorf("Principal %+v, want a token of test_api_key on %s", p, tt.wantAppID)
			}
			for _, ch := range tt.checks {
				if got := p.Can(ch.appID, 1, ch.perm); got != ch.can {
					t.Errorf("Can(%s, %v) = %v, want %v", ch.appID, ch.perm, got, ch.can)
				}
			}
		})
	}
}

func TestVerifyTokenRevokedKey(t *testing.T) {
	c := &clock{epoch}
	tokens := newTokens(t, "server", c)
	keys := testKeys()
	token := issued(t, tokens, keys, acl("Allow", []string{"app1"}, "READ"))
	v := &Verifier{Keys: keys, Tokens: tokens, Now: c.Now}
	if _, err := v.Verify(context.Background(), map[string]string{"appId": "app1"}, token); err != nil {
		t.Fatalf("before revoking: %v", err)
	}
	delete(keys, "test_api_key")
	_, err := v.Verify(context.Background(), map[string]string{"appId": "app1"}, token)
	errorIs(t, err, apierror.CRSInvalidToken)
	if !errors.Is(err, apierror.CRSTokenAPIKeyInvalid) || !errors.Is(err, ErrUnknownKey) {
		t.Errorf("error %v does not say the key is gone", err)
	}
}

func TestVerifyTokenBoundKey(t *testing.T) {
	c := &clock{epoch}
	tokens := newTokens(t, "server", c)
	keys := testKeys()
	params := tokenBody(t, "bound_api_key", "bound_api_secret", 600, acl("Allow", []string{"app7"}, "READ", "WRITE"))
	allow7 := func(_ context.Context, cred Credential, appIDs []string) error {
		if cred.Gallery == 7 && slices.Equal(appIDs, []string{"app7"}) {
			return nil
		}
		return ErrNotAuthorized
	}
	it, err := tokens.Issue(context.Background(), keys, params, allow7)
	if err != nil {
		t.Fatal(err)
	}
	v := &Verifier{Keys: keys, Tokens: tokens, Now: c.Now}
	p, err := v.Verify(context.Background(), map[string]string{"appId": "app7"}, it.Token)
	if err != nil {
		t.Fatal(err)
	}
	if p.Gallery != 7 || !p.Can("app7", 7, Read|Write) || p.Can("app7", 8, Read) {
		t.Errorf("Principal %+v does not keep its key's gallery", p)
	}
}

func TestVerifyWithoutTokens(t *testing.T) {
	tokens := newTokens(t, "server", &clock{epoch})
	token := issued(t, tokens, testKeys(), acl("Allow", []string{"app1"}, "READ"))
	v := &Verifier{Keys: testKeys(), Now: func() time.Time { return epoch }}
	_, err := v.Verify(context.Background(), map[string]string{"appId": "app1"}, token)
	errorIs(t, err, apierror.CRSInvalidToken)
}

func TestParseErrors(t *testing.T) {
	c := &clock{epoch}
	tokens := newTokens(t, "server", c)
	token := issued(t, tokens, testKeys(), acl("Allow", []string{"app1"}, "READ"))
	tests := []struct {
		name  string
		token string
		at    time.Duration
		keys  Keys
		want  *apierror.Error
	}{
		{"ok", token, 0, testKeys(), nil},
		{"surrounding space", " " + token + "\n", 0, testKeys(), nil},
		{"not base64", token[:len(token)-1] + "*", 0, testKeys(), apierror.CRSTokenNotBase64},
		{"url-safe alphabet is not ours", "-_-_", 0, testKeys(), apierror.CRSTokenNotBase64},
		{"empty", "", 0, testKeys(), apierror.CRSTokenDecryptionError},
		{"foreign blob", base64.StdEncoding.EncodeToString(make([]byte, 64)), 0, testKeys(), apierror.CRSTokenDecryptionError},
		{"tampered", flipped(token, len(token)/2), 0, testKeys(), apierror.CRSTokenDecryptionError},
		{"expired", token, time.Hour + time.Minute, testKeys(), apierror.CRSTokenExpired},
		{"key gone", token, 0, keyMap{}, apierror.CRSTokenAPIKeyInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c.t = epoch.Add(tt.at)
			defer func() { c.t = epoch }()
			_, err := tokens.Parse(context.Background(), tt.keys, tt.token)
			errorIs(t, err, tt.want)
		})
	}
}

func TestTokenRequest(t *testing.T) {
	r := TokenRequest{APIKey: "test_api_key", Expires: 3600, ACL: "[]", Timestamp: "1514736000000"}
	want := Sign(map[string]string{
		"apiKey": "test_api_key", "expires": "3600", "acl": "[]", "timestamp": "1514736000000",
	}, "test_api_secret")
	s := r.Signed("test_api_secret")
	if s.Signature != want {
		t.Errorf("Signed signature %s, want %s", s.Signature, want)
	}
	if got := s.Signed("test_api_secret"); got.Signature != want {
		t.Errorf("signing twice gives %s", got.Signature)
	}
	if _, ok := r.Params()[SignatureParam]; ok {
		t.Errorf("unsigned Params carry a signature")
	}
	if got := s.Params()[SignatureParam]; got != want {
		t.Errorf("Params signature %q", got)
	}
}

func BenchmarkVerifyToken(b *testing.B) {
	c := &clock{epoch}
	tokens := newTokens(b, "server", c)
	token := issued(b, tokens, testKeys(), acl("Allow", []string{"app1"}, "READ"))
	v := &Verifier{Keys: testKeys(), Tokens: tokens, Now: c.Now}
	params := map[string]string{"appId": "app1"}
	for b.Loop() {
		if _, err := v.Verify(context.Background(), params, token); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkIssue(b *testing.B) {
	c := &clock{epoch}
	tokens := newTokens(b, "server", c)
	params := tokenBody(b, "test_api_key", "test_api_secret", 3600, acl("Allow", []string{"app1"}, "READ"))
	for b.Loop() {
		if _, err := tokens.Issue(context.Background(), testKeys(), params, nil); err != nil {
			b.Fatal(err)
		}
	}
}
