// Package match is pixmatch's search policy: which codes of a query are
// compared with a gallery's codes at which distance, and how the distance
// of a match becomes its score. The server, the browser module and the
// quality harness all search through it, so they find the same targets.
//
// A query carries, for each of its planes, the code of the upright plane
// and the codes of its seven flips and quarter turns (fingerprint.Query).
// Upright codes match within fingerprint.Threshold. Turned codes are more
// chances for an unrelated picture to come close, so they must come
// closer: their distance counts TurnPenalty more. Measured with `make
// bench-quality` on 10,000 entries, the penalty takes false matches of
// non-member photos from 3.7% to 0.6% at the same recall; a flipped or
// turned copy of a target is a few bits from it (median 0), well inside.
package match

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/pixmatch/pixmatch/shared/fingerprint"
	"github.com/pixmatch/pixmatch/shared/index"
)

// TurnPenalty is what a turned or flipped query code adds to its distance.
const TurnPenalty = 4

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
}

// Hit is an entry found, with its effective distance and score.
type Hit struct {
	ID       string
	Distance int     // penalties included
	Score    float64 // in (0, 1]; 0.5 at the threshold
}

// Bound is the largest effective distance a search with o returns.
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

// Search finds the entries of x nearest to the query q, best first.
func Search(ctx context.Context, x *index.Index, q fingerprint.Fingerprint, o Options) ([]Hit, error) {
	upright, turned := split(q)
	limit := max(1, o.Limit)
	query := func(codes []uint64, bound int) ([]index.Hit, error) {
		if len(codes) == 0 || bound < 0 {
			return nil, nil
		}
		return x.Search(ctx, index.Query{Codes: codes, Limit: limit, MaxDistance: bound, Filter: o.Filter,
			IncludeInactive: o.IncludeInactive, DistinctGroups: o.DistinctGroups, Exclude: o.Exclude})
	}
	a, err := query(upright, o.Bound())
	if err != nil {
		return nil, fmt.Errorf("match: %w", err)
	}
	b, err := query(turned, o.Bound()-TurnPenalty)
	if err != nil {
		return nil, fmt.Errorf("match: %w", err)
	}
	best := make(map[string]int, len(a)+len(b))
	for _, h := range a {
		best[h.ID] = h.Distance
	}
	for _, h := range b {
		if d, seen := best[h.ID]; !seen || h.Distance+TurnPenalty < d {
			best[h.ID] = h.Distance + TurnPenalty
		}
	}
	hits := make([]Hit, 0, len(best))
	for id, d := range best {
		hits = append(hits, Hit{ID: id, Distance: d, Score: fingerprint.Score(d)})
	}
	slices.SortFunc(hits, func(p, q Hit) int {
		if p.Distance != q.Distance {
			return p.Distance - q.Distance
		}
		return strings.Compare(p.ID, q.ID)
	})
	if o.DistinctGroups {
		hits = distinct(x, hits) // the two searches may each bring one of a group
	}
	return hits[:min(len(hits), limit)], nil
}

// distinct keeps the nearest hit of each group.
func distinct(x *index.Index, hits []Hit) []Hit {
	seen := map[string]bool{}
	out := hits[:0]
	for _, h := range hits {
		e, ok := x.Get(h.ID)
		if g := e.Attrs.Group; ok && g != "" {
			if seen[g] {
				continue
			}
			seen[g] = true
		}
		out = append(out, h)
	}
	return out
}

// Distance is the effective distance between a query and a target
// fingerprint: the nearest pair of their codes, turned codes penalised.
func Distance(q, target fingerprint.Fingerprint) int {
	best := fingerprint.Bits + TurnPenalty
	for i, c := range q.Codes {
		penalty := 0
		if !fingerprint.Upright(i) {
			penalty = TurnPenalty
		}
		for _, t := range target.Codes {
			best = min(best, fingerprint.Distance(c, t)+penalty)
		}
	}
	return best
}

// split separates a query's upright codes from its turned ones.
func split(q fingerprint.Fingerprint) (upright, turned []uint64) {
	for i, c := range q.Codes {
		if fingerprint.Upright(i) {
			upright = append(upright, c)
		} else {
			turned = append(turned, c)
		}
	}
	return upright, turned
}
