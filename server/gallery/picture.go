package gallery

import (
	"crypto/sha256"
	"fmt"
	"image"
	"slices"

	"github.com/pixmatch/pixmatch/shared/fingerprint"
	"github.com/pixmatch/pixmatch/shared/imagefile"
)

// Policy says which pictures a dialect accepts.
type Policy struct {
	Formats []imagefile.Format // nil accepts every supported format
	Limits  imagefile.Limits
}

// Picture is an uploaded image file, decoded.
type Picture struct {
	Data  []byte
	Info  imagefile.Info
	Image image.Image // as stored; Info.Upright turns it upright

	work *image.Gray // the upright working plane, made on first use
}

// ReadPicture decodes data under the policy. Errors wrap ErrImageFormat,
// ErrImageCorrupt, ErrImageTooLarge or ErrImageTooSmall.
func ReadPicture(data []byte, p Policy) (*Picture, error) {
	info, err := imagefile.Inspect(data)
	if err != nil {
		return nil, err
	}
	if p.Formats != nil && !slices.Contains(p.Formats, info.Format) {
		return nil, fmt.Errorf("%w: %s is not accepted here", ErrImageFormat, info.Format)
	}
	img, info, err := imagefile.Decode(data, p.Limits)
	if err != nil {
		return nil, err
	}
	return &Picture{Data: data, Info: info, Image: img}, nil
}

// plane returns the upright working plane that fingerprints are made of.
func (p *Picture) plane() *image.Gray {
	if p.work == nil {
		p.work = fingerprint.Plane(p.Image, p.Info.Upright())
	}
	return p.work
}

// Size returns the upright dimensions.
func (p *Picture) Size() (width, height int) { return p.Info.Size() }

func (p *Picture) sha256() [32]byte { return sha256.Sum256(p.Data) }
