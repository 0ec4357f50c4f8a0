package postgres

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"
)

// ChangesChannel is the channel every write that changes a gallery's
// targets notifies, with the gallery's ID as the payload, as it commits.
const ChangesChannel = "pixmatch_changes"

// listenRetry is how long Listen waits before it connects again.
const listenRetry = time.Second

// Listen calls wake with a gallery's ID each time a write to its targets
// commits, through this store or any other on the same database, until
// ctx ends; it then returns ctx's error. A notification is only a
// wake-up: PostgreSQL drops those sent while no one listens, so Listen
// also calls wake with 0 ("look at every gallery") each time it has
// connected, and a follower reads what changed from the change log.
// After a failure (the connection broke, the database restarted) Listen
// tells report and connects again a second later, by itself. It holds
// one connection of its own, outside the store's pool.
func (s *Store) Listen(ctx context.Context, wake func(gallery int64), report func(error)) error {
	for {
		err := s.listen(ctx, wake)
		if ctx.Err() != nil {
			return ctx.Err()
		}
		report(fmt.Errorf("postgres: listen on %s: %w", ChangesChannel, err))
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(listenRetry):
		}
	}
}

// listen connects, listens, and passes notifications on until an error.
func (s *Store) listen(ctx context.Context, wake func(int64)) error {
	conn, err := pgx.ConnectConfig(ctx, s.pool.Config().ConnConfig.Copy())
	if err != nil {
		return err
	}
	defer func() {
		closing, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Second)
		defer cancel()
		conn.Close(closing)
	}()
	if _, err := conn.Exec(ctx, "LISTEN "+ChangesChannel); err != nil {
		return err
	}
	wake(0) // what was committed while no one listened
	for {
		n, err := conn.WaitForNotification(ctx)
		if err != nil {
			return err
		}
		if id, err := strconv.ParseInt(n.Payload, 10, 64); err == nil {
			wake(id)
		}
	}
}
