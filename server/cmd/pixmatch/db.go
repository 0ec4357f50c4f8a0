package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net/url"
	"path/filepath"
	"sync"
	"time"

	"github.com/pixmatch/pixmatch/server/app"
	"github.com/pixmatch/pixmatch/server/gallery"
	"github.com/pixmatch/pixmatch/server/store"
	"github.com/pixmatch/pixmatch/server/store/postgres"
	"github.com/pixmatch/pixmatch/server/store/sqlite"
)

// The embedded database and the folder of dumps and import reports,
// inside the data folder.
const (
	databaseFile = "pixmatch.db"
	filesFolder  = "files"
	// snapshotsFolder holds the galleries' index snapshots (gallery.WithSnapshots).
	snapshotsFolder = "snapshots"
)

// storeFlags say where serve and the admin commands keep their data: the
// embedded SQLite database in the data folder, unless --db names a
// PostgreSQL database. The data folder keeps the dumps and import reports
// either way.
type storeFlags struct {
	dir string // --data
	db  string // --db: a postgres:// URL, or empty for the embedded database
}

func (f *storeFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&f.dir, "data", "./data", "folder of the embedded database (unless --db), and of dumps and import reports")
	fs.StringVar(&f.db, "db", "", "postgres://USER@HOST:PORT/DB: keep galleries, keys and targets in PostgreSQL, which several servers may share")
}

// check refuses a --db that is not a PostgreSQL URL, before anything is
// created.
func (f storeFlags) check() error {
	if f.db != "" && !postgres.IsURL(f.db) {
		return errors.New("--db wants a postgres://USER@HOST:PORT/DB URL (without --db, the embedded database in --data is used)")
	}
	return nil
}

// open opens the store the flags name.
func (f storeFlags) open(ctx context.Context) (store.Store, error) {
	if err := f.check(); err != nil {
		return nil, err
	}
	if f.db != "" {
		return postgres.Open(ctx, f.db)
	}
	return openStore(ctx, f.dir)
}

// openStore opens the embedded database in the data folder dir.
func openStore(ctx context.Context, dir string) (*sqlite.Store, error) {
	return sqlite.Open(ctx, filepath.Join(dir, databaseFile))
}

// describe says where the data is kept, without a password.
func (f storeFlags) describe() string {
	if f.db == "" {
		return "data in " + f.dir
	}
	where := "(the --db URL)"
	if u, err := url.Parse(f.db); err == nil {
		u.RawQuery = ""
		where = u.Redacted()
	}
	return fmt.Sprintf("database %s, files in %s", where, f.dir)
}

// followEvery is how often a server sharing a PostgreSQL database looks
// at the change log when no notification woke it.
const followEvery = time.Second

// followOthers has a server on PostgreSQL follow what the other servers
// sharing the database commit: its indexes catch up with the change log
// when a notification names a gallery, and every followEvery regardless.
// The two goroutines it starts join owned and end with ctx. On the
// embedded database, which one server owns, it does nothing.
func followOthers(ctx context.Context, owned *sync.WaitGroup, st store.Store, svc *gallery.Service, log *slog.Logger) {
	pg, ok := st.(*postgres.Store)
	if !ok {
		return
	}
	// A wake-up dropped when the queue is full is covered at worst by
	// the next tick.
	wake := make(chan int64, 1024)
	owned.Go(func() {
		pg.Listen(ctx, func(id int64) {
			select {
			case wake <- id:
			default:
			}
		}, func(err error) { log.Warn("listen for other servers' changes", "err", err) })
	})
	owned.Go(func() {
		svc.Follow(ctx, wake, followEvery, func(err error) { log.Error("follow the change log", "err", err) })
	})
}

// sharedThroughDB returns, for a PostgreSQL store, the options that make
// what several servers must share live in it: the galleries' search
// limits (counted in the database, not in each process), the memory of
// one-time values against replays, and read-your-writes (a request reads
// the indexes only once they hold what any server committed before it). The embedded database is one server's
// alone, which keeps both in its memory.
func sharedThroughDB(st store.Store) ([]gallery.Option, []app.Option) {
	pg, ok := st.(*postgres.Store)
	if !ok {
		return nil, nil
	}
	return []gallery.Option{gallery.WithCounter(pg), gallery.WithFollowing()}, []app.Option{app.WithReplays(pg)}
}
