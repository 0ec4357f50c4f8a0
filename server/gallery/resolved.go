package gallery

import (
	"context"
	"sync"

	"github.com/pixmatch/pixmatch/server/store"
)

// A search answers with its matches' rows, read from the store — a query
// the store prepares and runs for every search, the same few popular
// targets again and again. Each gallery keeps the rows searches read, as
// of the version they were read at: while neither the gallery's version
// nor the change log's version its indexes follow moves, no target was
// created, changed or deleted, and the rows are the store's. Every write
// of a target moves one of them (Targets' writes after their commit,
// following as it applies changes), and a row read across a write is kept
// under the version read before it, which is then past, so a search
// never answers from a row older than the versions it saw.
//
// Only rows without their image are kept: a search that answers with
// the stored pictures (CRS without notracking) reads them every time.

// maxResolved is how many rows a gallery keeps, and maxResolvedBytes how
// many bytes of them (rowBytes): a row without its image is a few hundred
// bytes, but its meta may be megabytes. At most one search's rows past
// either, the cache starts again; a row of more than a 64th of
// maxResolvedBytes is not kept.
const (
	maxResolved      = 4096
	maxResolvedBytes = 16 << 20
)

// rowCache is a gallery's rows of matched targets, without images.
type rowCache struct {
	mu    sync.Mutex
	stamp [2]int64 // the gallery's version and the followed one
	rows  map[string]store.Target
	bytes int // rowBytes of rows
}

// rowBytes is about what a kept row holds: its variable fields and a
// fixed part for the rest.
func rowBytes(t store.Target) int {
	n := 512 + len(t.ID) + len(t.Name) + len(t.Size) + len(t.Meta) + len(t.Type) + len(t.Extra) +
		len(t.ProductID) + len(t.PicName) + len(t.CustomContent) + len(t.Region) +
		len(t.Fingerprint) + len(t.Grade) + len(t.Features)
	for _, a := range t.StrAttr {
		n += len(a)
	}
	return n
}

// stamp returns the versions the gallery's rows are kept under.
func (sh *shelf) stamp() [2]int64 {
	return [2]int64{sh.settings().Version, sh.followed.Load()}
}

// get returns the kept rows of ids under stamp, and the IDs of those it
// does not keep.
func (c *rowCache) get(stamp [2]int64, ids []string) (map[string]store.Target, []string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.stamp != stamp {
		return map[string]store.Target{}, ids
	}
	found := make(map[string]store.Target, len(ids))
	var missing []string
	for _, id := range ids {
		if t, ok := c.rows[id]; ok {
			found[id] = t
		} else {
			missing = append(missing, id)
		}
	}
	return found, missing
}

// put keeps rows read under stamp, forgetting rows of other versions.
func (c *rowCache) put(stamp [2]int64, rows []store.Target) {
	c.mu.Lock()
	defer c.mu.Unlock()
	add := 0
	for _, t := range rows {
		add += rowBytes(t)
	}
	if c.stamp != stamp || len(c.rows)+len(rows) > maxResolved || c.bytes+add > maxResolvedBytes {
		c.stamp, c.rows, c.bytes = stamp, make(map[string]store.Target, len(rows)), 0
	}
	for _, t := range rows {
		if n := rowBytes(t); n <= maxResolvedBytes/64 {
			if old, ok := c.rows[t.ID]; ok {
				c.bytes -= rowBytes(old)
			}
			c.rows[t.ID] = t
			c.bytes += n
		}
	}
}

// rows returns the rows of the targets ids of a gallery, with their
// images or not, by ID: those the gallery keeps, the others read from the
// store in one read (and kept, without images).
func (s *Service) rows(ctx context.Context, sh *shelf, ids []string, images bool) (map[string]store.Target, error) {
	if images || len(ids) == 0 { // no rows kept: read them
		ts, err := s.store.TargetsByID(ctx, sh.id, ids, images)
		return byID(ts), err
	}
	stamp := sh.stamp()
	found, missing := sh.resolved.get(stamp, ids)
	if len(missing) == 0 {
		return found, nil
	}
	ts, err := s.store.TargetsByID(ctx, sh.id, missing, false)
	if err != nil {
		return nil, err
	}
	sh.resolved.put(stamp, ts)
	for _, t := range ts {
		found[t.ID] = t
	}
	return found, nil
}

// byID maps rows by their IDs.
func byID(ts []store.Target) map[string]store.Target {
	m := make(map[string]store.Target, len(ts))
	for _, t := range ts {
		m[t.ID] = t
	}
	return m
}
