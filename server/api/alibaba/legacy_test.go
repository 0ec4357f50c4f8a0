package alibaba_test

import (
	"encoding/base64"
	"net/http"
	"strings"
	"testing"

	imagesearch "github.com/alibabacloud-go/imagesearch-20201214/v4/client"
	"github.com/alibabacloud-go/tea/dara"

	"github.com/pixmatch/pixmatch/server/api/alibaba/metabody"
	"github.com/pixmatch/pixmatch/server/auth"
	"github.com/pixmatch/pixmatch/server/internal/testserver"
	"github.com/pixmatch/pixmatch/shared/testphoto"
)

func b64(b []byte) string { return base64.StdEncoding.EncodeToString(b) }

// addBody is a legacy add of the named photos under one item.
func addBody(item string, photos ...string) []byte {
	var names []string
	for _, p := range photos {
		names = append(names, metabody.PicKey(p+".jpg"))
	}
	fields := []metabody.Field{{Key: metabody.KeyItemID, Value: item}, {Key: metabody.KeyCatID, Value: "88888888"},
		{Key: metabody.KeyCustContent, Value: "自定义 " + item}, {Key: metabody.KeyPicList, Value: strings.Join(names, ",")}}
	for _, p := range photos {
		fields = append(fields, metabody.Field{Key: metabody.PicKey(p + ".jpg"), Value: b64(testphoto.File(p))})
	}
	return metabody.Build(fields)
}

func searchBody(photo string, extra ...metabody.Field) []byte {
	key := metabody.PicKey(metabody.SearchPicName)
	fields := append([]metabody.Field{{Key: metabody.KeyPicList, Value: key}, {Key: key, Value: b64(testphoto.File(photo))}}, extra...)
	return metabody.Build(fields)
}

// TestLegacyAPI adds, searches and deletes through the 2018 API, and finds
// what it added through the 2020 API.
func TestLegacyAPI(t *testing.T) {
	s := testserver.New(t)
	if a := legacy(t, s, "add", addBody("item1", "coffee", "chelsea")); a.HTTP != 200 || a.Body["Success"] != true || a.message() != "success" {
		t.Fatalf("add: %s", a.raw)
	}
	a := legacy(t, s, "search", searchBody("coffee", metabody.Field{Key: metabody.KeyNum, Value: "3"}))
	auctions, _ := a.Body["Auctions"].([]any)
	if a.HTTP != 200 || len(auctions) == 0 {
		t.Fatalf("search: %s", a.raw)
	}
	first := auctions[0].(map[string]any)
	if first["ItemId"] != "item1" || first["PicName"] != "coffee.jpg" || first["CustContent"] != "自定义 item1" {
		t.Fatalf("search result: %s", a.raw)
	}
	sdk := newSDK(t, s.Addr(), testserver.Key, testserver.Secret, false)
	r, err := sdk.CheckImageExists(&imagesearch.CheckImageExistsRequest{InstanceName: instance,
		ProductId: dara.String("item1"), PicName: dara.String("chelsea.jpg")})
	if err != nil || !dara.BoolValue(r.Body.Exists) {
		t.Fatalf("the 2020 API does not see the legacy add: %v %s", err, r)
	}
	del := metabody.Build([]metabody.Field{{Key: metabody.KeyItemID, Value: "item1"}, {Key: metabody.KeyPicList, Value: metabody.PicKey("coffee.jpg")}})
	if a := legacy(t, s, "delete", del); a.HTTP != 200 {
		t.Fatalf("delete: %s", a.raw)
	}
	r, _ = sdk.CheckImageExists(&imagesearch.CheckImageExistsRequest{InstanceName: instance,
		ProductId: dara.String("item1"), PicName: dara.String("coffee.jpg")})
	if dara.BoolValue(r.Body.Exists) {
		t.Fatal("deleted picture still exists")
	}
}

// TestAcrossDialects adds a target through CRS and finds it through
// Alibaba, and the other way round.
func TestAcrossDialects(t *testing.T) {
	s := testserver.New(t)
	crsCreate(t, s, "coffee")
	sdk := newSDK(t, s.Addr(), testserver.Key, testserver.Secret, false)
	if _, err := sdk.AddImage(&imagesearch.AddImageRequest{InstanceName: instance, ProductId: dara.String("p"),
		PicName: dara.String("rocket.jpg"), PicContent: photoB64("rocket")}); err != nil {
		t.Fatal(err)
	}
	found, err := sdk.SearchImageByPic(&imagesearch.SearchImageByPicRequest{InstanceName: instance, PicContent: photoB64("coffee")})
	if err != nil || len(found.Body.Auctions) == 0 || dara.StringValue(found.Body.Auctions[0].PicName) != "coffee" {
		t.Fatalf("Alibaba search for a CRS target: %v %s", err, found)
	}
	hit := crsSearch(t, s, "rocket")
	if !strings.Contains(hit, `"name":"rocket.jpg"`) {
		t.Fatalf("CRS search for an Alibaba target: %s", hit)
	}
}

// crsCreate adds a photo through the CRS API.
func crsCreate(t *testing.T, s *testserver.Server, photo string) {
	t.Helper()
	if a := crsPost(t, s, "/targets", map[string]string{"image": b64(testphoto.File(photo)), "name": photo}); a.HTTP != 200 {
		t.Fatalf("CRS create: %s", a.raw)
	}
}

func crsSearch(t *testing.T, s *testserver.Server, photo string) string {
	t.Helper()
	a := crsPost(t, s, "/search", map[string]string{"image": b64(testphoto.File(photo))})
	if a.HTTP != 200 {
		t.Fatalf("CRS search: %s", a.raw)
	}
	return a.raw
}

func crsPost(t *testing.T, s *testserver.Server, path string, params map[string]string) answer {
	params["appId"], params["apiKey"] = testserver.AppID, testserver.Key
	params["timestamp"] = itoa(nowMillis())
	params["signature"] = auth.Sign(params, testserver.Secret)
	body, _ := jsonBody(params)
	res, err := http.Post(s.URL()+path, "application/json", body)
	if err != nil {
		t.Fatal(err)
	}
	return decode(t, res)
}
