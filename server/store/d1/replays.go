package d1

import (
	"context"
	"fmt"
	"time"

	"github.com/pixmatch/pixmatch/server/auth"
)

var _ auth.Replays = (*Store)(nil)

// Use records key as used until expires (auth.Replays), in one statement:
// an insert that, on a key already there, takes its place only when the
// one there has expired. No row changed means the key is recorded and
// not expired: auth.ErrReplayed. A key whose expiry has passed is not
// recorded. Each Use also forgets up to replaysSwept expired keys, so the
// table holds about the keys of the last skew's requests.
func (s *Store) Use(ctx context.Context, key string, expires time.Time) error {
	now := s.now()
	if expires.Before(now) {
		return nil
	}
	err := mustAffect(s.db.ExecContext(ctx, `INSERT INTO replays (key, expires) VALUES (?, ?)
		ON CONFLICT (key) DO UPDATE SET expires = excluded.expires WHERE replays.expires < ?`,
		key, expires.UnixMilli(), now.UnixMilli()))
	if isNotFound(storeError(err)) {
		return auth.ErrReplayed
	}
	if err != nil {
		return fmt.Errorf("d1: replay memory: %w", err)
	}
	_, err = s.db.ExecContext(ctx, `DELETE FROM replays WHERE key IN
		(SELECT key FROM replays WHERE expires < ? LIMIT ?)`, now.UnixMilli(), replaysSwept)
	if err != nil {
		return fmt.Errorf("d1: replay memory: forget expired keys: %w", err)
	}
	return nil
}

// replaysSwept is how many expired keys a Use forgets at most: more than
// one, so that the table shrinks after a burst.
const replaysSwept = 8
