package gallery

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"image"
	"slices"
	"strconv"
	"strings"

	"github.com/pixmatch/pixmatch/server/budget"
	"github.com/pixmatch/pixmatch/shared/feature"
	"github.com/pixmatch/pixmatch/shared/fingerprint"
	"github.com/pixmatch/pixmatch/shared/imagefile"
	"github.com/pixmatch/pixmatch/shared/luma"
	"github.com/pixmatch/pixmatch/shared/quality"
	"github.com/pixmatch/pixmatch/shared/subject"
)

// Policy says which pictures a dialect accepts.
type Policy struct {
	Formats []imagefile.Format // nil accepts every supported format
	Limits  imagefile.Limits
	// Search says the picture is read only to be searched with: it gets
	// no sample for the grade, and on a service without a feature tier
	// its fingerprints' working plane alone — the planes of local
	// features and of the grade, each as costly to make as the working
	// plane or more, would never be used. It cannot then be graded (nor,
	// without a feature tier, compared or added as a target).
	Search bool

	// Added says the picture is read to be added as a target, or to
	// replace a target's picture, without the similar check (CRS's
	// allowSimilar "1"). A service that makes records after the add
	// (WithRecordMaker) reads nothing of it then but its fingerprints'
	// working plane: the record maker makes the feature plane and the
	// grade's sample anew from the stored file. (Such a picture can then
	// be checked for similar targets by the hash tier alone.)
	Added bool

	// planes, set by Read, are the long sides the decode is shrunk to by
	// luma.FromImage (0: the full size), when nothing but luma planes are
	// made of it: the picture is then decoded by imagefile.DecodeLuma at
	// the reduction they allow.
	planes []int
}

// Picture is an uploaded image file, decoded and reduced: it keeps the
// file and the small planes fingerprints and grades are made of, never
// the decoded pixels, which are dropped as soon as the planes are made.
type Picture struct {
	Data []byte
	Info imagefile.Info
	// Focus is the part of the upright picture that matters most — a
	// region the client named, or the detected subject — in pixels; empty
	// for none. It is fingerprinted as well as the whole picture.
	Focus image.Rectangle

	work  *image.Gray    // the upright working plane of fingerprints
	feat  *image.Gray    // the upright plane local features are found on
	grade quality.Sample // what the grade is computed from
}

// WithDecodeBudget makes b the memory the service's pictures are decoded
// within, in place of a budget of its own of config.Server.DecodeBytes:
// a budget shared by services that serve requests side by side in one
// memory (a Worker isolate's, one service a request). A picture whose
// decode would take more than all of b is refused as too large.
func WithDecodeBudget(b *budget.Budget) Option { return func(s *Service) { s.decodes = b } }

// Pictures decode the pictures requests carry and the service keeps,
// within the process's decode budget.
type Pictures struct{ s *Service }

// DecodeBytes returns the bytes the pictures being decoded hold now, by
// their headers' account, and the most they may hold at once
// (config.Server.DecodeBytes).
func (ps *Pictures) DecodeBytes() (inUse, capacity int64) {
	return ps.s.decodes.InUse(), ps.s.decodes.Capacity()
}

// Read decodes data under the policy, within the process's decode
// budget, and reduces it to its working planes. Errors wrap
// ErrImageFormat, ErrImageCorrupt, ErrImageTooLarge (too many pixels, or
// a decode that would need more than the whole budget), ErrImageTooSmall,
// ErrOrientation (an EXIF orientation outside 1–8), or ErrBusy when the
// budget has no room for it within the configured wait.
func (ps *Pictures) Read(ctx context.Context, data []byte, p Policy) (*Picture, error) {
	defer ps.s.working()()
	var pic *Picture
	hashOnly := p.Search && ps.s.vocab == nil // no feature tier: nothing but the hash tier searches it
	// A target's grade moves with the last level of its luma: it is
	// decoded whole, as always.
	if p.Search {
		p.planes = []int{fingerprint.WorkSide}
		if !hashOnly {
			p.planes = append(p.planes, 2*feature.TargetOptions.MaxSide) // feature.Plane's whole-pixel step
		}
	}
	later := p.Added && ps.s.maker != nil // the record maker reads the rest from the stored file
	err := ps.s.decode(ctx, data, p, func(img image.Image, info imagefile.Info) error {
		pic = &Picture{Data: data, Info: info, work: fingerprint.Plane(img, info.Upright())}
		if !hashOnly && !later {
			pic.feat = upright(feature.Plane(img, feature.TargetOptions), info)
		}
		if !p.Search && !later {
			pic.grade = quality.SampleOf(img)
		}
		return nil
	})
	return pic, err
}

// upright turns a plane of a picture as stored upright; a picture stored
// upright, most are, is its own plane, not a copy.
func upright(g *image.Gray, info imagefile.Info) *image.Gray {
	if d := info.Upright(); d != luma.Identity {
		return d.Apply(g)
	}
	return g
}

// decode checks data against the policy, takes its cost from the decode
// budget, decodes it and hands the pixels to use, which must not keep
// them: the budget's share is given back when use returns. A decode to
// luma planes alone (the policy's planes) costs what DecodeLuma takes
// on its route — a baseline JPEG its luma plane at the scale it is read
// at, imagefile.LumaCost — and takes the rest of image/jpeg's share
// should it fall back to image/jpeg after all (a damaged file).
func (s *Service) decode(ctx context.Context, data []byte, p Policy, use func(image.Image, imagefile.Info) error) error {
	info, err := imagefile.Inspect(data)
	if err != nil {
		return err
	}
	if p.Formats != nil && !slices.Contains(p.Formats, info.Format) {
		return fmt.Errorf("%w: %s is not accepted here", ErrImageFormat, info.Format)
	}
	lim := p.Limits
	lim.MaxCost = s.decodes.Capacity()
	scale, charged := 0, info
	if p.planes != nil {
		scale = imagefile.LumaScale(info.Width, info.Height, p.planes...)
		charged.Cost = imagefile.LumaCost(data, info, scale)
	}
	if err := lim.Check(charged); err != nil {
		return err
	}
	if !info.OrientationValid() {
		return fmt.Errorf("%w: EXIF orientation %d", ErrOrientation, info.Orientation)
	}
	var held int64
	defer func() { s.decodes.Release(held) }()
	take := func(n int64) error {
		wait, cancel := context.WithTimeout(ctx, s.cfg.Server.BusyWait)
		defer cancel()
		if err := s.decodes.Acquire(wait, n); err != nil {
			return fmt.Errorf("%w: decoding a %d×%d %s: %w", ErrBusy, info.Width, info.Height, info.Format, err)
		}
		held += n
		return nil
	}
	if err := take(charged.Cost); err != nil {
		return err
	}
	var img image.Image
	if p.planes != nil {
		img, info, err = imagefile.DecodeLuma(data, lim, scale, take)
	} else {
		img, info, err = imagefile.Decode(data, lim)
	}
	if err != nil {
		return err
	}
	return use(img, info)
}

// Grade assesses how well the picture would work as a target.
// Only the grade's views are shot (feature.Stable): the views an
// enrolment adds to a record (feature.Enrol) do not change the grade.
func (p *Picture) Grade() quality.Report {
	return p.grade.Assess(feature.Stable(p.feat, p.features(feature.TargetOptions)))
}

// gradeOf is Grade of the picture's enrolment.
func (p *Picture) gradeOf(e feature.Enrolment) quality.Report { return p.grade.Assess(e.Stable) }

// planes returns the working planes to fingerprint: the whole picture,
// and the focus when there is one.
func (p *Picture) planes() []*image.Gray {
	work := p.work
	planes := []*image.Gray{work}
	if p.Focus.Empty() {
		return planes
	}
	w, h := p.Size()
	f := image.Rect(
		p.Focus.Min.X*work.Rect.Dx()/w, p.Focus.Min.Y*work.Rect.Dy()/h,
		(p.Focus.Max.X*work.Rect.Dx()+w-1)/w, (p.Focus.Max.Y*work.Rect.Dy()+h-1)/h,
	).Intersect(work.Rect)
	if f.Empty() || f == work.Rect {
		return planes
	}
	return append(planes, work.SubImage(f).(*image.Gray))
}

// prints fingerprints every plane with make (fingerprint.TargetOf or
// QueryOf) and joins their codes. A plane without content adds nothing;
// only when no plane has content is that an error.
func (p *Picture) prints(make func(*image.Gray) (fingerprint.Fingerprint, error)) (fingerprint.Fingerprint, error) {
	var joined fingerprint.Fingerprint
	var firstErr error
	for _, plane := range p.planes() {
		fp, err := make(plane)
		if err != nil {
			firstErr = cmpOr(firstErr, err)
			continue
		}
		joined.Version = fp.Version
		for _, c := range fp.Codes {
			if !slices.Contains(joined.Codes, c) {
				joined.Codes = append(joined.Codes, c)
			}
		}
	}
	if len(joined.Codes) == 0 {
		return joined, firstErr
	}
	return joined, nil
}

func cmpOr(a, b error) error {
	if a != nil {
		return a
	}
	return b
}

// DetectSubject sets the picture's focus to its main subject and returns
// it, in pixels of the upright picture; the whole picture when nothing
// stands out.
func (p *Picture) DetectSubject() image.Rectangle {
	work := p.work
	w, h := p.Size()
	found := subject.Detect(work)
	p.Focus = subject.Scale(found, work.Rect.Size(), image.Pt(w, h))
	return p.Focus
}

// Size returns the upright dimensions.
func (p *Picture) Size() (width, height int) { return p.Info.Size() }

func (p *Picture) sha256() [32]byte { return sha256.Sum256(p.Data) }

// ErrRegion reports a region that is not "x1,x2,y1,y2" inside the picture.
var ErrRegion = errors.New("invalid region")

// ParseRegion reads a region written "x1,x2,y1,y2" in pixels, (x1,y1)
// the top-left and (x2,y2) the bottom-right corner, as Alibaba Image Search
// writes it. The empty string is the empty rectangle.
func ParseRegion(s string) (image.Rectangle, error) {
	if s == "" {
		return image.Rectangle{}, nil
	}
	parts := strings.Split(s, ",")
	if len(parts) != 4 {
		return image.Rectangle{}, fmt.Errorf("%w: %q has %d numbers, want 4", ErrRegion, s, len(parts))
	}
	var v [4]int
	for i, p := range parts {
		n, err := strconv.Atoi(strings.TrimSpace(p))
		if err != nil || n < 0 {
			return image.Rectangle{}, fmt.Errorf("%w: %q: %q is not a pixel position", ErrRegion, s, p)
		}
		v[i] = n
	}
	r := image.Rect(v[0], v[2], v[1], v[3])
	if v[0] >= v[1] || v[2] >= v[3] {
		return image.Rectangle{}, fmt.Errorf("%w: %q is empty", ErrRegion, s)
	}
	return r, nil
}

// FormatRegion writes a rectangle the way ParseRegion reads it.
func FormatRegion(r image.Rectangle) string {
	return fmt.Sprintf("%d,%d,%d,%d", r.Min.X, r.Max.X, r.Min.Y, r.Max.Y)
}

// SetRegion focuses the picture on r, which must lie inside it.
func (p *Picture) SetRegion(r image.Rectangle) error {
	w, h := p.Size()
	if !r.In(image.Rect(0, 0, w, h)) {
		return fmt.Errorf("%w: %s is outside the %d×%d picture", ErrRegion, FormatRegion(r), w, h)
	}
	p.Focus = r
	return nil
}
