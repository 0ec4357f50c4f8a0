package testserver

import (
	"context"
	"database/sql"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // the driver of the side connection to PostgreSQL

	"github.com/pixmatch/pixmatch/server/app"
	"github.com/pixmatch/pixmatch/server/gallery"
	"github.com/pixmatch/pixmatch/server/jobs"
	"github.com/pixmatch/pixmatch/server/store"
	"github.com/pixmatch/pixmatch/server/store/postgres"
	"github.com/pixmatch/pixmatch/server/store/postgres/pgtest"
)

// ClusterEnv names the environment variable that makes every server New
// starts a cluster: three services on one PostgreSQL database (a fresh
// schema of the test binary's throwaway cluster, package pgtest), as
// three pixmatch servers behind a load balancer, each with a store of its
// own, sharing the search limits and the memory of replays through
// PostgreSQL and following the change log (NOTIFY, and a catch-up before
// each request that reads the indexes). The server's one loopback
// address hands the requests to the three in turn, so that a test's
// consecutive requests go to different servers. `make test` runs the CRS
// and Alibaba suites so (PIXMATCH_TEST_CLUSTER=3); any value but empty
// turns it on.
//
// What a test does to "the server" it does to the cluster: Service is the
// first server's service (a gallery created or changed through it is
// picked up by the others before their next request, standing in for the
// two seconds in which a real server refreshes its galleries); Jobs runs
// the background jobs of all three (stopping it stops theirs); SQL, Exec
// and Snapshot work on the PostgreSQL schema; Reopen restarts all three
// on it; and the three write their dumps and import reports into one
// files folder, as servers sharing a filesystem do. Tests that are one
// server's by nature call SkipInCluster.
const ClusterEnv = "PIXMATCH_TEST_CLUSTER"

// clusterSize is how many servers a cluster runs.
const clusterSize = 3

// Clustered reports whether New starts clusters (ClusterEnv is set).
func Clustered() bool { return os.Getenv(ClusterEnv) != "" }

// SkipInCluster skips t, saying why, when the servers are clusters: for a
// test that only one server can pass, such as one of a SQLite file.
func SkipInCluster(t testing.TB, why string) {
	t.Helper()
	if Clustered() {
		t.Skipf("skipped with %s set: %s", ClusterEnv, why)
	}
}

// member is one server of a cluster.
type member struct {
	st      *postgres.Store
	svc     *gallery.Service
	handler http.Handler
}

// newCluster is NewWith for a cluster, on a new PostgreSQL schema.
func newCluster(t testing.TB, s *Server, g store.Gallery) {
	t.Helper()
	ctx := context.Background()
	s.DSN = pgtest.NewDatabase(t)
	st, err := postgres.Open(ctx, s.DSN)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if s.Gallery, err = st.CreateGallery(ctx, g); err != nil {
		t.Fatal(err)
	}
	if err := st.CreateKey(ctx, store.Key{ID: Key, Secret: Secret}); err != nil {
		t.Fatal(err)
	}
	s.startCluster()
}

// startCluster starts the cluster's servers on s.DSN and serves them, in
// turn, on one loopback address.
func (s *Server) startCluster() {
	ctx := context.Background()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	s.Jobs = jobs.New(ctx, log)
	following, stop := context.WithCancel(ctx)
	var owned sync.WaitGroup
	var members []*member
	s.stopMembers = sync.OnceFunc(func() { // after the jobs, which use the stores
		stop()
		owned.Wait()
		for _, m := range members {
			m.st.Close()
		}
	})
	s.T.Cleanup(s.stopMembers)
	s.T.Cleanup(s.stopJobs) // after the server closes
	for range clusterSize {
		m, err := s.startMember(ctx, log)
		if m != nil {
			members = append(members, m)
		}
		if err != nil {
			s.T.Fatal(err)
		}
		follow(following, &owned, m)
	}
	s.Service = members[0].svc
	rr := &roundRobin{}
	for _, m := range members {
		rr.handlers = append(rr.handlers, refreshing(m.svc, m.handler))
	}
	s.HTTP = httptest.NewServer(s.validated(rr))
	s.T.Cleanup(s.HTTP.Close)
}

// startMember opens a store on s.DSN and a server on it, assembled as
// serve assembles one on PostgreSQL. A member whose store opened is
// returned even with an error, for its store to be closed.
func (s *Server) startMember(ctx context.Context, log *slog.Logger) (*member, error) {
	st, err := postgres.Open(ctx, s.DSN)
	if err != nil {
		return nil, err
	}
	m := &member{st: st}
	if m.svc, err = gallery.Open(ctx, st, s.Config, gallery.WithCounter(st), gallery.WithFollowing()); err != nil {
		return m, err
	}
	opts := append([]app.Option{app.WithJobs(s.Jobs), app.WithReplays(st)}, s.Options...)
	m.handler, err = app.New(ctx, m.svc, log, opts...)
	return m, err
}

// follow has m follow what the other members commit, as serve does,
// until ctx ends: the goroutines join owned.
func follow(ctx context.Context, owned *sync.WaitGroup, m *member) {
	wake := make(chan int64, 64)
	owned.Go(func() {
		m.st.Listen(ctx, func(id int64) {
			select {
			case wake <- id:
			default: // the next tick covers it
			}
		}, func(error) {})
	})
	owned.Go(func() { m.svc.Follow(ctx, wake, 200*time.Millisecond, func(error) {}) })
}

// refreshing has svc pick up the galleries created, changed or deleted
// through another member before it serves a request.
func refreshing(svc *gallery.Service, h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		svc.Refresh(r.Context()) // a failure leaves the galleries as they were; the request says the rest
		h.ServeHTTP(w, r)
	})
}

// roundRobin hands each request to the next of its handlers, as a load
// balancer does.
type roundRobin struct {
	next     atomic.Uint64
	handlers []http.Handler
}

func (rr *roundRobin) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	i := (rr.next.Add(1) - 1) % uint64(len(rr.handlers))
	rr.handlers[i].ServeHTTP(w, r)
}

// reopenCluster is Reopen for a cluster, once s has closed and its jobs
// stopped: every member stops, and a new cluster starts on the schema.
func (s *Server) reopenCluster(next *Server) {
	s.stopMembers()
	next.DSN = s.DSN
	next.startCluster()
}

// sqlDB opens a side connection to the server's database: the SQLite file,
// or the cluster's PostgreSQL schema.
func (s *Server) sqlDB() (*sql.DB, error) {
	if s.DSN != "" {
		return sql.Open("pgx", s.DSN)
	}
	return sql.Open("sqlite", s.DBPath+"?_pragma=busy_timeout(5000)")
}

// snapshotQuery is Snapshot's query in the server's database's dialect.
func (s *Server) snapshotQuery() string {
	q := `SELECT version || '/' || (SELECT COUNT(*) FROM changes) FROM galleries WHERE id = %s`
	if s.DSN != "" {
		return fmt.Sprintf(q, "$1")
	}
	return fmt.Sprintf(q, "?")
}

// Refuse makes the database refuse every op ("INSERT", "DELETE", "UPDATE
// OF active") on table from now on, as a failing disk would: a trigger,
// named name, in the SQLite file or the cluster's PostgreSQL schema.
func (s *Server) Refuse(name, op, table string) {
	s.T.Helper()
	if s.DSN == "" {
		s.Exec(fmt.Sprintf(`CREATE TRIGGER %s BEFORE %s ON %s BEGIN SELECT RAISE(ABORT, 'injected failure'); END`, name, op, table))
		return
	}
	s.Exec(fmt.Sprintf(`CREATE FUNCTION %s() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'injected failure'; END $$`, name))
	s.Exec(fmt.Sprintf(`CREATE TRIGGER %s BEFORE %s ON %s FOR EACH ROW EXECUTE FUNCTION %s()`, name, op, table, name))
}
