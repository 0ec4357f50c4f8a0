package alibaba_test

import (
	"bytes"
	"encoding/base64"
	"image/jpeg"
	"testing"

	imagesearch "github.com/alibabacloud-go/imagesearch-20201214/v4/client"
	"github.com/alibabacloud-go/tea/dara"

	"github.com/pixmatch/pixmatch/server/internal/testserver"
	"github.com/pixmatch/pixmatch/shared/distort"
	"github.com/pixmatch/pixmatch/shared/testphoto"
)

// TestSearchCameraShot searches, through the official SDK and raw, with a
// camera-like shot of a picture: printed, tilted 35°, on a photo no
// picture of the instance shows. The feature tier finds it; the raw
// answer's auction carries the print's corners in the frame.
func TestSearchCameraShot(t *testing.T) {
	s := testserver.New(t)
	f := &fixture{t: t, s: s, sdk: newSDK(t, s.Addr(), testserver.Key, testserver.Secret, false)}
	f.add("p-coffee", "coffee.jpg", "coffee")
	f.add("p-rocket", "rocket.jpg", "rocket")
	shoot, _ := distort.CameraCatalogue()[1].Locate(distort.Params{Seed: 5, Scene: distort.Mirror(testphoto.Image("grass"))})
	frame, _ := shoot(testphoto.Image("coffee"))
	var b bytes.Buffer
	jpeg.Encode(&b, frame, &jpeg.Options{Quality: 85})
	shot := base64.StdEncoding.EncodeToString(b.Bytes())

	res, err := f.sdk.SearchImageByPic(&imagesearch.SearchImageByPicRequest{InstanceName: instance, PicContent: dara.String(shot), Crop: dara.Bool(false)})
	if err != nil {
		t.Fatal(err)
	}
	if a := res.Body.Auctions; len(a) == 0 || dara.StringValue(a[0].ProductId) != "p-coffee" || dara.Float32Value(a[0].Score) < 0.5 {
		t.Fatalf("SDK search with a camera shot: %v", res.Body)
	}
	raw := rpc(t, s, "SearchImageByPic", map[string]string{"InstanceName": testserver.Instance, "PicContent": shot, "Crop": "false"})
	auctions, _ := raw.Body["Auctions"].([]any)
	if len(auctions) == 0 {
		t.Fatalf("raw search: %v", raw.Body)
	}
	if corners, _ := auctions[0].(map[string]any)["Corners"].([]any); len(corners) != 4 {
		t.Errorf("the first auction's corners: %v", auctions[0])
	}
}

// TestCompareCameraShot compares a camera shot of a print with the
// picture printed, through the official SDK: the feature tier scores it
// a match, where the hash tier alone scored it unrelated; another picture
// still scores under 0.5.
func TestCompareCameraShot(t *testing.T) {
	s := testserver.New(t)
	sdk := newSDK(t, s.Addr(), testserver.Key, testserver.Secret, false)
	shoot, _ := distort.CameraCatalogue()[1].Locate(distort.Params{Seed: 5, Scene: distort.Mirror(testphoto.Image("grass"))})
	frame, _ := shoot(testphoto.Image("coffee"))
	var b bytes.Buffer
	jpeg.Encode(&b, frame, &jpeg.Options{Quality: 85})
	shot := dara.String(base64.StdEncoding.EncodeToString(b.Bytes()))
	for _, c := range []struct {
		picture string
		match   bool
	}{{"coffee", true}, {"rocket", false}} {
		res, err := sdk.CompareSimilarByImage(&imagesearch.CompareSimilarByImageRequest{InstanceName: instance,
			PrimaryPicContent: shot, SecondaryPicContent: photoB64(c.picture)})
		if err != nil {
			t.Fatal(err)
		}
		if score := dara.Float64Value(res.Body.Score); (score >= 0.5) != c.match {
			t.Errorf("a camera shot of coffee against %s: score %.3f", c.picture, score)
		}
	}
}
