package d1

import (
	"context"
	"testing"

	"github.com/pixmatch/pixmatch/server/store"
	"github.com/pixmatch/pixmatch/server/store/storetest"
)

// TestAnyActive: a gallery without targets, or with inactive ones only,
// has no active target; one active target, in its gallery alone, is one.
func TestAnyActive(t *testing.T) {
	ctx := context.Background()
	s, _ := openTemp(t)
	var gs [2]store.Gallery
	for i := range gs {
		g, err := s.CreateGallery(ctx, store.Gallery{Name: string(rune('a' + i)), AppID: string(rune('a' + i))})
		if err != nil {
			t.Fatal(err)
		}
		gs[i] = g
	}
	any := func(g store.Gallery) bool {
		t.Helper()
		ok, err := s.AnyActive(ctx, g.ID)
		if err != nil {
			t.Fatal(err)
		}
		return ok
	}
	if any(gs[0]) {
		t.Error("an empty gallery has an active target")
	}
	for i, active := range []bool{false, true} {
		tg := storetest.Target(gs[0].ID, i, 0)
		tg.Active = active
		if _, err := s.CreateTarget(ctx, tg); err != nil {
			t.Fatal(err)
		}
		if got := any(gs[0]); got != active {
			t.Errorf("with %d targets, the last active %v: AnyActive %v", i+1, active, got)
		}
	}
	if any(gs[1]) {
		t.Error("another gallery's active target counted")
	}
}

// TestCountSearch: a window takes limit searches and then refuses; other
// windows, kinds and galleries count apart; a new window forgets the
// earlier ones of its gallery and kind.
func TestCountSearch(t *testing.T) {
	ctx := context.Background()
	s, _ := openTemp(t)
	count := func(gallery int64, kind string, start int64) bool {
		t.Helper()
		ok, err := s.CountSearch(ctx, gallery, kind, start, 2)
		if err != nil {
			t.Fatal(err)
		}
		return ok
	}
	for i, want := range []bool{true, true, false, false} {
		if got := count(1, "second", 100); got != want {
			t.Errorf("search %d of a window of 2: %v, want %v", i+1, got, want)
		}
	}
	if !count(1, "day", 100) || !count(2, "second", 100) {
		t.Error("another kind or gallery was refused")
	}
	if !count(1, "second", 101) {
		t.Error("the next window was refused")
	}
	var n int
	if err := s.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM search_counts WHERE gallery_id = 1 AND kind = 'second'`).Scan(&n); err != nil || n != 1 {
		t.Errorf("%d windows kept (%v), want the current one", n, err)
	}
}
