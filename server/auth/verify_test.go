package auth

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/pixmatch/pixmatch/shared/apierror"
)

// epoch is the clock of the tests: the timestamp of the test vectors.
var epoch = time.UnixMilli(1514736000000)

// testKeys returns the credentials the tests sign with.
func testKeys() keyMap {
	return keyMap{
		"test_api_key":  {ID: "test_api_key", Secret: "test_api_secret"},
		"bound_api_key": {ID: "bound_api_key", Secret: "bound_api_secret", Gallery: 7},
		"test_app_key":  {ID: "test_app_key", Secret: "test_app_secret", Gallery: 7},
		"free_app_key":  {ID: "free_app_key", Secret: "free_app_secret"},
	}
}

// signed returns a copy of params with its signature under secret.
func signed(params map[string]string, secret string) map[string]string {
	p := maps.Clone(params)
	p[SignatureParam] = Sign(p, secret)
	return p
}

// with returns a copy of params with the given keys set; a value of "\x00"
// deletes the key instead.
func with(params map[string]string, kv ...string) map[string]string {
	p := maps.Clone(params)
	for i := 0; i+1 < len(kv); i += 2 {
		if kv[i+1] == "\x00" {
			delete(p, kv[i])
		} else {
			p[kv[i]] = kv[i+1]
		}
	}
	return p
}

// ms renders epoch+d as a timestamp parameter.
func ms(d time.Duration) string {
	return strconv.FormatInt(epoch.Add(d).UnixMilli(), 10)
}

// errorIs fails t unless err is want (nil meaning no error).
func errorIs(t *testing.T, err error, want *apierror.Error) {
	t.Helper()
	switch {
	case want == nil && err != nil:
		t.Fatalf("error %v, want none", err)
	case want != nil && !errors.Is(err, want):
		t.Fatalf("error %v, want %v", err, want)
	}
}

func TestVerifyAPIKey(t *testing.T) {
	req := map[string]string{
		"image": "aGVsbG8=", "name": "demo", "size": "20", "meta": "", "type": "ImageTarget",
		"allowSimilar": "0", "active": "1", "timestamp": "1514736000000",
		"appId": "test_app_id", "apiKey": "test_api_key",
	}
	const secret = "test_api_secret"
	ok := signed(req, secret)
	tests := []struct {
		name   string
		params map[string]string
		want   *apierror.Error
	}{
		{"vector 2 verbatim", with(req, "signature", "99a29142a48e1028ff7c93cfcbd3e6919e2dc82a1ec7828a49987ee77458a81a"), nil},
		{"signature in upper case", with(ok, "signature", strings.ToUpper(ok["signature"])), nil},
		{"timestamp 5m ahead", signed(with(req, "timestamp", ms(5*time.Minute)), secret), nil},
		{"timestamp 5m behind", signed(with(req, "timestamp", ms(-5*time.Minute)), secret), nil},
		{"timestamp 5m+1ms ahead", signed(with(req, "timestamp", ms(5*time.Minute+time.Millisecond)), secret), apierror.CRSInvalidDate},
		{"timestamp 5m+1ms behind", signed(with(req, "timestamp", ms(-5*time.Minute-time.Millisecond)), secret), apierror.CRSInvalidDate},
		{"timestamp in seconds", signed(with(req, "timestamp", "1514736000"), secret), apierror.CRSInvalidDate},
		{"timestamp not an integer", signed(with(req, "timestamp", "1514736000000.0"), secret), apierror.CRSInvalidDate},
		{"timestamp a date", signed(with(req, "timestamp", "2018-01-01T00:00:00.000Z"), secret), apierror.CRSInvalidDate},
		{"timestamp missing", signed(with(req, "timestamp", "\x00"), secret), apierror.CRSInvalidDate},
		{"appId missing", signed(with(req, "appId", "\x00"), secret), apierror.CRSInvalidAppID},
		{"appId empty", signed(with(req, "appId", ""), secret), apierror.CRSInvalidAppID},
		{"apiKey empty", signed(with(req, "apiKey", ""), secret), apierror.CRSInvalidAppID},
		{"apiKey unknown", signed(with(req, "apiKey", "nobody"), secret), apierror.CRSAppIDNotExist},
		{"signature missing", req, apierror.CRSInvalidSignature},
		{"signature empty", with(req, "signature", ""), apierror.CRSInvalidSignature},
		{"signature not hex", with(ok, "signature", strings.Repeat("zz", 32)), apierror.CRSInvalidSignature},
		{"signature truncated", with(ok, "signature", ok["signature"][:62]), apierror.CRSInvalidSignature},
		{"signed with another secret", signed(req, "other_secret"), apierror.CRSInvalidSignature},
		{"a signed param changed", with(ok, "name", "demo2"), apierror.CRSInvalidSignature},
		{"the image changed", with(ok, "image", "aGVsbG9="), apierror.CRSInvalidSignature},
		{"an unsigned param added", with(ok, "extra", "1"), apierror.CRSInvalidSignature},
		{"an unsigned empty param added", with(ok, "extra", ""), apierror.CRSInvalidSignature},
		{"a signed param removed", with(ok, "meta", "\x00"), apierror.CRSInvalidSignature},
		{"no credentials at all", map[string]string{"appId": "test_app_id"}, apierror.CRSInvalidAppID},
	}
	v := &Verifier{Keys: testKeys(), Now: func() time.Time { return epoch }}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := v.Verify(context.Background(), tt.params, "")
			errorIs(t, err, tt.want)
			if tt.want != nil {
				if !reflect.DeepEqual(p, Principal{}) {
					t.Errorf("Principal %+v with an error", p)
				}
				return
			}
			want := Principal{KeyID: "test_api_key", Method: APIKey, AppID: "test_app_id"}
			if p.KeyID != want.KeyID || p.Method != want.Method || p.AppID != want.AppID || p.Gallery != 0 {
				t.Errorf("Principal %+v, want %+v", p, want)
			}
			if !p.Can("test_app_id", 3, Read|Write) || !p.Can("another", 9, Write) {
				t.Errorf("an apiKey with no gallery cannot read and write everywhere")
			}
		})
	}
}

// TestVerifyAPIKeyFromJSON checks that a timestamp sent as a JSON number
// (Node, PHP) or as a JSON string (Java) verifies against the decimal text
// the client signed.
func TestVerifyAPIKeyFromJSON(t *testing.T) {
	sig := Sign(map[string]string{
		"appId": "test_app_id", "apiKey": "test_api_key", "timestamp": "1514736000000",
		"name": "demo", "size": "20", "active": "1",
	}, "test_api_secret")
	tests := []struct {
		name string
		body string
		want *apierror.Error
	}{
		{"number", `{"appId":"test_app_id","apiKey":"test_api_key","timestamp":1514736000000,"name":"demo","size":"20","active":"1","signature":"` + sig + `"}`, nil},
		{"string", `{"appId":"test_app_id","apiKey":"test_api_key","timestamp":"1514736000000","name":"demo","size":"20","active":"1","signature":"` + sig + `"}`, nil},
		{"numbers elsewhere", `{"appId":"test_app_id","apiKey":"test_api_key","timestamp":1514736000000,"name":"demo","size":20,"active":1,"signature":"` + sig + `"}`, nil},
		{"float timestamp", `{"appId":"test_app_id","apiKey":"test_api_key","timestamp":1514736000000.0,"name":"demo","size":"20","active":"1","signature":"` + sig + `"}`, apierror.CRSInvalidDate},
		{"boolean for a string", `{"appId":"test_app_id","apiKey":"test_api_key","timestamp":1514736000000,"name":"demo","size":"20","active":true,"signature":"` + sig + `"}`, apierror.CRSInvalidSignature},
	}
	v := &Verifier{Keys: testKeys(), Now: func() time.Time { return epoch }}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			params, err := ParamsFromJSON([]byte(tt.body))
			if err != nil {
				t.Fatal(err)
			}
			_, err = v.Verify(context.Background(), params, "")
			errorIs(t, err, tt.want)
		})
	}
}

func TestVerifyAppKey(t *testing.T) {
	req := map[string]string{"image": "aGVsbG8=", "timestamp": "1514736000000", "appKey": "test_app_key"}
	free := map[string]string{"image": "aGVsbG8=", "timestamp": "1514736000000", "appKey": "free_app_key"}
	tests := []struct {
		name        string
		params      map[string]string
		want        *apierror.Error
		wantGallery int64
		wantAppID   string
	}{
		{"legacy vector verbatim", with(req, "signature", "0e49b50d9d1aeaed978c02ae0f6c8a7fda9737e1910058fc34a5279e83a360d7"), nil, 7, ""},
		{"bound key naming an appId", signed(with(req, "appId", "app7"), "test_app_secret"), nil, 7, "app7"},
		{"free key with appId", signed(with(free, "appId", "app1"), "free_app_secret"), nil, 0, "app1"},
		{"free key without appId", signed(free, "free_app_secret"), nil, 0, ""},
		{"appKey empty", signed(with(req, "appKey", ""), "test_app_secret"), apierror.CRSInvalidAppID, 0, ""},
		{"appKey unknown", signed(with(req, "appKey", "nobody"), "test_app_secret"), apierror.CRSAppIDNotExist, 0, ""},
		{"timestamp stale", signed(with(req, "timestamp", ms(-6*time.Minute)), "test_app_secret"), apierror.CRSInvalidDate, 0, ""},
		{"timestamp missing", signed(with(req, "timestamp", "\x00"), "test_app_secret"), apierror.CRSInvalidDate, 0, ""},
		{"signed with the apiSecret", signed(req, "test_api_secret"), apierror.CRSInvalidSignature, 0, ""},
		{"image changed", with(signed(req, "test_app_secret"), "image", "aGVsbG9="), apierror.CRSInvalidSignature, 0, ""},
		{"signature missing", req, apierror.CRSInvalidSignature, 0, ""},
	}
	v := &Verifier{Keys: testKeys(), Now: func() time.Time { return epoch }}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := v.Verify(context.Background(), tt.params, "")
			errorIs(t, err, tt.want)
			if tt.want != nil {
				return
			}
			if p.Method != AppKey || p.KeyID != tt.params["appKey"] || p.Gallery != tt.wantGallery || p.AppID != tt.wantAppID {
				t.Errorf("Principal %+v, want appKey %s on gallery %d, appId %q", p, tt.params["appKey"], tt.wantGallery, tt.wantAppID)
			}
		})
	}
}

// brokenKeys fails every look-up, as a store that cannot be reached does.
type brokenKeys struct{ err error }

func (b brokenKeys) Credential(context.Context, string) (Credential, error) {
	return Credential{}, b.err
}

// TestVerifyKeysFailure checks that a failure to look a key up is not
// mistaken for an unknown key: it is not a catalogue entry.
func TestVerifyKeysFailure(t *testing.T) {
	down := errors.New("database is down")
	v := &Verifier{Keys: brokenKeys{down}, Now: func() time.Time { return epoch }}
	params := signed(map[string]string{"appId": "a", "apiKey": "test_api_key", "timestamp": ms(0)}, "test_api_secret")
	_, err := v.Verify(context.Background(), params, "")
	if !errors.Is(err, down) {
		t.Fatalf("error %v, want one wrapping %v", err, down)
	}
	if _, isEntry := errors.AsType[*apierror.Error](err); isEntry {
		t.Errorf("error %v is a catalogue entry", err)
	}
}

func TestPrincipalCan(t *testing.T) {
	acl, err := ParseACL(`[
		{"service":"ecs:crs","resource":["a","b"],"effect":"Allow","permission":["READ","WRITE"]},
		{"service":"ecs:crs","resource":["b"],"effect":"Deny","permission":["WRITE"]},
		{"service":"ecs:crs","resource":["c"],"effect":"Allow","permission":["READ"]}]`)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		p       Principal
		appID   string
		gallery int64
		perm    Permission
		want    bool
	}{
		{Principal{Method: APIKey}, "x", 1, Read | Write, true},
		{Principal{Method: AppKey}, "x", 1, Write, true},
		{Principal{Method: APIKey, Gallery: 7}, "x", 7, Read | Write, true},
		{Principal{Method: APIKey, Gallery: 7}, "x", 8, Read, false},
		{Principal{Method: AppKey, Gallery: 7}, "", 8, Read, false},
		{Principal{Method: APIKey}, "x", 1, 0, false},
		{Principal{}, "x", 1, Read, false},
		{Principal{Method: Token, acl: acl}, "a", 1, Read | Write, true},
		{Principal{Method: Token, acl: acl}, "b", 1, Read, true},
		{Principal{Method: Token, acl: acl}, "b", 1, Write, false},
		{Principal{Method: Token, acl: acl}, "b", 1, Read | Write, false},
		{Principal{Method: Token, acl: acl}, "c", 1, Read, true},
		{Principal{Method: Token, acl: acl}, "c", 1, Write, false},
		{Principal{Method: Token, acl: acl}, "d", 1, Read, false},
		{Principal{Method: Token, acl: acl, Gallery: 7}, "a", 8, Read, false},
	}
	for _, tt := range tests {
		name := fmt.Sprintf("%v/gallery%d/%s/%d/%v", tt.p.Method, tt.p.Gallery, tt.appID, tt.gallery, tt.perm)
		t.Run(name, func(t *testing.T) {
			if got := tt.p.Can(tt.appID, tt.gallery, tt.perm); got != tt.want {
				t.Errorf("Can = %v, want %v", got, tt.want)
			}
		})
	}
}

func BenchmarkVerifyAPIKey(b *testing.B) {
	v := &Verifier{Keys: testKeys(), Now: func() time.Time { return epoch }}
	for _, n := range []int{0, 1 << 20} {
		params := signed(createBody(n), "test_api_secret")
		b.Run(fmt.Sprintf("image=%dB", n), func(b *testing.B) {
			for b.Loop() {
				if _, err := v.Verify(context.Background(), params, ""); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
