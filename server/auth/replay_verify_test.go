package auth

// The verifiers' use of the memory of one-time values: CRS writes spent by
// their signature, Alibaba requests by their nonce.

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	openapiutil "github.com/alibabacloud-go/darabonba-openapi/v2/utils"
	imagesearch "github.com/alibabacloud-go/imagesearch-20201214/v4/client"
	"github.com/alibabacloud-go/tea/dara"

	"github.com/pixmatch/pixmatch/shared/apierror"
)

// brokenReplays fails every Use, as a shared store that cannot be reached
// does.
type brokenReplays struct{ err error }

func (b brokenReplays) Use(context.Context, string, time.Time) error { return b.err }

// consume verifies params as a write and spends its signature.
func consume(v *Verifier, params map[string]string, authorization string) error {
	p, err := v.Verify(context.Background(), params, authorization)
	if err != nil {
		return err
	}
	return v.Consume(context.Background(), p)
}

// TestConsumeRefusesReplayedWrite sends a signed write twice: the second
// is CRSInvalidDate for as long as its timestamp is accepted, whatever the
// case of its hex signature, while a write signed anew is accepted.
func TestConsumeRefusesReplayedWrite(t *testing.T) {
	c := &clock{epoch}
	v := &Verifier{Keys: testKeys(), Now: c.Now, Replays: &Memory{Now: c.Now}}
	write := signed(map[string]string{"active": "0", "timestamp": ms(0), "appId": "app1", "apiKey": "test_api_key"}, "test_api_secret")
	legacy := signed(map[string]string{"active": "0", "timestamp": ms(0), "appKey": "test_app_key"}, "test_app_secret")
	for _, params := range []map[string]string{write, legacy} {
		errorIs(t, consume(v, params, ""), nil)
		errorIs(t, consume(v, params, ""), apierror.CRSInvalidDate)
		errorIs(t, consume(v, with(params, "signature", strings.ToUpper(params["signature"])), ""), apierror.CRSInvalidDate)
	}
	errorIs(t, consume(v, signed(with(write, "timestamp", ms(time.Millisecond)), "test_api_secret"), ""), nil)
	c.t = epoch.Add(DefaultSkew) // the last moment the timestamp is accepted
	errorIs(t, consume(v, write, ""), apierror.CRSInvalidDate)
	c.t = epoch.Add(DefaultSkew + time.Millisecond)
	err := consume(v, write, "")
	errorIs(t, err, apierror.CRSInvalidDate)
	if !strings.Contains(err.Error(), "more than") {
		t.Errorf("error %v: want the timestamp refused as stale", err)
	}
}

// TestConsumeSpendsNothing checks what is not remembered: token requests,
// and anything when the Verifier has no Replays.
func TestConsumeSpendsNothing(t *testing.T) {
	c := &clock{epoch}
	token := issued(t, newTokens(t, "server", c), testKeys(), acl("Allow", []string{"app1"}, "READ", "WRITE"))
	v := &Verifier{Keys: testKeys(), Tokens: newTokens(t, "server", c), Now: c.Now, Replays: &Memory{Now: c.Now}}
	for range 2 {
		errorIs(t, consume(v, map[string]string{"active": "0", "appId": "app1"}, token), nil)
	}
	write := signed(map[string]string{"active": "0", "timestamp": ms(0), "appId": "app1", "apiKey": "test_api_key"}, "test_api_secret")
	v = &Verifier{Keys: testKeys(), Now: c.Now}
	for range 2 {
		errorIs(t, consume(v, write, ""), nil)
	}
}

// TestConsumeFull checks the answers of a memory that cannot record.
func TestConsumeFull(t *testing.T) {
	c := &clock{epoch}
	v := &Verifier{Keys: testKeys(), Now: c.Now, Replays: &Memory{Max: 1, Now: c.Now}}
	write := map[string]string{"active": "0", "timestamp": ms(0), "appId": "app1", "apiKey": "test_api_key"}
	errorIs(t, consume(v, signed(write, "test_api_secret"), ""), nil)
	errorIs(t, consume(v, signed(with(write, "active", "1"), "test_api_secret"), ""), apierror.CRSOverloaded)
	down := errors.New("database is down")
	v.Replays = brokenReplays{down}
	err := consume(v, signed(with(write, "active", "1"), "test_api_secret"), "")
	if _, isEntry := errors.AsType[*apierror.Error](err); !errors.Is(err, down) || isEntry {
		t.Errorf("error %v, want one wrapping %v that is no catalogue entry", err, down)
	}
}

// signedROA returns a legacy /item/delete request of test_ak at testTime,
// signed with the SDK's own GetStringToSign and GetROASignature, carrying
// nonce in x-acs-signature-nonce unless it is empty.
func signedROA(nonce string) AlibabaRequest {
	body := legacyBody("item_id", "p-1")
	headers := map[string]string{"accept": "application/json", "content-md5": md5Base64(body),
		"content-type": "application/octet-stream", "date": testTime.Format(http.TimeFormat),
		"x-acs-signature-method": "HMAC-SHA1", "x-acs-signature-version": "1.0", "x-acs-version": "2018-01-20"}
	if nonce != "" {
		headers["x-acs-signature-nonce"] = nonce
	}
	dr := dara.NewRequest()
	dr.Method, dr.Pathname = dara.String("POST"), dara.String("/item/delete")
	dr.Headers, dr.Query = stringPointers(headers), stringPointers(map[string]string{"instanceName": "demo"})
	sig := openapiutil.GetROASignature(openapiutil.GetStringToSign(dr), dara.String("test_sk"))
	r := AlibabaRequest{Method: "POST", Path: "/item/delete", Query: url.Values{"instanceName": {"demo"}},
		Header: http.Header{}, Host: "127.0.0.1:1", Body: []byte(body)}
	for k, v := range headers {
		r.Header.Set(k, v)
	}
	r.Header.Set("Authorization", "acs test_ak:"+dara.StringValue(sig))
	return r
}

// received is a request with the time it was received.
type received struct {
	req AlibabaRequest
	at  time.Time
}

// sdkRequests returns an UpdateImage request of the official SDK signed
// with V3 and one signed with the classic RPC scheme.
func sdkRequests(t *testing.T) map[string]received {
	rec := newRecorder(t)
	out := map[string]received{}
	for _, alg := range []string{"V3", "RPC"} {
		cfg := rec.config("test_ak", "test_sk")
		if alg == "RPC" {
			cfg.SignatureAlgorithm = dara.String("v2")
		}
		c, err := imagesearch.NewClient(cfg)
		if err != nil {
			t.Fatal(err)
		}
		req, at := rec.record(t, func() error { return sdkCalls[2].call(c, "") })
		out[alg] = received{req, at}
	}
	return out
}

// TestAlibabaNonceSpent verifies each scheme's request twice against one
// memory: the second is SignatureNonceUsed for as long as its date is
// accepted. A request whose signature fails spends nothing.
func TestAlibabaNonceSpent(t *testing.T) {
	cases := map[string]received{
		"ROA with nonce":    {signedROA("n-1"), testTime},
		"ROA without nonce": {signedROA(""), testTime},
	}
	for name, c := range sdkRequests(t) {
		cases[name] = c
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			c := &clock{tc.at}
			m := &Memory{Now: c.Now}
			v := &AlibabaVerifier{Keys: alibabaKeys(), Now: c.Now, Replays: m}
			forged := cloneRequest(tc.req)
			forged.Method = http.MethodPut
			if _, err := v.Verify(context.Background(), forged); !errors.Is(err, apierror.NoPermission) || m.Len() != 0 {
				t.Fatalf("forged request: error %v, %d keys remembered; want NoPermission and none", err, m.Len())
			}
			if _, err := v.Verify(context.Background(), cloneRequest(tc.req)); err != nil {
				t.Fatalf("first: %v", err)
			}
			if _, err := v.Verify(context.Background(), cloneRequest(tc.req)); !errors.Is(err, apierror.SignatureNonceUsed) {
				t.Fatalf("replay: %v, want SignatureNonceUsed", err)
			}
			date := dateOf(t, tc.req)
			c.t = date.Add(DefaultAlibabaSkew) // the last moment the date is accepted
			if _, err := v.Verify(context.Background(), cloneRequest(tc.req)); !errors.Is(err, apierror.SignatureNonceUsed) {
				t.Fatalf("replay at the end of the skew: %v, want SignatureNonceUsed", err)
			}
			c.t = date.Add(DefaultAlibabaSkew + time.Second)
			if _, err := v.Verify(context.Background(), cloneRequest(tc.req)); !errors.Is(err, apierror.NoPermission) {
				t.Fatalf("replay past the skew: %v, want NoPermission", err)
			}
		})
	}
}

// dateOf returns the date r is signed with.
func dateOf(t *testing.T, r AlibabaRequest) time.Time {
	for _, d := range []struct{ text, layout string }{
		{r.Header.Get("x-acs-date"), isoDate}, {r.Query.Get("Timestamp"), isoDate}, {r.Header.Get("Date"), http.TimeFormat},
	} {
		if d.text != "" {
			at, err := time.Parse(d.layout, d.text)
			if err != nil {
				t.Fatal(err)
			}
			return at
		}
	}
	t.Fatal("request without a date")
	return time.Time{}
}

// TestAlibabaNonceScope checks that nonces are spent per AccessKeyId and
// across schemes, and the answers of a memory that cannot record.
func TestAlibabaNonceScope(t *testing.T) {
	ctx := context.Background()
	now := func() time.Time { return testTime }
	v := &AlibabaVerifier{Keys: alibabaKeys(), Now: now, Replays: &Memory{Max: 2, Now: now}}
	a, b := Credential{ID: "test_ak"}, Credential{ID: "other_ak"}
	if _, err := v.spend(ctx, a, onceNonce, "n-1", testTime); err != nil {
		t.Fatal(err)
	}
	if _, err := v.spend(ctx, b, onceNonce, "n-1", testTime); err != nil {
		t.Errorf("the same nonce of another AccessKeyId: %v", err)
	}
	// The V3 request of signedV3 carries nonce n-1 too.
	if _, err := v.Verify(ctx, signedV3(v3Headers(""), nil, "")); !errors.Is(err, apierror.SignatureNonceUsed) {
		t.Errorf("a nonce spent, sent in another scheme: %v, want SignatureNonceUsed", err)
	}
	if _, err := v.Verify(ctx, signedV3(with(v3Headers(""), "x-acs-signature-nonce", "n-2"), nil, "")); !errors.Is(err, apierror.DeniedRequest) {
		t.Errorf("a full memory: %v, want DeniedRequest", err)
	}
	down := errors.New("database is down")
	v.Replays = brokenReplays{down}
	_, err := v.spend(ctx, a, onceNonce, "n-3", testTime)
	if _, isEntry := errors.AsType[*apierror.Error](err); !errors.Is(err, down) || isEntry {
		t.Errorf("error %v, want one wrapping %v that is no catalogue entry", err, down)
	}
}
