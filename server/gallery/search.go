package gallery

import (
	"context"
	"errors"
	"fmt"

	"github.com/pixmatch/pixmatch/server/store"
	"github.com/pixmatch/pixmatch/shared/fingerprint"
	"github.com/pixmatch/pixmatch/shared/index"
	"github.com/pixmatch/pixmatch/shared/match"
)

// Recognition finds the targets a picture shows: search, the similar
// check, and comparing two pictures.
type Recognition struct{ s *Service }

// Match is a target found for a picture.
type Match struct {
	Target   Target
	Distance int
	Score    float64 // in (0, 1]; 0.5 at the match threshold
}

// SearchOptions shape a search.
type SearchOptions struct {
	Limit  int          // most matches to return; at least 1
	Filter index.Filter // nil: no filter
	Images bool         // load each matched target's image
	// Near also returns targets that come close without matching, up to
	// twice the match threshold, scored below 0.5: the ranked neighbours
	// an image search service lists.
	Near bool
	// DistinctProducts returns at most one target per ProductID.
	DistinctProducts bool
}

// Search finds the active targets of a gallery that a picture shows, best
// first. Admission comes first: the gallery's rate and daily limits
// count the search, a suspended gallery refuses it, and a gallery without
// active targets gives ErrNoActiveTargets, all before read is called to
// decode the picture. The search itself gives up with ErrSearchTimeout
// after the configured timeout. A picture without content matches
// nothing.
func (r *Recognition) Search(ctx context.Context, gallery int64, read func(context.Context) (*Picture, error), o SearchOptions) ([]Match, error) {
	s := r.s
	sh, err := s.live(gallery)
	if err != nil {
		return nil, err
	}
	if err := sh.admitSearch(s.now()); err != nil {
		return nil, err
	}
	if sh.index.ActiveLen() == 0 {
		return nil, fmt.Errorf("gallery %q: %w", sh.settings().Name, ErrNoActiveTargets)
	}
	pic, err := read(ctx)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(ctx, s.cfg.Search.Timeout)
	defer cancel()
	q, err := pic.prints(fingerprint.QueryOf)
	if errors.Is(err, fingerprint.ErrNoContent) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	hits, err := match.Search(ctx, sh.index, q, match.Options{
		Limit:          o.Limit,
		Filter:         o.Filter,
		Near:           o.Near,
		DistinctGroups: o.DistinctProducts,
	})
	if err != nil {
		return nil, searchError(ctx, err)
	}
	return s.resolve(ctx, gallery, hits, o.Images)
}

// searchError tells a search that ran out of time — in the index, or
// reading its matches from a store slowed by load — from other failures.
func searchError(ctx context.Context, err error) error {
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(ctx.Err(), context.DeadlineExceeded) {
		return fmt.Errorf("%w: %w", ErrSearchTimeout, err)
	}
	return fmt.Errorf("gallery: search: %w", err)
}

// Similar lists the targets of a gallery, active or not, that look like
// pic: what would refuse pic as a new target.
func (r *Recognition) Similar(ctx context.Context, gallery int64, pic *Picture) ([]Match, error) {
	s := r.s
	sh, err := s.live(gallery)
	if err != nil {
		return nil, err
	}
	q, err := s.queryPrint(ctx, pic)
	if err != nil {
		return nil, err
	}
	return s.similar(ctx, sh, q, "", similarLimit)
}

func (s *Service) similar(ctx context.Context, sh *shelf, q fingerprint.Fingerprint, except string, limit int) ([]Match, error) {
	ctx, cancel := context.WithTimeout(ctx, s.cfg.Search.Timeout)
	defer cancel()
	hits, err := match.Search(ctx, sh.index, q, match.Options{
		Limit:           limit,
		IncludeInactive: true,
		Exclude:         except,
	})
	if err != nil {
		return nil, searchError(ctx, err)
	}
	return s.resolve(ctx, sh.id, hits, false)
}

// resolve loads the targets of index hits from the store, in one read. A
// target deleted since the index was searched is left out.
func (s *Service) resolve(ctx context.Context, gallery int64, hits []match.Hit, images bool) ([]Match, error) {
	ids := make([]string, len(hits))
	for i, h := range hits {
		ids[i] = h.ID
	}
	ts, err := s.store.TargetsByID(ctx, gallery, ids, images)
	if err != nil {
		return nil, searchError(ctx, fmt.Errorf("read matched targets: %w", err))
	}
	byID := make(map[string]store.Target, len(ts))
	for _, t := range ts {
		byID[t.ID] = t
	}
	out := make([]Match, 0, len(hits))
	for _, h := range hits {
		if t, ok := byID[h.ID]; ok {
			out = append(out, Match{Target: targetOf(t), Distance: h.Distance, Score: h.Score})
		}
	}
	return out, nil
}

func isNotFound(err error) bool { return errors.Is(err, store.ErrNotFound) }

// queryPrint fingerprints a picture to search with, within the feature
// deadline.
func (s *Service) queryPrint(ctx context.Context, pic *Picture) (fingerprint.Fingerprint, error) {
	ctx, cancel := context.WithTimeout(ctx, s.cfg.Images.FeatureTimeout)
	defer cancel()
	if err := featureDeadline(ctx); err != nil {
		return fingerprint.Fingerprint{}, err
	}
	q, err := pic.prints(fingerprint.QueryOf)
	if err != nil {
		return q, err
	}
	return q, featureDeadline(ctx)
}

// Compare returns the distance between two pictures as a search of a
// would see b (match.Distance).
func (r *Recognition) Compare(ctx context.Context, a, b *Picture) (int, error) {
	s := r.s
	qa, err := s.queryPrint(ctx, a)
	if err != nil {
		return 0, err
	}
	m, err := s.derive(ctx, b)
	if err != nil {
		return 0, err
	}
	return match.Distance(qa, m.fp), nil
}
