package gallery

import (
	"context"
	"testing"

	"github.com/pixmatch/pixmatch/shared/camera"
)

// TestCheckedRecordCacheSeesOtherWrites writes a target's record behind
// its caches' backs, as another Worker isolate writes D1: a service's own
// cache keeps handing out the record it decoded (the service forgets a
// record only on its own writes, or a follower's), while a checked cache
// hands out the new one, and keeps handing out the same decoded target
// while the stored bytes stay the same.
func TestCheckedRecordCacheSeesOtherWrites(t *testing.T) {
	ctx := context.Background()
	svc, st, g := open(t)
	tg, err := svc.Targets.Add(ctx, g.ID, Target{Name: "rocket", Active: true}, picture(t, "rocket"), AddOptions{})
	if err != nil {
		t.Fatal(err)
	}
	ids := []string{tg.ID, "no-such-target"}
	own, checked := newRecordCache(recordCacheFeatures), NewCheckedRecordCache(recordCacheFeatures)
	read := func(c *RecordCache) *camera.Target {
		t.Helper()
		ts, err := c.targets(ctx, st, g.ID, ids)
		if err != nil {
			t.Fatal(err)
		}
		if len(ts) != 1 || ts[tg.ID] == nil {
			t.Fatalf("read %d targets, want the one with a record", len(ts))
		}
		return ts[tg.ID]
	}
	first, firstChecked := read(own), read(checked)
	if read(own) != first || read(checked) != firstChecked {
		t.Fatal("a second read decoded the unchanged record again")
	}
	if n := len(first.Record.Features); n < 20 {
		t.Fatalf("the target's record has %d features", n)
	}
	// Another writer keeps the first half of the features.
	r := first.Record
	r.Features, r.Cells = r.Features[:len(r.Features)/2], r.Cells[:len(r.Cells)/2]
	b, err := r.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	if err := st.SetFeatures(ctx, g.ID, tg.ID, b); err != nil {
		t.Fatal(err)
	}
	if got := read(own); got != first {
		t.Fatal("the service's own cache read the store again, uncalled")
	}
	got := read(checked)
	if got == firstChecked || len(got.Record.Features) != len(r.Features) {
		t.Fatalf("the checked cache handed out a record of %d features, the store's has %d", len(got.Record.Features), len(r.Features))
	}
	if read(checked) != got {
		t.Fatal("the checked cache decoded the new record twice")
	}
	// A bound of one record's features keeps the last read alone.
	small := NewCheckedRecordCache(len(r.Features))
	read(small)
	if small.order.Len() != 1 || small.features != len(r.Features) {
		t.Fatalf("a cache bounded to one record holds %d records, %d features", small.order.Len(), small.features)
	}
}
