//go:build js && wasm

package gallery

import (
	"context"

	"github.com/pixmatch/pixmatch/shared/bow"
	"github.com/pixmatch/pixmatch/shared/feature"
	"github.com/pixmatch/pixmatch/shared/index"
)

// Built for js/wasm, the gallery service is the Cloudflare Worker's
// (server/worker): it keeps no tier in memory, finding its targets
// WithLookup and its feature tier WithFeatureLookup, per search
// (lookup_features.go). So shared/camera's Tier and its embedded trained
// vocabulary (1.2 MB) are not linked into the Worker's module: the
// Worker brings the vocabulary as data (FeatureLookup.Vocabulary).
type (
	featureTier struct{}
	vocabulary  struct{}
)

// loadVocabulary returns a vocabulary that stands for the one the
// FeatureLookup brings: a service with one reads the feature plane of
// the pictures it searches.
func loadVocabulary() (*vocabulary, error) { return &vocabulary{}, nil }

// verifyVocabulary returns the vocabulary of the feature tier the
// service looks up in the store; nil with none.
func (s *Service) verifyVocabulary(ctx context.Context) (*bow.Vocabulary, error) {
	if s.features == nil {
		return nil, nil
	}
	return s.features.Vocabulary(ctx)
}

// newTier returns the tier that holds nothing: the store holds it.
func newTier(*vocabulary) *featureTier { return nil }

// queryFeatures returns the local features a search of pic looks for in
// the feature tier.
func queryFeatures(pic *Picture) []feature.Feature { return pic.features(feature.QueryOptions) }

// Put forgets fs: the store lists the target's bag as it writes it.
func (*featureTier) Put(id string, fs []feature.Feature) {}

// Remove does nothing: the store unlists a target as it removes it.
func (*featureTier) Remove(id string) {}

// locate runs the feature tier the service looks up in the store; with
// none, it finds nothing.
func (s *Service) locate(ctx context.Context, sh *shelf, q Query, accept func(index.Entry) bool, enough int) (map[string]located, error) {
	if s.features == nil {
		return nil, nil
	}
	return s.locateLooked(ctx, sh, q, accept, enough)
}
