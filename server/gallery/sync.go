package gallery

import (
	"context"
	"errors"
	"fmt"

	"github.com/pixmatch/pixmatch/server/store"
	"github.com/pixmatch/pixmatch/shared/fingerprint"
)

// Sync is what a follower (a browser, another server) reads to hold a
// copy of a gallery's searchable part and keep it current from the change
// log.
type Sync struct{ s *Service }

// ErrTooManyChanges says a follower is so far behind that a snapshot is
// cheaper than the changes.
var ErrTooManyChanges = errors.New("more changes than a snapshot")

// Snapshot calls fn for every target of a gallery, without images, with
// its fingerprint, and returns the version they are all of.
func (y *Sync) Snapshot(ctx context.Context, gallery int64, fn func(Target, fingerprint.Fingerprint) error) (int64, error) {
	if _, err := y.s.live(gallery); err != nil {
		return 0, err
	}
	return y.s.store.Snapshot(ctx, gallery, func(t store.Target) error {
		var fp fingerprint.Fingerprint
		if err := fp.UnmarshalBinary(t.Fingerprint); err != nil {
			return fmt.Errorf("gallery: target %s: %w", t.ID, err)
		}
		return fn(targetOf(t), fp)
	})
}

// Delta is what changed in a gallery between two versions.
type Delta struct {
	From, To int64
	Put      []Change // the current state of the targets put
	Deleted  []int64  // sequence numbers
}

// Change is a target as a delta sends it: its current state, without
// image, and its fingerprint, which a follower indexes; Fingerprint is
// nil for a target whose stored fingerprint is of another version (it
// is being made anew, and comes with its next change).
type Change struct {
	Target      Target
	Fingerprint *fingerprint.Fingerprint
}

// Changed returns what changed in a gallery after version since, or
// ErrTooManyChanges when that is more than limit changes.
func (y *Sync) Changed(ctx context.Context, gallery, since int64, limit int) (Delta, error) {
	s := y.s
	if _, err := s.live(gallery); err != nil {
		return Delta{}, err
	}
	changes, err := s.store.Changes(ctx, gallery, since, limit+1)
	if err != nil {
		return Delta{}, fmt.Errorf("gallery: changes: %w", err)
	}
	if len(changes) > limit {
		return Delta{}, fmt.Errorf("gallery %d after version %d: %w", gallery, since, ErrTooManyChanges)
	}
	d := Delta{From: since, To: since}
	last := map[int64]store.Change{} // the latest change of each target
	var order []int64
	for _, c := range changes {
		if _, seen := last[c.Seq]; !seen {
			order = append(order, c.Seq)
		}
		last[c.Seq] = c
		d.To = c.Version
	}
	var put []string
	for _, seq := range order {
		if c := last[seq]; c.Op != store.OpDelete {
			put = append(put, c.TargetID)
		}
	}
	current, err := s.store.TargetsByID(ctx, gallery, put, false) // one read for the whole delta
	if err != nil {
		return Delta{}, fmt.Errorf("gallery: changed targets: %w", err)
	}
	bySeq := make(map[int64]store.Target, len(current))
	for _, t := range current {
		bySeq[t.Seq] = t
	}
	for _, seq := range order {
		if t, ok := bySeq[seq]; ok && last[seq].Op != store.OpDelete {
			c := Change{Target: targetOf(t)}
			var fp fingerprint.Fingerprint
			if fp.UnmarshalBinary(t.Fingerprint) == nil {
				c.Fingerprint = &fp
			}
			d.Put = append(d.Put, c)
		} else { // deleted, or deleted since the log was read
			d.Deleted = append(d.Deleted, seq)
		}
	}
	return d, nil
}

// BySeq returns a target by its sequence number, with its image when
// image is true.
func (y *Sync) BySeq(ctx context.Context, gallery, seq int64, image bool) (Target, error) {
	s := y.s
	if _, err := s.live(gallery); err != nil {
		return Target{}, err
	}
	t, err := s.store.TargetBySeq(ctx, gallery, seq)
	if err != nil || !image {
		return targetOf(t), err
	}
	t, err = s.store.Target(ctx, gallery, t.ID, true)
	return targetOf(t), err
}
