package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pixmatch/pixmatch/server/store/sqlite"
	"github.com/pixmatch/pixmatch/shared/testphoto"
)

// TestBackupAndRestoreUnderWrites backs up the data folder of a running
// server while clients add targets through the CRS API, restores the
// copy into a new folder and opens it: it passes integrity_check and
// holds every target whose create was acknowledged before the backup
// started. Restore refuses a folder that is not empty and a file that is
// not a database, and changes nothing then.
func TestBackupAndRestoreUnderWrites(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	s := startServer(t, dir, "PIXMATCH_APP_ID=app1", "PIXMATCH_API_KEY=key1", "PIXMATCH_API_SECRET=secret1")
	photo := testphoto.File("coffee")
	var (
		mu    sync.Mutex
		acked []string
		wg    sync.WaitGroup
		stop  = make(chan struct{})
		once  sync.Once
	)
	halt := func() { once.Do(func() { close(stop) }); wg.Wait() }
	defer halt()
	const writers = 3
	for w := range writers {
		wg.Go(func() {
			for n := w; ; n += writers {
				select {
				case <-stop:
					return
				default:
				}
				img := append(append([]byte{}, photo...), []byte(fmt.Sprint(n))...)
				id, err := createTarget(s.url, "app1", "key1", "secret1", fmt.Sprintf("t%d", n), img)
				if err != nil {
					t.Error(err)
					return
				}
				mu.Lock()
				acked = append(acked, id)
				mu.Unlock()
			}
		})
	}
	ackedNow := func() []string { mu.Lock(); defer mu.Unlock(); return slices.Clone(acked) }
	deadline := time.Now().Add(30 * time.Second)
	for len(ackedNow()) < 6 && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	before := ackedNow()
	file := filepath.Join(t.TempDir(), "pixmatch-backup.db")
	if err := run(ctx, []string{"backup", file, "--data", dir}, os.Stdout, os.Getenv); err != nil {
		t.Fatal(err)
	}
	time.Sleep(300 * time.Millisecond) // writes go on after the backup
	halt()
	if len(before) < 6 {
		t.Fatalf("only %d targets acknowledged before the backup", len(before))
	}

	restored := filepath.Join(t.TempDir(), "restored")
	if err := run(ctx, []string{"restore", file, "--data", restored}, os.Stdout, os.Getenv); err != nil {
		t.Fatal(err)
	}
	if err := integrity(ctx, filepath.Join(restored, databaseFile)); err != nil {
		t.Fatal(err)
	}
	st, err := sqlite.Open(ctx, filepath.Join(restored, databaseFile))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	gs, err := st.Galleries(ctx)
	if err != nil || len(gs) != 1 {
		t.Fatalf("galleries of the copy: %v %v", gs, err)
	}
	for _, id := range before {
		if _, err := st.Target(ctx, gs[0].ID, id, false); err != nil {
			t.Errorf("target %s, acknowledged before the backup, missing from the copy: %v", id, err)
		}
	}
	t.Logf("%d targets acknowledged before the backup, %d in all", len(before), len(ackedNow()))

	listing := func(d string) string {
		entries, _ := os.ReadDir(d)
		var names []string
		for _, e := range entries {
			names = append(names, e.Name())
		}
		return strings.Join(names, ",")
	}
	was := listing(restored)
	if err := run(ctx, []string{"restore", file, "--data", restored}, os.Stdout, os.Getenv); err == nil || !strings.Contains(err.Error(), "not empty") {
		t.Errorf("restore into a folder that is not empty: %v", err)
	}
	if now := listing(restored); now != was {
		t.Errorf("a refused restore changed the folder: %s, was %s", now, was)
	}
	junk := filepath.Join(t.TempDir(), "junk.db")
	os.WriteFile(junk, []byte("not a database at all, but long enough to look like a header..."), 0o600)
	fresh := filepath.Join(t.TempDir(), "fresh")
	if err := run(ctx, []string{"restore", junk, "--data", fresh}, os.Stdout, os.Getenv); err == nil {
		t.Errorf("restore of a file that is not a database: no error")
	}
	if _, err := os.Stat(fresh); !os.IsNotExist(err) {
		t.Errorf("a refused restore made the folder: %v", err)
	}
}
