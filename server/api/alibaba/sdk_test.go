package alibaba_test

import (
	"bytes"
	"encoding/base64"
	"errors"
	"image"
	"image/jpeg"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	openapiutil "github.com/alibabacloud-go/darabonba-openapi/v2/utils"
	imagesearch "github.com/alibabacloud-go/imagesearch-20201214/v4/client"
	"github.com/alibabacloud-go/tea/dara"
	"github.com/alibabacloud-go/tea/tea"

	"github.com/pixmatch/pixmatch/server/config"
	"github.com/pixmatch/pixmatch/server/internal/testserver"
	"github.com/pixmatch/pixmatch/server/store"
	"github.com/pixmatch/pixmatch/shared/distort"
	"github.com/pixmatch/pixmatch/shared/testphoto"
)

// newSDK returns the official Image Search client pointed at endpoint
// (host:port, plain HTTP), signing with ACS3-HMAC-SHA256 or, when v2 is
// true, the classic RPC HMAC-SHA1 signature.
func newSDK(t testing.TB, endpoint, key, secret string, v2 bool) *imagesearch.Client {
	t.Helper()
	cfg := &openapiutil.Config{
		AccessKeyId:     dara.String(key),
		AccessKeySecret: dara.String(secret),
		Endpoint:        dara.String(endpoint),
		Protocol:        dara.String("http"),
		RegionId:        dara.String("cn-shanghai"),
	}
	if v2 {
		cfg.SignatureAlgorithm = dara.String("v2")
	}
	c, err := imagesearch.NewClient(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// sdkError returns the code and HTTP status of an error the SDK returned.
func sdkError(t testing.TB, err error) (string, int) {
	t.Helper()
	var e *tea.SDKError
	if !errors.As(err, &e) {
		t.Fatalf("not an SDK error: %v", err)
	}
	return dara.StringValue(e.Code), dara.IntValue(e.StatusCode)
}

func photoB64(name string) *string {
	return dara.String(base64.StdEncoding.EncodeToString(testphoto.File(name)))
}

func editedB64(t testing.TB, name string, edits ...func(image.Image) image.Image) *string {
	img := testphoto.Image(name)
	for _, e := range edits {
		img = e(img)
	}
	var b bytes.Buffer
	if err := jpeg.Encode(&b, img, &jpeg.Options{Quality: 80}); err != nil {
		t.Fatal(err)
	}
	return dara.String(base64.StdEncoding.EncodeToString(b.Bytes()))
}

var instance = dara.String(testserver.Instance)

// TestSDK drives every non-Advance action of the official SDK against a
// pixmatch server, once per signature algorithm.
func TestSDK(t *testing.T) {
	for _, mode := range []struct {
		name string
		v2   bool
	}{{"ACS3-HMAC-SHA256", false}, {"RPC-HMAC-SHA1", true}} {
		t.Run(mode.name, func(t *testing.T) {
			bucket := t.TempDir()
			s := testserver.New(t, func(c *config.Config, _ *store.Gallery) {
				c.Alibaba.Buckets = map[string]string{"local": bucket}
			})
			sdk := newSDK(t, s.Addr(), testserver.Key, testserver.Secret, mode.v2)
			runFlow(t, s, sdk, bucket)
		})
	}
}

func runFlow(t *testing.T, s *testserver.Server, sdk *imagesearch.Client, bucket string) {
	add := func(product, pic, photo string, intAttr int32, strAttr string) {
		t.Helper()
		r, err := sdk.AddImage(&imagesearch.AddImageRequest{
			InstanceName: instance, ProductId: dara.String(product), PicName: dara.String(pic),
			PicContent: photoB64(photo), CustomContent: dara.String("内容 " + photo),
			IntAttr: dara.Int32(intAttr), StrAttr: dara.String(strAttr), IntAttr3: dara.Int32(3),
		})
		if err != nil {
			t.Fatalf("AddImage %s: %v", pic, err)
		}
		if !dara.BoolValue(r.Body.Success) || dara.StringValue(r.Body.Message) != "success" || r.Body.PicInfo == nil ||
			dara.StringValue(r.Body.PicInfo.Region) == "" || dara.StringValue(r.Body.RequestId) == "" {
			t.Fatalf("AddImage %s answered %s", pic, r.Body)
		}
	}
	add("p1", "coffee.jpg", "coffee", 7, "red")
	add("p2", "chelsea.jpg", "chelsea", 1, "blue")
	add("p2", "rocket.jpg", "rocket", 2, "blue")

	exists, err := sdk.CheckImageExists(&imagesearch.CheckImageExistsRequest{InstanceName: instance,
		ProductId: dara.String("p1"), PicName: dara.String("coffee.jpg")})
	if err != nil || !dara.BoolValue(exists.Body.Exists) || dara.Int32Value(exists.Body.Auctions.IntAttr) != 7 ||
		dara.StringValue(exists.Body.Auctions.CustomContent) != "内容 coffee" {
		t.Fatalf("CheckImageExists: %v %s", err, exists)
	}
	exists, err = sdk.CheckImageExists(&imagesearch.CheckImageExistsRequest{InstanceName: instance,
		ProductId: dara.String("p1"), PicName: dara.String("nope.jpg")})
	if err != nil || dara.BoolValue(exists.Body.Exists) {
		t.Fatalf("CheckImageExists of a missing pic: %v %s", err, exists)
	}

	found, err := sdk.SearchImageByPic(&imagesearch.SearchImageByPicRequest{InstanceName: instance,
		PicContent: editedB64(t, "coffee", distort.Scale(0.6), distort.JPEG(50)), Num: dara.Int32(5)})
	if err != nil {
		t.Fatal(err)
	}
	b := found.Body
	if len(b.Auctions) == 0 || dara.StringValue(b.Auctions[0].ProductId) != "p1" || dara.Float32Value(b.Auctions[0].Score) <= 0.5 ||
		dara.StringValue(b.Msg) != "success" || dara.Int32Value(b.Head.DocsFound) != int32(len(b.Auctions)) ||
		!strings.HasSuffix(dara.StringValue(b.Auctions[0].SortExprValues), ";0") || b.PicInfo == nil {
		t.Fatalf("SearchImageByPic: %s", b)
	}

	// A filter and a score threshold: only the blue pictures, only matches.
	found, err = sdk.SearchImageByPic(&imagesearch.SearchImageByPicRequest{InstanceName: instance,
		PicContent: photoB64("chelsea"), Filter: dara.String(`str_attr="blue" AND int_attr<2`),
		ScoreThreshold: dara.String("0.50"), DistinctProductId: dara.Bool(true), Crop: dara.Bool(false)})
	if err != nil || len(found.Body.Auctions) != 1 || dara.StringValue(found.Body.Auctions[0].PicName) != "chelsea.jpg" {
		t.Fatalf("filtered SearchImageByPic: %v %s", err, found)
	}
	found, err = sdk.SearchImageByPic(&imagesearch.SearchImageByPicRequest{InstanceName: instance,
		PicContent: photoB64("chelsea"), Filter: dara.String(`int_attr=7`)})
	if err != nil || len(found.Body.Auctions) != 0 {
		t.Fatalf("SearchImageByPic filtered to nothing alike: %v %s", err, found)
	}

	byName, err := sdk.SearchImageByName(&imagesearch.SearchImageByNameRequest{InstanceName: instance,
		ProductId: dara.String("p2"), PicName: dara.String("rocket.jpg")})
	if err != nil || len(byName.Body.Auctions) == 0 || dara.StringValue(byName.Body.Auctions[0].PicName) != "rocket.jpg" {
		t.Fatalf("SearchImageByName: %v %s", err, byName)
	}

	byFilter, err := sdk.SearchImageByFilter(&imagesearch.SearchImageByFilterRequest{InstanceName: instance,
		Filter: dara.String(`str_attr="blue"`), Num: dara.Int32(10)})
	if err != nil || len(byFilter.Body.Auctions) != 2 {
		t.Fatalf("SearchImageByFilter: %v %s", err, byFilter)
	}

	if _, err := sdk.UpdateImage(&imagesearch.UpdateImageRequest{InstanceName: instance, ProductId: dara.String("p1"),
		PicName: dara.String("coffee.jpg"), IntAttr: dara.Int32(8), StrAttr3: dara.String("green")}); err != nil {
		t.Fatal(err)
	}
	exists, _ = sdk.CheckImageExists(&imagesearch.CheckImageExistsRequest{InstanceName: instance,
		ProductId: dara.String("p1"), PicName: dara.String("coffee.jpg")})
	if a := exists.Body.Auctions; dara.Int32Value(a.IntAttr) != 8 || dara.StringValue(a.StrAttr3) != "green" || dara.StringValue(a.StrAttr) != "red" {
		t.Fatalf("after UpdateImage: %s", exists.Body)
	}

	same, err := sdk.CompareSimilarByImage(&imagesearch.CompareSimilarByImageRequest{InstanceName: instance,
		PrimaryPicContent: photoB64("coffee"), SecondaryPicContent: editedB64(t, "coffee", distort.Mirror)})
	if err != nil || dara.Float64Value(same.Body.Score) <= 0.5 {
		t.Fatalf("CompareSimilarByImage alike: %v %s", err, same)
	}
	other, err := sdk.CompareSimilarByImage(&imagesearch.CompareSimilarByImageRequest{InstanceName: instance,
		PrimaryPicContent: photoB64("coffee"), SecondaryPicContent: photoB64("rocket")})
	if err != nil || dara.Float64Value(other.Body.Score) >= 0.5 {
		t.Fatalf("CompareSimilarByImage unrelated: %v %s", err, other)
	}

	detail, err := sdk.Detail(&imagesearch.DetailRequest{InstanceName: instance})
	if err != nil || dara.Int64Value(detail.Body.Instance.TotalCount) != 3 || dara.StringValue(detail.Body.Instance.Name) != testserver.Instance {
		t.Fatalf("Detail: %v %s", err, detail)
	}

	checkDump(t, sdk)
	checkImport(t, sdk, bucket)

	if _, err := sdk.SearchImageByText(&imagesearch.SearchImageByTextRequest{InstanceName: instance, Text: dara.String("coffee")}); err == nil {
		t.Fatal("SearchImageByText worked on a generic instance")
	} else if code, status := sdkError(t, err); code != "UnsupportedInstanceType" || status != 400 {
		t.Fatalf("SearchImageByText: %s %d", code, status)
	}

	gone, err := sdk.DeleteImage(&imagesearch.DeleteImageRequest{InstanceName: instance, ProductId: dara.String("p2")})
	if err != nil || len(gone.Body.Data.PicNames) != 2 {
		t.Fatalf("DeleteImage of a product: %v %s", err, gone)
	}
	gone, err = sdk.DeleteImage(&imagesearch.DeleteImageRequest{InstanceName: instance,
		IsDeleteByFilter: dara.Bool(true), Filter: dara.String("int_attr=8")})
	if err != nil || len(gone.Body.Data.PicNames) != 1 || dara.StringValue(gone.Body.Data.PicNames[0]) != "coffee.jpg" {
		t.Fatalf("DeleteImage by filter: %v %s", err, gone)
	}
	if _, err := sdk.DeleteImage(&imagesearch.DeleteImageRequest{InstanceName: instance, ProductId: dara.String("p9"), PicName: dara.String("x")}); err != nil {
		t.Fatalf("DeleteImage of nothing: %v", err)
	}
}

// eventually retries check until it holds or five seconds pass.
func eventually(t *testing.T, what string, check func() bool) {
	t.Helper()
	// Generous: an import enrols pictures, which takes seconds under the
	// race detector on a loaded machine; the check ends the wait at once.
	for deadline := time.Now().Add(time.Minute); !check(); time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("%s did not happen in a minute", what)
		}
	}
}

func get(t *testing.T, url string) (int, string) {
	t.Helper()
	res, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(b)
}

// checkDump writes the metadata to a file and reads it back by its link.
func checkDump(t *testing.T, sdk *imagesearch.Client) {
	started, err := sdk.DumpMeta(&imagesearch.DumpMetaRequest{InstanceName: instance})
	if err != nil || dara.StringValue(started.Body.Data.Id) == "" {
		t.Fatalf("DumpMeta: %v %s", err, started)
	}
	var entry *imagesearch.DumpMetaListResponseBodyDataDumpMetaList
	eventually(t, "the dump", func() bool {
		list, err := sdk.DumpMetaList(&imagesearch.DumpMetaListRequest{InstanceName: instance, PageSize: dara.Int32(5)})
		if err != nil {
			t.Fatal(err)
		}
		entry = list.Body.Data.DumpMetaList[0]
		return dara.StringValue(entry.Status) == "SUCCESS"
	})
	status, body := get(t, dara.StringValue(entry.MetaUrl))
	if status != 200 || strings.Count(body, "\n") != 3 || !strings.Contains(body, `"ProductId":"p1"`) {
		t.Fatalf("dump file: HTTP %d %q", status, body)
	}
	if status, _ := get(t, strings.Replace(dara.StringValue(entry.MetaUrl), "Signature=", "Signature=0", 1)); status != 403 {
		t.Fatalf("dump file with a forged link: HTTP %d", status)
	}
}

// checkImport imports a folder: two good pictures and one that is not a
// picture, which the report lists.
func checkImport(t *testing.T, sdk *imagesearch.Client, bucket string) {
	dir := filepath.Join(bucket, "batch", "one")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(dir, "astronaut.jpg"), testphoto.File("astronaut"), 0o644)
	os.WriteFile(filepath.Join(dir, "china.jpg"), testphoto.File("china"), 0o644)
	os.WriteFile(filepath.Join(dir, "broken.jpg"), []byte("not a picture"), 0o644)
	os.WriteFile(filepath.Join(dir, "increment.meta"), []byte(
		`{"OperationType":"ADD","ProductId":"p5","PicName":"astronaut.jpg","IntAttr":5}
{"OperationType":"ADD","ProductId":"p5","PicName":"china.jpg","CategoryId":3}
{"OperationType":"ADD","ProductId":"p6","PicName":"broken.jpg"}
`), 0o644)
	started, err := sdk.IncreaseInstance(&imagesearch.IncreaseInstanceRequest{InstanceName: instance,
		BucketName: dara.String("local"), Path: dara.String("/batch/one")})
	if err != nil {
		t.Fatal(err)
	}
	var item *imagesearch.IncreaseListResponseBodyDataIncrementsInstance
	eventually(t, "the import", func() bool {
		list, err := sdk.IncreaseList(&imagesearch.IncreaseListRequest{InstanceName: instance})
		if err != nil {
			t.Fatal(err)
		}
		item = list.Body.Data.Increments.Instance[0]
		return dara.StringValue(item.Status) == "NORMAL"
	})
	if dara.Int64Value(item.Id) == 0 || dara.StringValue(started.Body.Data.Id) == "" || dara.StringValue(item.Path) != "/batch/one" {
		t.Fatalf("IncreaseList: %s", item)
	}
	status, report := get(t, dara.StringValue(item.ErrorUrl))
	if status != 200 || !strings.Contains(report, `"PicName":"broken.jpg"`) || !strings.Contains(report, "UnsupportedPicFormat") {
		t.Fatalf("import report: HTTP %d %q", status, report)
	}
	found, err := sdk.SearchImageByPic(&imagesearch.SearchImageByPicRequest{InstanceName: instance, PicContent: photoB64("astronaut")})
	if err != nil || len(found.Body.Auctions) == 0 || dara.StringValue(found.Body.Auctions[0].ProductId) != "p5" ||
		dara.Int32Value(found.Body.Auctions[0].IntAttr) != 5 {
		t.Fatalf("search after import: %v %s", err, found)
	}
	// The imported pictures are gone again so the rest of the flow sees
	// the three it added.
	if _, err := sdk.DeleteImage(&imagesearch.DeleteImageRequest{InstanceName: instance, ProductId: dara.String("p5")}); err != nil {
		t.Fatal(err)
	}
}
