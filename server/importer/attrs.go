package importer

import (
	"fmt"
	"strings"

	"github.com/pixmatch/pixmatch/server/api/attrs"
)

// attrFields are the CRS create's fields for a picture's Alibaba identity
// and attributes (pixmatch's own), which a meta file may give.
var attrFields = []string{"productId", "picName", "categoryId",
	"intAttr", "intAttr2", "intAttr3", "intAttr4", "strAttr", "strAttr2", "strAttr3", "strAttr4"}

// known lists the columns a meta file may have, for an error message.
func known() string {
	return "file, name, meta, active, size, " + strings.Join(attrFields, ", ")
}

// attributes returns the non-empty attribute fields of a meta row,
// checked by the rules the server applies (package attrs), so that a bad
// value stops the import before it sends anything; nil when there are
// none.
func attributes(row map[string]string) (map[string]string, error) {
	var out map[string]string
	for _, f := range attrFields {
		v := row[f]
		if v == "" {
			continue
		}
		var err error
		switch {
		case f == "productId" || f == "picName":
			err = attrs.CheckName(f, v)
		case f == "categoryId":
			_, err = attrs.ParseCategory(f, v)
		case strings.HasPrefix(f, "intAttr"):
			_, err = attrs.ParseInt(f, v)
		default:
			err = attrs.CheckStr(f, v)
		}
		if err != nil {
			return nil, err
		}
		if out == nil {
			out = map[string]string{}
		}
		out[f] = v
	}
	return out, nil
}

// distinctIdentities checks that no two pictures get the same productId
// and picName, which the server would refuse for the second as the same
// target (statusCode 403) and the import would count as already there.
// A picture's picName is, by default, its target name.
func distinctIdentities(entries map[string]Entry) error {
	seen := map[[2]string]string{}
	for file, e := range entries {
		product := e.Attrs["productId"]
		if product == "" {
			continue // the server makes it the new target's own ID
		}
		pic := e.Attrs["picName"]
		if pic == "" {
			pic = e.Name
		}
		if pic == "" {
			pic = Name(file)
		}
		id := [2]string{product, pic}
		if other, twice := seen[id]; twice {
			return fmt.Errorf("%q and %q both have productId %q and picName %q", min(file, other), max(file, other), product, pic)
		}
		seen[id] = file
	}
	return nil
}
