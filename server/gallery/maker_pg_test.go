package gallery

import (
	"context"
	"testing"
	"time"

	"github.com/pixmatch/pixmatch/server/config"
	"github.com/pixmatch/pixmatch/server/store"
	"github.com/pixmatch/pixmatch/server/store/postgres"
	"github.com/pixmatch/pixmatch/server/store/postgres/pgtest"
)

// pgStore starts a throwaway PostgreSQL with a database called name and
// opens the store on it; both go when the test ends.
func pgStore(t *testing.T, name string) *postgres.Store {
	t.Helper()
	ctx := context.Background()
	c, err := pgtest.Start(ctx)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Stop() })
	dsn, err := c.CreateDatabase(ctx, name)
	if err != nil {
		t.Fatal(err)
	}
	st, err := postgres.Open(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

// TestRecordMadeOnceAcrossServers runs two servers with record makers on
// one PostgreSQL database, both makers held off. A target added through
// server A is found in a camera frame through server B at once: B
// follows the add, and its search makes the record, saved once; A's
// maker, let go, takes the saved record instead of making it again.
func TestRecordMadeOnceAcrossServers(t *testing.T) {
	ctx := context.Background()
	st := pgStore(t, "makers")
	g, err := st.CreateGallery(ctx, store.Gallery{Name: "g", AppID: "app"})
	if err != nil {
		t.Fatal(err)
	}
	const held = 1 << 20
	server := func() *Service {
		svc, err := Open(ctx, st, config.Default(), WithRecordMaker(nil), WithFollowing())
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { svc.Close(ctx) })
		unhurried(svc)
		svc.cfg.Search.Timeout = time.Minute
		svc.maker.busy.Add(held)
		return svc
	}
	a, b := server(), server()
	tg, err := a.Targets.Add(ctx, g.ID, Target{Name: "coffee", Active: true}, picture(t, "coffee"), AddOptions{})
	if err != nil {
		t.Fatal(err)
	}
	added, _ := st.Gallery(ctx, g.ID)
	ms, err := b.Recognition.Search(ctx, g.ID, tilted(t, "coffee"), SearchOptions{Limit: 1})
	if err != nil || len(ms) != 1 || ms[0].Target.ID != tg.ID || ms[0].Corners == nil {
		t.Fatalf("a camera frame through the other server right after the add: %+v, %v", ms, err)
	}
	a.maker.busy.Add(-held)
	waitMade(t, a)
	if now, _ := st.Gallery(ctx, g.ID); now.Version != added.Version+1 {
		t.Errorf("the record was saved %d times, want once", now.Version-added.Version)
	}
	ms, err = a.Recognition.Search(ctx, g.ID, tilted(t, "coffee"), SearchOptions{Limit: 1})
	if err != nil || len(ms) != 1 || ms[0].Target.ID != tg.ID || ms[0].Corners == nil {
		t.Fatalf("a camera frame through the server that took the add: %+v, %v", ms, err)
	}
}
