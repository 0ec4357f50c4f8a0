package gallery

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/pixmatch/pixmatch/server/store"
	"github.com/pixmatch/pixmatch/shared/feature"
	"github.com/pixmatch/pixmatch/shared/fingerprint"
)

// Servers that share one store (PostgreSQL) each keep their own indexes
// and follow the galleries' change logs, as a browser follows a gallery:
// the log is the truth, and a wake-up (PostgreSQL's NOTIFY, or a tick)
// only says when to look. A shelf remembers the version its indexes
// follow; catching up reads the changes after it, a batch at a time, and
// brings each target they touch to its current state in one read of the
// targets and one of their feature records: a target that no longer
// exists leaves the indexes, one that does is put in as it is now. That
// state may be newer than the batch's last change; the next batch applies
// the later changes again, which changes nothing. The server's own writes
// come back this way too, and change nothing either.
//
// Following alone answers a write through another server within a wake-up
// (or a tick) of its commit. A client behind a load balancer that adds a
// target through one server and searches through another at once needs
// more: read-your-writes. A service made WithFollowing gives it. Every
// request that reads a gallery's indexes (a search, the similar check, a
// removal by filter, an add or update's capacity and similar checks, a
// count: Targets.Counts) or its version (Galleries.Fresh) first reads
// the gallery's stored version, one read of its row by primary key, and
// when the indexes follow an older one catches up before it reads them,
// within the request's context. A write any server acknowledged before
// the request came is then in the answer. Galleries.List, ByID, ByAppID
// and ByName do not catch up: they serve a gallery's settings, and the
// Version they carry is the one the indexes follow, which a reader of
// versions takes from Fresh instead.

// followBatch is how many changes one step of a catch-up applies: a
// follower that missed 10,000 changes reads them in 20 steps of three
// queries each, not one query a change.
const followBatch = 500

// Follow keeps every gallery's indexes following the store's change log
// until ctx ends. It catches up when wake delivers (a gallery's ID, or 0
// for every gallery; wake may be nil) and every interval whatever wake
// says, so a missed wake-up costs at most an interval. A failed catch-up
// is passed to report and tried again at the next wake-up or tick.
func (s *Service) Follow(ctx context.Context, wake <-chan int64, every time.Duration, report func(error)) {
	tick := time.NewTicker(every)
	defer tick.Stop()
	for {
		var gallery int64
		select {
		case <-ctx.Done():
			return
		case gallery = <-wake:
		case <-tick.C:
		}
		// Wake-ups that queued meanwhile are answered by this catch-up.
		for more := true; more; {
			select {
			case other := <-wake:
				if other != gallery {
					gallery = 0
				}
			default:
				more = false
			}
		}
		if err := s.CatchUp(ctx, gallery); err != nil && ctx.Err() == nil {
			report(err)
		}
	}
}

// CatchUp applies to the indexes of a gallery (0: of every gallery) the
// changes of the store's log after the version they follow: following,
// whose delays go to the observer WithFollowDelays names.
func (s *Service) CatchUp(ctx context.Context, gallery int64) error {
	var errs []error
	for _, sh := range s.shelfList() {
		if gallery == 0 || sh.id == gallery {
			sh.write.Lock()
			errs = append(errs, s.caughtUpObserved(ctx, sh, 0, s.followDelays))
			sh.write.Unlock()
		}
	}
	return errors.Join(errs...)
}

// WithFollowDelays passes observe, for every change following (Follow,
// CatchUp) applies, how long after its commit the indexes hold it: the
// delay from the time the writing server stamped on the change (its
// clock) to now. Changes a request's catch-up applied first
// (read-your-writes) are not observed: followers that are asked often
// would otherwise look faster than following is.
func WithFollowDelays(observe func(time.Duration)) Option {
	return func(s *Service) { s.followDelays = observe }
}

// Fresh returns a serving gallery as this server holds it once its
// indexes hold every write any server acknowledged before the call
// (read-your-writes, see WithFollowing), within ctx: the gallery's
// version, and the counts of Targets.Counts, are then those of the
// store. It refuses a gallery that does not exist or is suspended.
func (gs *Galleries) Fresh(ctx context.Context, id int64) (store.Gallery, error) {
	sh, err := gs.s.live(id)
	if err != nil {
		return store.Gallery{}, err
	}
	if err := gs.s.fresh(ctx, sh); err != nil {
		return store.Gallery{}, err
	}
	return sh.settings(), nil
}

// WithFollowing makes the service answer what every server sharing its
// store committed (read-your-writes, see fresh): for a server that
// follows the store's change log (Follow) beside others.
func WithFollowing() Option { return func(s *Service) { s.following = true } }

// fresh makes sure, for a service WithFollowing, that a gallery's indexes
// hold every change the store committed before now, catching up when
// they do not, within ctx. It costs one read of the gallery's row when
// they do. The caller must not hold sh.write.
func (s *Service) fresh(ctx context.Context, sh *shelf) error {
	stored, err := s.behind(ctx, sh)
	if err != nil || stored == 0 {
		return err
	}
	return s.catchUp(ctx, sh, stored)
}

// freshLocked is fresh for a caller that holds sh.write.
func (s *Service) freshLocked(ctx context.Context, sh *shelf) error {
	stored, err := s.behind(ctx, sh)
	if err != nil || stored == 0 {
		return err
	}
	return s.caughtUp(ctx, sh, stored)
}

// behind returns the gallery's stored version when the indexes follow an
// older one, else 0 (also for a service that does not follow).
func (s *Service) behind(ctx context.Context, sh *shelf) (int64, error) {
	if !s.following {
		return 0, nil
	}
	g, err := s.store.Gallery(ctx, sh.id)
	if err != nil {
		return 0, fmt.Errorf("gallery %d: read its version: %w", sh.id, err)
	}
	if g.Version <= sh.followed.Load() {
		return 0, nil
	}
	return g.Version, nil
}

// catchUp brings one gallery's indexes up to the end of its change log,
// unless they already follow version until or a later one (0: always).
// It holds the gallery's write lock, so that no write of this server
// comes between a read of the log and its application.
func (s *Service) catchUp(ctx context.Context, sh *shelf, until int64) error {
	sh.write.Lock()
	defer sh.write.Unlock()
	return s.caughtUp(ctx, sh, until)
}

// caughtUp is catchUp for a caller that holds sh.write. Requests that
// found the indexes behind at once wait for the lock in turn; the first
// catches up, and the others find there is nothing left to do.
func (s *Service) caughtUp(ctx context.Context, sh *shelf, until int64) error {
	return s.caughtUpObserved(ctx, sh, until, nil)
}

// caughtUpObserved is caughtUp passing observe (when not nil) the delay
// of every change it applied (see WithFollowDelays).
func (s *Service) caughtUpObserved(ctx context.Context, sh *shelf, until int64, observe func(time.Duration)) error {
	for {
		followed := sh.followed.Load()
		if until > 0 && followed >= until {
			return nil
		}
		cs, err := s.store.Changes(ctx, sh.id, followed, followBatch)
		if err != nil {
			return fmt.Errorf("gallery %d: follow the change log: %w", sh.id, err)
		}
		if len(cs) == 0 {
			return nil
		}
		if err := s.applyChanges(ctx, sh, cs); err != nil {
			return fmt.Errorf("gallery %d: follow the change log after version %d: %w", sh.id, followed, err)
		}
		if observe != nil {
			now := time.Now()
			for _, c := range cs {
				observe(now.Sub(time.UnixMilli(c.At)))
			}
		}
		followed = cs[len(cs)-1].Version
		sh.followed.Store(followed)
		sh.mu.Lock()
		sh.gallery.Version = max(sh.gallery.Version, followed)
		sh.mu.Unlock()
		if len(cs) < followBatch {
			return nil
		}
	}
}

// applyChanges brings the targets cs touch to their current state in the
// gallery's indexes.
func (s *Service) applyChanges(ctx context.Context, sh *shelf, cs []store.Change) error {
	var ids []string
	seen := make(map[string]bool, len(cs))
	for _, c := range cs {
		if !seen[c.TargetID] {
			seen[c.TargetID] = true
			ids = append(ids, c.TargetID)
		}
	}
	current, err := s.store.TargetsByID(ctx, sh.id, ids, false)
	if err != nil {
		return err
	}
	records, err := s.store.TargetFeatures(ctx, sh.id, ids)
	if err != nil {
		return err
	}
	kept := make(map[string]bool, len(current))
	for _, t := range current {
		var fp fingerprint.Fingerprint
		if err := fp.UnmarshalBinary(t.Fingerprint); err != nil {
			continue // of another build's version: left out, as a deleted one
		}
		if err := sh.index.Put(entry(t, fp)); err != nil {
			return err
		}
		kept[t.ID] = true
		var r feature.Record
		if b, ok := records[t.ID]; ok && r.UnmarshalBinary(b) == nil {
			sh.tier.Put(t.ID, r.Features)
		} else {
			sh.tier.Remove(t.ID)
			if ok && len(b) == 0 {
				s.followedAdd(sh, t.ID)
			}
		}
		s.records.forget(sh.id, t.ID)
	}
	for _, id := range ids {
		if !kept[id] {
			sh.index.Remove(id)
			sh.tier.Remove(id)
			s.records.forget(sh.id, id)
		}
	}
	return nil
}
