package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/pixmatch/pixmatch/server/store"
	"github.com/pixmatch/pixmatch/server/store/storetest"
)

// TestBackupUnderWrites backs up a database while goroutines create
// targets: the copy opens, passes PRAGMA integrity_check, and holds every
// target whose create returned before the backup started (the ones
// still in the write-ahead log included); Backup refuses to overwrite a
// file.
func TestBackupUnderWrites(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	s, err := Open(ctx, filepath.Join(dir, "pixmatch.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	g, err := s.CreateGallery(ctx, store.Gallery{Name: "g", AppID: "a"})
	if err != nil {
		t.Fatal(err)
	}
	var (
		mu    sync.Mutex
		acked []string
		wg    sync.WaitGroup
	)
	stop := make(chan struct{})
	var stopOnce sync.Once
	halt := func() { stopOnce.Do(func() { close(stop) }); wg.Wait() }
	defer halt()
	const writers = 4
	for w := range writers {
		wg.Go(func() {
			for n := w; ; n += writers {
				select {
				case <-stop:
					return
				default:
				}
				if _, err := s.CreateTarget(ctx, storetest.Target(g.ID, n, 4<<10)); err != nil {
					t.Error(err)
					return
				}
				mu.Lock()
				acked = append(acked, storetest.TargetID(n))
				mu.Unlock()
			}
		})
	}
	for {
		mu.Lock()
		n := len(acked)
		mu.Unlock()
		if n >= 40 {
			break
		}
		time.Sleep(5 * time.Millisecond)
	}
	mu.Lock()
	before := append([]string(nil), acked...)
	mu.Unlock()
	if fi, err := os.Stat(filepath.Join(dir, "pixmatch.db-wal")); err != nil || fi.Size() == 0 {
		t.Fatalf("the write-ahead log holds nothing to copy: %v %v", fi, err)
	}
	copyPath := filepath.Join(dir, "backup.db")
	if err := s.Backup(ctx, copyPath); err != nil {
		t.Fatal(err)
	}
	halt()

	if err := s.Backup(ctx, copyPath); !errors.Is(err, os.ErrExist) {
		t.Fatalf("backup over an existing file: %v", err)
	}
	if fi, err := os.Stat(copyPath); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("backup file: %v %v", fi, err)
	}
	db, err := sql.Open("sqlite", copyPath)
	if err != nil {
		t.Fatal(err)
	}
	var check string
	if err := db.QueryRow(`PRAGMA integrity_check`).Scan(&check); err != nil || check != "ok" {
		t.Fatalf("integrity_check: %q %v", check, err)
	}
	db.Close()
	c, err := Open(ctx, copyPath)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	for _, id := range before {
		if _, err := c.Target(ctx, g.ID, id, false); err != nil {
			t.Errorf("target %s, acknowledged before the backup: %v", id, err)
		}
	}
	t.Logf("%d targets acknowledged before the backup, %d in all", len(before), len(acked))
}
