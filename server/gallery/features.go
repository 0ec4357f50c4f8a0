package gallery

import (
	"context"
	"errors"
	"fmt"

	"github.com/pixmatch/pixmatch/shared/camera"
	"github.com/pixmatch/pixmatch/shared/feature"
	"github.com/pixmatch/pixmatch/shared/fingerprint"
)

// The feature tier (shared/camera) finds a target printed in a camera
// frame. Each gallery keeps a camera.Tier beside its hash index: what it
// holds of a target is a bag of words; the target's feature record (its
// features and their geometry) is in the store, read for the few targets
// a search verifies, through a cache of decoded records (RecordCache).

// Point is a position in a picture, in pixels of the upright picture.
type Point struct{ X, Y float64 }

// features returns the local features of the picture, found with o.
func (p *Picture) features(o feature.Options) []feature.Feature { return feature.Extract(p.feat, o) }

// enrol returns the picture's features as a target's, with those of the
// views synthesised at enrolment, and how stable they are
// (feature.Enrol with feature.DefaultEnrolOptions).
func (p *Picture) enrol() feature.Enrolment {
	return feature.Enrol(p.feat, feature.DefaultEnrolOptions)
}

// record returns the stored form of a target picture's features, as
// enrol made them.
func (p *Picture) record(fs []feature.Feature) feature.Record {
	return feature.Record{Width: p.feat.Rect.Dx(), Height: p.feat.Rect.Dy(), Features: fs, Enrolment: feature.EnrolmentVersion}
}

// encodeRecord returns pic's record of fs encoded, with the features'
// cells in the vocabulary the feature tier verifies through
// (camera.Guide): a verification that reads the record need not sort
// them again.
func (s *Service) encodeRecord(ctx context.Context, pic *Picture, fs []feature.Feature) ([]byte, error) {
	v, err := s.verifyVocabulary(ctx)
	if err != nil {
		return nil, err
	}
	r := pic.record(fs)
	camera.Guide(v, &r)
	return r.MarshalBinary()
}

// toPicture returns where a point of the feature plane is in the upright
// picture.
func (p *Picture) toPicture(q feature.Point) Point {
	w, h := p.Size()
	return Point{q.X * float64(w) / float64(p.feat.Rect.Dx()), q.Y * float64(h) / float64(p.feat.Rect.Dy())}
}

// located is a target the feature tier found in a picture.
type located struct {
	score   float64
	corners []Point // clockwise from the target's top-left, in the picture
}

// ErrQuery reports a query sent in place of a picture that cannot be
// read: a fingerprint or a feature record that does not decode, of
// another version, or with more features than a query has.
var ErrQuery = errors.New("malformed query")

// ParseQuery reads a query a client made itself: a query fingerprint
// (fingerprint.QueryOf of its picture, encoded; may be empty, and then
// only the feature tier searches) and a feature record of the picture's
// features (feature.QueryOptions, found on the record's plane). Errors
// wrap ErrQuery.
func ParseQuery(print, features []byte) (Query, error) {
	var q Query
	if len(print) > 0 {
		if err := q.Print.UnmarshalBinary(print); err != nil {
			return q, fmt.Errorf("%w: fingerprint: %w", ErrQuery, err)
		}
		if len(q.Print.Codes) > fingerprint.MaxQueryCodes { // more would only cost index time
			return q, fmt.Errorf("%w: %d codes, a query has at most %d", ErrQuery, len(q.Print.Codes), fingerprint.MaxQueryCodes)
		}
	}
	var r feature.Record
	if err := r.UnmarshalBinary(features); err != nil {
		return q, fmt.Errorf("%w: features: %w", ErrQuery, err)
	}
	if len(r.Features) > feature.QueryOptions.Max {
		return q, fmt.Errorf("%w: %d features, a query has at most %d", ErrQuery, len(r.Features), feature.QueryOptions.Max)
	}
	if len(q.Print.Codes) == 0 && len(r.Features) == 0 {
		return q, fmt.Errorf("%w: neither codes nor features", ErrQuery)
	}
	q.Features, q.Width, q.Height = r.Features, r.Width, r.Height
	return q, nil
}
