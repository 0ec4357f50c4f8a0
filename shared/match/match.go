// Package match is pixmatch's search policy: which codes of a query are
// compared with which windows of a target, how a hash and its checks make
// one distance, and how a distance becomes a score. The server, the
// browser module and the quality harness all search through it, so they
// find the same targets.
//
// A target is stored with a code per window (fingerprint.Window); the
// index keeps one table per window. A query's codes are compared with the
// tables they can correspond to:
//
//   - its upright Whole and Trimmed codes with every window: the query may
//     show the whole target, or only its centre or a corner of it;
//   - their seven flips and quarter turns with the target's Whole and
//     Trimmed windows, at a penalty of TurnPenalty: each is one more chance
//     for an unrelated picture to come close;
//   - its central windows with the target's whole and central windows: a
//     logo or caption at the query's edge is left out of them;
//   - its Centre80 window turned back by small angles with the target's
//     Centre80 window: a photo taken askew.
//
// The distance of a pair is the larger of the hashes' distance (plus any
// penalty) and each check's distance less its slack (Slack): a match needs
// the hash within the threshold and every check close too. Measured with
// `make bench-quality` (shared/fingerprint/QUALITY.md), the checks take
// false matches of photos not in a 10,000-entry gallery from about 5% to
// under 0.1% while the target stays the nearest entry.
package match

import (
	"context"
	"fmt"

	"github.com/pixmatch/pixmatch/shared/fingerprint"
	"github.com/pixmatch/pixmatch/shared/index"
)

// TurnPenalty is what a flipped or quarter-turned query code adds to its
// distance.
const TurnPenalty = 4

// Slack is, for each check, how much further than the hash it may be:
// the central half of a window (Core) changes most under a small shift of
// the window, so it is allowed most.
var Slack = [fingerprint.NumChecks]int{fingerprint.Core: 12, fingerprint.Body: 4, fingerprint.Grain: 4}

// NewIndex returns an empty index with a table per target window.
func NewIndex() *index.Index { return index.New(int(fingerprint.Windows)) }

// tables is the set of target windows a query code is compared with, and
// the penalty it pays.
func tables(c fingerprint.Code) (set uint64, penalty int) {
	switch {
	case c.Degrees != 0:
		return windows(fingerprint.Centre80), 0
	case c.Window == fingerprint.Whole || c.Window == fingerprint.Trimmed:
		if !c.Upright() {
			return windows(fingerprint.Whole, fingerprint.Trimmed), TurnPenalty
		}
		return Full.Windows, 0
	default:
		return windows(fingerprint.Whole, fingerprint.Trimmed, fingerprint.Centre90, fingerprint.Centre80, fingerprint.Centre70, fingerprint.Centre60), 0
	}
}

// Probes returns the index probes of a query fingerprint.
func Probes(q fingerprint.Fingerprint) []index.Probe {
	out := make([]index.Probe, len(q.Codes))
	for i, c := range q.Codes {
		set, penalty := tables(c)
		out[i] = index.Probe{Key: c.Hash, Checks: c.Checks, Tables: set, Penalty: penalty}
	}
	return out
}

// Options shape a search.
type Options struct {
	Limit           int          // most hits; at least 1
	Filter          index.Filter // nil: none
	IncludeInactive bool
	DistinctGroups  bool   // at most one hit per Attributes.Group
	Exclude         string // an entry ID to leave out
	// Threshold is the largest distance of a match; 0 means
	// fingerprint.Threshold.
	Threshold int
	// Near also returns entries up to twice the threshold: the ranked
	// neighbours an image search service lists, scored below 0.5.
	Near bool
	// Profile is the part of the targets' codes the index holds; the
	// zero value means Full.
	Profile Profile
}

// Bound is the largest distance a search with o returns.
func (o Options) Bound() int {
	t := o.Threshold
	if t == 0 {
		t = fingerprint.Threshold
	}
	if o.Near {
		return 2*t - 1
	}
	return t
}

// profile returns o's profile, Full for the zero value.
func (o Options) profile() Profile {
	if o.Profile == (Profile{}) {
		return Full
	}
	return o.Profile
}

// Hit is an entry found, with its distance and score.
type Hit struct {
	ID       string
	Distance int
	Score    float64 // in (0, 1]; 0.5 at fingerprint.Threshold
	// Query and Target are the windows of the pair of codes whose
	// distance is Distance: the query's code (a turned-back code's is
	// Centre80) and the target's.
	Query, Target fingerprint.Window
	// Refuted says the feature tier refuted the match (Confirm): it is
	// scored below 0.5 and is no match.
	Refuted bool
}

// Partial reports whether h rests on part of a picture: the window of
// its pair on either side is neither Whole nor Trimmed — a corner, a
// central window, a Centre80 turned back. A pair of Whole or Trimmed
// windows (a copy, a re-encode, a flip, a resize) is not partial.
func (h Hit) Partial() bool { return !entire(h.Query) || !entire(h.Target) }

// entire reports whether w shows the whole picture or all its content.
func entire(w fingerprint.Window) bool { return w == fingerprint.Whole || w == fingerprint.Trimmed }

// Search finds the entries of x nearest to the query q, best first.
func Search(ctx context.Context, x *index.Index, q fingerprint.Fingerprint, o Options) ([]Hit, error) {
	if len(q.Codes) == 0 {
		return nil, nil
	}
	found, err := x.Search(ctx, index.Query{
		Probes:          Probes(q),
		Slack:           o.profile().slack(),
		MaxDistance:     o.Bound(),
		Limit:           max(1, o.Limit),
		Filter:          o.Filter,
		IncludeInactive: o.IncludeInactive,
		DistinctGroups:  o.DistinctGroups,
		Exclude:         o.Exclude,
	})
	if err != nil {
		return nil, fmt.Errorf("match: %w", err)
	}
	hits := make([]Hit, len(found))
	for i, h := range found {
		hits[i] = Hit{ID: h.ID, Distance: h.Distance, Score: fingerprint.Score(h.Distance),
			Query: q.Codes[h.Probe].Window, Target: fingerprint.Window(h.Table)}
	}
	return hits, nil
}

// Distance is the distance between a query and a target fingerprint as a
// search of a Full index sees it; see Profile.Distance.
func Distance(q, target fingerprint.Fingerprint) int { return Full.Distance(q, target) }
