package d1

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"

	"github.com/pixmatch/pixmatch/server/store"
	"github.com/pixmatch/pixmatch/server/store/storetest"
)

// countingBlobs counts the reads of a MemoryBlobs.
type countingBlobs struct {
	*MemoryBlobs
	gets atomic.Int64
}

func (c *countingBlobs) Get(ctx context.Context, key string) ([]byte, error) {
	c.gets.Add(1)
	return c.MemoryBlobs.Get(ctx, key)
}

// TestTargetFeaturesKeyed: the keyed read hands over every record
// TargetFeatures does, with its key, and reads from the blob store only
// the records the reader does not hold; a record written again comes
// under a new key, so a reader holding the old one reads it again.
func TestTargetFeaturesKeyed(t *testing.T) {
	ctx := context.Background()
	blobs := &countingBlobs{MemoryBlobs: &MemoryBlobs{}}
	s, err := Open(ctx, openD1Mode(t), blobs)
	if err != nil {
		t.Fatal(err)
	}
	g, err := s.CreateGallery(ctx, store.Gallery{Name: "g", AppID: "g"})
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for n := range 4 {
		tg := storetest.Target(g.ID, n, 1000)
		tg.Features = []byte(fmt.Sprintf("record %d", n))
		if n == 3 {
			tg.Features = nil // a target without a record
		}
		if _, err := s.CreateTarget(ctx, tg); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, tg.ID)
	}
	ids = append(ids, "no-such-target")
	want, err := s.TargetFeatures(ctx, g.ID, ids)
	if err != nil {
		t.Fatal(err)
	}
	read := func(held func(id, key string) bool) (map[string]string, map[string][]byte, int64) {
		t.Helper()
		keys, got := map[string]string{}, map[string][]byte{}
		before := blobs.gets.Load()
		err := s.TargetFeaturesKeyed(ctx, g.ID, ids, held, func(id, key string, b []byte) error {
			keys[id], got[id] = key, b
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		return keys, got, blobs.gets.Load() - before
	}
	keys, got, gets := read(func(string, string) bool { return false })
	if len(got) != 3 || gets != 3 {
		t.Fatalf("nothing held: %d records, %d blob reads; want 3, 3", len(got), gets)
	}
	for id, b := range want {
		if string(got[id]) != string(b) || keys[id] == "" {
			t.Errorf("%s: %q under %q, TargetFeatures %q", id, got[id], keys[id], b)
		}
	}
	if keys[ids[0]] == keys[ids[1]] {
		t.Fatalf("two records under one key %q", keys[ids[0]])
	}
	holding := func(id, key string) bool { return keys[id] == key }
	if _, again, gets := read(holding); gets != 0 || len(again) != 3 || again[ids[0]] != nil {
		t.Fatalf("all held: %d blob reads, %d records, the first %q; want 0, 3, nil", gets, len(again), again[ids[0]])
	}
	if err := s.SetFeatures(ctx, g.ID, ids[0], []byte("record 0, again")); err != nil {
		t.Fatal(err)
	}
	newKeys, again, gets := read(holding)
	if gets != 1 || string(again[ids[0]]) != "record 0, again" || newKeys[ids[0]] == keys[ids[0]] {
		t.Fatalf("after a new record: %d blob reads, %q under %q (was %q); want 1 read of the new record under a new key", gets, again[ids[0]], newKeys[ids[0]], keys[ids[0]])
	}
}
