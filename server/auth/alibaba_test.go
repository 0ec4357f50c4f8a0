package auth

import (
	"bytes"
	"context"
	"crypto/md5"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"image"
	"image/color"
	"image/png"
	"io"
	"maps"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	openapi "github.com/alibabacloud-go/darabonba-openapi/v2/client"
	openapiutil "github.com/alibabacloud-go/darabonba-openapi/v2/utils"
	imagesearch "github.com/alibabacloud-go/imagesearch-20201214/v4/client"
	"github.com/alibabacloud-go/tea/dara"

	"github.com/pixmatch/pixmatch/shared/apierror"
)

// alibabaKeys returns the AccessKey pairs the SDK signs with in the tests.
func alibabaKeys() keyMap {
	return keyMap{
		"test_ak":  {ID: "test_ak", Secret: "test_sk"},
		"other_ak": {ID: "other_ak", Secret: "other_sk", Gallery: 3},
	}
}

// recorder is an HTTP server standing in for Alibaba Cloud: it keeps the
// last request it received and answers every request with success.
type recorder struct {
	srv  *httptest.Server
	mu   sync.Mutex
	last AlibabaRequest
	at   time.Time
}

func newRecorder(t testing.TB) *recorder {
	rec := &recorder{}
	rec.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(r.Body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		req := AlibabaRequest{Method: r.Method, Path: r.URL.EscapedPath(), Query: r.URL.Query(),
			Header: r.Header.Clone(), Host: r.Host, Body: body}
		if strings.HasPrefix(r.Header.Get("Content-Type"), "application/x-www-form-urlencoded") {
			if req.Form, err = url.ParseQuery(string(body)); err != nil {
				http.Error(w, err.Error(), http.StatusBadRequest)
				return
			}
		}
		rec.mu.Lock()
		rec.last, rec.at = req, time.Now()
		rec.mu.Unlock()
		w.Header().Set("Content-Type", "application/json;charset=utf-8")
		io.WriteString(w, `{"RequestId":"x","Success":true,"Code":0,"Msg":"success"}`)
	}))
	t.Cleanup(rec.srv.Close)
	return rec
}

// config returns the SDK configuration that points at rec, as the
// reference's §10.4 does.
func (rec *recorder) config(ak, sk string) *openapiutil.Config {
	return &openapiutil.Config{AccessKeyId: dara.String(ak), AccessKeySecret: dara.String(sk),
		Endpoint: dara.String(strings.TrimPrefix(rec.srv.URL, "http://")),
		Protocol: dara.String("http"), RegionId: dara.String("cn-shanghai")}
}

// record makes one call and returns the request rec received for it and
// when.
func (rec *recorder) record(t testing.TB, call func() error) (AlibabaRequest, time.Time) {
	t.Helper()
	if err := call(); err != nil {
		t.Fatalf("SDK call: %v", err)
	}
	rec.mu.Lock()
	defer rec.mu.Unlock()
	if rec.last.Method == "" {
		t.Fatal("the SDK sent nothing")
	}
	req, at := rec.last, rec.at
	rec.last = AlibabaRequest{}
	return req, at
}

// testPicture returns a real PNG picture of n×n noisy pixels, which PNG
// cannot shrink much, in base64, as PicContent carries it.
func testPicture(t testing.TB, n int) string {
	img := image.NewRGBA(image.Rect(0, 0, n, n))
	rnd := rand.New(rand.NewPCG(uint64(n), 1))
	for y := range n {
		for x := range n {
			img.Set(x, y, color.RGBA{uint8(x), uint8(y), uint8(rnd.Uint32()), 255})
		}
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	return base64.StdEncoding.EncodeToString(buf.Bytes())
}

// sdkCall is one action of the 2020-12-14 API made through the official
// SDK.
type sdkCall struct {
	name string
	call func(c *imagesearch.Client, pic string) error
}

var sdkCalls = []sdkCall{
	{"SearchImageByPic", func(c *imagesearch.Client, pic string) error {
		_, err := c.SearchImageByPic(&imagesearch.SearchImageByPicRequest{InstanceName: dara.String("demo"),
			PicContent: dara.String(pic), ScoreThreshold: dara.String("0.50"), CategoryId: dara.Int32(88888888),
			Num: dara.Int32(5), Crop: dara.Bool(true), Region: dara.String("1,2,3,4"),
			Filter: dara.String(`IntAttr>=1 AND StrAttr="男装"`)})
		return err
	}},
	{"AddImage", func(c *imagesearch.Client, pic string) error {
		_, err := c.AddImage(&imagesearch.AddImageRequest{InstanceName: dara.String("demo"),
			ProductId: dara.String("p-1"), PicName: dara.String("红裙.jpg"), PicContent: dara.String(pic),
			CustomContent: dara.String("红色连衣裙 & 100% *cotton* ~+ 夏季"), StrAttr: dara.String("女装/夏季 a=b"),
			IntAttr: dara.Int32(42)})
		return err
	}},
	{"UpdateImage", func(c *imagesearch.Client, _ string) error {
		_, err := c.UpdateImage(&imagesearch.UpdateImageRequest{InstanceName: dara.String("demo"),
			ProductId: dara.String("p-1"), PicName: dara.String("红裙.jpg"), IntAttr3: dara.Int32(7),
			StrAttr3: dara.String("a b*~+/é=&"), CustomContent: dara.String("新品")})
		return err
	}},
	{"Detail", func(c *imagesearch.Client, _ string) error {
		_, err := c.Detail(&imagesearch.DetailRequest{InstanceName: dara.String("demo")})
		return err
	}},
	{"DeleteImage", func(c *imagesearch.Client, _ string) error {
		_, err := c.DeleteImage(&imagesearch.DeleteImageRequest{InstanceName: dara.String("demo"),
			ProductId: dara.String("p-1"), PicName: dara.String("红裙.jpg")})
		return err
	}},
}

// cloneRequest returns a deep copy of r, for a tamper to change.
func cloneRequest(r AlibabaRequest) AlibabaRequest {
	deep := func(v url.Values) url.Values {
		if v == nil {
			return nil
		}
		c := make(url.Values, len(v))
		for k, vs := range v {
			c[k] = slices.Clone(vs)
		}
		return c
	}
	r.Query, r.Form, r.Header, r.Body = deep(r.Query), deep(r.Form), r.Header.Clone(), slices.Clone(r.Body)
	return r
}

// rpcAuthParams are the parameters of the classic RPC scheme itself.
var rpcAuthParams = []string{"AccessKeyId", "Signature", "SignatureMethod", "SignatureNonce", "SignatureVersion", "Timestamp"}

// A tamper changes a request that verifies, or the verifier, so that it
// must not verify. It reports false when it does not apply to the request.
type tamper struct {
	name string
	// cause is a part of the error's cause; empty when it depends on the
	// scheme.
	cause string
	apply func(r *AlibabaRequest, v *AlibabaVerifier, at time.Time) bool
}

// shiftDate moves the date in header or parameter name of r by d.
func shiftDate(r *AlibabaRequest, name, layout string, d time.Duration) bool {
	values := r.Header
	text := values.Get(name)
	if text == "" {
		if text = r.Query.Get(name); text == "" {
			return false
		}
		t, _ := time.Parse(layout, text)
		r.Query.Set(name, t.Add(d).Format(layout))
		return true
	}
	t, _ := time.Parse(layout, text)
	values.Set(name, t.Add(d).Format(layout))
	return true
}

// setKeyID makes r claim to be signed by id.
func setKeyID(r *AlibabaRequest, id string) {
	if a := r.Header.Get("Authorization"); a != "" {
		a = strings.Replace(a, "Credential=test_ak,", "Credential="+id+",", 1)
		r.Header.Set("Authorization", strings.Replace(a, "acs test_ak:", "acs "+id+":", 1))
		return
	}
	r.Query.Set("AccessKeyId", id)
}

// edit is a tamper that changes every request the same way.
func edit(change func(r *AlibabaRequest)) func(*AlibabaRequest, *AlibabaVerifier, time.Time) bool {
	return func(r *AlibabaRequest, _ *AlibabaVerifier, _ time.Time) bool { change(r); return true }
}

// clockOff is a tamper that sets the verifier's clock d from the request.
func clockOff(d time.Duration) func(*AlibabaRequest, *AlibabaVerifier, time.Time) bool {
	return func(_ *AlibabaRequest, v *AlibabaVerifier, at time.Time) bool {
		v.Now = func() time.Time { return at.Add(d) }
		return true
	}
}

var commonTampers = []tamper{
	{"body byte", "", func(r *AlibabaRequest, _ *AlibabaVerifier, _ time.Time) bool {
		i := bytes.IndexByte(r.Body, '=') + 1 // a form's first value, or the start
		for i < len(r.Body) && !isAlnum(r.Body[i]) {
			i++
		}
		if i == len(r.Body) {
			return false
		}
		r.Body[i] ^= 0x01 // one letter or digit for another
		if r.Form != nil {
			r.Form, _ = url.ParseQuery(string(r.Body))
		}
		return true
	}},
	{"query value", "", func(r *AlibabaRequest, _ *AlibabaVerifier, _ time.Time) bool {
		for _, k := range slices.Sorted(maps.Keys(r.Query)) {
			if !slices.Contains(rpcAuthParams, k) {
				r.Query.Set(k, r.Query.Get(k)+"0")
				return true
			}
		}
		return false
	}},
	{"query parameter added", "", edit(func(r *AlibabaRequest) { r.Query.Set("IntAttr4", "1") })},
	{"method", "", edit(func(r *AlibabaRequest) { r.Method = http.MethodPut })},
	{"date 20 minutes later", "", func(r *AlibabaRequest, _ *AlibabaVerifier, _ time.Time) bool {
		return shiftDate(r, "x-acs-date", isoDate, 20*time.Minute) ||
			shiftDate(r, "Date", http.TimeFormat, 20*time.Minute) ||
			shiftDate(r, "Timestamp", isoDate, 20*time.Minute)
	}},
	{"clock 20 minutes ahead", "from now, more than 15m0s", clockOff(20 * time.Minute)},
	{"clock 20 minutes behind", "from now, more than 15m0s", clockOff(-20 * time.Minute)},
	{"other key", "does not match", edit(func(r *AlibabaRequest) { setKeyID(r, "other_ak") })},
	{"unknown key", "unknown key", edit(func(r *AlibabaRequest) { setKeyID(r, "nobody") })},
	{"secret", "does not match", func(_ *AlibabaRequest, v *AlibabaVerifier, _ time.Time) bool {
		v.Keys = keyMap{"test_ak": {ID: "test_ak", Secret: "test_sk2"}}
		return true
	}},
}

// v3Tampers apply to signature V3 alone.
var v3Tampers = []tamper{
	{"host", "does not match", edit(func(r *AlibabaRequest) { r.Host = "other.example:8080" })},
	{"unsigned x-acs header", "not among the SignedHeaders", edit(func(r *AlibabaRequest) { r.Header.Set("X-Acs-Security-Token", "t") })},
	{"signed header gone", "is not in the request", edit(func(r *AlibabaRequest) { r.Header.Del("X-Acs-Action") })},
	{"signed header changed", "does not match", edit(func(r *AlibabaRequest) { r.Header.Set("X-Acs-Action", "X"+r.Header.Get("X-Acs-Action")) })},
	{"body and its hash", "does not match", edit(func(r *AlibabaRequest) {
		r.Body = append(r.Body, "&Num=100"...)
		r.Header.Set("X-Acs-Content-Sha256", sha256Hex(r.Body))
	})},
	{"signature", "does not match", edit(func(r *AlibabaRequest) {
		a := []byte(r.Header.Get("Authorization"))
		a[len(a)-1] = "10"[a[len(a)-1]&1] // the last hex digit, its low bit flipped to another digit
		r.Header.Set("Authorization", string(a))
	})},
}

// rpcTampers apply to the classic RPC scheme alone.
var rpcTampers = []tamper{
	{"parameter repeated in the body", "more than once", func(r *AlibabaRequest, _ *AlibabaVerifier, _ time.Time) bool {
		if r.Form == nil {
			return false
		}
		r.Form.Set("Action", "DeleteImage")
		r.Body = []byte(r.Form.Encode())
		return true
	}},
	{"SignatureMethod", "is not HMAC-SHA1", edit(func(r *AlibabaRequest) { r.Query.Set("SignatureMethod", "HMAC-SHA256") })},
	{"no SignatureNonce", "no SignatureNonce", edit(func(r *AlibabaRequest) { r.Query.Del("SignatureNonce") })},
}

// sha256Hex returns the hex SHA-256 of b.
func sha256Hex(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// isAlnum reports whether c is an ASCII letter or digit.
func isAlnum(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9'
}

// checkVerifies fails t unless req verifies as test_ak at the time at, and
// unless each tamper makes it fail with NoPermission.
func checkVerifies(t *testing.T, req AlibabaRequest, at time.Time, tampers ...[]tamper) {
	t.Helper()
	v := &AlibabaVerifier{Keys: alibabaKeys(), Now: func() time.Time { return at }}
	cred, err := v.Verify(context.Background(), cloneRequest(req))
	if err != nil {
		t.Fatalf("the SDK's request does not verify: %v", err)
	}
	if cred.ID != "test_ak" {
		t.Fatalf("verified as %q, want test_ak", cred.ID)
	}
	for _, group := range tampers {
		for _, tm := range group {
			r, v := cloneRequest(req), &AlibabaVerifier{Keys: alibabaKeys(), Now: func() time.Time { return at }}
			if !tm.apply(&r, v, at) {
				continue
			}
			_, err := v.Verify(context.Background(), r)
			if !errors.Is(err, apierror.NoPermission) {
				t.Errorf("%s: error %v, want NoPermission", tm.name, err)
			} else if !strings.Contains(err.Error(), tm.cause) {
				t.Errorf("%s: error %v, want its cause to say %q", tm.name, err, tm.cause)
			}
		}
	}
}

// TestAlibabaSDKSignatureV3 verifies requests the official SDK signs with
// its default ACS3-HMAC-SHA256, and refuses them altered.
func TestAlibabaSDKSignatureV3(t *testing.T) {
	rec := newRecorder(t)
	c, err := imagesearch.NewClient(rec.config("test_ak", "test_sk"))
	if err != nil {
		t.Fatal(err)
	}
	pic := testPicture(t, 48)
	for _, sc := range sdkCalls {
		t.Run(sc.name, func(t *testing.T) {
			req, at := rec.record(t, func() error { return sc.call(c, pic) })
			if a := req.Header.Get("Authorization"); !strings.HasPrefix(a, "ACS3-HMAC-SHA256 ") {
				t.Fatalf("Authorization %q is not signature V3", a)
			}
			checkVerifies(t, req, at, commonTampers, v3Tampers)
		})
	}
}

// TestAlibabaSDKSignatureRPC verifies requests the official SDK signs with
// SignatureAlgorithm "v2", the classic RPC scheme, and refuses them
// altered.
func TestAlibabaSDKSignatureRPC(t *testing.T) {
	rec := newRecorder(t)
	cfg := rec.config("test_ak", "test_sk")
	cfg.SignatureAlgorithm = dara.String("v2")
	c, err := imagesearch.NewClient(cfg)
	if err != nil {
		t.Fatal(err)
	}
	pic := testPicture(t, 48)
	for _, sc := range sdkCalls {
		t.Run(sc.name, func(t *testing.T) {
			req, at := rec.record(t, func() error { return sc.call(c, pic) })
			if !req.Query.Has("Signature") || req.Header.Get("Authorization") != "" {
				t.Fatalf("request %v %v is not RPC-signed", req.Query, req.Header)
			}
			checkVerifies(t, req, at, commonTampers, rpcTampers)
			// A server that leaves the body to Verify: Form nil.
			req.Form = nil
			checkVerifies(t, req, at, commonTampers)
		})
	}
}

// roaTampers apply to the ROA scheme alone.
var roaTampers = []tamper{
	{"Content-MD5 gone", "no Content-MD5", func(r *AlibabaRequest, _ *AlibabaVerifier, _ time.Time) bool {
		r.Header.Del("Content-MD5")
		return len(r.Body) > 0
	}},
	{"x-acs header added", "does not match", edit(func(r *AlibabaRequest) { r.Header.Set("X-Acs-Security-Token", "t") })},
	{"Accept", "does not match", edit(func(r *AlibabaRequest) { r.Header.Set("Accept", "text/xml") })},
	{"path", "does not match", edit(func(r *AlibabaRequest) { r.Path = "/item/delete/" })},
	{"signature method", "is not HMAC-SHA1", edit(func(r *AlibabaRequest) { r.Header.Set("X-Acs-Signature-Method", "HMAC-SHA256") })},
}

// legacyBody returns a body of the 2018 API: "key,start,end#…^values".
func legacyBody(kv ...string) string {
	var meta, content []string
	off := 0
	for i := 0; i+1 < len(kv); i += 2 {
		meta = append(meta, kv[i]+","+strconv.Itoa(off)+","+strconv.Itoa(off+len(kv[i+1])))
		content = append(content, kv[i+1])
		off += len(kv[i+1])
	}
	return strings.Join(meta, "#") + "^" + strings.Join(content, "")
}

// stringPointers returns m with its values as the SDK takes them.
func stringPointers(m map[string]string) map[string]*string {
	if m == nil {
		return nil
	}
	p := make(map[string]*string, len(m))
	for k, v := range m {
		p[k] = dara.String(v)
	}
	return p
}

// md5Base64 returns the Content-MD5 of s.
func md5Base64(s string) string {
	sum := md5.Sum([]byte(s))
	return base64.StdEncoding.EncodeToString(sum[:])
}

// TestAlibabaSDKSignatureROA verifies ROA requests of the legacy /item/*
// API signed by the SDK's transport (darabonba-openapi DoROARequest, which
// signs with the utils GetStringToSign and GetROASignature), and refuses
// them altered.
func TestAlibabaSDKSignatureROA(t *testing.T) {
	rec := newRecorder(t)
	c, err := openapi.NewClient(rec.config("test_ak", "test_sk"))
	if err != nil {
		t.Fatal(err)
	}
	pic := testPicture(t, 32)
	name := base64.StdEncoding.EncodeToString([]byte("main.png"))
	cases := []struct {
		name, path string
		query      map[string]string
		body       string
	}{
		{"add", "/item/add", map[string]string{"instanceName": "demo"},
			legacyBody("item_id", "p-1", "cat_id", "0", "cust_content", "红色连衣裙 a+b", "pic_list", name, name, pic)},
		{"search with odd query", "/item/search", map[string]string{"instanceName": "demo", "empty": "", "note": "夏 a+b=c&d"},
			legacyBody("s", "0", "n", "10", "pic_list", "c2VhcmNoUGlj", "c2VhcmNoUGlj", pic)},
		{"delete without query or body", "/item/delete", nil, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			req := &openapiutil.OpenApiRequest{Query: stringPointers(tc.query), Headers: map[string]*string{}}
			if tc.body != "" {
				req.Body = tc.body
				req.Headers["content-md5"] = dara.String(md5Base64(tc.body))
			}
			got, at := rec.record(t, func() error {
				_, err := c.DoROARequest(dara.String("AddItem"), dara.String("2018-01-20"), dara.String("HTTP"),
					dara.String("POST"), dara.String("AK"), dara.String(tc.path), dara.String("json"), req, &dara.RuntimeOptions{})
				return err
			})
			if a := got.Header.Get("Authorization"); !strings.HasPrefix(a, "acs test_ak:") {
				t.Fatalf("Authorization %q is not ROA", a)
			}
			checkVerifies(t, got, at, commonTampers, roaTampers)
		})
	}
}

// BenchmarkAlibabaVerify verifies SDK requests carrying a picture of
// 370 KB (490 KB in base64) in PicContent.
func BenchmarkAlibabaVerify(b *testing.B) {
	rec := newRecorder(b)
	pic := testPicture(b, 512)
	for _, alg := range []string{"", "v2"} {
		cfg := rec.config("test_ak", "test_sk")
		name := "V3"
		if alg != "" {
			cfg.SignatureAlgorithm, name = dara.String(alg), "RPC"
		}
		c, err := imagesearch.NewClient(cfg)
		if err != nil {
			b.Fatal(err)
		}
		req, at := rec.record(b, func() error { return sdkCalls[0].call(c, pic) })
		v := &AlibabaVerifier{Keys: alibabaKeys(), Now: func() time.Time { return at }}
		b.Run(name, func(b *testing.B) {
			b.SetBytes(int64(len(req.Body)))
			for b.Loop() {
				if _, err := v.Verify(context.Background(), req); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
