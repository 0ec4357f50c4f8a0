package alibaba_test

import (
	"bufio"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"strings"
	"sync"
	"testing"
	"time"

	openapiutil "github.com/alibabacloud-go/darabonba-openapi/v2/utils"
	imagesearch "github.com/alibabacloud-go/imagesearch-20201214/v4/client"
	"github.com/alibabacloud-go/tea/dara"
	"github.com/labstack/echo/v4"

	"github.com/pixmatch/pixmatch/server/api/alibaba"
	"github.com/pixmatch/pixmatch/server/api/alibaba/metabody"
	"github.com/pixmatch/pixmatch/server/app"
	"github.com/pixmatch/pixmatch/server/auth"
	"github.com/pixmatch/pixmatch/server/internal/testserver"
	"github.com/pixmatch/pixmatch/shared/apierror"
)

// wire is an HTTP client for the official SDK that keeps the bytes of the
// last request it sent, as an eavesdropper would capture them.
type wire struct {
	mu   sync.Mutex
	last []byte
}

// Call sends req through transport, keeping its bytes.
func (w *wire) Call(req *http.Request, transport *http.Transport) (*http.Response, error) {
	raw, err := httputil.DumpRequestOut(req, true)
	if err != nil {
		return nil, err
	}
	w.mu.Lock()
	w.last = raw
	w.mu.Unlock()
	return (&http.Client{Transport: transport}).Do(req)
}

// captured returns the bytes of the last request sent.
func (w *wire) captured() []byte {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.last
}

// tappedSDK returns the official client of newSDK whose requests go
// through a wire.
func tappedSDK(t testing.TB, addr string, v2 bool) (*imagesearch.Client, *wire) {
	w := &wire{}
	c := newSDK(t, addr, testserver.Key, testserver.Secret, v2)
	c.HttpClient = w
	return c, w
}

// resend sends raw, a captured request, to addr as it is, byte for byte.
func resend(t testing.TB, addr string, raw []byte) answer {
	t.Helper()
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := conn.Write(raw); err != nil {
		t.Fatal(err)
	}
	res, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatal(err)
	}
	return decode(t, res)
}

// wantNonceUsed fails t unless a is SignatureNonceUsed as Alibaba sends it.
func wantNonceUsed(t testing.TB, a answer) {
	t.Helper()
	if e := apierror.SignatureNonceUsed; a.HTTP != e.Status || a.code() != e.Code || a.message() != e.Message {
		t.Fatalf("HTTP %d %s %q, want HTTP %d %s %q", a.HTTP, a.code(), a.message(), e.Status, e.Code, e.Message)
	}
}

// TestReplayedUpdateImage captures an UpdateImage of the official SDK and
// replays its exact bytes after the owner changed the picture again: the
// replay is SignatureNonceUsed and changes nothing. The SDK's own calls,
// each with a fresh nonce, go through.
func TestReplayedUpdateImage(t *testing.T) {
	for _, alg := range []struct {
		name string
		v2   bool
	}{{"ACS3", false}, {"RPC", true}} {
		t.Run(alg.name, func(t *testing.T) {
			s := testserver.New(t)
			sdk, w := tappedSDK(t, s.Addr(), alg.v2)
			f := &fixture{t: t, s: s, sdk: sdk}
			f.add("p", "coffee.jpg", "coffee")
			update := func(content string) {
				_, err := sdk.UpdateImage(&imagesearch.UpdateImageRequest{InstanceName: instance,
					ProductId: dara.String("p"), PicName: dara.String("coffee.jpg"), CustomContent: dara.String(content)})
				if err != nil {
					t.Fatalf("UpdateImage %q: %v", content, err)
				}
			}
			update("first")
			captured := w.captured()
			update("second")

			before := s.Snapshot()
			wantNonceUsed(t, resend(t, s.Addr(), captured))
			if after := s.Snapshot(); after != before {
				t.Errorf("the replay changed the instance: %s -> %s", before, after)
			}
			r, err := sdk.SearchImageByName(&imagesearch.SearchImageByNameRequest{InstanceName: instance,
				ProductId: dara.String("p"), PicName: dara.String("coffee.jpg")})
			if err != nil || len(r.Body.Auctions) == 0 {
				t.Fatalf("SearchImageByName: %v %s", err, r)
			}
			if got := dara.StringValue(r.Body.Auctions[0].CustomContent); got != "second" {
				t.Errorf("CustomContent %q after the replay, want second", got)
			}
		})
	}
}

// signedV3 returns a Detail request signed by hand with ACS3-HMAC-SHA256
// by the SDK's own GetAuthorization, carrying nonce in
// x-acs-signature-nonce unless it is empty.
func signedV3(t testing.TB, s *testserver.Server, nonce string) *http.Request {
	body := "InstanceName=" + testserver.Instance
	sum := sha256.Sum256([]byte(body))
	headers := map[string]*string{"host": dara.String(s.Addr()), "content-type": dara.String("application/x-www-form-urlencoded"),
		"x-acs-action": dara.String("Detail"), "x-acs-version": dara.String("2020-12-14"),
		"x-acs-date": dara.String(time.Now().UTC().Format("2006-01-02T15:04:05Z")), "x-acs-content-sha256": dara.String(hex.EncodeToString(sum[:]))}
	if nonce != "" {
		headers["x-acs-signature-nonce"] = dara.String(nonce)
	}
	dr := dara.NewRequest()
	dr.Method, dr.Pathname, dr.Headers = dara.String("POST"), dara.String("/"), headers
	authz := openapiutil.GetAuthorization(dr, dara.String("ACS3-HMAC-SHA256"), headers["x-acs-content-sha256"],
		dara.String(testserver.Key), dara.String(testserver.Secret))
	req, err := http.NewRequest(http.MethodPost, s.URL()+"/", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range headers {
		req.Header.Set(k, *v)
	}
	req.Header.Set("Authorization", dara.StringValue(authz))
	return req
}

// TestACS3Nonce checks that an ACS3 request must carry a nonce, and may
// not carry one used already.
func TestACS3Nonce(t *testing.T) {
	s := testserver.New(t)
	send := func(req *http.Request) answer {
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		return decode(t, res)
	}
	if a := send(signedV3(t, s, "")); a.HTTP != 403 || a.code() != "NoPermission" {
		t.Errorf("without a nonce: HTTP %d %s, want 403 NoPermission", a.HTTP, a.code())
	}
	if a := send(signedV3(t, s, "n-1")); a.HTTP != 200 {
		t.Fatalf("with a nonce: %s", a.raw)
	}
	wantNonceUsed(t, send(signedV3(t, s, "n-1")))
	if a := send(signedV3(t, s, "n-2")); a.HTTP != 200 {
		t.Errorf("with a fresh nonce: %s", a.raw)
	}
}

// TestReplayedLegacyDelete captures a legacy /item/delete and replays it
// after the owner added the item again: the replay is refused and the
// item is still there.
func TestReplayedLegacyDelete(t *testing.T) {
	s := testserver.New(t)
	if a := legacy(t, s, "add", addBody("item1", "coffee")); a.HTTP != 200 {
		t.Fatalf("add: %s", a.raw)
	}
	del := legacyRequest(s, "delete", metabody.Build([]metabody.Field{{Key: metabody.KeyItemID, Value: "item1"}}))
	captured, err := httputil.DumpRequestOut(del, true)
	if err != nil {
		t.Fatal(err)
	}
	res, err := http.DefaultClient.Do(del)
	if err != nil {
		t.Fatal(err)
	}
	if a := decode(t, res); a.HTTP != 200 {
		t.Fatalf("delete: %s", a.raw)
	}
	if a := legacy(t, s, "add", addBody("item1", "coffee")); a.HTTP != 200 {
		t.Fatalf("add again: %s", a.raw)
	}

	before := s.Snapshot()
	wantNonceUsed(t, resend(t, s.Addr(), captured))
	if after := s.Snapshot(); after != before {
		t.Errorf("the replay changed the instance: %s -> %s", before, after)
	}
	sdk := newSDK(t, s.Addr(), testserver.Key, testserver.Secret, false)
	r, err := sdk.CheckImageExists(&imagesearch.CheckImageExistsRequest{InstanceName: instance,
		ProductId: dara.String("item1"), PicName: dara.String("coffee.jpg")})
	if err != nil || !dara.BoolValue(r.Body.Exists) {
		t.Fatalf("the item is gone after the replay: %v %s", err, r)
	}
}

// TestNoncesFull serves the Alibaba API with a memory of one nonce: the
// next request is DeniedRequest and changes nothing.
func TestNoncesFull(t *testing.T) {
	s := testserver.New(t)
	ec := echo.New()
	alibaba.New(alibaba.Deps{Service: s.Service, Keys: app.Keys(s.Service), Config: s.Service.Config().Alibaba,
		Log: slog.New(slog.NewTextHandler(io.Discard, nil)), Replays: &auth.Memory{Max: 1}, Jobs: s.Jobs}).Routes(ec)
	small := httptest.NewServer(ec)
	defer small.Close()
	f := &fixture{t: t, s: s, sdk: newSDK(t, strings.TrimPrefix(small.URL, "http://"), testserver.Key, testserver.Secret, false)}
	if _, err := f.sdk.Detail(&imagesearch.DetailRequest{InstanceName: instance}); err != nil {
		t.Fatal(err)
	}
	before := s.Snapshot()
	_, err := f.sdk.AddImage(f.addReq(*photoB64("coffee")))
	a := f.sdkCall(err)
	if e := apierror.DeniedRequest; a.HTTP != e.Status || a.code() != e.Code {
		t.Fatalf("HTTP %d %s, want HTTP %d %s", a.HTTP, a.code(), e.Status, e.Code)
	}
	if after := s.Snapshot(); after != before {
		t.Errorf("the refused request changed the instance: %s -> %s", before, after)
	}
}
