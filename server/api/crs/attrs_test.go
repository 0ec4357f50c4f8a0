package crs_test

import (
	"net/http"
	"slices"
	"strings"
	"testing"

	openapiutil "github.com/alibabacloud-go/darabonba-openapi/v2/utils"
	imagesearch "github.com/alibabacloud-go/imagesearch-20201214/v4/client"
	"github.com/alibabacloud-go/tea/dara"

	"github.com/pixmatch/pixmatch/server/internal/testserver"
)

// aliFound returns the ProductId/PicName of every picture the official
// Alibaba SDK's SearchImageByPic finds with photo and filter.
func aliFound(t *testing.T, e *env, photoName, filter string) []string {
	t.Helper()
	sdk, err := imagesearch.NewClient(&openapiutil.Config{
		AccessKeyId: dara.String(testKey), AccessKeySecret: dara.String(testSecret),
		Endpoint: dara.String(e.Addr()), Protocol: dara.String("http"), RegionId: dara.String("cn-shanghai"),
	})
	if err != nil {
		t.Fatal(err)
	}
	r, err := sdk.SearchImageByPic(&imagesearch.SearchImageByPicRequest{InstanceName: dara.String(testserver.Instance),
		PicContent: dara.String(b64(photo(photoName))), Filter: dara.String(filter), Num: dara.Int32(10)})
	if err != nil {
		t.Fatalf("SearchImageByPic %s, Filter %q: %v", photoName, filter, err)
	}
	var out []string
	for _, a := range r.Body.Auctions {
		out = append(out, dara.StringValue(a.ProductId)+"/"+dara.StringValue(a.PicName))
	}
	return out
}

// TestAttributesFilter creates targets through CRS with pixmatch's
// attribute fields (in JSON, as numbers and as strings, and in a
// multipart form) and checks that Alibaba's SearchImageByPic finds them by
// their Filter, and no longer by an attribute a CRS update changed.
func TestAttributesFilter(t *testing.T) {
	e := newEnv(t)
	c := e.client()
	coffee := c.createTarget("coffee", photo("coffee"), map[string]any{
		"productId": "p1", "picName": "coffee.jpg", "categoryId": 88888888,
		"intAttr": 7, "intAttr3": "-3", "strAttr": "red", "strAttr4": "咖啡"})
	c.createTarget("rocket", photo("rocket"), map[string]any{"intAttr": 1, "strAttr": "blue"})
	r := c.multipart("/targets/", map[string]any{"name": "chelsea", "productId": "p2", "intAttr": "7", "strAttr2": "x y"}, photo("chelsea"))
	want(t, r, 200, 0)
	var kept int
	row := e.SQL().QueryRow(`SELECT COUNT(*) FROM targets WHERE extra LIKE '%Attr%' OR extra LIKE '%productId%'`)
	if err := row.Scan(&kept); err != nil || kept != 0 {
		t.Fatalf("%d targets keep an attribute field as a custom field (%v)", kept, err)
	}

	for _, tc := range []struct {
		photo, filter string
		found         bool
	}{
		{"coffee", "int_attr=7", true},
		{"coffee", `int_attr=7 AND str_attr="red" AND int_attr3=-3 AND str_attr4="咖啡"`, true},
		{"coffee", "int_attr=1", false},
		{"coffee", `str_attr="blue"`, false},
		{"chelsea", `int_attr=7 AND str_attr2="x y"`, true},
		{"chelsea", "int_attr!=7", false},
	} {
		got := aliFound(t, e, tc.photo, tc.filter)
		name := map[string]string{"coffee": "p1/coffee.jpg", "chelsea": "p2/chelsea"}[tc.photo]
		if slices.Contains(got, name) != tc.found {
			t.Errorf("%s with Filter %q found %v; want %s found: %v", tc.photo, tc.filter, got, name, tc.found)
		}
	}

	r = c.json(http.MethodPut, "/target/"+coffee, map[string]any{"intAttr": 8, "strAttr": ""})
	want(t, r, 200, 0)
	if got := aliFound(t, e, "coffee", "int_attr=7"); slices.Contains(got, "p1/coffee.jpg") {
		t.Errorf("after the update, int_attr=7 still finds coffee: %v", got)
	}
	if got := aliFound(t, e, "coffee", `int_attr=8 AND str_attr="" AND int_attr3=-3`); !slices.Contains(got, "p1/coffee.jpg") {
		t.Errorf("after the update, int_attr=8 does not find coffee: %v", got)
	}
}

// TestAttributesRefused sends each attribute value Alibaba's AddImage
// refuses, in a CRS create and update, and checks statusCode 414 (HTTP
// 400) and that nothing changed; and a create reusing another target's
// productId and picName, which is 403 (HTTP 409).
func TestAttributesRefused(t *testing.T) {
	e := newEnv(t)
	c := e.client()
	id := c.createTarget("coffee", photo("coffee"), map[string]any{"productId": "p1", "picName": "coffee.jpg"})
	for _, bad := range []map[string]any{
		{"intAttr": "seven"},
		{"intAttr2": 2147483648},
		{"intAttr4": 1.5},
		{"intAttr3": true},
		{"strAttr": "5$"},
		{"strAttr3": `a\b`},
		{"strAttr2": strings.Repeat("é", 129)},
		{"strAttr": 12},
		{"categoryId": 10},
		{"categoryId": "shoes"},
		{"productId": strings.Repeat("p", 257)},
		{"picName": strings.Repeat("名", 257)},
		{"picName": 5},
	} {
		before := e.Snapshot()
		create := map[string]any{"image": b64(photo("rocket")), "name": "rocket"}
		for k, v := range bad {
			create[k] = v
		}
		r := c.json(http.MethodPost, "/targets", create)
		want(t, r, 400, 414)
		r = c.json(http.MethodPut, "/target/"+id, bad)
		want(t, r, 400, 414)
		if after := e.Snapshot(); after != before {
			t.Errorf("%v changed the gallery: %s, then %s", bad, before, after)
		}
	}
	before := e.Snapshot()
	for _, identity := range []map[string]any{{"productId": "p2"}, {"picName": "x"}} {
		want(t, c.json(http.MethodPut, "/target/"+id, identity), 400, 414)
	}
	r := c.json(http.MethodPost, "/targets", map[string]any{"image": b64(photo("rocket")), "name": "rocket",
		"productId": "p1", "picName": "coffee.jpg"})
	want(t, r, 409, 403)
	if after := e.Snapshot(); after != before {
		t.Errorf("the refused identities changed the gallery: %s, then %s", before, after)
	}
}
