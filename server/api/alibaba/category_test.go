package alibaba_test

import (
	"strings"
	"testing"

	imagesearch "github.com/alibabacloud-go/imagesearch-20201214/v4/client"
	"github.com/alibabacloud-go/tea/dara"

	"github.com/pixmatch/pixmatch/server/api/alibaba"
	"github.com/pixmatch/pixmatch/server/api/alibaba/metabody"
	"github.com/pixmatch/pixmatch/shared/apierror"
	"github.com/pixmatch/pixmatch/shared/testphoto"
)

// TestGenericInstanceCategories: a generic instance checks CategoryId but
// files every picture under 88888888 and searches all of them, so a
// client written for product search, which sends a category, finds what
// it looks for (through the 2020 API, the legacy API and an import).
func TestGenericInstanceCategories(t *testing.T) {
	const other = alibaba.OtherCategory
	s, sdk, folder := localBucket(t)
	added, err := sdk.AddImage(&imagesearch.AddImageRequest{InstanceName: instance, ProductId: dara.String("shoe"),
		PicName: dara.String("coffee.jpg"), PicContent: photoB64("coffee"), CategoryId: dara.Int32(4)})
	if err != nil {
		t.Fatal(err)
	}
	info := added.Body.PicInfo
	if dara.Int32Value(info.CategoryId) != other || len(info.AllCategories) != 1 || dara.Int32Value(info.AllCategories[0].Id) != other {
		t.Fatalf("AddImage with CategoryId 4 answered %s, want category %d", info, other)
	}
	if a := legacy(t, s, "add", legacyAdd("bag", "chelsea", "3")); a.HTTP != 200 {
		t.Fatalf("legacy add with cat_id 3: %s", a.raw)
	}
	writeFiles(t, folder, map[string][]byte{
		"batch/rocket.jpg":     testphoto.File("rocket"),
		"batch/increment.meta": []byte(`{"ProductId":"toy","PicName":"rocket.jpg","CategoryId":20}` + "\n" + `{"ProductId":"x","PicName":"rocket.jpg","CategoryId":50}` + "\n"),
	})
	if item := importAndWait(t, sdk, "/batch", ""); dara.StringValue(item.Msg) != "1 of 2 lines failed" {
		t.Fatalf("import: %s", item)
	} else if _, report := get(t, dara.StringValue(item.ErrorUrl)); !strings.Contains(report, `"Code":"InvalidCategory"`) {
		t.Fatalf("import report: %q", report)
	}

	for product, pic := range map[string]string{"shoe": "coffee.jpg", "bag": "chelsea.jpg", "toy": "rocket.jpg"} {
		got, err := sdk.CheckImageExists(&imagesearch.CheckImageExistsRequest{InstanceName: instance,
			ProductId: dara.String(product), PicName: dara.String(pic)})
		if err != nil || !dara.BoolValue(got.Body.Exists) || dara.Int32Value(got.Body.Auctions.CategoryId) != other {
			t.Errorf("CheckImageExists(%s): %v %s; want category %d", product, err, got, other)
		}
	}

	// A search in another category than the picture was added with, as a
	// product-search client sends it, still finds it.
	found, err := sdk.SearchImageByPic(&imagesearch.SearchImageByPicRequest{InstanceName: instance,
		PicContent: photoB64("coffee"), CategoryId: dara.Int32(0)})
	if err != nil || len(found.Body.Auctions) == 0 || dara.StringValue(found.Body.Auctions[0].ProductId) != "shoe" ||
		dara.Int32Value(found.Body.Auctions[0].CategoryId) != other || dara.Int32Value(found.Body.PicInfo.CategoryId) != other {
		t.Fatalf("SearchImageByPic with CategoryId 0: %v %s", err, found)
	}
	byName, err := sdk.SearchImageByName(&imagesearch.SearchImageByNameRequest{InstanceName: instance,
		ProductId: dara.String("toy"), PicName: dara.String("rocket.jpg"), CategoryId: dara.Int32(9)})
	if err != nil || len(byName.Body.Auctions) == 0 || dara.StringValue(byName.Body.Auctions[0].ProductId) != "toy" {
		t.Fatalf("SearchImageByName with CategoryId 9: %v %s", err, byName)
	}
	a := legacy(t, s, "search", searchBody("chelsea", metabody.Field{Key: metabody.KeyCatID, Value: "7"}))
	auctions, _ := a.Body["Auctions"].([]any)
	picInfo, _ := a.Body["PicInfo"].(map[string]any)
	if a.HTTP != 200 || len(auctions) == 0 || auctions[0].(map[string]any)["ItemId"] != "bag" ||
		auctions[0].(map[string]any)["CatId"] != float64(other) || picInfo["Category"] != "88888888" {
		t.Fatalf("legacy search with cat_id 7: %s", a.raw)
	}

	// An unknown category is still refused, and changes nothing.
	before := s.Snapshot()
	_, err = sdk.SearchImageByPic(&imagesearch.SearchImageByPicRequest{InstanceName: instance,
		PicContent: photoB64("coffee"), CategoryId: dara.Int32(50)})
	if code, _ := sdkError(t, err); code != apierror.InvalidCategory.Code {
		t.Errorf("SearchImageByPic with CategoryId 50: %v", err)
	}
	for op, body := range map[string][]byte{"add": legacyAdd("bad", "rocket", "50"),
		"search": searchBody("rocket", metabody.Field{Key: metabody.KeyCatID, Value: "50"})} {
		if a := legacy(t, s, op, body); a.HTTP != 400 || a.code() != apierror.InvalidCategory.Code {
			t.Errorf("legacy %s with cat_id 50: %s", op, a.raw)
		}
	}
	if after := s.Snapshot(); after != before {
		t.Errorf("refused requests changed the instance: %s -> %s", before, after)
	}
}

// legacyAdd is a legacy add of one photo under item, in category cat.
func legacyAdd(item, photo, cat string) []byte {
	key := metabody.PicKey(photo + ".jpg")
	return metabody.Build([]metabody.Field{{Key: metabody.KeyItemID, Value: item}, {Key: metabody.KeyCatID, Value: cat},
		{Key: metabody.KeyPicList, Value: key}, {Key: key, Value: b64(testphoto.File(photo))}})
}
