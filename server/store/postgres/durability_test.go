package postgres

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/pixmatch/pixmatch/server/store"
	"github.com/pixmatch/pixmatch/server/store/postgres/pgtest"
	"github.com/pixmatch/pixmatch/server/store/storetest"
)

// TestKillNineKeepsAcknowledged has four writers create targets while
// PostgreSQL crashes (SIGKILL to the postmaster and every backend) under
// them: the writes meanwhile fail within their deadline, and after a
// restart every target whose create was acknowledged is there, with a
// change log of one entry per version and no gaps. (With
// synchronous_commit=off, which Open refuses, this test finds
// acknowledged targets lost, every run.)
func TestKillNineKeepsAcknowledged(t *testing.T) {
	ctx := context.Background()
	c, dsn := ownCluster(t, "crash")
	s, err := Open(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	g, err := s.CreateGallery(ctx, store.Gallery{Name: "crash", AppID: "app-crash"})
	if err != nil {
		t.Fatal(err)
	}
	acked := writeUntilCrash(t, s, g.ID, c)
	s.Close()
	if err := c.Restart(ctx); err != nil {
		t.Fatal(err)
	}
	s, err = Open(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	for _, n := range acked {
		if _, err := s.Target(ctx, g.ID, storetest.TargetID(n), false); err != nil {
			t.Fatalf("acknowledged target %d lost in the crash: %v", n, err)
		}
	}
	after, err := s.Gallery(ctx, g.ID)
	if err != nil {
		t.Fatal(err)
	}
	cs, err := s.Changes(ctx, g.ID, 0, 0)
	if err != nil || int64(len(cs)) != after.Version || (len(cs) > 0 && cs[len(cs)-1].Version != after.Version) {
		t.Fatalf("after the crash: version %d, change log of %d entries (%v)", after.Version, len(cs), err)
	}
	if n, err := s.CountTargets(ctx, g.ID); err != nil || int64(n) != after.Version || n < len(acked) {
		t.Errorf("after the crash: %d targets (%v), version %d, %d acknowledged", n, err, after.Version, len(acked))
	}
	t.Logf("%d creates acknowledged before the crash, %d committed", len(acked), after.Version)
}

// writeUntilCrash creates targets through four writers until at least 100
// are acknowledged, crashes the cluster, lets the writers fail against it
// for a moment, and returns the acknowledged targets' numbers.
func writeUntilCrash(t *testing.T, s *Store, gallery int64, c *pgtest.Cluster) []int {
	var (
		mu    sync.Mutex
		acked []int
		wg    sync.WaitGroup
		stop  = make(chan struct{})
	)
	for w := range 4 {
		wg.Go(func() {
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				n := w*1_000_000 + i
				ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
				start := time.Now()
				_, err := s.CreateTarget(ctx, storetest.Target(gallery, n, 2048))
				cancel()
				if took := time.Since(start); took > 6*time.Second {
					t.Errorf("a create took %v, past its 5 s deadline", took)
				}
				if err == nil {
					mu.Lock()
					acked = append(acked, n)
					mu.Unlock()
				}
			}
		})
	}
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
		mu.Lock()
		enough := len(acked) >= 100
		mu.Unlock()
		if enough {
			break
		}
	}
	c.Kill()
	time.Sleep(200 * time.Millisecond) // the writers fail against the dead server
	close(stop)
	wg.Wait()
	return acked
}

// ownCluster starts a cluster of the test's own, which it may crash,
// stopped when the test ends, with an empty database named db.
func ownCluster(t *testing.T, db string) (*pgtest.Cluster, string) {
	t.Helper()
	c, err := pgtest.Start(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Stop() })
	dsn, err := c.CreateDatabase(context.Background(), db)
	if err != nil {
		t.Fatal(err)
	}
	return c, dsn
}
