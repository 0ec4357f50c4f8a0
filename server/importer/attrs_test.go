package importer_test

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"image/jpeg"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	openapiutil "github.com/alibabacloud-go/darabonba-openapi/v2/utils"
	imagesearch "github.com/alibabacloud-go/imagesearch-20201214/v4/client"
	"github.com/alibabacloud-go/tea/dara"

	"github.com/pixmatch/pixmatch/server/importer"
	"github.com/pixmatch/pixmatch/server/internal/testserver"
	"github.com/pixmatch/pixmatch/server/loadgen"
)

// TestImportAttributes imports four pictures whose JSON lines meta file
// gives Alibaba attributes (and one none), and checks with the official
// Alibaba SDK that SearchImageByPic's Filter finds each picture by its
// attributes and not by others.
func TestImportAttributes(t *testing.T) {
	s := testserver.New(t)
	dir := t.TempDir()
	files := make([][]byte, 4)
	for i := range files {
		var buf bytes.Buffer
		if err := jpeg.Encode(&buf, loadgen.Picture(16, i, 160), &jpeg.Options{Quality: 85}); err != nil {
			t.Fatal(err)
		}
		files[i] = buf.Bytes()
		write(t, filepath.Join(dir, fmt.Sprintf("item %d.jpg", i)), files[i])
	}
	meta := filepath.Join(t.TempDir(), "meta.jsonl")
	write(t, meta, []byte(`{"file":"item 0.jpg","productId":"shoe","intAttr":1,"strAttr":"red","categoryId":4}
{"file":"item 1.jpg","intAttr":"2","strAttr":"blue","strAttr4":"鞋"}
{"file":"item 2.jpg","productId":"shoe","picName":"side","IntAttr":1,"intAttr3":-5}
`))
	rep, err := importer.Run(t.Context(), importer.Options{Dir: dir, URL: s.URL(), AppID: testserver.AppID,
		Key: testserver.Key, Secret: testserver.Secret, Meta: meta})
	if err != nil || rep.Added != 4 || len(rep.Failed) != 0 {
		t.Fatalf("Run: %+v, %v; want the 4 pictures added", rep, err)
	}
	sdk, err := imagesearch.NewClient(&openapiutil.Config{
		AccessKeyId: dara.String(testserver.Key), AccessKeySecret: dara.String(testserver.Secret),
		Endpoint: dara.String(s.Addr()), Protocol: dara.String("http"), RegionId: dara.String("cn-shanghai"),
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		item   int
		filter string
		found  bool
	}{
		{0, `int_attr=1 AND str_attr="red"`, true},
		{0, "int_attr=2", false},
		{1, `int_attr=2 AND str_attr="blue" AND str_attr4="鞋"`, true},
		{1, `str_attr="red"`, false},
		{2, "int_attr=1 AND int_attr3=-5", true},
		{2, `str_attr="red"`, false},
		{3, `int_attr=0 AND str_attr=""`, true},
		{3, "int_attr=1", false},
	} {
		r, err := sdk.SearchImageByPic(&imagesearch.SearchImageByPicRequest{InstanceName: dara.String(testserver.Instance),
			PicContent: dara.String(base64.StdEncoding.EncodeToString(files[tc.item])), Filter: dara.String(tc.filter)})
		if err != nil {
			t.Fatalf("item %d, Filter %q: %v", tc.item, tc.filter, err)
		}
		var pics []string
		for _, a := range r.Body.Auctions {
			pics = append(pics, dara.StringValue(a.ProductId)+"/"+dara.StringValue(a.PicName))
		}
		// Without a productId, a picture's is its target's ID.
		name := []string{"shoe/item 0", "/item 1", "shoe/side", "/item 3"}[tc.item]
		if found := slices.ContainsFunc(pics, func(p string) bool { return strings.HasSuffix(p, name) }); found != tc.found {
			t.Errorf("item %d with Filter %q found %q; want %q found: %v", tc.item, tc.filter, pics, name, tc.found)
		}
	}
}
