//go:build !(js && wasm)

package worker

import (
	"context"

	"github.com/pixmatch/pixmatch/shared/bow"
	"github.com/pixmatch/pixmatch/shared/camera"
)

// loadVocabulary returns shared/camera's vocabulary: on the host (the
// Worker's tests) it is linked in.
func loadVocabulary(context.Context) (*bow.Vocabulary, error) { return camera.Vocabulary() }
