package d1

import (
	"context"
	"errors"
	"slices"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/pixmatch/pixmatch/server/store"
	"github.com/pixmatch/pixmatch/server/store/storetest"
)

// failingBlobs is a MemoryBlobs whose Put fails after ok successes.
type failingBlobs struct {
	*MemoryBlobs
	ok atomic.Int32
}

var errBlobDown = errors.New("blob store down")

func (f *failingBlobs) Put(ctx context.Context, key string, v []byte) error {
	if f.ok.Add(-1) < 0 {
		return errBlobDown
	}
	return f.MemoryBlobs.Put(ctx, key, v)
}

// snapshot is everything a store holds, to check that a refused write
// changed nothing.
type snapshot struct {
	version int64
	changes []store.Change
	targets []store.Target
	codes   int
	blobs   []string
}

func take(t *testing.T, s *Store, blobs *MemoryBlobs, gallery int64) snapshot {
	t.Helper()
	ctx := context.Background()
	g, err := s.Gallery(ctx, gallery)
	if err != nil {
		t.Fatal(err)
	}
	var sn snapshot
	sn.version = g.Version
	if sn.changes, err = s.Changes(ctx, gallery, 0, 0); err != nil {
		t.Fatal(err)
	}
	if sn.targets, err = s.Targets(ctx, gallery, store.Page{}); err != nil {
		t.Fatal(err)
	}
	if err := s.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM codes`).Scan(&sn.codes); err != nil {
		t.Fatal(err)
	}
	sn.blobs = blobs.Keys()
	return sn
}

func (a snapshot) equal(b snapshot) bool {
	return a.version == b.version && a.codes == b.codes && slices.Equal(a.changes, b.changes) &&
		slices.EqualFunc(a.targets, b.targets, func(x, y store.Target) bool { return x.ID == y.ID && x.Name == y.Name && x.Meta == y.Meta }) &&
		slices.Equal(a.blobs, b.blobs)
}

// withBlobs returns target n with every kind of blob: a picture, a
// feature record, and meta and unknown fields too long for the row.
func withBlobs(gallery int64, n int) store.Target {
	tg := storetest.Target(gallery, n, 1000)
	tg.Features = []byte("features")
	tg.Meta = strings.Repeat("m", InlineMax+1)
	tg.Extra = `{"x":"` + strings.Repeat("e", InlineMax) + `"}`
	tg.Fingerprint = nil
	return tg
}

func newStore(t *testing.T) (*Store, *failingBlobs, int64) {
	t.Helper()
	blobs := &failingBlobs{MemoryBlobs: &MemoryBlobs{}}
	blobs.ok.Store(1 << 30)
	s, err := Open(context.Background(), openD1Mode(t), blobs)
	if err != nil {
		t.Fatal(err)
	}
	g, err := s.CreateGallery(context.Background(), store.Gallery{Name: "g", AppID: "g"})
	if err != nil {
		t.Fatal(err)
	}
	return s, blobs, g.ID
}

// TestRefusedWritesChangeNothing: a write whose blob store fails midway,
// or whose statement fails after its blobs were put, leaves the rows, the
// change log, the version, the codes and the blobs as they were.
func TestRefusedWritesChangeNothing(t *testing.T) {
	ctx := context.Background()
	s, blobs, g := newStore(t)
	if _, err := s.CreateTarget(ctx, withBlobs(g, 1)); err != nil {
		t.Fatal(err)
	}
	before := take(t, s, blobs.MemoryBlobs, g)
	upd := withBlobs(g, 1)
	upd.Name = "changed"
	writes := []struct {
		name string
		do   func() error
	}{
		{"create, blob store failing at the 3rd blob", func() error {
			blobs.ok.Store(2)
			defer blobs.ok.Store(1 << 30)
			_, err := s.CreateTarget(ctx, withBlobs(g, 2))
			return err
		}},
		{"update, blob store failing at the 2nd blob", func() error {
			blobs.ok.Store(1)
			defer blobs.ok.Store(1 << 30)
			_, err := s.UpdateTarget(ctx, upd)
			return err
		}},
		{"create of a taken ID, after its blobs", func() error { _, err := s.CreateTarget(ctx, withBlobs(g, 1)); return err }},
		{"update of a missing target", func() error { _, err := s.UpdateTarget(ctx, withBlobs(g, 9)); return err }},
		{"set features of a missing target", func() error { return s.SetFeatures(ctx, g, "missing", []byte("x")) }},
	}
	for _, w := range writes {
		if err := w.do(); err == nil {
			t.Errorf("%s succeeded", w.name)
		}
		if after := take(t, s, blobs.MemoryBlobs, g); !after.equal(before) {
			t.Errorf("%s changed the store:\nbefore %+v\nafter  %+v", w.name, before, after)
		}
	}
}

// TestChangeLogIsPartOfTheStatement: when the change row cannot be
// written (its version taken by a stray row), the target's insert,
// update or delete fails with it: no target without its change row.
func TestChangeLogIsPartOfTheStatement(t *testing.T) {
	ctx := context.Background()
	s, blobs, g := newStore(t)
	if _, err := s.CreateTarget(ctx, withBlobs(g, 1)); err != nil {
		t.Fatal(err)
	}
	if _, err := s.db.ExecContext(ctx, `INSERT INTO changes (gallery_id, version, target_id, seq, op, at) VALUES (?, 2, 'stray', 0, 1, 0)`, g); err != nil {
		t.Fatal(err)
	}
	before := take(t, s, blobs.MemoryBlobs, g)
	upd := withBlobs(g, 1)
	upd.Name = "changed"
	for name, do := range map[string]func() error{
		"create": func() error { _, err := s.CreateTarget(ctx, withBlobs(g, 2)); return err },
		"update": func() error { _, err := s.UpdateTarget(ctx, upd); return err },
		"delete": func() error { _, err := s.DeleteTargets(ctx, g, []string{storetest.TargetID(1)}); return err },
	} {
		if err := do(); err == nil {
			t.Errorf("%s succeeded with its change row's version taken", name)
		}
		if after := take(t, s, blobs.MemoryBlobs, g); !after.equal(before) {
			t.Errorf("a failed %s changed the store:\nbefore %+v\nafter  %+v", name, before, after)
		}
	}
}

// TestDeletionChecksInsideTheStatement: a deletion naming a target that
// went after the store's own check (here, the statement sent as is) is
// refused whole by its trigger.
func TestDeletionChecksInsideTheStatement(t *testing.T) {
	ctx := context.Background()
	s, blobs, g := newStore(t)
	for n := range 3 {
		if _, err := s.CreateTarget(ctx, withBlobs(g, n)); err != nil {
			t.Fatal(err)
		}
	}
	before := take(t, s, blobs.MemoryBlobs, g)
	_, err := s.db.ExecContext(ctx, `INSERT INTO deletions (gallery_id, ids, version, at) VALUES (?, ?, 5, 0)`,
		g, `["`+storetest.TargetID(0)+`", "gone"]`)
	if err == nil || !errors.Is(storeError(err), store.ErrNotFound) {
		t.Errorf("a deletion of a missing target: %v, want one the store reports as not found", err)
	}
	if after := take(t, s, blobs.MemoryBlobs, g); !after.equal(before) {
		t.Errorf("a refused deletion changed the store:\nbefore %+v\nafter  %+v", before, after)
	}
}

// TestBlobsFollowRows: after creates, updates with and without a
// picture, a new feature record, deletes and a gallery's deletion, the
// blob store holds exactly the blobs rows refer to.
func TestBlobsFollowRows(t *testing.T) {
	ctx := context.Background()
	s, blobs, g := newStore(t)
	other, err := s.CreateGallery(ctx, store.Gallery{Name: "other", AppID: "other"})
	if err != nil {
		t.Fatal(err)
	}
	for n := range 4 {
		if _, err := s.CreateTarget(ctx, withBlobs(g, n)); err != nil {
			t.Fatal(err)
		}
		if _, err := s.CreateTarget(ctx, withBlobs(other.ID, n)); err != nil {
			t.Fatal(err)
		}
	}
	noPicture := withBlobs(g, 0)
	noPicture.Image, noPicture.Features, noPicture.Meta = nil, nil, "short"
	steps := []func() error{
		func() error { _, err := s.UpdateTarget(ctx, withBlobs(g, 1)); return err },
		func() error { _, err := s.UpdateTarget(ctx, noPicture); return err },
		func() error { return s.SetFeatures(ctx, g, storetest.TargetID(2), []byte("remade")) },
		func() error { _, err := s.DeleteTargets(ctx, g, []string{storetest.TargetID(3)}); return err },
		func() error { return s.DeleteGallery(ctx, other.ID) },
	}
	for i, step := range steps {
		if err := step(); err != nil {
			t.Fatalf("step %d: %v", i, err)
		}
		referred, err := s.blobKeys(ctx, `WHERE 1`)
		if err != nil {
			t.Fatal(err)
		}
		slices.Sort(referred)
		if held := blobs.Keys(); !slices.Equal(held, referred) {
			t.Errorf("after step %d the blob store holds %d blobs, rows refer to %d:\n%v\n%v", i, len(held), len(referred), held, referred)
		}
	}
	if got, err := s.Target(ctx, g, storetest.TargetID(0), true); err != nil || string(got.Image) != string(withBlobs(g, 0).Image) || got.Meta != "short" {
		t.Errorf("an update without a picture: picture %d bytes, meta %q, %v", len(got.Image), got.Meta, err)
	}
}

// TestMissingBlobFailsRead: a read whose blob is gone says so rather than
// answering without it.
func TestMissingBlobFailsRead(t *testing.T) {
	ctx := context.Background()
	s, blobs, g := newStore(t)
	if _, err := s.CreateTarget(ctx, withBlobs(g, 1)); err != nil {
		t.Fatal(err)
	}
	for _, k := range blobs.Keys() {
		if blobKind(k) == blobImage {
			blobs.Delete(ctx, k)
		}
	}
	if _, err := s.Target(ctx, g, storetest.TargetID(1), true); !errors.Is(err, ErrNoBlob) {
		t.Errorf("Target with a missing picture: %v, want ErrNoBlob", err)
	}
	if _, err := s.Target(ctx, g, storetest.TargetID(1), false); err != nil {
		t.Errorf("Target without its picture: %v", err)
	}
}

// TestRowsStaySmall: a target with a 4 MB picture, 2 MiB of meta and
// 3 MB of unknown fields — more than D1 takes in a row — is stored, its
// row far below D1's limit, and read back whole.
func TestRowsStaySmall(t *testing.T) {
	ctx := context.Background()
	s, _, g := newStore(t)
	tg := storetest.Target(g, 1, 4<<20)
	tg.Meta = strings.Repeat("m", 2<<20)
	tg.Extra = `{"x":"` + strings.Repeat("e", 3_000_000) + `"}`
	if _, err := s.CreateTarget(ctx, tg); err != nil {
		t.Fatal(err)
	}
	var row int
	if err := s.db.QueryRowContext(ctx, `SELECT length(meta) + length(extra) + length(fingerprint) + length(codes) FROM targets`).Scan(&row); err != nil || row > 1000 {
		t.Errorf("the row holds %d bytes of values (%v)", row, err)
	}
	got, err := s.Target(ctx, g, tg.ID, true)
	if err != nil || got.Meta != tg.Meta || got.Extra != tg.Extra || string(got.Image) != string(tg.Image) {
		t.Errorf("read back: meta %d, extra %d, picture %d bytes, %v", len(got.Meta), len(got.Extra), len(got.Image), err)
	}
}

// TestMigrationRunsAgain: a schema step cut short (some statements run,
// none recorded) runs again whole, and opening a current database
// changes nothing.
func TestMigrationRunsAgain(t *testing.T) {
	ctx := context.Background()
	db := openD1Mode(t)
	for _, step := range migrations[0].steps[:len(migrations[0].steps)/2] {
		if _, err := db.ExecContext(ctx, step); err != nil {
			t.Fatal(err)
		}
	}
	for range 2 {
		s, err := Open(ctx, db, &MemoryBlobs{})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.CreateGallery(ctx, store.Gallery{}); err != nil {
			t.Fatal(err)
		}
	}
	var n int
	if err := db.QueryRowContext(ctx, `SELECT COUNT(*) FROM schema_migrations`).Scan(&n); err != nil || n != len(migrations) {
		t.Errorf("%d migrations recorded (%v), want %d", n, err, len(migrations))
	}
}
