package d1

import (
	"context"
	"testing"
)

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
