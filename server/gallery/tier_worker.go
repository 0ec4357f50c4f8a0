//go:build js && wasm

package gallery

import (
	"context"

	"github.com/pixmatch/pixmatch/shared/feature"
	"github.com/pixmatch/pixmatch/shared/index"
)

// Built for js/wasm, the gallery service is the Cloudflare Worker's
// (server/worker): it finds its targets WithLookup, per search, and has
// no feature tier, so neither shared/camera's code nor its trained
// vocabulary (1.2 MB) is linked into the Worker's module. Targets still
// get their feature records, stored for the followers that sync them
// and for a feature tier on the Worker to come.
type (
	featureTier struct{}
	vocabulary  struct{}
)

// loadVocabulary returns no vocabulary: there is no tier to use one.
func loadVocabulary() (*vocabulary, error) { return nil, nil }

// newTier returns the tier that holds nothing.
func newTier(*vocabulary) *featureTier { return nil }

// queryFeatures returns none: without a tier to look them up in, a
// search does not extract the picture's local features.
func queryFeatures(*Picture) []feature.Feature { return nil }

// Put forgets fs: the Worker's tier holds nothing.
func (*featureTier) Put(id string, fs []feature.Feature) {}

// Remove does nothing: the Worker's tier holds nothing.
func (*featureTier) Remove(id string) {}

// locate finds nothing: the Worker has no feature tier.
func (s *Service) locate(ctx context.Context, sh *shelf, q Query, accept func(index.Entry) bool) (map[string]located, error) {
	return nil, nil
}
