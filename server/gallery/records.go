package gallery

import (
	"bytes"
	"container/list"
	"context"
	"sync"

	"github.com/pixmatch/pixmatch/server/store"
	"github.com/pixmatch/pixmatch/shared/camera"
	"github.com/pixmatch/pixmatch/shared/feature"
)

// RecordCache keeps the decoded feature records read last, up to a
// number of features in all, so that a target searched for again is not
// read and decoded again. It keeps them as camera.Targets, so that what
// verification makes of a record on its first check (its features sorted
// into the vocabulary's nodes) is kept too.
//
// A service's own cache (the default) trusts what it holds: the service
// forgets a record it changes, and a follower one another server changed
// (follow.go). A checked cache (NewCheckedRecordCache) is for services
// that do not see every write to their store — the services a Worker
// isolate assembles, one a request, over a D1 that other isolates write
// too: each read takes the records' bytes from the store again and uses
// a cached record only while its bytes are the store's, so it saves the
// decoding and the verification's preparation, never a change. Over a
// store that writes each record under a key never used again
// (KeyedRecords: D1's R2 keys), it compares the keys instead, and reads
// only the records it does not hold.
type RecordCache struct {
	mu       sync.Mutex
	max      int  // features
	checked  bool // each read checks with the store: keys or bytes
	features int
	order    *list.List // of *cached, most recent first
	byKey    map[recordKey]*list.Element
}

type recordKey struct {
	gallery int64
	id      string
}

type cached struct {
	key    recordKey
	raw    []byte // the stored record, in a checked cache over a store without keys
	stored string // its key, in a checked cache over KeyedRecords
	target *camera.Target
}

// KeyedRecords is a store that writes each feature record under a key it
// never writes another under (the D1 store's R2 keys, d1.BlobKey).
type KeyedRecords interface {
	// TargetFeaturesKeyed is store.Store's TargetFeatures with each
	// record's key, the record read only when held(id, key) is false
	// (fn gets nil for a held one).
	TargetFeaturesKeyed(ctx context.Context, gallery int64, ids []string, held func(id, key string) bool, fn func(id, key string, record []byte) error) error
}

// recordCacheFeatures bounds a service's own cache: 200,000 features,
// about 20 MB of descriptors and geometry with their grouping by node,
// the records of 200 to 400 targets (500 to 1,000 features each).
const recordCacheFeatures = 200_000

func newRecordCache(maxFeatures int) *RecordCache {
	return &RecordCache{max: maxFeatures, order: list.New(), byKey: map[recordKey]*list.Element{}}
}

// NewCheckedRecordCache returns a checked cache (see RecordCache) of up to
// maxFeatures features, for WithRecordCache.
func NewCheckedRecordCache(maxFeatures int) *RecordCache {
	c := newRecordCache(maxFeatures)
	c.checked = true
	return c
}

// WithRecordCache makes c the service's cache of decoded feature records
// in place of one of its own: a cache shared by the services one after
// another over the same store, which must be checked unless every write
// to the store goes through them.
func WithRecordCache(c *RecordCache) Option { return func(s *Service) { s.records = c } }

// get returns the decoded records of the targets ids of a gallery that
// have one.
func (c *RecordCache) get(ctx context.Context, st store.Store, gallery int64, ids []string) (map[string]feature.Record, error) {
	ts, err := c.targets(ctx, st, gallery, ids)
	if err != nil {
		return nil, err
	}
	out := make(map[string]feature.Record, len(ts))
	for id, t := range ts {
		out[id] = t.Record
	}
	return out, nil
}

// targets returns the records of the targets ids of a gallery that have
// one, as kept Targets, reading those it does not hold (and in a checked
// cache, all) from st in one query.
func (c *RecordCache) targets(ctx context.Context, st store.Store, gallery int64, ids []string) (map[string]*camera.Target, error) {
	out := make(map[string]*camera.Target, len(ids))
	missing := ids
	if !c.checked {
		missing = nil
		c.mu.Lock()
		for _, id := range ids {
			if el, ok := c.byKey[recordKey{gallery, id}]; ok {
				c.order.MoveToFront(el)
				out[id] = el.Value.(*cached).target
			} else {
				missing = append(missing, id)
			}
		}
		c.mu.Unlock()
	}
	if len(missing) == 0 {
		return out, nil
	}
	if keyed, ok := st.(KeyedRecords); ok && c.checked {
		return out, c.keyed(ctx, keyed, gallery, ids, out)
	}
	raw, err := st.TargetFeatures(ctx, gallery, missing)
	if err != nil {
		return nil, err
	}
	for id, b := range raw {
		k := recordKey{gallery, id}
		e := &cached{}
		if c.checked {
			if t := c.same(k, func(e *cached) bool { return bytes.Equal(e.raw, b) }); t != nil {
				out[id] = t
				continue
			}
			e.raw = b
		}
		if t := c.decode(k, e, b); t != nil {
			out[id] = t
		}
	}
	return out, nil
}

// keyed puts in out the records of ids a checked cache reads from a
// KeyedRecords: those whose key it holds from the cache, the others
// read, decoded and kept.
func (c *RecordCache) keyed(ctx context.Context, st KeyedRecords, gallery int64, ids []string, out map[string]*camera.Target) error {
	held := map[string]*camera.Target{}
	return st.TargetFeaturesKeyed(ctx, gallery, ids, func(id, key string) bool {
		t := c.same(recordKey{gallery, id}, func(e *cached) bool { return e.stored == key })
		held[id] = t
		return t != nil
	}, func(id, key string, b []byte) error {
		if b == nil {
			out[id] = held[id]
		} else if t := c.decode(recordKey{gallery, id}, &cached{stored: key}, b); t != nil {
			out[id] = t
		}
		return nil
	})
}

// same returns the cached target of k when is reports it is the store's,
// nil when there is none or it is another.
func (c *RecordCache) same(k recordKey, is func(*cached) bool) *camera.Target {
	c.mu.Lock()
	defer c.mu.Unlock()
	el, ok := c.byKey[k]
	if !ok || !is(el.Value.(*cached)) {
		return nil
	}
	c.order.MoveToFront(el)
	return el.Value.(*cached).target
}

// decode decodes the record b of k and keeps it as e, returning its
// target; nil for a record of another version, made anew at the next
// start.
func (c *RecordCache) decode(k recordKey, e *cached, b []byte) *camera.Target {
	var r feature.Record
	if err := r.UnmarshalBinary(b); err != nil {
		return nil
	}
	e.key, e.target = k, camera.NewTarget(r)
	c.put(e)
	return e.target
}

func (c *RecordCache) put(e *cached) {
	c.mu.Lock()
	defer c.mu.Unlock()
	k, t := e.key, e.target
	if el, ok := c.byKey[k]; ok {
		c.features -= len(el.Value.(*cached).target.Record.Features)
		c.order.Remove(el)
	}
	c.byKey[k] = c.order.PushFront(e)
	c.features += len(t.Record.Features)
	for c.features > c.max && c.order.Len() > 1 {
		last := c.order.Back()
		old := last.Value.(*cached)
		c.order.Remove(last)
		delete(c.byKey, old.key)
		c.features -= len(old.target.Record.Features)
	}
}

// forget drops a target's record, changed or deleted.
func (c *RecordCache) forget(gallery int64, id string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if el, ok := c.byKey[recordKey{gallery, id}]; ok {
		c.features -= len(el.Value.(*cached).target.Record.Features)
		c.order.Remove(el)
		delete(c.byKey, recordKey{gallery, id})
	}
}
