package postgres

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/pixmatch/pixmatch/server/store"
	"github.com/pixmatch/pixmatch/server/store/storetest"
)

// TestListen listens through one store while another writes: Listen
// says "look at everything" (0) as it connects, then names the gallery of
// each committed write and nothing for a refused one. After PostgreSQL
// crashes and restarts, it reports the failure, connects again by itself,
// says 0 again (notifications meanwhile are lost) and goes on.
func TestListen(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	c, dsn := ownCluster(t, "listen")
	listener, writer := open(t, dsn), open(t, dsn)
	g, err := writer.CreateGallery(ctx, store.Gallery{Name: "g", AppID: "app"})
	if err != nil {
		t.Fatal(err)
	}
	wakes := make(chan int64, 100)
	var reports sync.WaitGroup
	reported := make(chan error, 100)
	reports.Go(func() {
		listener.Listen(ctx, func(id int64) { wakes <- id }, func(err error) { reported <- err })
	})
	defer func() { cancel(); reports.Wait() }()
	expect := func(what string, want int64) {
		t.Helper()
		select {
		case got := <-wakes:
			if got != want {
				t.Fatalf("%s: woken for gallery %d, want %d", what, got, want)
			}
		case <-time.After(5 * time.Second):
			t.Fatalf("%s: no wake-up", what)
		}
	}
	expect("connected", 0)
	if _, err := writer.CreateTarget(ctx, storetest.Target(g.ID, 1, 64)); err != nil {
		t.Fatal(err)
	}
	expect("create", g.ID)
	if _, err := writer.CreateTarget(ctx, storetest.Target(g.ID, 1, 64)); err == nil {
		t.Fatal("a taken ID was created again")
	}
	if _, err := writer.DeleteTargets(ctx, g.ID, []string{storetest.TargetID(1)}); err != nil {
		t.Fatal(err)
	}
	expect("delete (and nothing for the refused create)", g.ID)

	c.Kill()
	select {
	case <-reported:
	case <-time.After(5 * time.Second):
		t.Fatal("the broken connection was not reported")
	}
	if err := c.Restart(ctx); err != nil {
		t.Fatal(err)
	}
	expect("connected again", 0)
	if _, err := writer.CreateTarget(ctx, storetest.Target(g.ID, 2, 64)); err != nil {
		t.Fatal(err)
	}
	expect("create after the restart", g.ID)
}

// open opens a store on dsn, closed when the test ends.
func open(t *testing.T, dsn string) *Store {
	t.Helper()
	s, err := Open(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}
