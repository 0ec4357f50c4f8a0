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

// Lookup finds a gallery's targets in the store, for a service that keeps
// nothing between requests (a Cloudflare Worker: every request starts a
// fresh instance). Such a service loads no target when it opens; each
// search first puts the targets Lookup says it may find into the
// gallery's index, which then answers exactly as an index of the whole
// gallery would, and counts come from the store.
type Lookup interface {
	// Candidates returns the gallery's targets holding a code that a
	// search of q with o may find: every target it can find, maybe
	// others.
	Candidates(ctx context.Context, gallery int64, q fingerprint.Fingerprint, o match.Options) ([]store.Target, error)
	// Counts returns how many targets the gallery holds, and how many of
	// them are active.
	Counts(ctx context.Context, gallery int64) (all, active int, err error)
	// AnyActive reports whether the gallery holds an active target: what
	// a search asks before it decodes its picture, cheaper than Counts.
	AnyActive(ctx context.Context, gallery int64) (bool, error)
}

// Option changes how Open starts a service.
type Option func(*Service)

// WithLookup makes the service find targets through l instead of
// indexes loaded at Open. Its feature tier holds nothing, so searches
// find pictures by the hash tier alone; the feature records missing at
// Open are per service, so per request on a Worker, and so are its search
// limits (QPS, daily) unless WithCounter counts them elsewhere.
func WithLookup(l Lookup) Option { return func(s *Service) { s.lookup = l } }

// lens returns how many targets a gallery holds and how many are active.
func (s *Service) lens(ctx context.Context, sh *shelf) (all, active int, err error) {
	if s.lookup == nil {
		return sh.index.Len(), sh.index.ActiveLen(), nil
	}
	all, active, err = s.lookup.Counts(ctx, sh.id)
	if err != nil {
		return 0, 0, fmt.Errorf("gallery: count targets: %w", err)
	}
	return all, active, nil
}

// anyActive reports whether a gallery holds an active target.
func (s *Service) anyActive(ctx context.Context, sh *shelf) (bool, error) {
	if s.lookup == nil {
		return sh.index.ActiveLen() > 0, nil
	}
	any, err := s.lookup.AnyActive(ctx, sh.id)
	if err != nil {
		return false, fmt.Errorf("gallery: count targets: %w", err)
	}
	return any, nil
}

// fill puts into the gallery's index the targets a search of q with o
// may find, when the service looks targets up, and keeps their rows
// (without images) for the answer (resolved.go): the service lives for
// one request, and a write moves the stamp they are kept under.
func (s *Service) fill(ctx context.Context, sh *shelf, q fingerprint.Fingerprint, o match.Options) error {
	if s.lookup == nil || len(q.Codes) == 0 {
		return nil
	}
	ts, err := s.lookup.Candidates(ctx, sh.id, q, o)
	if err != nil {
		return fmt.Errorf("look up candidates: %w", err)
	}
	sh.resolved.put(sh.stamp(), ts)
	return s.putAll(sh, ts)
}

// putAll puts targets read from the store into the gallery's index.
func (s *Service) putAll(sh *shelf, ts []store.Target) error {
	for _, t := range ts {
		var fp fingerprint.Fingerprint
		if err := fp.UnmarshalBinary(t.Fingerprint); errors.Is(err, fingerprint.ErrVersion) {
			continue // another version's codes: never compared
		} else if err != nil {
			return fmt.Errorf("target %s: %w", t.ID, err)
		}
		if err := sh.index.Put(entry(t, fp)); err != nil {
			return err
		}
	}
	return nil
}

// matching returns the IDs of a gallery's targets, active or not, whose
// attributes f matches: from its index, or read from the store when the
// service looks targets up.
func (s *Service) matching(ctx context.Context, sh *shelf, f index.Filter) ([]string, error) {
	var ids []string
	if s.lookup != nil {
		err := s.store.EachTarget(ctx, sh.id, func(t store.Target) error {
			if a := targetOf(t).Attributes(); f.Match(&a) {
				ids = append(ids, t.ID)
			}
			return nil
		})
		return ids, err
	}
	sh.index.Each(func(e index.Entry) bool {
		if f.Match(&e.Attrs) {
			ids = append(ids, e.ID)
		}
		return true
	})
	return ids, nil
}
