//go:build js && wasm

package gallery

import (
	"errors"
	"io"
)

// tierWriter returns what writes the Worker's tier, which holds nothing,
// into a snapshot: nothing. (The Worker writes no snapshots: it finds its
// targets WithLookup.)
func tierWriter(*featureTier) io.WriterTo { return emptyTier{} }

// decodeTier reads no tier: the Worker has none.
func decodeTier([]byte, *vocabulary) (*featureTier, error) {
	return nil, errors.New("no feature tier in this build")
}

// has reports that the Worker's tier holds nothing.
func has(*featureTier, string) bool { return false }
