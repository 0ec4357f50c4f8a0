package sqlite

import (
	"context"
	"database/sql"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/pixmatch/pixmatch/server/store"
	"github.com/pixmatch/pixmatch/server/store/storetest"
)

func BenchmarkCreateTarget(b *testing.B) {
	ctx := context.Background()
	s := openTemp(b)
	g, err := s.CreateGallery(ctx, store.Gallery{Name: "bench", AppID: "bench"})
	if err != nil {
		b.Fatal(err)
	}
	t := storetest.Target(g.ID, 0, 50<<10)
	b.SetBytes(int64(len(t.Image)))
	n := 0
	for b.Loop() {
		t.ID = storetest.TargetID(n)
		if _, err := s.CreateTarget(ctx, t); err != nil {
			b.Fatal(err)
		}
		n++
	}
}

// fixture is a store holding one gallery of fixtureTargets targets, built
// once per test binary run and removed by cleanupFixtures.
var fixture struct {
	once    sync.Once
	dir     string
	store   *Store
	gallery int64
	err     error
}

const fixtureTargets = 100_000

func eachTargetFixture(b *testing.B) (*Store, int64) {
	fixture.once.Do(func() {
		fixture.dir, fixture.err = os.MkdirTemp("", "pixmatch-sqlite-bench-")
		if fixture.err == nil {
			fixture.store, fixture.gallery, fixture.err = buildFixture(filepath.Join(fixture.dir, "bench.db"))
		}
	})
	if fixture.err != nil {
		b.Fatalf("build fixture: %v", fixture.err)
	}
	return fixture.store, fixture.gallery
}

// buildFixture writes the targets in transactions of 10,000 through the
// same code as CreateTarget, so that building does not take one fsync per
// target.
func buildFixture(path string) (*Store, int64, error) {
	ctx := context.Background()
	s, err := Open(ctx, path)
	if err != nil {
		return nil, 0, err
	}
	g, err := s.CreateGallery(ctx, store.Gallery{Name: "bench", AppID: "bench"})
	if err != nil {
		s.Close()
		return nil, 0, err
	}
	const batch = 10_000
	for first := 0; first < fixtureTargets; first += batch {
		err := s.write(ctx, func(tx *sql.Tx) error {
			for n := first; n < first+batch; n++ {
				t := storetest.Target(g.ID, n, 1024)
				if _, err := createTarget(ctx, tx, &t, now()); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			s.Close()
			return nil, 0, err
		}
	}
	return s, g.ID, nil
}

func cleanupFixtures() {
	if fixture.store != nil {
		fixture.store.Close()
	}
	if fixture.dir != "" {
		os.RemoveAll(fixture.dir)
	}
}

func BenchmarkEachTarget(b *testing.B) {
	s, gallery := eachTargetFixture(b)
	ctx := context.Background()
	for b.Loop() {
		n := 0
		err := s.EachTarget(ctx, gallery, func(store.Target) error {
			n++
			return nil
		})
		if err != nil || n != fixtureTargets {
			b.Fatalf("EachTarget visited %d targets, %v; want %d", n, err, fixtureTargets)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*fixtureTargets), "ns/target")
}
