package gallery

import (
	"context"
	"fmt"

	"github.com/pixmatch/pixmatch/shared/feature"
)

// ActiveLen returns how many active targets a gallery holds: what a
// follower searches, and what decides whether its server sends it the
// targets' feature records.
func (y *Sync) ActiveLen(gallery int64) (int, error) {
	sh, err := y.s.live(gallery)
	if err != nil {
		return 0, err
	}
	_, active, err := y.s.lens(context.Background(), sh)
	return active, err
}

// Records returns the feature records of the targets ids of a gallery that
// have a usable one (of this build's feature.Version), by ID, read in one
// query through the cache of decoded records searches use. The records
// are shared with that cache: callers must not modify them.
func (y *Sync) Records(ctx context.Context, gallery int64, ids []string) (map[string]feature.Record, error) {
	if _, err := y.s.live(gallery); err != nil {
		return nil, err
	}
	if len(ids) == 0 {
		return nil, nil
	}
	recs, err := y.s.records.get(ctx, y.s.store, gallery, ids)
	if err != nil {
		return nil, fmt.Errorf("gallery: feature records: %w", err)
	}
	return recs, nil
}
