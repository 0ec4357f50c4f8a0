package camera

import (
	"context"

	"github.com/pixmatch/pixmatch/shared/bow"
	"github.com/pixmatch/pixmatch/shared/feature"
)

// The functions below are the tier for a caller that keeps its bags of
// words elsewhere than in a Tier — a Cloudflare Worker keeps them in D1
// rows, and scores the lists it reads with bow.Lists — and that brings
// its own vocabulary (a Worker loads it as data rather than linking the
// 1.2 MB Vocabulary into its module). Used with the vocabulary Vocabulary
// returns, they give what a Tier gives.

// TargetBag returns what a Tier keeps of a target with features fs
// (strongest first): the words and turns of its first BagFeatures
// features, in v.
func TargetBag(v *bow.Vocabulary, fs []feature.Feature) []bow.Feature {
	return (&Tier{vocab: v}).bag(fs, BagFeatures)
}

// QueryBag returns a query's features fs as Shortlist looks them up: the
// words and turns of all of them, in v.
func QueryBag(v *bow.Vocabulary, fs []feature.Feature) []bow.Feature {
	return (&Tier{vocab: v}).bag(fs, len(fs))
}

// VerifyWith is Verify matching through the nodes of v at GuideLevel, v
// given rather than the shipped Vocabulary (nil compares every pair).
func VerifyWith(ctx context.Context, v *bow.Vocabulary, q []feature.Feature, frameW, frameH int, ids []string, records map[string]feature.Record, o feature.VerifyOptions) ([]Found, error) {
	return guide{vocab: v, level: GuideLevel}.verify(ctx, q, frameW, frameH, ids, records, o)
}
