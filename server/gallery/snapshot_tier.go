//go:build !(js && wasm)

package gallery

import (
	"io"

	"github.com/pixmatch/pixmatch/shared/camera"
)

// tierWriter returns what writes a gallery's feature tier into its
// snapshot (snapshot.go).
func tierWriter(t *featureTier) io.WriterTo { return t }

// decodeTier reads the feature tier of a snapshot over v; it fails for a
// tier this build cannot use (another vocabulary, feature version or bag
// size, or damaged), and for none (a snapshot of the old format).
func decodeTier(b []byte, v *vocabulary) (*featureTier, error) { return camera.DecodeTier(b, v) }

// has reports whether the tier holds a bag of words for the target id.
func has(t *featureTier, id string) bool { return t.Has(id) }
