package alibaba_test

import (
	"encoding/json"
	"image"
	"image/color"
	"image/draw"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	imagesearch "github.com/alibabacloud-go/imagesearch-20201214/v4/client"
	"github.com/alibabacloud-go/tea/dara"

	"github.com/pixmatch/pixmatch/server/config"
	"github.com/pixmatch/pixmatch/server/gallery"
	"github.com/pixmatch/pixmatch/server/internal/testserver"
	"github.com/pixmatch/pixmatch/server/store"
	"github.com/pixmatch/pixmatch/shared/testphoto"
)

// TestImportFromURL imports from an http(s) bucket, and tells the
// callback address when it is done.
func TestImportFromURL(t *testing.T) {
	files := map[string][]byte{
		"/shop/2024/increment.meta": []byte(`{"OperationType":"ADD","ProductId":"a","PicName":"coffee.jpg","StrAttr":"x"}` + "\n" +
			`{"OperationType":"ADD","ProductId":"b","PicName":"missing.jpg"}` + "\n" +
			`{"OperationType":"DELETE","ProductId":"gone"}` + "\n"),
		"/shop/2024/coffee.jpg": testphoto.File("coffee"),
	}
	bucket := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, ok := files[r.URL.Path]
		if !ok {
			http.NotFound(w, r)
			return
		}
		w.Write(b)
	}))
	defer bucket.Close()
	var mu sync.Mutex
	var told map[string]any
	done := make(chan struct{})
	callback := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		json.Unmarshal(b, &told)
		mu.Unlock()
		close(done)
	}))
	defer callback.Close()

	s := testserver.New(t, func(c *config.Config, _ *store.Gallery) { c.Alibaba.FetchAllow = []string{"127.0.0.1/32"} })
	sdk := newSDK(t, s.Addr(), testserver.Key, testserver.Secret, false)
	if _, err := sdk.IncreaseInstance(&imagesearch.IncreaseInstanceRequest{InstanceName: instance,
		BucketName: dara.String(bucket.URL), Path: dara.String("/shop/2024"), CallbackAddress: dara.String(callback.URL + "/done")}); err != nil {
		t.Fatal(err)
	}
	<-done
	mu.Lock()
	defer mu.Unlock()
	if told["Status"] != "NORMAL" || told["Failed"] != float64(1) || told["Done"] != float64(3) || told["ErrorUrl"] == nil {
		t.Fatalf("callback told %v", told)
	}
	status, report := get(t, told["ErrorUrl"].(string))
	if status != 200 || !strings.Contains(report, `"PicName":"missing.jpg"`) || !strings.Contains(report, `"Code":"InvalidPicUrl"`) {
		t.Fatalf("report: %d %q", status, report)
	}
	exists, err := sdk.CheckImageExists(&imagesearch.CheckImageExistsRequest{InstanceName: instance, ProductId: dara.String("a"), PicName: dara.String("coffee.jpg")})
	if err != nil || !dara.BoolValue(exists.Body.Exists) || dara.StringValue(exists.Body.Auctions.StrAttr) != "x" {
		t.Fatalf("imported picture: %v %s", err, exists)
	}
}

// TestCropFindsTheProduct pastes a photo onto a plain backdrop: AddImage
// with Crop reports the pasted rectangle as the region it indexed, and a
// search with just the product finds it.
func TestCropFindsTheProduct(t *testing.T) {
	s := testserver.New(t)
	sdk := newSDK(t, s.Addr(), testserver.Key, testserver.Secret, false)
	product := testphoto.Image("chelsea") // 451×300
	canvas := image.NewRGBA(image.Rect(0, 0, 1000, 800))
	draw.Draw(canvas, canvas.Rect, image.NewUniform(color.RGBA{235, 235, 230, 255}), image.Point{}, draw.Src)
	at := image.Rect(420, 300, 420+451, 300+300)
	draw.Draw(canvas, at, product, product.Bounds().Min, draw.Src)
	r, err := sdk.AddImage(&imagesearch.AddImageRequest{InstanceName: instance, ProductId: dara.String("cat"),
		PicName: dara.String("scene.jpg"), PicContent: dara.String(b64(jpegOf(t, canvas)))})
	if err != nil {
		t.Fatal(err)
	}
	got, err := gallery.ParseRegion(dara.StringValue(r.Body.PicInfo.Region))
	if err != nil {
		t.Fatal(err)
	}
	if iou(got, at) < 0.8 {
		t.Fatalf("Crop reported %v for a product at %v", got, at)
	}
	found, err := sdk.SearchImageByPic(&imagesearch.SearchImageByPicRequest{InstanceName: instance, PicContent: photoB64("chelsea"),
		ScoreThreshold: dara.String("0.5")})
	if err != nil || len(found.Body.Auctions) == 0 || dara.StringValue(found.Body.Auctions[0].ProductId) != "cat" {
		t.Fatalf("search with the product alone: %v %s", err, found)
	}
	noCrop, err := sdk.AddImage(&imagesearch.AddImageRequest{InstanceName: instance, ProductId: dara.String("cat2"),
		PicName: dara.String("scene.jpg"), PicContent: dara.String(b64(jpegOf(t, canvas))), Crop: dara.Bool(false)})
	if err != nil || dara.StringValue(noCrop.Body.PicInfo.Region) != "0,1000,0,800" {
		t.Fatalf("Crop false: %v %s", err, noCrop)
	}
	given, err := sdk.AddImage(&imagesearch.AddImageRequest{InstanceName: instance, ProductId: dara.String("cat3"),
		PicName: dara.String("scene.jpg"), PicContent: dara.String(b64(jpegOf(t, canvas))), Region: dara.String("420,871,300,600")})
	if err != nil || dara.StringValue(given.Body.PicInfo.Region) != "420,871,300,600" {
		t.Fatalf("Region given: %v %s", err, given)
	}
}

func iou(a, b image.Rectangle) float64 {
	in := a.Intersect(b)
	inter := float64(in.Dx() * in.Dy())
	union := float64(a.Dx()*a.Dy()+b.Dx()*b.Dy()) - inter
	return inter / union
}
