package main

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/pixmatch/pixmatch/shared/bow"
	"github.com/pixmatch/pixmatch/shared/camera"
	"github.com/pixmatch/pixmatch/shared/distort"
	"github.com/pixmatch/pixmatch/shared/feature"
)

// vocabularyOptions choose how the feature tier's vocabulary is trained
// (make vocabulary; the choices are measured in QUALITY.md).
type vocabularyOptions struct {
	// K children a node, Levels levels: K^Levels words.
	K, Levels int
	// Iterations of k-majority clustering at each node.
	Iterations int
	// Seed makes the training deterministic.
	Seed uint64
	// Views adds, to the features of each filler as a target
	// (feature.TargetOptions), the features of that many camera views of
	// it (distort.CameraCatalogue, on another filler; feature.QueryOptions):
	// the descriptors a query frame gives.
	Views int
	// Shipped means shared/camera's vocabulary as it is, not trained.
	Shipped bool
}

// String names the vocabulary as a tuning table does: KxLEVELS+VIEWS, or
// "shipped".
func (o vocabularyOptions) String() string {
	if o.Shipped {
		return "shipped"
	}
	return fmt.Sprintf("%dx%d+%d", o.K, o.Levels, o.Views)
}

// defaultVocabulary is what make vocabulary trains.
var defaultVocabulary = vocabularyOptions{K: 32, Levels: 3, Iterations: 10, Seed: 1, Views: 8}

// vocabularyMode builds the corpus and writes the vocabulary trained as
// o on its fillers to file.
func vocabularyMode(ctx context.Context, cache, file string, o vocabularyOptions, workers int, logf func(string, ...any)) error {
	c, err := BuildCorpus(ctx, cache, workers, logf)
	if err != nil {
		return err
	}
	return writeVocabulary(ctx, c, file, o, workers, logf)
}

// writeVocabulary trains the vocabulary on the corpus's fillers and writes
// it, encoded for the current feature.Version, to file.
func writeVocabulary(ctx context.Context, c *Corpus, file string, o vocabularyOptions, workers int, logf func(string, ...any)) error {
	start := time.Now()
	samples, err := vocabularySamples(ctx, c.Fillers, o.Views, workers)
	if err != nil {
		return err
	}
	logf("vocabulary: %d descriptors of %d fillers (%s)", len(samples), len(c.Fillers), time.Since(start).Round(time.Millisecond))
	v, err := bow.Train(samples, o.K, o.Levels, o.Iterations, o.Seed)
	if err != nil {
		return err
	}
	b, err := camera.EncodeVocabulary(v)
	if err != nil {
		return err
	}
	if err := os.WriteFile(file, b, 0o644); err != nil {
		return fmt.Errorf("vocabulary: %w", err)
	}
	logf("vocabulary: %d^%d = %d words, %d bytes, written to %s (%s)", o.K, o.Levels, v.Words(), len(b), file, time.Since(start).Round(time.Millisecond))
	return nil
}

// vocabularySamples returns the descriptors to train on, in a fixed order:
// each filler's as a target, then those of its views. Only fillers: the
// targets and non-members, which the harness queries with, stay out, so
// that the measurement is not trained on its own answers.
func vocabularySamples(ctx context.Context, fillers []*picture, views, workers int) ([]bow.Descriptor, error) {
	per := make([][]bow.Descriptor, len(fillers))
	cams := distort.CameraCatalogue()
	err := parallel(ctx, len(fillers), workers, func(i int) error {
		f := fillers[i]
		fs := feature.Extract(feature.Plane(f.Image, feature.TargetOptions), feature.TargetOptions)
		per[i] = descriptors(fs, len(fs))
		for v := range views {
			e := cams[(i+v)%len(cams)]
			p := distort.Params{Seed: seedOf(f.ID, fmt.Sprintf("vocabulary %d", v))}
			p.Scene = sceneFor(f, fillers, p.Seed).Image
			frame := e.With(p)(f.Image)
			fs := feature.Extract(feature.Plane(frame, feature.QueryOptions), feature.QueryOptions)
			per[i] = append(per[i], descriptors(fs, len(fs))...)
		}
		return nil
	})
	var all []bow.Descriptor
	for _, ds := range per {
		all = append(all, ds...)
	}
	return all, err
}
