package postgres

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pixmatch/pixmatch/server/auth"
	"github.com/pixmatch/pixmatch/server/store"
)

// TestCountSearchAcrossServers counts 40 searches of one window at once
// through two stores (two servers) against a limit of 25: exactly 25 are
// counted, whichever server they went through; the next window starts
// again, and forgets the one before.
func TestCountSearchAcrossServers(t *testing.T) {
	ctx := context.Background()
	a, b := openTwo(t)
	g, err := a.CreateGallery(ctx, store.Gallery{Name: "g", AppID: "app"})
	if err != nil {
		t.Fatal(err)
	}
	var counted atomic.Int64
	var wg sync.WaitGroup
	for i := range 40 {
		s := []*Store{a, b}[i%2]
		wg.Go(func() {
			ok, err := s.CountSearch(ctx, g.ID, "second", 1000, 25)
			if err != nil {
				t.Error(err)
			}
			if ok {
				counted.Add(1)
			}
		})
	}
	wg.Wait()
	if n := counted.Load(); n != 25 {
		t.Errorf("%d of 40 searches counted against a limit of 25", n)
	}
	if ok, err := b.CountSearch(ctx, g.ID, "second", 1001, 25); !ok || err != nil {
		t.Errorf("the first search of the next second: %v, %v", ok, err)
	}
	if ok, err := a.CountSearch(ctx, g.ID, "day", 1000, 25); !ok || err != nil {
		t.Errorf("the first search of a day window, beside a full second of the same number: %v, %v", ok, err)
	}
	var windows int
	if err := a.pool.QueryRow(ctx, `SELECT COUNT(*) FROM search_counts WHERE gallery_id = $1 AND kind = 'second'`, g.ID).Scan(&windows); err != nil || windows != 1 {
		t.Errorf("%d second windows kept (%v), want the current one only", windows, err)
	}
}

// TestReplaysAcrossServers uses one-time values through two stores: a
// value used through one is refused through the other until it expires,
// then may be used again; a value already expired is not recorded; any
// bytes make a key.
func TestReplaysAcrossServers(t *testing.T) {
	ctx := context.Background()
	a, b := openTwo(t)
	soon := time.Now().Add(time.Minute)
	for i, key := range []string{"crs:signature", "ali:LTAI:nonce", "nul\x00and\xffinvalid"} {
		if err := a.Use(ctx, key, soon); err != nil {
			t.Fatalf("key %d: first use: %v", i, err)
		}
		if err := b.Use(ctx, key, soon); !errors.Is(err, auth.ErrReplayed) {
			t.Errorf("key %d: the same value through the other server: %v, want ErrReplayed", i, err)
		}
	}
	past := time.Now().Add(-time.Second)
	if err := a.Use(ctx, "late", past); err != nil {
		t.Fatal(err)
	}
	if err := b.Use(ctx, "late", soon); err != nil {
		t.Errorf("a value whose first use had expired already was recorded: %v", err)
	}
	if _, err := a.pool.Exec(ctx, `UPDATE replays SET expires = $1 WHERE key = $2`, past.UnixMilli(), []byte("crs:signature")); err != nil {
		t.Fatal(err)
	}
	if err := b.Use(ctx, "crs:signature", soon); err != nil {
		t.Errorf("a value used again after its expiry: %v", err)
	}
}

// TestReplaysConcurrent uses one value through two stores at once, many
// times over: exactly one use of each succeeds.
func TestReplaysConcurrent(t *testing.T) {
	ctx := context.Background()
	a, b := openTwo(t)
	soon := time.Now().Add(time.Minute)
	for round := range 20 {
		key := fmt.Sprint("nonce-", round)
		var ok atomic.Int64
		var wg sync.WaitGroup
		for i := range 4 {
			s := []*Store{a, b}[i%2]
			wg.Go(func() {
				switch err := s.Use(ctx, key, soon); {
				case err == nil:
					ok.Add(1)
				case !errors.Is(err, auth.ErrReplayed):
					t.Error(err)
				}
			})
		}
		wg.Wait()
		if n := ok.Load(); n != 1 {
			t.Fatalf("round %d: %d of 4 uses of one value succeeded, want 1", round, n)
		}
	}
}
