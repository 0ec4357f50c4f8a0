package storetest

import (
	"context"
	"reflect"
	"testing"

	"github.com/pixmatch/pixmatch/server/store"
)

// sameTargets compares targets (or slices of them) leaving their Seq
// aside, which testSeq checks on its own.
func sameTargets(got, want any) bool {
	return reflect.DeepEqual(clearSeq(got), clearSeq(want))
}

func clearSeq(v any) any {
	switch t := v.(type) {
	case store.Target:
		t.Seq = 0
		return t
	case []store.Target:
		out := make([]store.Target, len(t))
		for i, x := range t {
			x.Seq = 0
			out[i] = x
		}
		return out
	}
	return v
}

// testSeq checks sequence numbers: a target is numbered by the version
// that created it, keeps the number through updates, is found by it, and
// every change row carries it — deletes too.
func testSeq(t *testing.T, s store.Store) {
	ctx := context.Background()
	g := newGallery(t, s, "alpha")
	createTargets(t, s, g.ID, 0, 3) // versions 1, 2, 3
	for n := 0; n < 3; n++ {
		got, err := s.Target(ctx, g.ID, TargetID(n), false)
		if err != nil || got.Seq != int64(n+1) {
			t.Errorf("target %d: Seq %d, %v; want %d", n, got.Seq, err, n+1)
		}
		bySeq, err := s.TargetBySeq(ctx, g.ID, int64(n+1))
		if err != nil || bySeq.ID != TargetID(n) {
			t.Errorf("TargetBySeq(%d) = %s, %v", n+1, bySeq.ID, err)
		}
	}
	upd := Target(g.ID, 1, 0)
	upd.Image = nil
	upd.Name = "renamed"
	if _, err := s.UpdateTarget(ctx, upd); err != nil { // version 4
		t.Fatal(err)
	}
	if got, _ := s.Target(ctx, g.ID, TargetID(1), false); got.Seq != 2 {
		t.Errorf("Seq after update = %d, want 2", got.Seq)
	}
	if _, err := s.DeleteTargets(ctx, g.ID, []string{TargetID(0)}); err != nil { // version 5
		t.Fatal(err)
	}
	createTargets(t, s, g.ID, 3, 4) // version 6
	if got, _ := s.Target(ctx, g.ID, TargetID(3), false); got.Seq != 6 {
		t.Errorf("a target made after a delete: Seq %d, want 6", got.Seq)
	}
	_, err := s.TargetBySeq(ctx, g.ID, 1)
	wantErr(t, "TargetBySeq(deleted)", err, store.ErrNotFound)
	changes, err := s.Changes(ctx, g.ID, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	wantSeq := []int64{1, 2, 3, 2, 1, 6}
	for i, c := range changes {
		if c.Seq != wantSeq[i] {
			t.Errorf("change %d (%v of %s): Seq %d, want %d", c.Version, c.Op, c.TargetID, c.Seq, wantSeq[i])
		}
	}
}

// testSnapshot checks that a snapshot's targets are those of the version
// it reports.
func testSnapshot(t *testing.T, s store.Store) {
	ctx := context.Background()
	g := newGallery(t, s, "alpha")
	createTargets(t, s, g.ID, 0, 4)
	if _, err := s.DeleteTargets(ctx, g.ID, []string{TargetID(2)}); err != nil {
		t.Fatal(err)
	}
	var seen []string
	v, err := s.Snapshot(ctx, g.ID, func(tg store.Target) error {
		if tg.Image != nil {
			t.Errorf("snapshot target %s carries its image", tg.ID)
		}
		seen = append(seen, tg.ID)
		return nil
	})
	if err != nil || v != 5 {
		t.Fatalf("Snapshot = version %d, %v; want 5", v, err)
	}
	want := []string{TargetID(0), TargetID(1), TargetID(3)}
	if !reflect.DeepEqual(seen, want) {
		t.Errorf("snapshot targets %v, want %v", seen, want)
	}
	_, err = s.Snapshot(ctx, g.ID+100, func(store.Target) error { return nil })
	wantErr(t, "Snapshot(missing gallery)", err, store.ErrNotFound)
}
