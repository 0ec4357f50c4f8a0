package alibaba_test

import (
	"os"
	"path/filepath"
	"testing"

	imagesearch "github.com/alibabacloud-go/imagesearch-20201214/v4/client"
	"github.com/alibabacloud-go/tea/dara"

	"github.com/pixmatch/pixmatch/shared/apierror"
	"github.com/pixmatch/pixmatch/shared/testphoto"
)

// TestOtherSchemesAreInvalidURLs: a PicContent or BucketName that is a
// URL of another scheme than http(s) is InvalidPicUrl (not taken for
// base64, nor for a bucket's name), reads nothing and changes nothing.
func TestOtherSchemesAreInvalidURLs(t *testing.T) {
	s, sdk, _ := localBucket(t)
	secret := filepath.Join(t.TempDir(), "secret.jpg")
	os.WriteFile(secret, testphoto.File("coffee"), 0o644)
	urls := []string{
		"file://" + secret,
		"FILE:" + secret,
		"gopher://127.0.0.1:70/_GET",
		"ftp://example.com/a.jpg",
	}
	before := s.Snapshot()
	for _, u := range urls {
		calls := map[string]func() error{
			"AddImage": func() error {
				_, err := sdk.AddImage(&imagesearch.AddImageRequest{InstanceName: instance, ProductId: dara.String("p"),
					PicName: dara.String("a.jpg"), PicContent: dara.String(u)})
				return err
			},
			"SearchImageByPic": func() error {
				_, err := sdk.SearchImageByPic(&imagesearch.SearchImageByPicRequest{InstanceName: instance, PicContent: dara.String(u)})
				return err
			},
			"CompareSimilarByImage": func() error {
				_, err := sdk.CompareSimilarByImage(&imagesearch.CompareSimilarByImageRequest{InstanceName: instance,
					PrimaryPicContent: photoB64("coffee"), SecondaryPicContent: dara.String(u)})
				return err
			},
			"IncreaseInstance": func() error {
				_, err := sdk.IncreaseInstance(&imagesearch.IncreaseInstanceRequest{InstanceName: instance,
					BucketName: dara.String(u), Path: dara.String("/batch")})
				return err
			},
		}
		for action, call := range calls {
			err := call()
			if err == nil {
				t.Errorf("%s with %q succeeded", action, u)
				continue
			}
			if code, status := sdkError(t, err); code != apierror.InvalidPicUrl.Code || status != 400 {
				t.Errorf("%s with %q: %s %d, want InvalidPicUrl 400", action, u, code, status)
			}
		}
	}
	if after := s.Snapshot(); after != before {
		t.Errorf("the refused requests changed the instance: %s -> %s", before, after)
	}
	if n := len(increments(t, sdk)); n != 0 {
		t.Errorf("%d imports recorded", n)
	}
}
