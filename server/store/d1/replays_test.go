package d1

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/pixmatch/pixmatch/server/auth"
)

// TestReplays: a key is refused again until it expires, then taken anew;
// a key already expired is not recorded; expired keys are forgotten.
func TestReplays(t *testing.T) {
	ctx := context.Background()
	s, _ := openTemp(t)
	now := time.UnixMilli(1_800_000_000_000)
	s.now = func() time.Time { return now }
	if err := s.Use(ctx, "crs:sig", now.Add(5*time.Minute)); err != nil {
		t.Fatal(err)
	}
	if err := s.Use(ctx, "crs:sig", now.Add(5*time.Minute)); !errors.Is(err, auth.ErrReplayed) {
		t.Errorf("the same key again: %v, want ErrReplayed", err)
	}
	if err := s.Use(ctx, "crs:other", now.Add(5*time.Minute)); err != nil {
		t.Errorf("another key: %v", err)
	}
	if err := s.Use(ctx, "crs:old", now.Add(-time.Second)); err != nil {
		t.Errorf("an expired key: %v", err)
	}
	now = now.Add(5*time.Minute + time.Millisecond)
	if err := s.Use(ctx, "crs:sig", now.Add(time.Minute)); err != nil {
		t.Errorf("the key after it expired: %v", err)
	}
	var n int
	if err := s.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM replays`).Scan(&n); err != nil || n != 1 {
		t.Errorf("%d keys kept (%v), want the one not expired", n, err)
	}
}
