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
// that outlive neither each other nor the writes of others — the
// services a Worker isolate assembles for its requests, over a D1 that
// other isolates write: each read takes the records' bytes from the store
// again (a Worker's R2 reads are kept by the isolate) and keeps a cached
// record only while its bytes are the store's, so it saves the decoding
// and the verification's preparation, never a change.
type RecordCache struct {
	mu       sync.Mutex
	max      int  // features
	checked  bool // each read compares the store's bytes (raw)
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
	raw    []byte // the stored record, in a checked cache
	target *camera.Target
}

// recordCacheFeatures bounds a service's own cache: 200,000 features,
// about 16 MB of descriptors and geometry with their grouping by node,
// the records of 400 targets.
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
	raw, err := st.TargetFeatures(ctx, gallery, missing)
	if err != nil {
		return nil, err
	}
	for id, b := range raw {
		k := recordKey{gallery, id}
		if c.checked {
			if t := c.same(k, b); t != nil {
				out[id] = t
				continue
			}
		}
		var r feature.Record
		if err := r.UnmarshalBinary(b); err != nil {
			continue // of another version: made anew at the next start
		}
		t := camera.NewTarget(r)
		out[id] = t
		if !c.checked {
			b = nil
		}
		c.put(k, b, t)
	}
	return out, nil
}

// same returns the cached target of k when its bytes are b, nil when
// there is none or it is another.
func (c *RecordCache) same(k recordKey, b []byte) *camera.Target {
	c.mu.Lock()
	defer c.mu.Unlock()
	el, ok := c.byKey[k]
	if !ok || !bytes.Equal(el.Value.(*cached).raw, b) {
		return nil
	}
	c.order.MoveToFront(el)
	return el.Value.(*cached).target
}

func (c *RecordCache) put(k recordKey, raw []byte, t *camera.Target) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if el, ok := c.byKey[k]; ok {
		c.features -= len(el.Value.(*cached).target.Record.Features)
		c.order.Remove(el)
	}
	c.byKey[k] = c.order.PushFront(&cached{key: k, raw: raw, target: t})
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
