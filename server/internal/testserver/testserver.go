// Package testserver starts real pixmatch servers for tests: a fresh
// SQLite database, one gallery, one API key, every API served over
// loopback. Tests of every dialect use it. With PIXMATCH_TEST_CLUSTER set
// (ClusterEnv), a server is three on one PostgreSQL database instead,
// taking the requests in turn.
package testserver

import (
	"context"
	"database/sql"
	"io"
	"log/slog"
	"net/http/httptest"
	"path/filepath"
	"testing"
	"time"

	_ "modernc.org/sqlite" // the driver of the side connection

	"github.com/pixmatch/pixmatch/server/app"
	"github.com/pixmatch/pixmatch/server/config"
	"github.com/pixmatch/pixmatch/server/gallery"
	"github.com/pixmatch/pixmatch/server/jobs"
	"github.com/pixmatch/pixmatch/server/store"
	"github.com/pixmatch/pixmatch/server/store/sqlite"
)

// The credentials and names every test server starts with.
const (
	AppID    = "0123456789abcdef0123456789abcdef"
	Instance = "default"
	Key      = "test_api_key"
	Secret   = "test_api_secret"
)

// Server is a pixmatch server on loopback.
type Server struct {
	T       testing.TB
	HTTP    *httptest.Server
	DBPath  string
	Dir     string // the data folder
	Service *gallery.Service
	Gallery store.Gallery
	Config  config.Config
	// Jobs owns the server's background jobs; it is stopped when the test
	// ends, or by Reopen.
	Jobs *jobs.Runner
	// Options are the app options the server was assembled with (see
	// NewWith); Reopen keeps them.
	Options []app.Option
	// DSN is the PostgreSQL URL of a cluster's database (ClusterEnv);
	// empty for one server on SQLite (DBPath).
	DSN string

	stopMembers func() // stops a cluster's servers and closes their stores
}

// Tune changes the configuration or the first gallery before the server
// starts.
type Tune func(*config.Config, *store.Gallery)

// New starts a server on a new database.
func New(t testing.TB, tune ...Tune) *Server {
	t.Helper()
	return NewWith(t, nil, tune...)
}

// NewWith starts a server on a new database, assembled with the app
// options opts (app.WithMetrics, say).
func NewWith(t testing.TB, opts []app.Option, tune ...Tune) *Server {
	t.Helper()
	ctx := context.Background()
	dir := t.TempDir()
	s := &Server{T: t, Dir: dir, DBPath: filepath.Join(dir, "pixmatch.db"), Config: config.Default(), Options: opts}
	s.Config.Alibaba.Files = filepath.Join(dir, "files")
	g := store.Gallery{Name: Instance, AppID: AppID}
	for _, f := range tune {
		f(&s.Config, &g)
	}
	if Clustered() {
		newCluster(t, s, g)
		return s
	}
	st, err := sqlite.Open(ctx, s.DBPath)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	if s.Gallery, err = st.CreateGallery(ctx, g); err != nil {
		t.Fatal(err)
	}
	if err := st.CreateKey(ctx, store.Key{ID: Key, Secret: Secret}); err != nil {
		t.Fatal(err)
	}
	s.start(st)
	return s
}

// start serves the store over loopback.
func (s *Server) start(st store.Store) {
	ctx := context.Background()
	var err error
	if s.Service, err = gallery.Open(ctx, st, s.Config); err != nil {
		s.T.Fatal(err)
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	s.Jobs = jobs.New(ctx, log)
	s.T.Cleanup(s.stopJobs) // after the server closes, before the store does
	h, err := app.New(ctx, s.Service, log, append([]app.Option{app.WithJobs(s.Jobs)}, s.Options...)...)
	if err != nil {
		s.T.Fatal(err)
	}
	s.HTTP = httptest.NewServer(s.validated(h))
	s.T.Cleanup(s.HTTP.Close)
}

// stopJobs stops the server's background jobs, as a shutdown does.
func (s *Server) stopJobs() {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := s.Jobs.Stop(ctx); err != nil {
		s.T.Errorf("stop the background jobs: %v", err)
	}
}

// URL is the server's base URL.
func (s *Server) URL() string { return s.HTTP.URL }

// Addr is the server's host:port.
func (s *Server) Addr() string { return s.HTTP.Listener.Addr().String() }

// Reopen stops the server and starts a new one over the same database,
// as a restart does, with the configuration changed by tune.
func (s *Server) Reopen(tune ...func(*config.Config)) *Server {
	s.T.Helper()
	s.HTTP.Close()
	s.stopJobs()
	next := &Server{T: s.T, Dir: s.Dir, DBPath: s.DBPath, Gallery: s.Gallery, Config: s.Config, Options: s.Options}
	for _, f := range tune {
		f(&next.Config)
	}
	if s.DSN != "" {
		s.reopenCluster(next)
		return next
	}
	st, err := sqlite.Open(context.Background(), s.DBPath)
	if err != nil {
		s.T.Fatal(err)
	}
	s.T.Cleanup(func() { st.Close() })
	next.start(st)
	return next
}

// SQL opens a second connection to the server's database (the SQLite
// file, or a cluster's PostgreSQL schema), for tests that break the store
// the way a failing disk or an operator would.
func (s *Server) SQL() *sql.DB {
	db, err := s.sqlDB()
	if err != nil {
		s.T.Fatal(err)
	}
	s.T.Cleanup(func() { db.Close() })
	return db
}

// Exec runs one statement on the database behind the server's back.
func (s *Server) Exec(query string) {
	s.T.Helper()
	if _, err := s.SQL().Exec(query); err != nil {
		s.T.Fatalf("%s: %v", query, err)
	}
}

// Snapshot summarises the gallery's stored state: its version and the
// length of its change log. A refused write leaves it as it was.
func (s *Server) Snapshot() string {
	s.T.Helper()
	var out string
	row := s.SQL().QueryRow(s.snapshotQuery(), s.Gallery.ID)
	if err := row.Scan(&out); err != nil {
		s.T.Fatal(err)
	}
	return out
}
