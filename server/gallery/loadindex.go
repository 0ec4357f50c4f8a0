package gallery

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/pixmatch/pixmatch/server/store"
	"github.com/pixmatch/pixmatch/shared/feature"
	"github.com/pixmatch/pixmatch/shared/fingerprint"
)

// loadBatch is how many targets the store's reader hands to the indexer
// at once.
const loadBatch = 1024

// loadIndex puts every target of a gallery with a current fingerprint
// into its hash index, and returns the IDs of those whose fingerprint is
// of another version. Reading the rows and indexing them take about as
// long as each other, so they run side by side: this goroutine reads, a
// second one, which loadIndex waits for, decodes and indexes.
func (s *Service) loadIndex(ctx context.Context, sh *shelf) ([]string, error) {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	batches := make(chan []store.Target, 4)
	var stale []string
	var indexErr error
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for batch := range batches {
			if indexErr != nil {
				continue // the reader stops at its next row
			}
			for _, t := range batch {
				var fp fingerprint.Fingerprint
				if err := fp.UnmarshalBinary(t.Fingerprint); errors.Is(err, fingerprint.ErrVersion) {
					stale = append(stale, t.ID)
					continue
				} else if err != nil {
					indexErr = fmt.Errorf("target %s: %w", t.ID, err)
				} else {
					indexErr = sh.index.Put(entry(t, fp))
				}
				if indexErr != nil {
					cancel(indexErr)
					break
				}
			}
		}
	}()
	batch := make([]store.Target, 0, loadBatch)
	err := s.store.EachTarget(ctx, sh.id, func(t store.Target) error {
		if ctx.Err() != nil {
			return context.Cause(ctx) // the indexer failed, or the caller gave up
		}
		t.Image, t.Meta = nil, "" // not what an index holds
		batch = append(batch, t)
		if len(batch) == loadBatch {
			batches <- batch
			batch = make([]store.Target, 0, loadBatch)
		}
		return nil
	})
	if len(batch) > 0 && err == nil {
		batches <- batch
	}
	close(batches)
	wg.Wait()
	if indexErr != nil {
		return nil, indexErr
	}
	return stale, err
}

// pendingLookups bounds the targets loadPending looks up in the store:
// 20 reads of followBatch records.
const pendingLookups = 10_000

// loadPending notes as pending, for a gallery whose feature tier came
// from its snapshot, the targets of its index without a bag in the tier,
// after putting into the tier those whose store now holds a usable
// feature record: remade in the background after the snapshot and saved
// without a change (remake.go), which the log does not name. It reads
// their records a batch at a time when they are at most pendingLookups,
// as in a gallery whose records are made (a few whose pictures do not
// read). More are a gallery whose records are still being made: its
// targets stay pending, and a record remade since the snapshot is read
// when its turn comes (refeature) — the tier is never wrong, only without
// them until then — rather than holding up the start with a read of
// every one.
func (s *Service) loadPending(ctx context.Context, sh *shelf) error {
	var missing []string
	sh.index.EachID(func(id string) bool {
		if !has(sh.tier, id) {
			missing = append(missing, id)
		}
		return true
	})
	if len(missing) > pendingLookups {
		sh.pending = missing
		return nil
	}
	for len(missing) > 0 {
		batch := missing[:min(len(missing), followBatch)]
		missing = missing[len(batch):]
		records, err := s.store.TargetFeatures(ctx, sh.id, batch)
		if err != nil {
			return err
		}
		for _, id := range batch {
			var r feature.Record
			if b, ok := records[id]; ok && r.UnmarshalBinary(b) == nil {
				sh.tier.Put(id, r.Features)
			} else {
				sh.pending = append(sh.pending, id)
			}
		}
	}
	return nil
}
