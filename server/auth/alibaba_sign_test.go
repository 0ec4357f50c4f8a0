package auth

// Alibaba signatures made with the SDK's exported signing helpers rather
// than sent by a client, and requests refused for their shape.

import (
	"context"
	"crypto/hmac"
	"crypto/sha1"
	"encoding/base64"
	"errors"
	"io"
	"maps"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	openapiutil "github.com/alibabacloud-go/darabonba-openapi/v2/utils"
	"github.com/alibabacloud-go/tea/dara"

	"github.com/pixmatch/pixmatch/shared/apierror"
)

// TestAlibabaROAPathWithQuestionMark verifies the ROA resource of the
// older core SDKs, which end a path without query with "?". The signature
// is made by the darabonba utils and checked against a second computation.
func TestAlibabaROAPathWithQuestionMark(t *testing.T) {
	at := time.Date(2026, 11, 22, 8, 11, 33, 0, time.UTC)
	body := legacyBody("item_id", "p-1")
	header := http.Header{}
	for k, v := range map[string]string{"Accept": "application/json", "Content-MD5": md5Base64(body),
		"Content-Type": "application/octet-stream;charset=utf-8", "Date": at.Format(http.TimeFormat),
		"x-acs-signature-method": "HMAC-SHA1", "x-acs-signature-nonce": "n-1",
		"x-acs-signature-version": "1.0", "x-acs-version": "2018-01-20"} {
		header.Set(k, v)
	}
	toSign := "POST\napplication/json\n" + md5Base64(body) + "\napplication/octet-stream;charset=utf-8\n" +
		at.Format(http.TimeFormat) + "\nx-acs-signature-method:HMAC-SHA1\nx-acs-signature-nonce:n-1\n" +
		"x-acs-signature-version:1.0\nx-acs-version:2018-01-20\n/item/delete?"
	sig := dara.StringValue(openapiutil.GetROASignature(dara.String(toSign), dara.String("test_sk")))
	mac := hmac.New(sha1.New, []byte("test_sk"))
	io.WriteString(mac, toSign)
	if want := base64.StdEncoding.EncodeToString(mac.Sum(nil)); sig != want {
		t.Fatalf("GetROASignature = %s, a second computation %s", sig, want)
	}
	header.Set("Authorization", "acs test_ak:"+sig)
	req := AlibabaRequest{Method: "POST", Path: "/item/delete", Query: url.Values{}, Header: header,
		Host: "127.0.0.1:1", Body: []byte(body)}
	checkVerifies(t, req, at, commonTampers, roaTampers)
}

// testTime is the clock of the requests the tests sign by hand.
var testTime = time.Date(2026, 11, 22, 8, 11, 33, 0, time.UTC)

// v3Headers returns the headers the SDK signs on a V3 request with body.
func v3Headers(body string) map[string]string {
	return map[string]string{"host": "127.0.0.1:8080", "content-type": "application/x-www-form-urlencoded",
		"x-acs-action": "Detail", "x-acs-version": "2020-12-14", "x-acs-date": testTime.Format(isoDate),
		"x-acs-signature-nonce": "n-1", "x-acs-content-sha256": sha256Hex([]byte(body))}
}

// signedV3 returns a request with the given headers (lowercase names),
// query and body, signed by test_ak with the SDK's own GetAuthorization,
// which signs host, content-type and the x-acs-* headers among them.
func signedV3(headers, query map[string]string, body string) AlibabaRequest {
	dr := dara.NewRequest()
	dr.Method, dr.Pathname = dara.String("POST"), dara.String("/")
	dr.Headers, dr.Query = stringPointers(headers), stringPointers(query)
	authz := openapiutil.GetAuthorization(dr, dara.String(v3Algorithm), dara.String(sha256Hex([]byte(body))),
		dara.String("test_ak"), dara.String("test_sk"))
	r := AlibabaRequest{Method: "POST", Path: "/", Query: url.Values{}, Header: http.Header{}, Body: []byte(body)}
	for k, v := range headers {
		if k == "host" {
			r.Host = v
		} else {
			r.Header.Set(k, v)
		}
	}
	for k, v := range query {
		r.Query.Set(k, v)
	}
	r.Header.Set("Authorization", dara.StringValue(authz))
	return r
}

// signedRPC returns a classic RPC request of test_ak with the given query
// and form parameters, signed with the SDK's own GetRPCSignature.
func signedRPC(query, form map[string]string) AlibabaRequest {
	params := map[string]string{"AccessKeyId": "test_ak", "Action": "Detail", "Format": "json",
		"SignatureMethod": "HMAC-SHA1", "SignatureNonce": "n-1", "SignatureVersion": "1.0",
		"Timestamp": testTime.Format(isoDate), "Version": "2020-12-14"}
	maps.Copy(params, query)
	all := maps.Clone(params)
	maps.Copy(all, form)
	params["Signature"] = dara.StringValue(openapiutil.GetRPCSignature(stringPointers(all), dara.String("POST"), dara.String("test_sk")))
	r := AlibabaRequest{Method: "POST", Path: "/", Query: url.Values{}, Header: http.Header{}}
	for k, v := range params {
		r.Query.Set(k, v)
	}
	if form != nil {
		r.Form = url.Values{}
		for k, v := range form {
			r.Form.Set(k, v)
		}
		r.Body = []byte(r.Form.Encode())
	}
	return r
}

// TestAlibabaHandSigned checks requests signed with the SDK's exported
// signing helpers rather than sent by a client.
func TestAlibabaHandSigned(t *testing.T) {
	body := "InstanceName=demo&CustomContent=%E6%96%B0"
	checkVerifies(t, signedV3(v3Headers(body), map[string]string{"ScoreThreshold": "0.5", "Empty": ""}, body), testTime, commonTampers, v3Tampers)
	checkVerifies(t, signedV3(v3Headers(""), nil, ""), testTime, commonTampers, v3Tampers)
	checkVerifies(t, signedRPC(map[string]string{"ScoreThreshold": "0.5"}, map[string]string{"InstanceName": "demo", "S": "a b*~"}), testTime, commonTampers, rpcTampers)
}

// TestAlibabaRefusals checks requests that are refused before any
// signature is computed, or for their shape.
func TestAlibabaRefusals(t *testing.T) {
	body := "InstanceName=demo"
	withHeader := func(r AlibabaRequest, kv ...string) AlibabaRequest {
		r = cloneRequest(r)
		for i := 0; i+1 < len(kv); i += 2 {
			if kv[i+1] == "" {
				r.Header.Del(kv[i])
			} else {
				r.Header.Set(kv[i], kv[i+1])
			}
		}
		return r
	}
	good := signedV3(v3Headers(body), map[string]string{"A": "1"}, body)
	noHost := signedV3(with(v3Headers(body), "host", "\x00"), nil, body)
	noHost.Host = "127.0.0.1:8080"
	noType := signedV3(with(v3Headers(body), "content-type", "\x00"), nil, body)
	noType.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	repeated := cloneRequest(good)
	repeated.Query.Add("A", "2")
	rpc := signedRPC(nil, map[string]string{"InstanceName": "demo"})
	rpcRepeated := cloneRequest(rpc)
	rpcRepeated.Query.Add("Action", "DeleteImage")
	rpcBadBody := cloneRequest(rpc)
	rpcBadBody.Form, rpcBadBody.Body = nil, []byte("InstanceName=%zz")
	v3 := "ACS3-HMAC-SHA256 "
	hex64 := strings.Repeat("ab", 32)
	tests := []struct {
		name  string
		req   AlibabaRequest
		cause string
	}{
		{"nothing", AlibabaRequest{Method: "POST", Path: "/", Header: http.Header{}}, "no Authorization header and no Signature parameter"},
		{"bearer", withHeader(good, "Authorization", "Bearer abc"), `unsupported Authorization scheme "Bearer"`},
		{"SM3", withHeader(good, "Authorization", "ACS3-HMAC-SM3 Credential=test_ak"), "unsupported Authorization scheme"},
		{"two Authorization", func() AlibabaRequest { r := cloneRequest(good); r.Header.Add("Authorization", "x"); return r }(), "2 Authorization headers"},
		{"V3 no signature", withHeader(good, "Authorization", v3+"Credential=test_ak,SignedHeaders=host"), "is not 32 hex bytes"},
		{"V3 no credential", withHeader(good, "Authorization", v3+"SignedHeaders=host,Signature="+hex64), "no Credential"},
		{"V3 no SignedHeaders", withHeader(good, "Authorization", v3+"Credential=test_ak,Signature="+hex64), "no SignedHeaders"},
		{"V3 repeated field", withHeader(good, "Authorization", v3+"Credential=a,Credential=b"), "repeats Credential"},
		{"V3 unknown field", withHeader(good, "Authorization", v3+"Scope=x"), "unknown field"},
		{"V3 field without =", withHeader(good, "Authorization", v3+"Credential"), "is not name=value"},
		{"V3 upper-case header", withHeader(good, "Authorization", v3+"Credential=a,SignedHeaders=Host,Signature="+hex64), "not a lowercase header name"},
		{"V3 repeated header", withHeader(good, "Authorization", v3+"Credential=a,SignedHeaders=host;host,Signature="+hex64), `repeats "host"`},
		{"V3 host unsigned", noHost, "header host is not among the SignedHeaders"},
		{"V3 content-type unsigned", noType, "header content-type is not among the SignedHeaders"},
		{"V3 no payload hash", signedV3(with(v3Headers(body), "x-acs-content-sha256", "\x00"), nil, body), "no x-acs-content-sha256"},
		{"V3 payload hash not hex", signedV3(with(v3Headers(body), "x-acs-content-sha256", "zz"), nil, body), "is not 32 hex bytes"},
		{"V3 payload hash of another body", signedV3(v3Headers("x"), nil, body), "is not the SHA-256 of the 17-byte body"},
		{"V3 no date", signedV3(with(v3Headers(body), "x-acs-date", "\x00"), nil, body), "no x-acs-date"},
		{"V3 no nonce", signedV3(with(v3Headers(body), "x-acs-signature-nonce", "\x00"), nil, body), "no x-acs-signature-nonce"},
		{"V3 empty nonce", signedV3(with(v3Headers(body), "x-acs-signature-nonce", " "), nil, body), "no x-acs-signature-nonce"},
		{"V3 date not ISO 8601", signedV3(with(v3Headers(body), "x-acs-date", testTime.Format(http.TimeFormat)), nil, body), "is not of the form"},
		{"V3 repeated query parameter", repeated, `query parameter "A" is given 2 times`},
		{"ROA no colon", withHeader(good, "Authorization", "acs test_ak"), "is not acs <AccessKeyId>:<signature>"},
		{"ROA signature not base64", withHeader(good, "Authorization", "acs test_ak:***"), "is not 20 base64 bytes"},
		{"RPC signature not base64", func() AlibabaRequest { r := cloneRequest(rpc); r.Query.Set("Signature", "abc"); return r }(), "is not 20 base64 bytes"},
		{"RPC repeated parameter", rpcRepeated, "more than once"},
		{"RPC body not a form", rpcBadBody, "body is not a form"},
		{"RPC no AccessKeyId", func() AlibabaRequest { r := cloneRequest(rpc); r.Query.Del("AccessKeyId"); return r }(), "no AccessKeyId"},
		{"RPC SignatureVersion", func() AlibabaRequest { r := cloneRequest(rpc); r.Query.Set("SignatureVersion", "2.0"); return r }(), "is not 1.0"},
	}
	v := &AlibabaVerifier{Keys: alibabaKeys(), Now: func() time.Time { return testTime }}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := v.Verify(context.Background(), tt.req)
			if !errors.Is(err, apierror.NoPermission) || !strings.Contains(err.Error(), tt.cause) {
				t.Errorf("error %v, want NoPermission because %q", err, tt.cause)
			}
		})
	}
}

// TestAlibabaKeysFailure checks that a failure to look a key up is not
// mistaken for an unknown key: it is returned wrapped, not as NoPermission.
func TestAlibabaKeysFailure(t *testing.T) {
	down := errors.New("database is down")
	v := &AlibabaVerifier{Keys: brokenKeys{down}, Now: func() time.Time { return testTime }}
	for _, r := range []AlibabaRequest{signedV3(v3Headers(""), nil, ""), signedRPC(nil, nil)} {
		_, err := v.Verify(context.Background(), r)
		if !errors.Is(err, down) {
			t.Fatalf("error %v, want one wrapping %v", err, down)
		}
		if _, isEntry := errors.AsType[*apierror.Error](err); isEntry {
			t.Errorf("error %v is a catalogue entry", err)
		}
	}
}

func TestAlibabaSkew(t *testing.T) {
	r := signedV3(v3Headers(""), nil, "")
	tests := []struct {
		skew, off time.Duration
		ok        bool
	}{
		{0, 15 * time.Minute, true},
		{0, -15 * time.Minute, true},
		{0, 15*time.Minute + time.Second, false},
		{0, -15*time.Minute - time.Second, false},
		{time.Minute, time.Minute, true},
		{time.Minute, 61 * time.Second, false},
	}
	for _, tt := range tests {
		v := &AlibabaVerifier{Keys: alibabaKeys(), Skew: tt.skew, Now: func() time.Time { return testTime.Add(tt.off) }}
		_, err := v.Verify(context.Background(), r)
		if (err == nil) != tt.ok {
			t.Errorf("skew %v, clock %v off: error %v, want ok %v", tt.skew, tt.off, err, tt.ok)
		}
	}
}

func TestAppendPercent(t *testing.T) {
	tests := []struct{ in, want string }{
		{"", ""},
		{"AZaz09-_.~", "AZaz09-_.~"},
		{"a b", "a%20b"},
		{"*+/=&%", "%2A%2B%2F%3D%26%25"},
		{"男", "%E7%94%B7"},
		{"\x00\xff", "%00%FF"},
	}
	for _, tt := range tests {
		if got := string(appendPercent(nil, tt.in)); got != tt.want {
			t.Errorf("appendPercent(%q) = %q, want %q", tt.in, got, tt.want)
		}
		if got, want := string(appendPercent(nil, tt.in)), strings.NewReplacer("+", "%20", "*", "%2A", "%7E", "~").Replace(url.QueryEscape(tt.in)); got != want {
			t.Errorf("appendPercent(%q) = %q, the SDK's encoding %q", tt.in, got, want)
		}
	}
}

func TestCanonicalQuery(t *testing.T) {
	tests := []struct {
		query url.Values
		want  string
	}{
		{nil, ""},
		{url.Values{"b": {"2"}, "a": {"1"}, "B": {""}}, "B=&a=1&b=2"},
		{url.Values{"StrAttr": {"a b*~+/é"}}, "StrAttr=a%20b%2A~%2B%2F%C3%A9"},
	}
	for _, tt := range tests {
		got, err := canonicalQuery(tt.query)
		if err != nil || got != tt.want {
			t.Errorf("canonicalQuery(%v) = %q, %v, want %q", tt.query, got, err, tt.want)
		}
	}
}

// TestSignROAVerifies checks that a request SignROA signed passes the
// verifier, and fails once its body is changed.
func TestSignROAVerifies(t *testing.T) {
	v := &AlibabaVerifier{Keys: alibabaKeys()}
	body := []byte("item_id,0,1^x")
	r, _ := http.NewRequest(http.MethodPost, "http://example/item/add?instanceName=shop", nil)
	r.Header.Set("Content-Type", "application/octet-stream")
	SignROA(r, body, "2018-01-20", "test_ak", "test_sk")
	req := AlibabaRequest{Method: r.Method, Path: r.URL.Path, Query: r.URL.Query(), Header: r.Header, Host: "example", Body: body}
	if _, err := v.Verify(context.Background(), req); err != nil {
		t.Fatalf("a SignROA request: %v", err)
	}
	SignROA(r, body, "2018-01-20", "test_ak", "test_sk")
	req.Body = []byte("item_id,0,1^y")
	if _, err := v.Verify(context.Background(), req); err == nil {
		t.Fatal("a changed body verified")
	}
}
