package metabody

import (
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/pixmatch/pixmatch/shared/apierror"
)

// The keys the legacy requests read. An optional key sent with an empty
// value counts as absent, as the Java SDK sends unset strings as empty
// values (cust_content "", and pic_list "" to delete all pics).
const (
	KeyItemID      = "item_id"      // the item (2020-12-14: ProductId); add and delete
	KeyCatID       = "cat_id"       // the category; add and search
	KeyCustContent = "cust_content" // free text returned with results; add
	KeyCrop        = "crop"         // "true" or "false"; add and search
	KeyRegion      = "region"       // "x1,x2,y1,y2" in pixels; add and search
	KeyIntAttr     = "int_attr"     // a filterable int32; add
	KeyStrAttr     = "str_attr"     // a filterable string; add
	KeyPicList     = "pic_list"     // comma-joined PicKey of each pic; all three
	KeyStart       = "s"            // the first result, 0–499, default 0; search
	KeyNum         = "n"            // the number of results, 1–100, default 10; search
	KeyFilter      = "filter"       // a filter clause; search
)

// SearchPicName is the pic name the official SDKs give the search picture.
const SearchPicName = "searchPic"

// The bounds and defaults of the search window.
const (
	DefaultStart = 0
	MaxStart     = 499
	DefaultNum   = 10
	MaxNum       = 100
)

// PicKey returns the key under which a body carries the pic named name, and
// which pic_list lists: the standard base64 of the name.
func PicKey(name string) string {
	return base64.StdEncoding.EncodeToString([]byte(name))
}

// Pic is one picture of a request.
type Pic struct {
	Name string // decoded from its base64 key
	Data []byte // the decoded image bytes
}

// AddRequest is the body of /item/add.
type AddRequest struct {
	ItemID      string
	CatID       *int32 // nil when absent
	CustContent string
	Crop        *bool  // nil when absent
	Region      string // "x1,x2,y1,y2" as sent, well formed; the caller checks it against the image
	Pics        []Pic  // in pic_list order
	IntAttr     *int32 // key "int_attr"; nil when absent
	StrAttr     string // key "str_attr"
}

// ParseAdd reads the body of /item/add.
//
// Besides the errors of Parse it fails with NoSpecifiedItemId without an
// item_id, NoPicList without a pic_list, InvalidPicList for a pic_list
// entry that is empty, repeated or not base64 or for a pic whose value is
// not base64, NoSpecifiedPic for a listed pic missing from the meta,
// NoSpecifiedAddPic for a listed pic without image data, InvalidCategory
// for a cat_id that is not an int32, InvalidMetaItem for a crop other than
// "true" or "false", InvalidRegion for a region that is not four pixel
// coordinates x1 < x2, y1 < y2, InvalidIntAttr for an int_attr that is not
// an int32, and InvalidCustomContent or InvalidStrAttr for text that is not
// UTF-8. The caller checks the allowed categories and the length limits.
func ParseAdd(body []byte) (AddRequest, error) {
	v, err := Parse(body)
	if err != nil {
		return AddRequest{}, err
	}
	r := AddRequest{
		ItemID:      v[KeyItemID],
		CustContent: v[KeyCustContent],
		Region:      v[KeyRegion],
		StrAttr:     v[KeyStrAttr],
	}
	if r.ItemID == "" {
		return AddRequest{}, apierror.NoSpecifiedItemId.Because(errors.New("no item_id in the meta"))
	}
	list, ok := v[KeyPicList]
	if !ok {
		return AddRequest{}, apierror.NoPicList.Because(errors.New("no pic_list in the meta"))
	}
	keys, names, err := parsePicList(list)
	if err != nil {
		return AddRequest{}, err
	}
	r.Pics = make([]Pic, len(keys))
	for i, key := range keys {
		data, err := readPic(v, key, names[i], apierror.NoSpecifiedPic, apierror.NoSpecifiedAddPic)
		if err != nil {
			return AddRequest{}, err
		}
		r.Pics[i] = Pic{Name: names[i], Data: data}
	}
	if r.CatID, err = optionalInt32(v, KeyCatID, apierror.InvalidCategory); err != nil {
		return AddRequest{}, err
	}
	if r.Crop, err = optionalBool(v, KeyCrop); err != nil {
		return AddRequest{}, err
	}
	if err := checkRegion(r.Region); err != nil {
		return AddRequest{}, err
	}
	if r.IntAttr, err = optionalInt32(v, KeyIntAttr, apierror.InvalidIntAttr); err != nil {
		return AddRequest{}, err
	}
	if !utf8.ValidString(r.CustContent) {
		return AddRequest{}, apierror.InvalidCustomContent.Because(errors.New("cust_content is not UTF-8 text"))
	}
	if !utf8.ValidString(r.StrAttr) {
		return AddRequest{}, apierror.InvalidStrAttr.Because(errors.New("str_attr is not UTF-8 text"))
	}
	return r, nil
}

// SearchRequest is the body of /item/search.
type SearchRequest struct {
	Start  int    // key "s": the first result, 0–499
	Num    int    // key "n": the number of results, 1–100
	CatID  *int32 // nil when absent
	Crop   *bool  // nil when absent
	Region string // "x1,x2,y1,y2" as sent, well formed; the caller checks it against the image
	Pic    []byte // the decoded image bytes
	Filter string // key "filter", as sent; the caller parses it
}

// ParseSearch reads the body of /item/search.
//
// Besides the errors of Parse it fails with InvalidStartParameter when s is
// not an integer from 0 to 499, InvalidNumParameter when n is not an
// integer from 1 to 100, NoPicList without a pic_list, InvalidPicList when
// pic_list does not name exactly one pic by its base64 name or its value is
// not base64, NoSpecifiedSearchPic when that pic is missing or empty, and
// with the errors ParseAdd gives for cat_id, crop and region.
func ParseSearch(body []byte) (SearchRequest, error) {
	v, err := Parse(body)
	if err != nil {
		return SearchRequest{}, err
	}
	r := SearchRequest{Start: DefaultStart, Num: DefaultNum, Region: v[KeyRegion], Filter: v[KeyFilter]}
	if s := v[KeyStart]; s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 0 || n > MaxStart {
			return SearchRequest{}, apierror.InvalidStartParameter.Because(fmt.Errorf("s is %s, want an integer from 0 to %d", clip(s), MaxStart))
		}
		r.Start = n
	}
	if s := v[KeyNum]; s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > MaxNum {
			return SearchRequest{}, apierror.InvalidNumParameter.Because(fmt.Errorf("n is %s, want an integer from 1 to %d", clip(s), MaxNum))
		}
		r.Num = n
	}
	list, ok := v[KeyPicList]
	if !ok {
		return SearchRequest{}, apierror.NoPicList.Because(errors.New("no pic_list in the meta"))
	}
	keys, names, err := parsePicList(list)
	if err != nil {
		return SearchRequest{}, err
	}
	if len(keys) != 1 {
		return SearchRequest{}, apierror.InvalidPicList.Because(fmt.Errorf("pic_list names %d pics, want 1", len(keys)))
	}
	if r.Pic, err = readPic(v, keys[0], names[0], apierror.NoSpecifiedSearchPic, apierror.NoSpecifiedSearchPic); err != nil {
		return SearchRequest{}, err
	}
	if r.CatID, err = optionalInt32(v, KeyCatID, apierror.InvalidCategory); err != nil {
		return SearchRequest{}, err
	}
	if r.Crop, err = optionalBool(v, KeyCrop); err != nil {
		return SearchRequest{}, err
	}
	if err := checkRegion(r.Region); err != nil {
		return SearchRequest{}, err
	}
	return r, nil
}

// DeleteRequest is the body of /item/delete.
type DeleteRequest struct {
	ItemID   string
	PicNames []string // nil: all pics of the item
}

// ParseDelete reads the body of /item/delete.
//
// Besides the errors of Parse it fails with NoSpecifiedItemId without an
// item_id and InvalidPicList for a pic_list entry that is empty, repeated
// or not base64. A pic_list that is absent or empty deletes every pic of
// the item.
func ParseDelete(body []byte) (DeleteRequest, error) {
	v, err := Parse(body)
	if err != nil {
		return DeleteRequest{}, err
	}
	r := DeleteRequest{ItemID: v[KeyItemID]}
	if r.ItemID == "" {
		return DeleteRequest{}, apierror.NoSpecifiedItemId.Because(errors.New("no item_id in the meta"))
	}
	if list := v[KeyPicList]; list != "" {
		if _, r.PicNames, err = parsePicList(list); err != nil {
			return DeleteRequest{}, err
		}
	}
	return r, nil
}

// parsePicList splits a pic_list into its entries, which are the keys of
// the pics, and their decoded names. It fails with InvalidPicList for an
// entry that is empty, not base64 or listed twice.
func parsePicList(list string) (keys, names []string, err error) {
	keys = strings.Split(list, ",")
	names = make([]string, len(keys))
	seen := make(map[string]bool, len(keys))
	for i, key := range keys {
		if key == "" {
			return nil, nil, apierror.InvalidPicList.Because(fmt.Errorf("pic_list entry %d is empty", i))
		}
		name, err := base64.StdEncoding.DecodeString(key)
		if err != nil {
			return nil, nil, apierror.InvalidPicList.Because(fmt.Errorf("pic_list entry %d %s: %w", i, clip(key), err))
		}
		if len(name) == 0 {
			return nil, nil, apierror.InvalidPicList.Because(fmt.Errorf("pic_list entry %d %s names no pic", i, clip(key)))
		}
		if seen[key] {
			return nil, nil, apierror.InvalidPicList.Because(fmt.Errorf("pic_list lists %s twice", clip(key)))
		}
		seen[key] = true
		names[i] = string(name)
	}
	return keys, names, nil
}

// readPic decodes the image of the pic listed as key. It fails with missing
// when the meta has no such key, with empty when its value holds no bytes,
// and with InvalidPicList when the value is not base64.
func readPic(v map[string]string, key, name string, missing, empty *apierror.Error) ([]byte, error) {
	value, ok := v[key]
	if !ok {
		return nil, missing.Because(fmt.Errorf("pic %s (key %s) is listed but has no meta item", clip(name), clip(key)))
	}
	data, err := base64.StdEncoding.DecodeString(value)
	if err != nil {
		return nil, apierror.InvalidPicList.Because(fmt.Errorf("pic %s: image is not base64: %w", clip(name), err))
	}
	if len(data) == 0 {
		return nil, empty.Because(fmt.Errorf("pic %s has no image data", clip(name)))
	}
	return data, nil
}

// optionalInt32 reads the decimal int32 under key, or nil when it is absent
// or empty; invalid is the error when it is something else.
func optionalInt32(v map[string]string, key string, invalid *apierror.Error) (*int32, error) {
	s := v[key]
	if s == "" {
		return nil, nil
	}
	n, err := strconv.ParseInt(s, 10, 32)
	if err != nil {
		return nil, invalid.Because(fmt.Errorf("%s is %s, want an int32", key, clip(s)))
	}
	n32 := int32(n)
	return &n32, nil
}

// optionalBool reads "true" or "false" under key, or nil when it is
// absent or empty. Anything else is an InvalidMetaItem.
func optionalBool(v map[string]string, key string) (*bool, error) {
	var b bool
	switch s := v[key]; s {
	case "":
		return nil, nil
	case "true":
		b = true
	case "false":
		b = false
	default:
		return nil, apierror.InvalidMetaItem.Because(fmt.Errorf("%s is %s, want true or false", key, clip(s)))
	}
	return &b, nil
}

// checkRegion checks that a region, unless empty, is four decimal pixel
// coordinates "x1,x2,y1,y2" with x1 < x2 and y1 < y2. Whether they lie in
// the image is for the caller, which has decoded it.
func checkRegion(region string) error {
	if region == "" {
		return nil
	}
	parts := strings.Split(region, ",")
	if len(parts) != 4 {
		return apierror.InvalidRegion.Because(fmt.Errorf("region %s: want x1,x2,y1,y2", clip(region)))
	}
	var c [4]int
	for i, p := range parts {
		n, ok := parseOffset(p)
		if !ok || n > 1<<31-1 {
			return apierror.InvalidRegion.Because(fmt.Errorf("region %s: %s is not a pixel coordinate", clip(region), clip(p)))
		}
		c[i] = n
	}
	if c[0] >= c[1] || c[2] >= c[3] {
		return apierror.InvalidRegion.Because(fmt.Errorf("region %s: want x1 < x2 and y1 < y2", clip(region)))
	}
	return nil
}
