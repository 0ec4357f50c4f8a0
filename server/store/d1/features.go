package d1

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"sync"
)

// A target's feature record lives in the blob store; its row holds the
// key (features_key, '' for none).

// TargetFeatures returns the feature records of the targets with the
// given IDs that have one: their keys in one query, then the blobs
// (TargetFeaturesKeyed, holding none).
func (s *Store) TargetFeatures(ctx context.Context, gallery int64, ids []string) (map[string][]byte, error) {
	out := map[string][]byte{}
	err := s.TargetFeaturesKeyed(ctx, gallery, ids, func(string, string) bool { return false }, func(id, _ string, b []byte) error {
		out[id] = b
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// EachFeatures calls fn for the feature record of every target of the
// gallery that has one, in ID order.
func (s *Store) EachFeatures(ctx context.Context, gallery int64, fn func(id string, features []byte) error) error {
	var fnErr error
	err := s.eachFeatures(ctx, func(id string, f []byte) error {
		fnErr = fn(id, f)
		return fnErr
	}, `WHERE gallery_id = ? AND features_key <> ''`, gallery)
	if fnErr != nil {
		return fnErr
	}
	if err != nil {
		return fmt.Errorf("d1: feature records of gallery %d: %w", gallery, err)
	}
	return nil
}

// TargetFeaturesKeyed is TargetFeatures for a reader that keeps records
// between reads (a Worker isolate's gallery.RecordCache): it calls fn
// with each record's blob key, which no other record is ever written
// under (BlobKey), and reads the record only when held(id, key) reports
// that the reader does not hold that one: for a held record fn gets nil.
// The keys come from D1, the truth every isolate shares, on every call.
func (s *Store) TargetFeaturesKeyed(ctx context.Context, gallery int64, ids []string, held func(id, key string) bool, fn func(id, key string, record []byte) error) error {
	if len(ids) == 0 {
		return nil
	}
	list, err := json.Marshal(unique(ids))
	if err != nil {
		return err
	}
	pairs, err := s.featureKeys(ctx, `WHERE gallery_id = ? AND features_key <> '' AND id IN (SELECT value FROM json_each(?))`, gallery, string(list))
	if err != nil {
		return fmt.Errorf("d1: feature records of gallery %d: %w", gallery, err)
	}
	var read [][2]string
	for _, p := range pairs {
		if !held(p[0], p[1]) {
			read = append(read, p)
		} else if err := fn(p[0], p[1], nil); err != nil {
			return err
		}
	}
	err = s.eachBlob(ctx, read, func(p [2]string, b []byte) error { return fn(p[0], p[1], b) })
	if err != nil {
		return fmt.Errorf("d1: feature records of gallery %d: %w", gallery, err)
	}
	return nil
}

// eachFeatures calls fn with the record of each target a WHERE clause
// selects, reading the keys first and then the blobs.
func (s *Store) eachFeatures(ctx context.Context, fn func(string, []byte) error, where string, args ...any) error {
	pairs, err := s.featureKeys(ctx, where, args...)
	if err != nil {
		return err
	}
	return s.eachBlob(ctx, pairs, func(p [2]string, b []byte) error { return fn(p[0], b) })
}

// featureKeys returns the ID and feature record key of each target a
// WHERE clause selects, by ID.
func (s *Store) featureKeys(ctx context.Context, where string, args ...any) ([][2]string, error) {
	pairs, err := queryAll(ctx, s.db, func(sc scanner) ([2]string, error) {
		var p [2]string
		return p, sc.Scan(&p[0], &p[1])
	}, `SELECT id, features_key FROM targets `+where, args...)
	if err != nil {
		return nil, err
	}
	sort.Slice(pairs, func(i, j int) bool { return pairs[i][0] < pairs[j][0] }) // by ID
	return pairs, nil
}

// eachBlob calls fn with the blob under the key of each (id, key) pair,
// in order: through GetMany when the Blobs has it (ManyGetter), else
// parallelReads at a time.
func (s *Store) eachBlob(ctx context.Context, pairs [][2]string, fn func([2]string, []byte) error) error {
	if many, ok := s.blobs.(ManyGetter); ok {
		return eachMany(ctx, many, pairs, fn)
	}
	for start := 0; start < len(pairs); start += parallelReads {
		chunk := pairs[start:min(start+parallelReads, len(pairs))]
		blobs, errs := make([][]byte, len(chunk)), make([]error, len(chunk))
		var wg sync.WaitGroup
		for i, p := range chunk {
			wg.Add(1)
			go func() {
				defer wg.Done()
				blobs[i], errs[i] = s.blobs.Get(ctx, p[1])
			}()
		}
		wg.Wait()
		for i, p := range chunk {
			if errors.Is(errs[i], ErrNoBlob) {
				return fmt.Errorf("target %s: feature record: %w", p[0], errs[i])
			}
			if errs[i] != nil {
				return errs[i]
			}
			if err := fn(p, blobs[i]); err != nil {
				return err
			}
		}
	}
	return nil
}

// eachMany calls fn with the record under the key of each (id, key) pair,
// read through many, manyReads at a time.
func eachMany(ctx context.Context, many ManyGetter, pairs [][2]string, fn func([2]string, []byte) error) error {
	for start := 0; start < len(pairs); start += manyReads {
		chunk := pairs[start:min(start+manyReads, len(pairs))]
		keys := make([]string, len(chunk))
		for i, p := range chunk {
			keys[i] = p[1]
		}
		blobs, err := many.GetMany(ctx, keys)
		if err != nil {
			return err
		}
		if len(blobs) != len(chunk) {
			return fmt.Errorf("%d values for %d keys", len(blobs), len(chunk))
		}
		for i, p := range chunk {
			if blobs[i] == nil {
				return fmt.Errorf("target %s: feature record: blob %s: %w", p[0], p[1], ErrNoBlob)
			}
			if err := fn(p, blobs[i]); err != nil {
				return err
			}
		}
	}
	return nil
}

// manyReads is how many records eachMany asks for in one call: a
// shortlist's (camera.Shortlist, 40) at once, and a bound on what one
// call holds when a whole gallery's records are read.
const manyReads = 64

// parallelReads is how many records eachFeatures reads at once from a
// Blobs without GetMany, each read a round trip to it.
const parallelReads = 8
