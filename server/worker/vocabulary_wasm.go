//go:build js && wasm

package worker

import (
	"context"
	"fmt"
	"io"
	"net/http"

	"github.com/syumai/workers/cloudflare"
	"github.com/syumai/workers/cloudflare/fetch"

	"github.com/pixmatch/pixmatch/shared/bow"
	"github.com/pixmatch/pixmatch/shared/camera"
)

// The vocabulary is the static asset VocabularyAsset, fetched through the
// assets binding (wrangler.toml: [assets] binding = "ASSETS").
const (
	assetsBinding = "ASSETS"
	// VocabularyAsset is the path of the trained vocabulary among the
	// Worker's static assets (camera.EncodeVocabulary's bytes, as
	// shared/camera/vocabulary.bin holds them).
	VocabularyAsset = "/vocabulary.bin"
)

// loadVocabulary fetches the vocabulary asset and decodes it.
func loadVocabulary(ctx context.Context) (*bow.Vocabulary, error) {
	client := fetch.NewClient(fetch.WithBinding(cloudflare.GetBinding(assetsBinding)))
	req, err := fetch.NewRequest(ctx, http.MethodGet, "https://assets.invalid"+VocabularyAsset, nil)
	if err != nil {
		return nil, err
	}
	res, err := client.Do(req, nil)
	if err != nil {
		return nil, fmt.Errorf("fetch %s: %w", VocabularyAsset, err)
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("fetch %s: %s", VocabularyAsset, res.Status)
	}
	b, err := io.ReadAll(res.Body)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", VocabularyAsset, err)
	}
	return camera.DecodeVocabulary(b)
}
