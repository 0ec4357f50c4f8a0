// Package attrs holds Alibaba Image Search's rules for the identity of a
// picture (ProductId, PicName) and its attributes (CategoryId,
// IntAttr…IntAttr4, StrAttr…StrAttr4), for every dialect that sets them:
// Alibaba's AddImage, UpdateImage, imports and legacy API, and the CRS
// create and update, which take them as pixmatch's own extension fields.
//
// Each check returns a plain error naming the parameter and what is wrong
// with it, for logs; the dialect that called it answers with its own
// catalogue's entry (Alibaba's InvalidStrAttr, CRS's statusCode 414), so
// both refuse exactly the same values.
package attrs

import (
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/pixmatch/pixmatch/server/gallery"
)

// Limits of the values, as Alibaba documents them, in characters.
const (
	MaxName = 256 // ProductId, PicName
	MaxStr  = 128 // StrAttr…StrAttr4
)

// Categories are the CategoryId values Alibaba knows, with their names.
// gallery.OtherCategory is the one every picture of a generic instance,
// which every pixmatch gallery is, is filed under.
var Categories = map[int32]string{
	0: "Tops", 1: "Dress", 2: "Bottoms", 3: "Bag", 4: "Shoes", 5: "Accessories", 6: "Snacks",
	7: "Makeups", 8: "Bottle drink", 9: "Furniture", 20: "Toy", 21: "Underwear", 22: "Digital device",
	gallery.OtherCategory: "Others",
}

// CheckName checks a ProductId or PicName named param: at most MaxName
// characters. Whether it may be empty is the caller's rule.
func CheckName(param, v string) error {
	if n := utf8.RuneCountInString(v); n > MaxName {
		return fmt.Errorf("%s of %d characters, over %d", param, n, MaxName)
	}
	return nil
}

// ParseCategory reads a CategoryId named param: one of Categories.
func ParseCategory(param, v string) (int32, error) {
	n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 32)
	if err != nil {
		return 0, fmt.Errorf("%s %q is not a number", param, v)
	}
	return int32(n), CheckCategory(int32(n))
}

// CheckCategory checks that id is one of Categories.
func CheckCategory(id int32) error {
	if _, known := Categories[id]; !known {
		return fmt.Errorf("CategoryId %d is not a category", id)
	}
	return nil
}

// ParseInt reads an integer attribute named param: a 32-bit integer.
func ParseInt(param, v string) (int32, error) {
	n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 32)
	if err != nil {
		return 0, fmt.Errorf("%s %q is not a 32-bit integer", param, v)
	}
	return int32(n), nil
}

// CheckStr checks a string attribute named param: at most MaxStr
// characters, none of \ ¥ $ & %.
func CheckStr(param, v string) error {
	if n := utf8.RuneCountInString(v); n > MaxStr {
		return fmt.Errorf("%s of %d characters, over %d", param, n, MaxStr)
	}
	if i := strings.IndexAny(v, `\¥$&%`); i >= 0 {
		return fmt.Errorf("%s has the unsupported character %q", param, []rune(v[i:])[0])
	}
	return nil
}
