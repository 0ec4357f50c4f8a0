package metabody_test

import (
	"bytes"
	"encoding/base64"
	"image"
	"image/color"
	"image/png"
	"reflect"
	"testing"

	"github.com/pixmatch/pixmatch/server/api/alibaba/metabody"
	"github.com/pixmatch/pixmatch/shared/apierror"
)

// pngImage encodes a w×h gradient as PNG, a real picture to carry.
func pngImage(t testing.TB, w, h int) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			img.Set(x, y, color.RGBA{uint8(x * 255 / w), uint8(y * 255 / h), 128, 255})
		}
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// f is a field; pic is the field carrying the picture named name.
func f(key, value string) metabody.Field { return metabody.Field{Key: key, Value: value} }

func pic(name string, data []byte) metabody.Field {
	return f(metabody.PicKey(name), base64.StdEncoding.EncodeToString(data))
}

func ptr[T any](v T) *T { return &v }

func TestParseAdd(t *testing.T) {
	front, back := pngImage(t, 64, 48), pngImage(t, 32, 32)
	tests := []struct {
		name   string
		fields []metabody.Field
		want   metabody.AddRequest
	}{
		{"minimal",
			[]metabody.Field{f("item_id", "p1"), f("pic_list", metabody.PicKey("front.png")), pic("front.png", front)},
			metabody.AddRequest{ItemID: "p1", Pics: []metabody.Pic{{"front.png", front}}}},
		{"every key",
			[]metabody.Field{
				f("item_id", "p1"), f("cat_id", "88888888"), f("cust_content", `{"sku":1}`), f("crop", "false"),
				f("region", "10,60,5,40"), f("int_attr", "-7"), f("str_attr", "red"),
				f("pic_list", metabody.PicKey("front.png")), pic("front.png", front),
			},
			metabody.AddRequest{
				ItemID: "p1", CatID: ptr(int32(88888888)), CustContent: `{"sku":1}`, Crop: ptr(false),
				Region: "10,60,5,40", Pics: []metabody.Pic{{"front.png", front}}, IntAttr: ptr(int32(-7)), StrAttr: "red",
			}},
		{"pics in pic_list order",
			[]metabody.Field{
				pic("front.png", front), pic("back.png", back), f("item_id", "p1"),
				f("pic_list", metabody.PicKey("back.png")+","+metabody.PicKey("front.png")),
			},
			metabody.AddRequest{ItemID: "p1", Pics: []metabody.Pic{{"back.png", back}, {"front.png", front}}}},
		{"empty optional values are absent",
			[]metabody.Field{
				f("item_id", "p1"), f("cat_id", ""), f("cust_content", ""), f("crop", ""), f("region", ""),
				f("int_attr", ""), f("pic_list", metabody.PicKey("a")), pic("a", front),
			},
			metabody.AddRequest{ItemID: "p1", Pics: []metabody.Pic{{"a", front}}}},
		{"int32 bounds and crop true",
			[]metabody.Field{
				f("item_id", "p1"), f("cat_id", "2147483647"), f("int_attr", "-2147483648"), f("crop", "true"),
				f("pic_list", metabody.PicKey("a")), pic("a", front),
			},
			metabody.AddRequest{
				ItemID: "p1", CatID: ptr(int32(2147483647)), IntAttr: ptr(int32(-2147483648)), Crop: ptr(true),
				Pics: []metabody.Pic{{"a", front}},
			}},
		{"unknown keys and unlisted pics ignored",
			[]metabody.Field{
				f("item_id", "p1"), f("future_key", "x"), pic("unlisted", back),
				f("pic_list", metabody.PicKey("a")), pic("a", front),
			},
			metabody.AddRequest{ItemID: "p1", Pics: []metabody.Pic{{"a", front}}}},
		{"Chinese text",
			[]metabody.Field{
				f("item_id", "商品-1"), f("cat_id", "0"), f("cust_content", `{"名称":"海报 🎨"}`), f("str_attr", "红色"),
				f("pic_list", metabody.PicKey("正面.png")), pic("正面.png", front),
			},
			metabody.AddRequest{
				ItemID: "商品-1", CatID: ptr(int32(0)), CustContent: `{"名称":"海报 🎨"}`, StrAttr: "红色",
				Pics: []metabody.Pic{{"正面.png", front}},
			}},
	}
	for _, tt := range tests {
		for style, build := range map[string]func([]metabody.Field) []byte{"Go": metabody.Build, "Java": buildJava} {
			t.Run(tt.name+"/"+style, func(t *testing.T) {
				got, err := metabody.ParseAdd(build(tt.fields))
				if err != nil {
					t.Fatal(err)
				}
				if !reflect.DeepEqual(got, tt.want) {
					t.Errorf("ParseAdd = %+v\nwant %+v", got, tt.want)
				}
			})
		}
	}
}

func TestParseAddErrors(t *testing.T) {
	img := pngImage(t, 8, 8)
	list := f("pic_list", metabody.PicKey("a"))
	ok := []metabody.Field{f("item_id", "p1"), list, pic("a", img)}
	with := func(extra ...metabody.Field) []metabody.Field {
		return append(append([]metabody.Field(nil), ok...), extra...)
	}
	tests := []struct {
		name   string
		fields []metabody.Field
		body   string // used when fields is nil
		want   *apierror.Error
	}{
		{name: "no caret", body: "item_id,0,2", want: apierror.NoCaretSeperator},
		{name: "empty meta", body: "^p1", want: apierror.EmptyMeta},
		{name: "bad meta item", body: "item_id,0,9^p1", want: apierror.InvalidMetaItem},
		{name: "no item_id", fields: []metabody.Field{list, pic("a", img)}, want: apierror.NoSpecifiedItemId},
		{name: "empty item_id", fields: []metabody.Field{f("item_id", ""), list, pic("a", img)}, want: apierror.NoSpecifiedItemId},
		{name: "no pic_list", fields: []metabody.Field{f("item_id", "p1"), pic("a", img)}, want: apierror.NoPicList},
		{name: "empty pic_list", fields: []metabody.Field{f("item_id", "p1"), f("pic_list", ""), pic("a", img)}, want: apierror.InvalidPicList},
		{name: "empty pic_list entry", fields: []metabody.Field{f("item_id", "p1"), f("pic_list", metabody.PicKey("a")+","), pic("a", img)},
			want: apierror.InvalidPicList},
		{name: "pic_list entry not base64", fields: []metabody.Field{f("item_id", "p1"), f("pic_list", "a.jpg"), f("a.jpg", "AAAA")},
			want: apierror.InvalidPicList},
		{name: "pic listed twice", fields: []metabody.Field{f("item_id", "p1"), f("pic_list", metabody.PicKey("a")+","+metabody.PicKey("a")), pic("a", img)},
			want: apierror.InvalidPicList},
		{name: "listed pic missing", fields: []metabody.Field{f("item_id", "p1"), f("pic_list", metabody.PicKey("a")+","+metabody.PicKey("b")), pic("a", img)},
			want: apierror.NoSpecifiedPic},
		{name: "pic empty", fields: []metabody.Field{f("item_id", "p1"), list, f(metabody.PicKey("a"), "")}, want: apierror.NoSpecifiedAddPic},
		{name: "all pics empty", fields: []metabody.Field{
			f("item_id", "p1"), f("pic_list", metabody.PicKey("a")+","+metabody.PicKey("b")), f(metabody.PicKey("a"), ""), f(metabody.PicKey("b"), ""),
		}, want: apierror.NoSpecifiedAddPic},
		{name: "pic only a line break", fields: []metabody.Field{f("item_id", "p1"), list, f(metabody.PicKey("a"), "\r\n")}, want: apierror.NoSpecifiedAddPic},
		{name: "pic not base64", fields: []metabody.Field{f("item_id", "p1"), list, f(metabody.PicKey("a"), "not base64!")}, want: apierror.InvalidPicList},
		{name: "cat_id not a number", fields: with(f("cat_id", "shoes")), want: apierror.InvalidCategory},
		{name: "cat_id fraction", fields: with(f("cat_id", "1.5")), want: apierror.InvalidCategory},
		{name: "cat_id beyond int32", fields: with(f("cat_id", "2147483648")), want: apierror.InvalidCategory},
		{name: "int_attr not a number", fields: with(f("int_attr", "x")), want: apierror.InvalidIntAttr},
		{name: "int_attr beyond int32", fields: with(f("int_attr", "-2147483649")), want: apierror.InvalidIntAttr},
		{name: "crop yes", fields: with(f("crop", "yes")), want: apierror.InvalidMetaItem},
		{name: "crop upper case", fields: with(f("crop", "TRUE")), want: apierror.InvalidMetaItem},
		{name: "region three numbers", fields: with(f("region", "1,2,3")), want: apierror.InvalidRegion},
		{name: "region words", fields: with(f("region", "a,b,c,d")), want: apierror.InvalidRegion},
		{name: "region negative", fields: with(f("region", "-1,2,3,4")), want: apierror.InvalidRegion},
		{name: "region x1 after x2", fields: with(f("region", "5,2,1,3")), want: apierror.InvalidRegion},
		{name: "region empty height", fields: with(f("region", "1,2,3,3")), want: apierror.InvalidRegion},
		{name: "cust_content not UTF-8", fields: with(f("cust_content", "\xff\xfe")), want: apierror.InvalidCustomContent},
		{name: "str_attr not UTF-8", fields: with(f("str_attr", "red\xc0")), want: apierror.InvalidStrAttr},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			body := []byte(tt.body)
			if tt.fields != nil {
				body = metabody.Build(tt.fields)
			}
			got, err := metabody.ParseAdd(body)
			checkEntry(t, err, tt.want)
			if !reflect.DeepEqual(got, metabody.AddRequest{}) {
				t.Errorf("ParseAdd returned %+v with its error", got)
			}
		})
	}
}

func TestParseSearch(t *testing.T) {
	img := pngImage(t, 40, 30)
	searchPic := []metabody.Field{f("pic_list", metabody.PicKey(metabody.SearchPicName)), pic(metabody.SearchPicName, img)}
	with := func(extra ...metabody.Field) []metabody.Field { return append(extra, searchPic...) }
	tests := []struct {
		name   string
		fields []metabody.Field
		want   metabody.SearchRequest
	}{
		{"defaults", with(), metabody.SearchRequest{Start: 0, Num: 10, Pic: img}},
		{"as the Java SDK sends it", with(f("s", "20"), f("n", "5"), f("cat_id", "3")),
			metabody.SearchRequest{Start: 20, Num: 5, CatID: ptr(int32(3)), Pic: img}},
		{"lowest window", with(f("s", "0"), f("n", "1")), metabody.SearchRequest{Start: 0, Num: 1, Pic: img}},
		{"highest window", with(f("s", "499"), f("n", "100")), metabody.SearchRequest{Start: 499, Num: 100, Pic: img}},
		{"empty s and n are defaults", with(f("s", ""), f("n", "")), metabody.SearchRequest{Start: 0, Num: 10, Pic: img}},
		{"crop, region and filter", with(f("crop", "true"), f("region", "0,40,0,30"), f("filter", `int_attr>=100 AND str_attr="红"`)),
			metabody.SearchRequest{Start: 0, Num: 10, Crop: ptr(true), Region: "0,40,0,30", Filter: `int_attr>=100 AND str_attr="红"`, Pic: img}},
		{"any pic name", []metabody.Field{f("pic_list", metabody.PicKey("查询.png")), pic("查询.png", img)},
			metabody.SearchRequest{Start: 0, Num: 10, Pic: img}},
	}
	for _, tt := range tests {
		for style, build := range map[string]func([]metabody.Field) []byte{"Go": metabody.Build, "Java": buildJava} {
			t.Run(tt.name+"/"+style, func(t *testing.T) {
				got, err := metabody.ParseSearch(build(tt.fields))
				if err != nil {
					t.Fatal(err)
				}
				if !reflect.DeepEqual(got, tt.want) {
					t.Errorf("ParseSearch = %+v\nwant %+v", got, tt.want)
				}
			})
		}
	}
}

func TestParseSearchErrors(t *testing.T) {
	img := pngImage(t, 8, 8)
	list := f("pic_list", metabody.PicKey("searchPic"))
	with := func(extra ...metabody.Field) []metabody.Field { return append(extra, list, pic("searchPic", img)) }
	tests := []struct {
		name   string
		fields []metabody.Field
		body   string // used when fields is nil
		want   *apierror.Error
	}{
		{name: "no caret", body: "", want: apierror.NoCaretSeperator},
		{name: "empty meta", body: "^x", want: apierror.EmptyMeta},
		{name: "duplicate key", body: "s,0,1#s,1,2^00", want: apierror.InvalidMetaItem},
		{name: "s negative", fields: with(f("s", "-1")), want: apierror.InvalidStartParameter},
		{name: "s 500", fields: with(f("s", "500")), want: apierror.InvalidStartParameter},
		{name: "s not a number", fields: with(f("s", "first")), want: apierror.InvalidStartParameter},
		{name: "s fraction", fields: with(f("s", "1.0")), want: apierror.InvalidStartParameter},
		{name: "n zero", fields: with(f("n", "0")), want: apierror.InvalidNumParameter},
		{name: "n 101", fields: with(f("n", "101")), want: apierror.InvalidNumParameter},
		{name: "n not a number", fields: with(f("n", "ten")), want: apierror.InvalidNumParameter},
		{name: "no pic_list", fields: []metabody.Field{pic("searchPic", img)}, want: apierror.NoPicList},
		{name: "empty pic_list", fields: []metabody.Field{f("pic_list", ""), pic("searchPic", img)}, want: apierror.InvalidPicList},
		{name: "two pics", fields: []metabody.Field{
			f("pic_list", metabody.PicKey("a")+","+metabody.PicKey("b")), pic("a", img), pic("b", img),
		}, want: apierror.InvalidPicList},
		{name: "pic_list not base64", fields: []metabody.Field{f("pic_list", "searchPic"), f("searchPic", "AAAA")}, want: apierror.InvalidPicList},
		{name: "pic missing", fields: []metabody.Field{list}, want: apierror.NoSpecifiedSearchPic},
		{name: "pic empty", fields: []metabody.Field{list, f(metabody.PicKey("searchPic"), "")}, want: apierror.NoSpecifiedSearchPic},
		{name: "pic not base64", fields: []metabody.Field{list, f(metabody.PicKey("searchPic"), "%%%%")}, want: apierror.InvalidPicList},
		{name: "cat_id not a number", fields: with(f("cat_id", "x")), want: apierror.InvalidCategory},
		{name: "crop not a bool", fields: with(f("crop", "1")), want: apierror.InvalidMetaItem},
		{name: "bad region", fields: with(f("region", "1,2,3,4,5")), want: apierror.InvalidRegion},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			body := []byte(tt.body)
			if tt.fields != nil {
				body = metabody.Build(tt.fields)
			}
			got, err := metabody.ParseSearch(body)
			checkEntry(t, err, tt.want)
			if !reflect.DeepEqual(got, metabody.SearchRequest{}) {
				t.Errorf("ParseSearch returned %+v with its error", got)
			}
		})
	}
}

func TestParseDelete(t *testing.T) {
	tests := []struct {
		name   string
		fields []metabody.Field
		want   metabody.DeleteRequest
	}{
		{"whole item", []metabody.Field{f("item_id", "p1")}, metabody.DeleteRequest{ItemID: "p1"}},
		{"empty pic_list as the Java SDK sends it", []metabody.Field{f("item_id", "p1"), f("pic_list", "")},
			metabody.DeleteRequest{ItemID: "p1"}},
		{"some pics", []metabody.Field{f("pic_list", metabody.PicKey("a.jpg")+","+metabody.PicKey("正面.jpg")), f("item_id", "商品")},
			metabody.DeleteRequest{ItemID: "商品", PicNames: []string{"a.jpg", "正面.jpg"}}},
	}
	for _, tt := range tests {
		for style, build := range map[string]func([]metabody.Field) []byte{"Go": metabody.Build, "Java": buildJava} {
			t.Run(tt.name+"/"+style, func(t *testing.T) {
				got, err := metabody.ParseDelete(build(tt.fields))
				if err != nil {
					t.Fatal(err)
				}
				if !reflect.DeepEqual(got, tt.want) {
					t.Errorf("ParseDelete = %+v, want %+v", got, tt.want)
				}
			})
		}
	}
}

func TestParseDeleteErrors(t *testing.T) {
	tests := []struct {
		name string
		body []byte
		want *apierror.Error
	}{
		{"no caret", []byte("item_id"), apierror.NoCaretSeperator},
		{"empty meta", []byte("^p1"), apierror.EmptyMeta},
		{"bad meta item", []byte("item_id,2,1^p1"), apierror.InvalidMetaItem},
		{"no item_id", metabody.Build([]metabody.Field{f("pic_list", metabody.PicKey("a"))}), apierror.NoSpecifiedItemId},
		{"empty item_id", metabody.Build([]metabody.Field{f("item_id", "")}), apierror.NoSpecifiedItemId},
		{"pic_list entry not base64", metabody.Build([]metabody.Field{f("item_id", "p1"), f("pic_list", "a.jpg")}), apierror.InvalidPicList},
		{"empty pic_list entry", metabody.Build([]metabody.Field{f("item_id", "p1"), f("pic_list", ","+metabody.PicKey("a"))}), apierror.InvalidPicList},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := metabody.ParseDelete(tt.body)
			checkEntry(t, err, tt.want)
			if !reflect.DeepEqual(got, metabody.DeleteRequest{}) {
				t.Errorf("ParseDelete returned %+v with its error", got)
			}
		})
	}
}

func BenchmarkParseAdd(b *testing.B) {
	img := pngImage(b, 640, 480)
	body := metabody.Build([]metabody.Field{f("item_id", "p1"), f("pic_list", metabody.PicKey("a")), pic("a", img)})
	b.SetBytes(int64(len(body)))
	for b.Loop() {
		if _, err := metabody.ParseAdd(body); err != nil {
			b.Fatal(err)
		}
	}
}
