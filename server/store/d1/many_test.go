package d1

import (
	"context"
	"errors"
	"testing"

	"github.com/pixmatch/pixmatch/server/store"
	"github.com/pixmatch/pixmatch/server/store/storetest"
)

// manyBlobs is MemoryBlobs with GetMany, counting its calls.
type manyBlobs struct {
	*MemoryBlobs
	calls int
}

func (m *manyBlobs) GetMany(ctx context.Context, keys []string) ([][]byte, error) {
	m.calls++
	out := make([][]byte, len(keys))
	for i, k := range keys {
		v, err := m.Get(ctx, k)
		if err != nil && !errors.Is(err, ErrNoBlob) {
			return nil, err
		}
		out[i] = v
	}
	return out, nil
}

// TestConformanceManyBlobs runs the conformance suite over a Blobs that
// reads several values at once (ManyGetter), as the Worker's R2 does.
func TestConformanceManyBlobs(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Store {
		s, err := Open(context.Background(), openD1Mode(t), &manyBlobs{MemoryBlobs: &MemoryBlobs{}})
		if err != nil {
			t.Fatal(err)
		}
		return s
	})
}

// TestRecordsReadTogether: a shortlist's records are read in one GetMany
// call, and a record missing from the blobs is an error wrapping
// ErrNoBlob, as without GetMany.
func TestRecordsReadTogether(t *testing.T) {
	ctx := context.Background()
	blobs := &manyBlobs{MemoryBlobs: &MemoryBlobs{}}
	s, err := Open(ctx, openD1Mode(t), blobs)
	if err != nil {
		t.Fatal(err)
	}
	g, err := s.CreateGallery(ctx, store.Gallery{Name: "g"})
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for i := range 40 {
		tg := storetest.Target(g.ID, i, 10)
		tg.Features = []byte{byte(i)}
		if _, err := s.CreateTarget(ctx, tg); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, tg.ID)
	}
	got, err := s.TargetFeatures(ctx, g.ID, ids)
	if err != nil || len(got) != 40 || blobs.calls != 1 {
		t.Fatalf("TargetFeatures of 40: %d records, %v, in %d calls; want 40 in one", len(got), err, blobs.calls)
	}
	for i, id := range ids {
		if len(got[id]) != 1 || got[id][0] != byte(i) {
			t.Errorf("target %d: record %v", i, got[id])
		}
	}
	for _, k := range blobs.Keys() {
		if err := blobs.Delete(ctx, k); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := s.TargetFeatures(ctx, g.ID, ids[:3]); !errors.Is(err, ErrNoBlob) {
		t.Errorf("TargetFeatures with its records gone: %v, want ErrNoBlob", err)
	}
}
