package gallery

import (
	"github.com/pixmatch/pixmatch/server/store"
	"github.com/pixmatch/pixmatch/shared/index"
	"github.com/pixmatch/pixmatch/shared/quality"
)

// Target is a recognition target as the service and the dialects know it:
// what a client sets and sees. How it is kept — its gallery, the hash of
// its image file, its encoded fingerprint and grade — is the store's row
// (store.Target); rowOf and targetOf below are the only mapping between
// the two.
type Target struct {
	ID  string // the CRS targetId, a UUID unless the client chose one
	Seq int64  // the gallery version that created it: its name in a synced copy

	Name         string
	Size         string // CRS physical width in cm, as the client sent it
	Meta         string
	Type         string
	Active       bool
	AllowSimilar bool
	Extra        string // the client's custom fields, a JSON object as sent

	// Alibaba's identity and attributes of an image.
	ProductID     string
	PicName       string
	Category      int32
	IntAttr       [4]int32
	StrAttr       [4]string
	CustomContent string
	Region        string // "x1,x2,y1,y2" of the part indexed besides the whole

	Width, Height int             // of the upright picture
	Grade         *quality.Report // nil when the stored grade cannot be read
	ImageHash     [32]byte        // the SHA-256 of the image file: its identity
	Image         []byte          // the image file as uploaded, when asked for

	Created  int64 // unix milliseconds
	Modified int64 // unix milliseconds
}

// The defaults of a new target, in every dialect.
const (
	// TargetType is the only target type CRS knows.
	TargetType = "ImageTarget"
	// DefaultSize is the CRS size of a target created without one, in cm.
	DefaultSize = "20"
	// OtherCategory is Alibaba's category of everything outside the
	// product categories; a generic instance, which every gallery is,
	// files every picture under it.
	OtherCategory = 88888888
)

// NewTarget returns a target with the defaults every dialect starts from:
// an active image target of size 20, in OtherCategory.
func NewTarget() Target {
	return Target{Type: TargetType, Size: DefaultSize, Active: true, Category: OtherCategory}
}

// Attributes are what filters see of a target, in the index of a server
// and in a browser's synced copy alike.
func (t Target) Attributes() index.Attributes {
	return index.Attributes{Category: t.Category, Int: t.IntAttr, Str: t.StrAttr, Group: t.ProductID}
}

// rowOf is the store's row of t in gallery, without what the service
// derives from the picture (hash, fingerprint, grade, image).
func rowOf(gallery int64, t Target) store.Target {
	return store.Target{
		Gallery: gallery, ID: t.ID, Seq: t.Seq,
		Name: t.Name, Size: t.Size, Meta: t.Meta, Type: t.Type,
		Active: t.Active, AllowSimilar: t.AllowSimilar, Extra: t.Extra,
		ProductID: t.ProductID, PicName: t.PicName, Category: t.Category,
		IntAttr: t.IntAttr, StrAttr: t.StrAttr, CustomContent: t.CustomContent, Region: t.Region,
		Width: t.Width, Height: t.Height, ImageSHA256: t.ImageHash, Image: t.Image,
		Created: t.Created, Modified: t.Modified,
	}
}

// targetOf is the target a stored row describes.
func targetOf(r store.Target) Target {
	t := Target{
		ID: r.ID, Seq: r.Seq,
		Name: r.Name, Size: r.Size, Meta: r.Meta, Type: r.Type,
		Active: r.Active, AllowSimilar: r.AllowSimilar, Extra: r.Extra,
		ProductID: r.ProductID, PicName: r.PicName, Category: r.Category,
		IntAttr: r.IntAttr, StrAttr: r.StrAttr, CustomContent: r.CustomContent, Region: r.Region,
		Width: r.Width, Height: r.Height, ImageHash: r.ImageSHA256, Image: r.Image,
		Created: r.Created, Modified: r.Modified,
	}
	var grade quality.Report
	if grade.UnmarshalBinary(r.Grade) == nil {
		t.Grade = &grade
	}
	return t
}

// targetsOf maps rows to targets.
func targetsOf(rows []store.Target) []Target {
	out := make([]Target, len(rows))
	for i, r := range rows {
		out[i] = targetOf(r)
	}
	return out
}
