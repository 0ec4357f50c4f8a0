//go:build linux

package worker

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"encoding/base64"
	"encoding/json"
	"errors"
	"image/jpeg"
	"io"
	"net"
	"net/http"
	"net/http/httputil"
	"strings"

	openapiutil "github.com/alibabacloud-go/darabonba-openapi/v2/utils"
	imagesearch "github.com/alibabacloud-go/imagesearch-20201214/v4/client"
	"github.com/alibabacloud-go/tea/dara"
	"github.com/alibabacloud-go/tea/tea"

	"github.com/pixmatch/pixmatch/shared/apierror"
	"github.com/pixmatch/pixmatch/shared/distort"
	"github.com/pixmatch/pixmatch/shared/testphoto"
)

// instance is the Alibaba InstanceName of the Worker's first gallery: the
// test sets no PIXMATCH_INSTANCE.
var instance = dara.String("default")

// sdk returns the official Image Search client of the Worker, signing
// with secret (ACS3-HMAC-SHA256), and the bytes of the last request it
// sent, as an eavesdropper would capture them.
func (w *workerd) sdk(secret string) (*imagesearch.Client, *[]byte) {
	w.t.Helper()
	c, err := imagesearch.NewClient(&openapiutil.Config{
		AccessKeyId: dara.String(workerdKey), AccessKeySecret: dara.String(secret),
		Endpoint: dara.String(strings.TrimPrefix(w.URL, "http://")), Protocol: dara.String("http"),
		RegionId: dara.String("cn-shanghai"),
	})
	if err != nil {
		w.t.Fatal(err)
	}
	last := new([]byte)
	c.HttpClient = tapped(func(req *http.Request, transport *http.Transport) (*http.Response, error) {
		raw, err := httputil.DumpRequestOut(req, true)
		if err != nil {
			return nil, err
		}
		*last = raw // the SDK's calls are one at a time
		return (&http.Client{Transport: transport}).Do(req)
	})
	return c, last
}

// tapped is the SDK's HTTP client as a function.
type tapped func(*http.Request, *http.Transport) (*http.Response, error)

// Call sends req through transport.
func (f tapped) Call(req *http.Request, transport *http.Transport) (*http.Response, error) {
	return f(req, transport)
}

// resend sends a captured request to the Worker again, byte for byte,
// and returns the Code of the answer and its HTTP status.
func (w *workerd) resend(raw []byte) (string, int) {
	w.t.Helper()
	conn, err := net.Dial("tcp", strings.TrimPrefix(w.URL, "http://"))
	if err != nil {
		w.t.Fatal(err)
	}
	defer conn.Close()
	if _, err := conn.Write(raw); err != nil {
		w.t.Fatal(err)
	}
	res, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		w.t.Fatal(err)
	}
	defer res.Body.Close()
	body := io.Reader(res.Body)
	if res.Header.Get("Content-Encoding") == "gzip" { // the SDK's request accepts it, and the runtime compresses
		if body, err = gzip.NewReader(res.Body); err != nil {
			w.t.Fatal(err)
		}
	}
	var answer struct{ Code string }
	if err := json.NewDecoder(body).Decode(&answer); err != nil {
		w.t.Fatalf("the replayed request: HTTP %d: %v", res.StatusCode, err)
	}
	return answer.Code, res.StatusCode
}

// sdkCode returns the Code and HTTP status of an error the SDK returned,
// "" and 200 for none.
func sdkCode(err error) (string, int) {
	if err == nil {
		return "", http.StatusOK
	}
	var e *tea.SDKError
	if !errors.As(err, &e) {
		return err.Error(), 0
	}
	return dara.StringValue(e.Code), dara.IntValue(e.StatusCode)
}

// b64 returns a test photo, rescaled by scale when not 1, in base64.
func (w *workerd) b64(name string, scale float64) *string {
	data := testphoto.File(name)
	if scale != 1 {
		var b bytes.Buffer
		if err := jpeg.Encode(&b, distort.Scale(scale)(testphoto.Image(name)), &jpeg.Options{Quality: 60}); err != nil {
			w.t.Fatal(err)
		}
		data = b.Bytes()
	}
	return dara.String(base64.StdEncoding.EncodeToString(data))
}

// alibaba drives the Alibaba dialect with the official SDK: AddImage,
// SearchImageByPic finding an edited copy, DeleteImage, after which the
// copy is found no more; and a subset of the Alibaba codes, each refused
// request changing nothing, a replayed AddImage among them (its nonce
// remembered in D1).
func (w *workerd) alibaba() {
	t := w.t
	sdk, tap := w.sdk(workerdSecret)
	search := func() []*imagesearch.SearchImageByPicResponseBodyAuctions {
		t.Helper()
		r, err := sdk.SearchImageByPic(&imagesearch.SearchImageByPicRequest{InstanceName: instance,
			PicContent: w.b64("rocket", 0.6), Num: dara.Int32(5)})
		if err != nil {
			t.Fatalf("SearchImageByPic: %v", err)
		}
		return r.Body.Auctions
	}
	add := &imagesearch.AddImageRequest{InstanceName: instance, ProductId: dara.String("p1"),
		PicName: dara.String("rocket.jpg"), PicContent: w.b64("rocket", 1), IntAttr: dara.Int32(7)}
	if r, err := sdk.AddImage(add); err != nil || !dara.BoolValue(r.Body.Success) {
		t.Fatalf("AddImage: %v %s", err, r)
	}
	if found := search(); len(found) == 0 || dara.StringValue(found[0].PicName) != "rocket.jpg" {
		t.Errorf("SearchImageByPic of a copy found %v, want rocket.jpg first", found)
	}
	before := w.state()
	if code, status := w.resend(*tap); code != apierror.SignatureNonceUsed.Code || status != apierror.SignatureNonceUsed.Status {
		t.Errorf("the AddImage replayed: %s, HTTP %d; want %s", code, status, apierror.SignatureNonceUsed.Code)
	}
	w.refusals(sdk)
	if after := w.state(); after != before {
		t.Errorf("refused requests changed the gallery: %s, then %s", before, after)
	}
	gone, err := sdk.DeleteImage(&imagesearch.DeleteImageRequest{InstanceName: instance, ProductId: dara.String("p1")})
	if err != nil || len(gone.Body.Data.PicNames) != 1 {
		t.Fatalf("DeleteImage: %v %s", err, gone)
	}
	for _, a := range search() {
		if dara.StringValue(a.PicName) == "rocket.jpg" {
			t.Errorf("SearchImageByPic after DeleteImage still found %s", a)
		}
	}
}

// refusals sends requests the Alibaba dialect refuses, each checked for
// its code and HTTP status.
func (w *workerd) refusals(sdk *imagesearch.Client) {
	t := w.t
	wrong, _ := w.sdk("wrong")
	long := dara.String(strings.Repeat("x", 257))
	for _, c := range []struct {
		why  string
		want *apierror.Error
		err  error
	}{
		{"a wrong secret", apierror.NoPermission, call(wrong.AddImage(&imagesearch.AddImageRequest{InstanceName: instance,
			ProductId: dara.String("p2"), PicName: dara.String("x.jpg"), PicContent: w.b64("flower", 1)}))},
		{"an unknown instance", apierror.InvalidInstance, call(sdk.AddImage(&imagesearch.AddImageRequest{InstanceName: dara.String("nope"),
			ProductId: dara.String("p2"), PicName: dara.String("x.jpg"), PicContent: w.b64("flower", 1)}))},
		{"no PicContent", apierror.NoSpecifiedPicContent, call(sdk.AddImage(&imagesearch.AddImageRequest{InstanceName: instance,
			ProductId: dara.String("p2"), PicName: dara.String("x.jpg")}))},
		{"PicContent of text", apierror.UnsupportedPicFormat, call(sdk.AddImage(&imagesearch.AddImageRequest{InstanceName: instance,
			ProductId: dara.String("p2"), PicName: dara.String("x.jpg"), PicContent: dara.String(base64.StdEncoding.EncodeToString([]byte("text")))}))},
		{"a PicName of 257 characters", apierror.InvalidPicName, call(sdk.AddImage(&imagesearch.AddImageRequest{InstanceName: instance,
			ProductId: dara.String("p2"), PicName: long, PicContent: w.b64("flower", 1)}))},
		{"a filter on an unknown field", apierror.InvalidFilterClause, call(sdk.DeleteImage(&imagesearch.DeleteImageRequest{InstanceName: instance,
			IsDeleteByFilter: dara.Bool(true), Filter: dara.String("color=1")}))},
		{"Num 101", apierror.OverflowMaxReturnNum, call(sdk.SearchImageByPic(&imagesearch.SearchImageByPicRequest{InstanceName: instance,
			PicContent: w.b64("flower", 1), Num: dara.Int32(101)}))},
		{"SearchImageByText on a generic instance", apierror.UnsupportedInstanceType, call(sdk.SearchImageByText(&imagesearch.SearchImageByTextRequest{InstanceName: instance,
			Text: dara.String("rocket")}))},
		{"a PicContent URL to a loopback address", apierror.InvalidPicUrl, call(sdk.AddImage(&imagesearch.AddImageRequest{InstanceName: instance,
			ProductId: dara.String("p2"), PicName: dara.String("x.jpg"), PicContent: dara.String(w.URL + "/ping")}))},
		{"DumpMeta (a Worker has no file system)", apierror.InternalOssError, call(sdk.DumpMeta(&imagesearch.DumpMetaRequest{InstanceName: instance}))},
	} {
		if code, status := sdkCode(c.err); code != c.want.Code || status != c.want.Status {
			t.Errorf("%s: %s, HTTP %d; want %s, HTTP %d", c.why, code, status, c.want.Code, c.want.Status)
		}
	}
}

// call drops the answer of an SDK call and keeps its error.
func call[T any](_ T, err error) error { return err }
