//go:build !(js && wasm)

package gallery

import (
	"context"
	"fmt"

	"github.com/pixmatch/pixmatch/shared/bow"
	"github.com/pixmatch/pixmatch/shared/camera"
	"github.com/pixmatch/pixmatch/shared/feature"
	"github.com/pixmatch/pixmatch/shared/index"
)

// A server's feature tier is shared/camera's: a bag-of-words index per
// gallery over the trained vocabulary, and geometric verification of its
// shortlist. (Built for js/wasm, the service is the Worker's and has none:
// tier_worker.go.)
type (
	featureTier = camera.Tier
	vocabulary  = bow.Vocabulary
)

// loadVocabulary returns the feature tier's trained vocabulary.
func loadVocabulary() (*vocabulary, error) { return camera.Vocabulary() }

// verifyVocabulary returns the vocabulary the feature tier verifies
// through: the store's with WithFeatureLookup, else the trained one.
func (s *Service) verifyVocabulary(ctx context.Context) (*bow.Vocabulary, error) {
	if s.features != nil {
		return s.features.Vocabulary(ctx)
	}
	return s.vocab, nil
}

// newTier returns an empty feature tier over v.
func newTier(v *vocabulary) *featureTier { return camera.New(v) }

// queryFeatures returns the local features a search of pic looks for in
// the feature tier.
func queryFeatures(pic *Picture) []feature.Feature { return pic.features(feature.QueryOptions) }

// locate runs the feature tier of a gallery on the features of q
// (extracted now from its picture if the query has none yet): the
// shortlist of the gallery's tier, the targets accept lets through (by
// their index entry), their records verified best first until enough are
// found (0: all; camera.VerifyFirst). It returns the found targets by ID,
// with their corners in q's picture.
func (s *Service) locate(ctx context.Context, sh *shelf, q Query, accept func(index.Entry) bool, enough int) (map[string]located, error) {
	if s.features != nil {
		return s.locateLooked(ctx, sh, q, accept, enough)
	}
	feats := q.features()
	if len(feats) == 0 {
		return nil, nil
	}
	var ids []string
	for _, h := range sh.tier.Shortlist(feats, camera.Shortlist) {
		if e, ok := sh.index.Get(h.ID); ok && accept(e) {
			ids = append(ids, h.ID)
		}
	}
	if len(ids) == 0 {
		return nil, nil
	}
	targets, err := s.records.targets(ctx, s.store, sh.id, ids)
	if err != nil {
		return nil, fmt.Errorf("read feature records: %w", err)
	}
	found, err := camera.VerifyFirst(ctx, s.vocab, feats, q.Width, q.Height, ids, targets, feature.DefaultVerifyOptions, enough)
	if err != nil {
		return nil, err
	}
	return q.located(found), nil
}
