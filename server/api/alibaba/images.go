package alibaba

import (
	"errors"
	"math"

	"github.com/pixmatch/pixmatch/server/gallery"
	"github.com/pixmatch/pixmatch/shared/apierror"
)

// picInfo describes the picture an action indexed or searched with.
type picInfo struct {
	Region        string      `json:"Region"`
	CategoryID    int32       `json:"CategoryId"`
	MultiRegion   []region    `json:"MultiRegion"`
	AllCategories []catOption `json:"AllCategories"`
}

type region struct {
	Region string `json:"Region"`
}

type catOption struct {
	ID   int32  `json:"Id"`
	Name string `json:"Name"`
}

// newPicInfo describes a picture of region r, in OtherCategory as every
// picture of a generic instance is.
func newPicInfo(r string) picInfo {
	return picInfo{Region: r, CategoryID: OtherCategory, MultiRegion: []region{{r}},
		AllCategories: []catOption{{OtherCategory, categories[OtherCategory]}}}
}

// addImage indexes a picture under a ProductId and PicName; the same pair
// again replaces the earlier picture.
func (h *Handler) addImage(k *call) error {
	t := gallery.NewTarget()
	var err error
	if t.ProductID, err = k.productID(); err != nil {
		return err
	}
	if t.PicName, err = k.picName(); err != nil {
		return err
	}
	if err := k.attributes(&t); err != nil {
		return err
	}
	pic, err := h.picture(k.ctx(), k, "PicContent")
	if err != nil {
		return err
	}
	crop, err := k.flag("Crop", true)
	if err != nil {
		return err
	}
	regionParam, _ := k.get("Region")
	if t.Region, err = focus(pic, regionParam, crop); err != nil {
		return err
	}
	t.Name, t.Meta = t.PicName, t.CustomContent
	t, err = h.svc.Targets.Add(k.ctx(), k.gallery.ID, t, pic, gallery.AddOptions{Replace: true})
	if err != nil {
		return writeError(err)
	}
	return k.ok(struct {
		writeResult
		PicInfo picInfo `json:"PicInfo"`
	}{k.writeResult(), newPicInfo(t.Region)})
}

// attributes checks CategoryId and reads CustomContent and the attributes
// into t; t stays in OtherCategory.
func (k *call) attributes(t *gallery.Target) error {
	if err := k.checkCategory(); err != nil {
		return err
	}
	custom, err := k.customContent()
	if err != nil {
		return err
	}
	if custom != nil {
		t.CustomContent = *custom
	}
	ints, err := k.intAttrs()
	if err != nil {
		return err
	}
	strs, err := k.strAttrs()
	if err != nil {
		return err
	}
	for i := range 4 {
		if ints[i] != nil {
			t.IntAttr[i] = *ints[i]
		}
		if strs[i] != nil {
			t.StrAttr[i] = *strs[i]
		}
	}
	return nil
}

// writeError maps why the service refused or failed a write; a failure
// of the store itself is InternalTableStoreError.
func writeError(err error) error { return serviceError(err, apierror.InternalTableStoreError) }

// serviceError maps what the gallery service reports to the catalogue;
// an error it does not know is fallback.
func serviceError(err error, fallback *apierror.Error) error {
	switch {
	case errors.Is(err, gallery.ErrOverQuota):
		return apierror.InstanceOverQuota.Because(err)
	case errors.Is(err, gallery.ErrSuspended):
		return apierror.InstanceStatusError.Because(err)
	case errors.Is(err, gallery.ErrThrottled), errors.Is(err, gallery.ErrDailyLimit):
		return apierror.DeniedRequest.Because(err)
	case errors.Is(err, gallery.ErrSearchTimeout):
		return apierror.SearchTimeout.Because(err)
	case errors.Is(err, gallery.ErrFeatureTimeout):
		return apierror.ExtractFeatureTimeout.Because(err)
	case errors.Is(err, gallery.ErrNoContent):
		return apierror.UnsupportedPicFormat.Because(err)
	case errors.Is(err, gallery.ErrChangeLog):
		return apierror.InternalSwiftError.Because(err)
	case errors.Is(err, gallery.ErrNotFound):
		return apierror.PicNotExist.Because(err)
	}
	if _, ok := errors.AsType[*apierror.Error](err); ok {
		return err
	}
	return fallback.Because(err)
}

// deleteImage removes a picture, every picture of a product, or every
// picture a filter matches. Deleting what does not exist succeeds.
func (h *Handler) deleteImage(k *call) error {
	byFilter, err := k.flag("IsDeleteByFilter", false)
	if err != nil {
		return err
	}
	var gone []gallery.Target
	if byFilter {
		f, err := k.filter()
		if err != nil {
			return err
		}
		if f == nil {
			return apierror.InvalidFilterClause.Because(errors.New("IsDeleteByFilter without a Filter"))
		}
		gone, err = h.svc.Targets.DeleteWhere(k.ctx(), k.gallery.ID, f)
		if err != nil {
			return writeError(err)
		}
	} else {
		product, err := k.productID()
		if err != nil {
			return err
		}
		pic, _ := k.get("PicName")
		if len([]rune(pic)) > maxNameLength {
			return apierror.InvalidPicName.Because(errors.New("PicName over 256 characters"))
		}
		if gone, err = h.svc.Targets.DeleteByName(k.ctx(), k.gallery.ID, product, pic); err != nil {
			return writeError(err)
		}
	}
	names := make([]string, 0, len(gone))
	for _, t := range gone {
		names = append(names, t.PicName)
	}
	return k.ok(struct {
		writeResult
		Data struct {
			PicNames []string `json:"PicNames"`
		} `json:"Data"`
	}{writeResult: k.writeResult(), Data: struct {
		PicNames []string `json:"PicNames"`
	}{names}})
}

// updateImage changes a picture's CustomContent and attributes; the
// picture itself stays.
func (h *Handler) updateImage(k *call) error {
	product, pic, err := k.names()
	if err != nil {
		return err
	}
	var p gallery.Patch
	if p.CustomContent, err = k.customContent(); err != nil {
		return err
	}
	if p.IntAttr, err = k.intAttrs(); err != nil {
		return err
	}
	if p.StrAttr, err = k.strAttrs(); err != nil {
		return err
	}
	p.Meta = p.CustomContent
	if _, err := h.svc.Targets.UpdateByName(k.ctx(), k.gallery.ID, product, pic, p); err != nil {
		return writeError(err)
	}
	return k.ok(k.writeResult())
}

// auction is one picture in a result list.
type auction struct {
	ProductID     string   `json:"ProductId"`
	PicName       string   `json:"PicName"`
	CategoryID    int32    `json:"CategoryId"`
	CustomContent string   `json:"CustomContent"`
	Score         *float64 `json:"Score,omitempty"`
	// Corners are where the feature tier found the picture's corners in
	// the query picture (pixmatch's own field; SDKs ignore it).
	Corners        []corner `json:"Corners,omitempty"`
	SortExprValues string   `json:"SortExprValues,omitempty"`
	IntAttr        int32    `json:"IntAttr"`
	IntAttr2       int32    `json:"IntAttr2"`
	IntAttr3       int32    `json:"IntAttr3"`
	IntAttr4       int32    `json:"IntAttr4"`
	StrAttr        string   `json:"StrAttr"`
	StrAttr2       string   `json:"StrAttr2"`
	StrAttr3       string   `json:"StrAttr3"`
	StrAttr4       string   `json:"StrAttr4"`
}

// newAuction describes t. Its CategoryId is OtherCategory, even for a
// picture stored under another one by an earlier pixmatch.
// corner is a point of the query picture, in pixels.
type corner struct {
	X float64 `json:"X"`
	Y float64 `json:"Y"`
}

// cornersOf writes where a match's corners are, rounded to a tenth of a
// pixel; nil when the feature tier did not locate it.
func cornersOf(m gallery.Match) []corner {
	var out []corner
	for _, c := range m.Corners {
		out = append(out, corner{math.Round(c.X*10) / 10, math.Round(c.Y*10) / 10})
	}
	return out
}

func newAuction(t gallery.Target) auction {
	return auction{
		ProductID: t.ProductID, PicName: t.PicName, CategoryID: OtherCategory, CustomContent: t.CustomContent,
		IntAttr: t.IntAttr[0], IntAttr2: t.IntAttr[1], IntAttr3: t.IntAttr[2], IntAttr4: t.IntAttr[3],
		StrAttr: t.StrAttr[0], StrAttr2: t.StrAttr[1], StrAttr3: t.StrAttr[2], StrAttr4: t.StrAttr[3],
	}
}

// checkImageExists tells whether a ProductId and PicName are indexed.
func (h *Handler) checkImageExists(k *call) error {
	product, pic, err := k.names()
	if err != nil {
		return err
	}
	t, err := h.svc.Targets.ByName(k.ctx(), k.gallery.ID, product, pic)
	exists := err == nil
	if err != nil && !errors.Is(err, gallery.ErrNotFound) {
		return apierror.AccessEngineFailed.Because(err)
	}
	body := struct {
		result
		Exists   bool     `json:"Exists"`
		Auctions *auction `json:"Auctions,omitempty"`
	}{result: k.result(), Exists: exists}
	if exists {
		a := newAuction(t)
		body.Auctions = &a
	}
	return k.ok(body)
}
