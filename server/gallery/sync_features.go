package gallery

import (
	"context"
	"fmt"

	"github.com/pixmatch/pixmatch/shared/feature"
)

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
