package camera

import (
	"context"
	"sync"

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
	targets := make(map[string]*Target, len(records))
	for id, r := range records {
		targets[id] = NewTarget(r)
	}
	return VerifyTargets(ctx, v, q, frameW, frameH, ids, targets, o)
}

// VerifyTargets is VerifyWith over records kept as Targets: each target's
// features are sorted into v's nodes and grouped by them on its first
// verification against v, and not again.
func VerifyTargets(ctx context.Context, v *bow.Vocabulary, q []feature.Feature, frameW, frameH int, ids []string, targets map[string]*Target, o feature.VerifyOptions) ([]Found, error) {
	return VerifyFirst(ctx, v, q, frameW, frameH, ids, targets, o, 0)
}

// VerifyFirst is VerifyTargets that stops once enough targets are found
// (0: never), as if it checked ids one by one in their order: it returns
// the first enough of ids that VerifyTargets would find, most inliers
// first. A search that answers with at most enough targets and verifies
// a shortlist best first stops there: a frame shows the print it was
// aimed at, and verifying the rest would only rank other targets found in
// the same frame (another print beside it, a copy of the same picture
// enrolled twice) — on a Worker, the verification of 40 targets was a
// fifth of a camera frame's search.
func VerifyFirst(ctx context.Context, v *bow.Vocabulary, q []feature.Feature, frameW, frameH int, ids []string, targets map[string]*Target, o feature.VerifyOptions, enough int) ([]Found, error) {
	return guide{vocab: v, level: GuideLevel}.verify(ctx, q, frameW, frameH, ids, targets, o, max(enough, 0))
}

// Target is a target's feature record as a caller keeps it between
// searches (a server's cache of decoded records, a Worker isolate's).
// Verification sorts a target's features into the vocabulary's nodes at
// GuideLevel and groups them by node (feature.IndexTarget) — an eighth
// of what checking a target costs natively, a quarter of what a Worker
// spent verifying a shortlist, with the records' decoding — and a Target
// keeps that work, made on its first verification, for the next ones.
// The sorting is the record's own cells when it keeps them for the guide
// verified through (Guide). It is safe for concurrent use; its Record
// must not change.
type Target struct {
	Record feature.Record

	mu    sync.Mutex
	guide guide            // what index was made for
	index *feature.Indexed // nil until the first verification
}

// NewTarget returns the target of record r, not yet verified.
func NewTarget(r feature.Record) *Target { return &Target{Record: r} }

// indexed returns t's features grouped by g's cells, made on the first
// call for g.
func (t *Target) indexed(g guide) *feature.Indexed {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.index == nil || t.guide != g {
		cells := g.storedCells(&t.Record)
		if cells == nil {
			cells = g.cells(t.Record.Features)
		}
		t.index = feature.IndexTarget(t.Record.Features, cells)
		t.guide = g
	}
	return t.index
}
