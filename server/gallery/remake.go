package gallery

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"runtime"
	"slices"
	"sync"

	"github.com/pixmatch/pixmatch/server/store"
	"github.com/pixmatch/pixmatch/shared/feature"
	"github.com/pixmatch/pixmatch/shared/quality"
)

// A target's feature record is made when its picture is added or
// replaced. Open puts the records it finds into the feature tier; a
// target without a usable record — stored before the feature tier
// existed, made by another feature.Version, or unreadable — is left for
// RemakeFeatures, which the server runs in the background: extracting
// features takes tens of milliseconds a target, too long to hold up the
// start of a large gallery. Until its record is made, the hash tier alone
// finds such a target. A record of an earlier enrolment
// (feature.EnrolmentVersion: made before Enrol synthesised the views it
// does now) is put into the tier as it is and made again too.
//
// Followers of a small gallery copy its targets' feature records (see
// server/api/sync), and they copy what the change log names: a record
// made anew for an active target of such a gallery is saved as a change
// of the target, so that the next delta brings it; in a larger gallery,
// whose followers copy no records, it is saved without one.

// loadFeatures puts every usable feature record of a gallery into its
// tier and notes the targets without one, or with one of an earlier
// enrolment, as pending. This goroutine
// reads and decodes the records; GOMAXPROCS others, which it waits for,
// put them into the tier — quantising each feature through the
// vocabulary, most of the work, which Tier.Put does outside the tier's
// lock. The order they are put in changes no answer of the tier.
func (s *Service) loadFeatures(ctx context.Context, sh *shelf) error {
	type bag struct {
		id string
		fs []feature.Feature
	}
	bags := make(chan []bag, 4)
	var wg sync.WaitGroup
	for range runtime.GOMAXPROCS(0) {
		wg.Go(func() {
			for batch := range bags {
				for _, b := range batch {
					sh.tier.Put(b.id, b.fs)
				}
			}
		})
	}
	current := map[string]bool{} // by target with a usable record: whether of this enrolment
	batch := make([]bag, 0, 64)
	err := s.store.EachFeatures(ctx, sh.id, func(id string, b []byte) error {
		var r feature.Record
		if err := r.UnmarshalBinary(b); err != nil {
			return nil // another version, or damaged: made anew
		}
		current[id] = r.Enrolment >= feature.EnrolmentVersion
		if batch = append(batch, bag{id, r.Features}); len(batch) == cap(batch) {
			bags <- batch
			batch = make([]bag, 0, cap(batch))
		}
		return nil
	})
	if err == nil && len(batch) > 0 {
		bags <- batch
	}
	close(bags)
	wg.Wait()
	if err != nil {
		return err
	}
	sh.index.EachID(func(id string) bool {
		cur, recorded := current[id]
		if !cur { // no usable record, or one of an earlier enrolment
			sh.pending = append(sh.pending, id)
		}
		if recorded && !cur {
			if sh.stale == nil {
				sh.stale = map[string]bool{}
			}
			sh.stale[id] = true
		}
		return true
	})
	return nil
}

// Unfeatured returns how many targets of every gallery wait for their
// feature record: RemakeFeatures' and the record maker's (maker.go).
func (ts *Targets) Unfeatured() int {
	n := 0
	for _, sh := range ts.s.shelfList() {
		sh.mu.Lock()
		n += len(sh.pending)
		sh.mu.Unlock()
		n += sh.backlog.len()
	}
	return n
}

// RemakeFeatures makes the feature records Open found missing, one
// target at a time, from the stored pictures, and puts them into the
// feature tier. A target deleted meanwhile is passed over; one whose
// picture cannot be read is reported to skipped (nil: not reported) and
// stays with the hash tier alone; one whose record another server of the
// database made meanwhile takes that record. It stops when ctx ends,
// leaving the rest for the next Open, and returns how many records it
// made (not those it took). A gallery
// of at most synced active targets is one whose followers copy records
// (sync.FeatureTargets): its remade records are logged as changes.
func (ts *Targets) RemakeFeatures(ctx context.Context, synced int, skipped func(gallery int64, id string, err error)) (int, error) {
	made := 0
	for _, sh := range ts.s.shelfList() {
		for {
			if err := ctx.Err(); err != nil {
				return made, context.Cause(ctx)
			}
			id, ok := sh.nextPending()
			if !ok {
				break
			}
			enrolled, err := ts.s.refeature(ctx, sh, id, sh.index.ActiveLen() <= synced)
			switch {
			case err == nil, errors.Is(err, store.ErrNotFound):
			case ctx.Err() != nil:
				sh.putPending(id)
				return made, context.Cause(ctx)
			case skipped != nil:
				skipped(sh.id, id, err)
			}
			sh.unstale(id)
			if err == nil && enrolled {
				made++
			}
		}
	}
	return made, nil
}

// remaking reports whether targets whose records of an earlier
// enrolment are in the tier wait for RemakeFeatures: a start from a
// snapshot of the tier would take them for made (only targets without a
// bag are looked up then), so a snapshot written meanwhile holds none.
func (sh *shelf) remaking() bool {
	sh.mu.Lock()
	defer sh.mu.Unlock()
	return len(sh.stale) > 0
}

// unstale notes that RemakeFeatures is done with the target id, made or
// not.
func (sh *shelf) unstale(id string) {
	sh.mu.Lock()
	delete(sh.stale, id)
	sh.mu.Unlock()
}

// spreadPending turns the list of targets waiting for their records to
// start at a random place. The servers of one database each remake the
// same targets; opened together and starting apart, each mostly comes to
// records another has made ahead of it, which it takes (refeature)
// instead of making them again.
func (sh *shelf) spreadPending() {
	sh.mu.Lock()
	defer sh.mu.Unlock()
	if n := len(sh.pending); n > 1 {
		k := rand.IntN(n)
		sh.pending = slices.Concat(sh.pending[k:], sh.pending[:k])
	}
}

// nextPending takes the next target waiting for its feature record.
func (sh *shelf) nextPending() (string, bool) {
	sh.mu.Lock()
	defer sh.mu.Unlock()
	if len(sh.pending) == 0 {
		return "", false
	}
	id := sh.pending[0]
	sh.pending = sh.pending[1:]
	return id, true
}

// putPending gives back a target nextPending took.
func (sh *shelf) putPending(id string) {
	sh.mu.Lock()
	sh.pending = append([]string{id}, sh.pending...)
	sh.mu.Unlock()
}

// refeature makes a target's feature record from its stored picture,
// saves it — as a change of the target when logged and the target is
// active — and puts it into the tier. A record of the current enrolment
// found stored instead — made meanwhile by another server of the same
// database, which remakes the same targets, or by this one before a
// restart — is put into the tier as it is (made false): the picture is
// neither read nor enrolled again. It holds the gallery's writes, so
// that a picture replaced meanwhile is not overwritten by the old one's
// record.
func (s *Service) refeature(ctx context.Context, sh *shelf, id string, logged bool) (made bool, err error) {
	sh.write.Lock()
	defer sh.write.Unlock()
	if fs, ok, err := s.currentRecord(ctx, sh, id); err != nil {
		return false, err
	} else if ok {
		sh.tier.Put(id, fs)
		s.records.forget(sh.id, id)
		return false, nil
	}
	return true, s.enrolStored(ctx, sh, id, logged)
}

// currentRecord returns the features of a target's stored record when it
// is one of the current enrolment.
func (s *Service) currentRecord(ctx context.Context, sh *shelf, id string) ([]feature.Feature, bool, error) {
	records, err := s.store.TargetFeatures(ctx, sh.id, []string{id})
	if err != nil {
		return nil, false, fmt.Errorf("target %s: read feature record: %w", id, err)
	}
	var r feature.Record
	if b, ok := records[id]; !ok || r.UnmarshalBinary(b) != nil || r.Enrolment < feature.EnrolmentVersion {
		return nil, false, nil
	}
	return r.Features, true, nil
}

// enrolStored is refeature's making of the record from the stored
// picture, under the gallery's writes. A target without a grade — added
// through a record maker (maker.go) that stopped before it made the
// record, whose grade counts the record's stable features — is graded
// too, and saved as a change of the target: its grade is news to every
// reader.
func (s *Service) enrolStored(ctx context.Context, sh *shelf, id string, logged bool) error {
	t, pic, err := s.stored(ctx, sh, id)
	if err != nil {
		return err
	}
	en := pic.enrol()
	fs := en.Features
	b, err := s.encodeRecord(ctx, pic, fs)
	if err != nil {
		return fmt.Errorf("target %s: %w", id, err)
	}
	graded := false
	if (&quality.Report{}).UnmarshalBinary(t.Grade) != nil {
		if t.Grade, err = pic.gradeOf(en).MarshalBinary(); err != nil {
			return fmt.Errorf("target %s: %w", id, err)
		}
		graded = true
	}
	if graded || logged && t.Active {
		t.Image, t.Features = nil, b // the stored picture stays as it is
		version, err := s.store.UpdateTarget(ctx, t)
		if err != nil {
			return fmt.Errorf("target %s: save feature record: %w", id, err)
		}
		s.committed(sh, version)
	} else if err := s.store.SetFeatures(ctx, sh.id, id, b); err != nil {
		return fmt.Errorf("target %s: save feature record: %w", id, err)
	}
	sh.tier.Put(id, fs)
	s.records.forget(sh.id, id)
	return nil
}
