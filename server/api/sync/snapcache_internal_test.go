package sync

import (
	"bytes"
	"compress/gzip"
	"errors"
	"io"
	gosync "sync"
	"sync/atomic"
	"testing"

	"github.com/pixmatch/pixmatch/server/store"
)

// TestSnapshotCacheMakesOnce: concurrent first syncs of one version make
// its snapshot once and get the same bytes, gzip or not; a new version
// makes it again; a failure is not cached.
func TestSnapshotCacheMakesOnce(t *testing.T) {
	sc := newSnapshotCache(1 << 20)
	var made atomic.Int32
	make := func(v int64) func() ([]byte, int64, error) {
		return func() ([]byte, int64, error) {
			made.Add(1)
			return bytes.Repeat([]byte{byte(v)}, 1000), v, nil
		}
	}
	var wg gosync.WaitGroup
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			zipped := i%2 == 0
			b, at, err := sc.snapshot(store.Gallery{ID: 1, Version: 5}, zipped, make(5))
			if zipped {
				b = gunzip(t, b)
			}
			if err != nil || at != 5 || len(b) != 1000 || b[0] != 5 {
				t.Errorf("snapshot: %d bytes at %d, %v", len(b), at, err)
			}
		}()
	}
	wg.Wait()
	if made.Load() != 1 {
		t.Fatalf("made %d times for one version, want once", made.Load())
	}
	if _, at, _ := sc.snapshot(store.Gallery{ID: 1, Version: 6}, false, make(6)); at != 6 || made.Load() != 2 {
		t.Errorf("a new version: at %d, made %d times in all; want 6, 2", at, made.Load())
	}
	failing := func() ([]byte, int64, error) { return nil, 0, errors.New("store gone") }
	if _, _, err := sc.snapshot(store.Gallery{ID: 2, Version: 1}, false, failing); err == nil {
		t.Fatal("a failure was not returned")
	}
	if _, at, err := sc.snapshot(store.Gallery{ID: 2, Version: 1}, false, make(1)); err != nil || at != 1 {
		t.Errorf("after a failure: at %d, %v", at, err)
	}
	n := made.Load()
	if _, _, err := sc.snapshot(store.Gallery{ID: 2, Version: 1, AppID: "another"}, false, make(1)); err != nil || made.Load() != n+1 {
		t.Errorf("another gallery under a reused ID was served the cached snapshot (%v)", err)
	}
}

// TestSnapshotCacheLimit: the cache drops the least recently served
// gallery's snapshot to stay within its bytes, and keeps none larger than
// it.
func TestSnapshotCacheLimit(t *testing.T) {
	sc := newSnapshotCache(2500)
	var made atomic.Int32
	of := func(n int) func() ([]byte, int64, error) {
		return func() ([]byte, int64, error) { made.Add(1); return make([]byte, n), 1, nil }
	}
	for g := range int64(3) { // 3 × 1000 bytes: the first is dropped
		sc.snapshot(store.Gallery{ID: g, Version: 1}, false, of(1000))
	}
	if sc.held > sc.limit {
		t.Fatalf("holds %d bytes, limit %d", sc.held, sc.limit)
	}
	sc.snapshot(store.Gallery{ID: 2, Version: 1}, false, of(1000))
	sc.snapshot(store.Gallery{ID: 1, Version: 1}, false, of(1000))
	if made.Load() != 3 {
		t.Errorf("made %d snapshots, want 3: the two latest were kept", made.Load())
	}
	sc.snapshot(store.Gallery{ID: 0, Version: 1}, false, of(1000))
	if made.Load() != 4 {
		t.Errorf("made %d snapshots, want 4: the dropped one made again", made.Load())
	}
	sc.snapshot(store.Gallery{ID: 9, Version: 1}, false, of(3000))
	if sc.held > sc.limit || sc.slots[9].size() != 0 {
		t.Errorf("a snapshot over the limit was kept: %d bytes held", sc.held)
	}
}

func gunzip(t *testing.T, b []byte) []byte {
	t.Helper()
	r, err := gzip.NewReader(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	out, err := io.ReadAll(r)
	if err != nil {
		t.Fatal(err)
	}
	return out
}
