package crs

import (
	"errors"

	"github.com/pixmatch/pixmatch/server/api/attrs"
	"github.com/pixmatch/pixmatch/server/gallery"
	"github.com/pixmatch/pixmatch/shared/apierror"
)

// The Alibaba identity and attributes of a picture, which a create or an
// update takes as pixmatch's own extension fields (official CRS clients
// never send them), so that a target made through CRS is found by an
// Alibaba Filter: productId and picName (create only), categoryId,
// intAttr…intAttr4 and strAttr…strAttr4. They are checked by Alibaba's
// rules (package attrs) and refused with statusCode 414.
var (
	intAttrFields = [4]string{"intAttr", "intAttr2", "intAttr3", "intAttr4"}
	strAttrFields = [4]string{"strAttr", "strAttr2", "strAttr3", "strAttr4"}
)

// attributes are the extension fields a request sends, checked; nil
// where it does not send them.
type attributes struct {
	productID, picName *string
	ints               [4]*int32
	strs               [4]*string
}

// readAttributes reads the extension fields of a create, or of an update,
// which cannot change productId and picName. categoryId is checked, then
// ignored, as Alibaba's AddImage does on a generic instance.
func readAttributes(r *request, create bool) (attributes, error) {
	var a attributes
	var err error
	if a.productID, err = nameField(r, "productId", create); err != nil {
		return a, err
	}
	if a.picName, err = nameField(r, "picName", create); err != nil {
		return a, err
	}
	if v, ok, err := r.text("categoryId", true); ok || err != nil {
		if err == nil {
			_, err = attrs.ParseCategory("categoryId", v)
		}
		if err != nil {
			return a, apierror.CRSParameterInvalid.Because(err)
		}
	}
	for i, name := range intAttrFields {
		v, ok, err := r.text(name, true)
		if ok && err == nil {
			var n int32
			n, err = attrs.ParseInt(name, v)
			a.ints[i] = &n
		}
		if err != nil {
			return a, apierror.CRSParameterInvalid.Because(err)
		}
	}
	for i, name := range strAttrFields {
		v, ok, err := r.text(name, false)
		if ok && err == nil {
			err = attrs.CheckStr(name, v)
			a.strs[i] = &v
		}
		if err != nil {
			return a, apierror.CRSParameterInvalid.Because(err)
		}
	}
	return a, nil
}

// nameField reads productId or picName: at most attrs.MaxName characters,
// empty for the default (the targetId, the name). An update may not send
// it: a target keeps the identity it was created with.
func nameField(r *request, name string, create bool) (*string, error) {
	v, ok, err := r.text(name, false)
	switch {
	case err != nil:
		return nil, apierror.CRSParameterInvalid.Because(err)
	case !ok:
		return nil, nil
	case !create:
		return nil, apierror.CRSParameterInvalid.Because(errors.New(name + " is set by a create only"))
	}
	if err := attrs.CheckName(name, v); err != nil {
		return nil, apierror.CRSParameterInvalid.Because(err)
	}
	return &v, nil
}

// apply sets the identity a create gives on t.
func (a attributes) apply(t *gallery.Target) {
	if a.productID != nil {
		t.ProductID = *a.productID
	}
	if a.picName != nil {
		t.PicName = *a.picName
	}
}
