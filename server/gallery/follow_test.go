package gallery

import (
	"context"
	"database/sql"
	"errors"
	"path/filepath"
	"sync/atomic"
	"testing"

	"github.com/pixmatch/pixmatch/server/config"
	"github.com/pixmatch/pixmatch/server/store"
	"github.com/pixmatch/pixmatch/server/store/sqlite"
)

// countingStore is a real store that counts the reads a follower makes.
type countingStore struct {
	store.Store
	reads atomic.Int64
}

func (c *countingStore) Changes(ctx context.Context, g, since int64, limit int) ([]store.Change, error) {
	c.reads.Add(1)
	return c.Store.Changes(ctx, g, since, limit)
}

func (c *countingStore) TargetsByID(ctx context.Context, g int64, ids []string, image bool) ([]store.Target, error) {
	c.reads.Add(1)
	return c.Store.TargetsByID(ctx, g, ids, image)
}

func (c *countingStore) TargetFeatures(ctx context.Context, g int64, ids []string) (map[string][]byte, error) {
	c.reads.Add(1)
	return c.Store.TargetFeatures(ctx, g, ids)
}

// TestFollow runs two services on one database, as two servers share
// one: what A adds, deactivates, reactivates and deletes, B answers
// accordingly once it has caught up with the change log, and B's own
// writes change nothing when they come back to it through the log.
func TestFollow(t *testing.T) {
	ctx := context.Background()
	a, st, g := open(t)
	b, err := Open(ctx, st, config.Default())
	if err != nil {
		t.Fatal(err)
	}
	finds := func(svc *Service, name string) bool {
		t.Helper()
		ms, err := svc.Recognition.Search(ctx, g.ID, given(picture(t, name)), SearchOptions{})
		if err != nil && !isNoActive(err) {
			t.Fatal(err)
		}
		return len(ms) == 1
	}
	catchUp := func() {
		t.Helper()
		if err := b.CatchUp(ctx, 0); err != nil {
			t.Fatal(err)
		}
	}
	coffee, err := a.Targets.Add(ctx, g.ID, Target{Name: "coffee", Active: true}, picture(t, "coffee"), crs)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := b.Targets.Add(ctx, g.ID, Target{Name: "rocket", Active: true}, picture(t, "rocket"), crs); err != nil {
		t.Fatal(err)
	}
	catchUp()
	if !finds(b, "coffee") || !finds(b, "rocket") {
		t.Fatal("B does not find A's target, or its own, after catching up")
	}
	off, on := false, true
	steps := []struct {
		change func() error
		want   bool
	}{
		{func() error { _, err := a.Targets.Update(ctx, g.ID, coffee.ID, Patch{Active: &off}); return err }, false},
		{func() error { _, err := a.Targets.Update(ctx, g.ID, coffee.ID, Patch{Active: &on}); return err }, true},
		{func() error { _, err := a.Targets.Delete(ctx, g.ID, coffee.ID); return err }, false},
	}
	for i, step := range steps {
		if err := step.change(); err != nil {
			t.Fatal(err)
		}
		catchUp()
		if got := finds(b, "coffee"); got != step.want {
			t.Errorf("step %d: B finds coffee: %v, want %v", i, got, step.want)
		}
	}
	if n, _ := b.Targets.CountContext(t.Context(), g.ID); n != 1 {
		t.Errorf("B counts %d targets, want 1", n)
	}
}

// isNoActive reports a search of a gallery without an active target.
func isNoActive(err error) bool { return errors.Is(err, ErrNoActiveTargets) }

// TestFollowCatchesUpInBatches has a follower miss 10,000 changes: it
// catches up reading them a batch at a time, three reads a batch, and
// ends at the log's last version.
func TestFollowCatchesUpInBatches(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "db")
	st, err := sqlite.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	counted := &countingStore{Store: st}
	a, err := Open(ctx, st, config.Default())
	if err != nil {
		t.Fatal(err)
	}
	g, err := a.Galleries.Create(ctx, store.Gallery{Name: "g", AppID: "app"})
	if err != nil {
		t.Fatal(err)
	}
	added, err := a.Targets.Add(ctx, g.ID, Target{Name: "coffee", Active: true}, picture(t, "coffee"), crs)
	if err != nil {
		t.Fatal(err)
	}
	b, err := Open(ctx, counted, config.Default())
	if err != nil {
		t.Fatal(err)
	}
	// 10,000 updates of the target, the last one deactivating it, written
	// into the log in one transaction (through the store, each would be
	// fsynced on its own).
	const missed = 10_000
	db, err := sql.Open("sqlite", path+"?_pragma=busy_timeout(5000)")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{
		`WITH RECURSIVE n(v) AS (SELECT 2 UNION ALL SELECT v + 1 FROM n WHERE v < 1 + ?2)
			INSERT INTO changes (gallery_id, version, target_id, seq, op, at) SELECT ?1, v, ?3, 1, 1, 0 FROM n`,
		`UPDATE galleries SET version = 1 + ?2 WHERE id = ?1`,
		`UPDATE targets SET active = 0 WHERE gallery_id = ?1 AND id = ?3`,
	} {
		if _, err := tx.ExecContext(ctx, q, g.ID, missed, added.ID); err != nil {
			t.Fatal(err)
		}
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	counted.reads.Store(0)
	if err := b.CatchUp(ctx, g.ID); err != nil {
		t.Fatal(err)
	}
	batches := (missed + followBatch) / followBatch // the log's missed changes, and the end found
	if reads := counted.reads.Load(); reads > int64(3*batches+1) {
		t.Errorf("catching up on %d changes took %d reads, want at most %d", missed, reads, 3*batches+1)
	}
	sh, _ := b.shelf(g.ID)
	if sh.followed.Load() != 1+missed {
		t.Errorf("B follows version %d, want %d", sh.followed.Load(), 1+missed)
	}
	if e, ok := sh.index.Get(added.ID); !ok || e.Active {
		t.Errorf("B's index entry %+v (present %v), want the target, inactive", e, ok)
	}
}

// TestReadYourWrites has B, a service WithFollowing that never catches up
// by itself (no Follow runs), answer at once what A commits to their
// shared store: a search, the similar check and the capacity check of
// an add read the indexes only after they hold every stored change. A
// service without the option answers from the indexes it holds.
func TestReadYourWrites(t *testing.T) {
	ctx := context.Background()
	a, st, g := open(t)
	b, err := Open(ctx, st, config.Default(), WithFollowing())
	if err != nil {
		t.Fatal(err)
	}
	plain, err := Open(ctx, st, config.Default())
	if err != nil {
		t.Fatal(err)
	}
	found := func(svc *Service, name string) bool {
		t.Helper()
		ms, err := svc.Recognition.Search(ctx, g.ID, given(picture(t, name)), SearchOptions{})
		if err != nil && !isNoActive(err) {
			t.Fatal(err)
		}
		return len(ms) == 1
	}
	coffee, err := a.Targets.Add(ctx, g.ID, Target{Name: "coffee", Active: true}, picture(t, "coffee"), crs)
	if err != nil {
		t.Fatal(err)
	}
	if !found(b, "coffee") {
		t.Error("B does not find the target A added just before")
	}
	if found(plain, "coffee") {
		t.Error("a service without WithFollowing found a target it never loaded: the test proves nothing")
	}
	if ms, err := b.Recognition.Similar(ctx, g.ID, picture(t, "coffee")); err != nil || len(ms) != 1 {
		t.Errorf("B's similar check: %v, %v; want A's target", ms, err)
	}
	if _, err := b.Targets.Add(ctx, g.ID, Target{Name: "again", Active: true}, picture(t, "coffee"), crs); !errors.Is(err, ErrSimilar) {
		t.Errorf("B adds a copy of A's target: %v, want ErrSimilar", err)
	}
	off := false
	if _, err := a.Targets.Update(ctx, g.ID, coffee.ID, Patch{Active: &off}); err != nil {
		t.Fatal(err)
	}
	if found(b, "coffee") {
		t.Error("B finds the target A deactivated just before")
	}
	if _, err := a.Targets.Delete(ctx, g.ID, coffee.ID); err != nil {
		t.Fatal(err)
	}
	if ms, err := b.Recognition.Similar(ctx, g.ID, picture(t, "coffee")); err != nil || len(ms) != 0 {
		t.Errorf("B's similar check after A's delete: %v, %v; want nothing", ms, err)
	}
}

// TestReadYourWritesBoundedByContext has B find its indexes behind and
// its request's context ended: the request fails with the context's
// error instead of answering from the old indexes, and changes nothing.
func TestReadYourWritesBoundedByContext(t *testing.T) {
	ctx := context.Background()
	a, st, g := open(t)
	b, err := Open(ctx, st, config.Default(), WithFollowing())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.Targets.Add(ctx, g.ID, Target{Name: "coffee", Active: true}, picture(t, "coffee"), crs); err != nil {
		t.Fatal(err)
	}
	done, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := b.Recognition.Similar(done, g.ID, picture(t, "coffee")); !errors.Is(err, context.Canceled) {
		t.Errorf("B's similar check with an ended context: %v, want context.Canceled", err)
	}
	sh, _ := b.shelf(g.ID)
	if v := sh.followed.Load(); v != 0 {
		t.Errorf("B follows version %d after the ended request, want 0", v)
	}
}
