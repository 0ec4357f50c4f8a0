package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/pixmatch/pixmatch/server/auth"
)

// Servers sharing the database count each gallery's searches against its
// limits, and remember the one-time values of signed requests, in it, so
// that a limit holds for them together and a request used on one is
// refused by all. Each is one statement, atomic under concurrency (an
// upsert takes the row's lock), so the counts are exact, not within a
// margin.

var _ auth.Replays = (*Store)(nil)

// CountSearch counts one search of a gallery in the window kind ("second"
// or "day") numbered start, unless limit searches are counted there
// already: then it counts nothing and returns false (server/gallery's
// Counter). The first search of a window forgets the gallery's earlier
// windows of that kind, so the table holds about one row per gallery and
// kind.
func (s *Store) CountSearch(ctx context.Context, gallery int64, kind string, start int64, limit int) (bool, error) {
	var n int64
	err := s.pool.QueryRow(ctx, `INSERT INTO search_counts (gallery_id, kind, start, n) VALUES ($1, $2, $3, 1)
		ON CONFLICT (gallery_id, kind, start) DO UPDATE SET n = search_counts.n + 1 WHERE search_counts.n < $4
		RETURNING n`, gallery, kind, start, limit).Scan(&n)
	if errors.Is(err, pgx.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("postgres: count a search: %w", storeError(err))
	}
	if n == 1 {
		if _, err := s.pool.Exec(ctx, `DELETE FROM search_counts WHERE gallery_id = $1 AND kind = $2 AND start < $3`,
			gallery, kind, start); err != nil {
			return false, fmt.Errorf("postgres: forget earlier search counts: %w", err)
		}
	}
	return true, nil
}

// replaysSwept is how many expired keys a Use forgets at most: more than
// one, so that the table shrinks after a burst.
const replaysSwept = 8

// Use records key as used until expires (auth.Replays), in one statement:
// an insert that, on a key already there, takes its place only when the
// one there has expired. No row changed means the key is recorded and not
// expired: auth.ErrReplayed. A key whose expiry has passed is not
// recorded. Each Use also forgets up to replaysSwept expired keys.
func (s *Store) Use(ctx context.Context, key string, expires time.Time) error {
	at := now()
	if expires.UnixMilli() < at {
		return nil
	}
	tag, err := s.pool.Exec(ctx, `INSERT INTO replays (key, expires) VALUES ($1, $2)
		ON CONFLICT (key) DO UPDATE SET expires = excluded.expires WHERE replays.expires < $3`,
		[]byte(key), expires.UnixMilli(), at)
	if err != nil {
		return fmt.Errorf("postgres: replay memory: %w", err)
	}
	if tag.RowsAffected() == 0 {
		return auth.ErrReplayed
	}
	if _, err := s.pool.Exec(ctx, `DELETE FROM replays WHERE key IN
		(SELECT key FROM replays WHERE expires < $1 LIMIT $2)`, at, replaysSwept); err != nil {
		return fmt.Errorf("postgres: replay memory: forget expired keys: %w", err)
	}
	return nil
}
