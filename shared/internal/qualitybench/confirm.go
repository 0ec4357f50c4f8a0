package main

import (
	"context"

	"github.com/pixmatch/pixmatch/shared/camera"
	"github.com/pixmatch/pixmatch/shared/feature"
	"github.com/pixmatch/pixmatch/shared/match"
)

// judgeHash confirms, as a server does (match.Confirm with
// match.Confirmation), the hash tier's matches of query i on part of a
// picture in the judge column's answer, with the query's features q on
// a w×h plane and the records this column holds: each hit's Hash says
// whether it was refuted.
func (c *tierColumn) judgeHash(ctx context.Context, i int, q []feature.Feature, w, h int) error {
	if c.judge == nil || i >= len(c.judge.last) {
		return nil
	}
	hits := c.judge.last[i]
	hash := make([]match.Hit, len(hits))
	for j, hit := range hits {
		hash[j] = hit.Hash
	}
	o := match.Confirmation
	judged, err := match.Confirm(ctx, hash, len(q), c.records, camera.VerifiesOne(c.set.vocab, q, w, h, o.Verify()), o)
	if err != nil {
		return err
	}
	for j := range hits {
		hits[j].Hash = judged[j]
	}
	return nil
}
