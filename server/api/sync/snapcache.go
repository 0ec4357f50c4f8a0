package sync

import (
	"bytes"
	"compress/gzip"
	"sync"
	"time"

	"github.com/pixmatch/pixmatch/server/store"
)

// A first sync of a large gallery is its largest answer and the most
// repeated one: every browser that opens the web app fresh asks for it,
// and until the gallery changes the answer is the same. The handler
// keeps each gallery's latest snapshot, encoded and compressed, in a
// snapshotCache and serves it again while the gallery stays at its
// version; requests for a snapshot that is being made wait for it rather
// than make it again.

// snapshotCacheBytes is how many bytes of encoded snapshots the cache
// holds at most, the plain and compressed forms counted: about ten
// galleries of 100,000 targets.
const snapshotCacheBytes = 64 << 20

// snapshotCache holds the latest snapshot of each gallery, the least
// recently served dropped first when the cache is full.
type snapshotCache struct {
	limit int
	mu    sync.Mutex
	slots map[int64]*snapshotSlot // by gallery; under mu
	held  int                     // bytes of every slot's encodings; under mu
}

// snapshotSlot is one gallery's snapshot. Its mu is held while the
// snapshot is made or compressed, so that concurrent first syncs make it
// once; its fields are read and written under the cache's mu, since
// making room for another gallery's snapshot drops them.
type snapshotSlot struct {
	mu       sync.Mutex
	version  int64     // the gallery version the snapshot is at
	appID    string    // and the gallery's appId (a store may reuse an ID); under mu
	plain    []byte    // its syncwire encoding; nil when there is none
	gz       []byte    // plain, gzip-compressed; nil until asked for
	lastUsed time.Time // when it was last asked for
}

func newSnapshotCache(limit int) *snapshotCache {
	return &snapshotCache{limit: limit, slots: map[int64]*snapshotSlot{}}
}

// snapshot returns the encoded snapshot of a gallery at version, gzip-
// compressed when zipped, and the version it is at: the cached one, or
// one make returns (with the version it is at), which is then cached.
func (sc *snapshotCache) snapshot(g store.Gallery, zipped bool, make func() ([]byte, int64, error)) ([]byte, int64, error) {
	sl := sc.slot(g.ID)
	sl.mu.Lock()
	defer sl.mu.Unlock()
	plain, gz, at := sc.get(sl)
	if plain == nil || at != g.Version || sl.appID != g.AppID {
		sl.appID = g.AppID
		var err error
		if plain, at, err = make(); err != nil {
			return nil, 0, err
		}
		gz = nil
		sc.put(sl, plain, nil, at)
	}
	if !zipped {
		return plain, at, nil
	}
	if gz == nil {
		gz = compress(plain)
		sc.put(sl, plain, gz, at)
	}
	return gz, at, nil
}

// slot returns a gallery's slot, made empty if it has none.
func (sc *snapshotCache) slot(gallery int64) *snapshotSlot {
	sc.mu.Lock()
	defer sc.mu.Unlock()
	sl := sc.slots[gallery]
	if sl == nil {
		sl = &snapshotSlot{}
		sc.slots[gallery] = sl
	}
	sl.lastUsed = time.Now()
	return sl
}

// get returns what a slot holds.
func (sc *snapshotCache) get(sl *snapshotSlot) (plain, gz []byte, version int64) {
	sc.mu.Lock()
	defer sc.mu.Unlock()
	return sl.plain, sl.gz, sl.version
}

// put gives sl new encodings, then drops the encodings of the least
// recently served other slots until the cache is within its limit. A
// snapshot larger than the limit alone is served but not kept.
func (sc *snapshotCache) put(sl *snapshotSlot, plain, gz []byte, version int64) {
	sc.mu.Lock()
	defer sc.mu.Unlock()
	sc.held += len(plain) + len(gz) - sl.size()
	sl.plain, sl.gz, sl.version = plain, gz, version
	for sc.held > sc.limit {
		oldest := sl
		for _, o := range sc.slots {
			if o != sl && o.size() > 0 && (oldest == sl || o.lastUsed.Before(oldest.lastUsed)) {
				oldest = o
			}
		}
		sc.held -= oldest.size()
		oldest.plain, oldest.gz = nil, nil
	}
}

// size is how many bytes a slot's encodings take.
func (sl *snapshotSlot) size() int { return len(sl.plain) + len(sl.gz) }

// compress gzips b at the best compression: done once a version, and
// the bytes go to every browser that syncs afresh.
func compress(b []byte) []byte {
	var z bytes.Buffer
	w, _ := gzip.NewWriterLevel(&z, gzip.BestCompression)
	w.Write(b)
	w.Close()
	return z.Bytes()
}
