package alibaba

import (
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/pixmatch/pixmatch/server/api/attrs"
	"github.com/pixmatch/pixmatch/server/gallery"
	"github.com/pixmatch/pixmatch/shared/apierror"
	"github.com/pixmatch/pixmatch/shared/filter"
)

// Limits of the parameters, as Alibaba documents them.
const (
	maxNameLength = attrs.MaxName // ProductId, PicName
	maxCustom     = 4096          // CustomContent
	maxNum        = 100
	maxStart      = 499
	maxWindow     = 500 // Start+Num
	defaultNum    = 10
	// OtherCategory is the category of everything outside the product
	// categories. Every pixmatch instance is a generic one, which files
	// every picture under it whatever CategoryId the client sends.
	OtherCategory = gallery.OtherCategory
)

// categories are the CategoryId values Alibaba knows, with their names.
var categories = attrs.Categories

// get returns a parameter's first value and whether it was sent.
func (k *call) get(name string) (string, bool) {
	vs, ok := k.params[name]
	if !ok || len(vs) == 0 {
		return "", false
	}
	return vs[0], true
}

// name reads ProductId or PicName: required, at most 256 characters.
func (k *call) name(param string, missing, invalid *apierror.Error) (string, error) {
	v, _ := k.get(param)
	if v == "" {
		return "", missing.Because(fmt.Errorf("no %s", param))
	}
	if err := attrs.CheckName(param, v); err != nil {
		return "", invalid.Because(err)
	}
	return v, nil
}

func (k *call) productID() (string, error) {
	return k.name("ProductId", apierror.NoSpecifiedProductId, apierror.InvalidProductId)
}

func (k *call) picName() (string, error) {
	return k.name("PicName", apierror.NoSpecifiedPicName, apierror.InvalidPicName)
}

// names reads the ProductId and PicName that identify a picture.
func (k *call) names() (product, pic string, err error) {
	if product, err = k.productID(); err != nil {
		return "", "", err
	}
	pic, err = k.picName()
	return product, pic, err
}

// checkCategory checks CategoryId, when sent, against the categories.
// A generic instance refuses an unknown one but then ignores it: it files
// every picture under OtherCategory and searches all of them.
func (k *call) checkCategory() error {
	v, ok := k.get("CategoryId")
	if !ok || v == "" {
		return nil
	}
	if _, err := attrs.ParseCategory("CategoryId", v); err != nil {
		return apierror.InvalidCategory.Because(err)
	}
	return nil
}

func checkCategory(id int32) error {
	if err := attrs.CheckCategory(id); err != nil {
		return apierror.InvalidCategory.Because(err)
	}
	return nil
}

// attrNames are the parameter names of the four integer and string
// attributes.
var (
	intAttrNames = [4]string{"IntAttr", "IntAttr2", "IntAttr3", "IntAttr4"}
	strAttrNames = [4]string{"StrAttr", "StrAttr2", "StrAttr3", "StrAttr4"}
)

// intAttrs reads IntAttr…IntAttr4: int32 values, nil where absent.
func (k *call) intAttrs() ([4]*int32, error) {
	var out [4]*int32
	for i, name := range intAttrNames {
		v, ok := k.get(name)
		if !ok {
			continue
		}
		x, err := attrs.ParseInt(name, v)
		if err != nil {
			return out, apierror.InvalidIntAttr.Because(err)
		}
		out[i] = &x
	}
	return out, nil
}

// strAttrs reads StrAttr…StrAttr4: at most 128 characters, none of \ ¥ $ & %.
func (k *call) strAttrs() ([4]*string, error) {
	var out [4]*string
	for i, name := range strAttrNames {
		v, ok := k.get(name)
		if !ok {
			continue
		}
		if err := checkStrAttr(name, v); err != nil {
			return out, err
		}
		out[i] = &v
	}
	return out, nil
}

func checkStrAttr(name, v string) error {
	if err := attrs.CheckStr(name, v); err != nil {
		return apierror.InvalidStrAttr.Because(err)
	}
	return nil
}

// customContent reads CustomContent: at most 4096 characters.
func (k *call) customContent() (*string, error) {
	v, ok := k.get("CustomContent")
	if !ok {
		return nil, nil
	}
	if n := utf8.RuneCountInString(v); n > maxCustom {
		return nil, apierror.InvalidCustomContent.Because(fmt.Errorf("CustomContent of %d characters, over %d", n, maxCustom))
	}
	return &v, nil
}

// window reads Start (0–499, default 0) and Num (1–100, default 10),
// with Start+Num at most 500.
func (k *call) window() (start, num int, err error) {
	num = defaultNum
	if v, ok := k.get("Num"); ok && v != "" {
		n, perr := strconv.Atoi(strings.TrimSpace(v))
		switch {
		case perr != nil || n < 1:
			return 0, 0, apierror.InvalidNumParameter.Because(fmt.Errorf("Num %q", v))
		case n > maxNum:
			return 0, 0, apierror.OverflowMaxReturnNum.Because(fmt.Errorf("Num %d is over %d", n, maxNum))
		}
		num = n
	}
	if v, ok := k.get("Start"); ok && v != "" {
		n, perr := strconv.Atoi(strings.TrimSpace(v))
		if perr != nil || n < 0 || n > maxStart {
			return 0, 0, apierror.InvalidStartParameter.Because(fmt.Errorf("Start %q is not in 0–%d", v, maxStart))
		}
		start = n
	}
	if start+num > maxWindow {
		return 0, 0, apierror.OverflowMaxResultNum.Because(fmt.Errorf("Start %d + Num %d is over %d", start, num, maxWindow))
	}
	return start, num, nil
}

// flag reads a boolean parameter; absent or empty gives def.
func (k *call) flag(name string, def bool) (bool, error) {
	v, ok := k.get(name)
	if !ok || v == "" {
		return def, nil
	}
	b, err := strconv.ParseBool(v)
	if err != nil {
		return false, apierror.BadRequest.Because(fmt.Errorf("%s %q is not true or false", name, v))
	}
	return b, nil
}

// scoreThreshold reads ScoreThreshold: "0.00" to "1.00", at most two
// decimals; 0 when absent.
func (k *call) scoreThreshold() (float64, error) {
	v, ok := k.get("ScoreThreshold")
	if !ok || v == "" {
		return 0, nil
	}
	f, err := strconv.ParseFloat(v, 64)
	_, decimals, _ := strings.Cut(v, ".")
	if err != nil || f < 0 || f > 1 || len(decimals) > 2 {
		return 0, apierror.BadRequest.Because(fmt.Errorf("ScoreThreshold %q is not 0.00–1.00", v))
	}
	return f, nil
}

// filter reads Filter; nil when absent or blank.
func (k *call) filter() (*filter.Expr, error) {
	v, _ := k.get("Filter")
	return parseFilter(v)
}

func parseFilter(v string) (*filter.Expr, error) {
	if strings.TrimSpace(v) == "" {
		return nil, nil
	}
	f, err := filter.Parse(v) // refuses more than filter.MaxLen characters too
	if err != nil {
		return nil, apierror.InvalidFilterClause.Because(err)
	}
	return f, nil
}
