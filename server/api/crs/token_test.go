package crs_test

import (
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/pixmatch/pixmatch/server/auth"
)

// tokenRequest builds the signed body of POST /token/v2.
func tokenRequest(c *client, acl string, expires int, at time.Time) map[string]any {
	p := map[string]string{
		"apiKey":    c.key,
		"expires":   strconv.Itoa(expires),
		"acl":       acl,
		"timestamp": strconv.FormatInt(at.UnixMilli(), 10),
	}
	body := map[string]any{"apiKey": c.key, "expires": expires, "acl": acl, "timestamp": at.UnixMilli()}
	body["signature"] = auth.Sign(p, c.secret)
	return body
}

func acl(appID string, perms ...string) string {
	b, _ := json.Marshal([]map[string]any{{
		"service": "ecs:crs", "resource": []string{appID}, "effect": "Allow", "permission": perms,
	}})
	return string(b)
}

// issueToken gets a token with the given permissions on c's database.
func issueToken(e *env, c *client, perms ...string) string {
	e.t.Helper()
	r := c.rawJSON(http.MethodPost, "/token/v2", tokenRequest(c, acl(c.appID, perms...), 3600, time.Now()))
	want(e.t, r, 200, 0)
	var res struct {
		Token      string
		Expires    int
		Expiration string
	}
	r.into(e.t, &res)
	if res.Token == "" || res.Expires != 3600 || !strings.Contains(res.Expiration, "T") {
		e.t.Fatalf("token answer: %s", r.raw)
	}
	return res.Token
}

// TestTokens drives a client that authenticates with tokens only, as the
// EasyAR WebAR sample does.
func TestTokens(t *testing.T) {
	e := newEnv(t)
	signer := e.client()
	rw := &client{e: e, appID: e.gallery.AppID, token: issueToken(e, signer, "READ", "WRITE")}
	id := rw.createTarget("coffee", photo("coffee"), nil)

	ro := &client{e: e, token: issueToken(e, signer, "READ")} // no appId: taken from the ACL
	r := ro.json(http.MethodPost, "/search", map[string]any{"image": b64(photo("coffee")), "notracking": true})
	want(t, r, 200, 0)
	var hit struct{ Target target }
	r.into(t, &hit)
	if hit.Target.TargetID != id {
		t.Fatalf("token search: %s", r.raw)
	}
	r = ro.multipart("/v2/search", nil, photo("coffee"))
	want(t, r, 200, 0)

	bearer := &client{e: e, appID: e.gallery.AppID, token: "Bearer " + rw.token}
	want(t, bearer.query(http.MethodGet, "/targets/count", nil), 200, 0)

	other := &client{e: e, appID: "ffffffffffffffffffffffffffffffff", token: rw.token}
	want(t, other.query(http.MethodGet, "/targets/count", nil), 403, 6)

	tampered := []byte(rw.token)
	tampered[len(tampered)/2] ^= 1
	bad := &client{e: e, appID: e.gallery.AppID, token: string(tampered)}
	want(t, bad.query(http.MethodGet, "/targets/count", nil), 401, 6)
}

// TestTokenServiceCodes checks the token service's own status codes.
func TestTokenServiceCodes(t *testing.T) {
	e := newEnv(t)
	c := e.client()
	good := acl(c.appID, "READ")
	tests := []struct {
		name string
		body func() map[string]any
		http int
		code int
	}{
		{"4001011 unknown apiKey", func() map[string]any {
			u := *c
			u.key = "nobody"
			return tokenRequest(&u, good, 60, time.Now())
		}, 401, 4001011},
		{"4001012 stale timestamp", func() map[string]any { return tokenRequest(c, good, 60, time.Now().Add(-time.Hour)) }, 400, 4001012},
		{"4001015 bad signature", func() map[string]any {
			b := tokenRequest(c, good, 60, time.Now())
			b["expires"] = 61
			return b
		}, 401, 4001015},
		{"4001017 appId the key cannot use", func() map[string]any {
			return tokenRequest(c, acl("ffffffffffffffffffffffffffffffff", "READ"), 60, time.Now())
		}, 403, 4001017},
		{"4001022 empty resource", func() map[string]any {
			return tokenRequest(c, `[{"service":"ecs:crs","resource":[],"effect":"Allow","permission":["READ"]}]`, 60, time.Now())
		}, 400, 4001022},
		{"414 expires not positive", func() map[string]any { return tokenRequest(c, good, 0, time.Now()) }, 400, 414},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := c.rawJSON(http.MethodPost, "/token/v2", tt.body())
			want(t, r, tt.http, tt.code)
		})
	}
}
