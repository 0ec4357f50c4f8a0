package importer_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"image/jpeg"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/pixmatch/pixmatch/server/config"
	"github.com/pixmatch/pixmatch/server/importer"
	"github.com/pixmatch/pixmatch/server/internal/testserver"
	"github.com/pixmatch/pixmatch/server/loadgen"
	"github.com/pixmatch/pixmatch/server/store"
	"github.com/pixmatch/pixmatch/shared/apierror"
)

// pictures is how many good pictures the import test makes.
const pictures = 200

// writeFolder makes a folder of pictures: pictures distinct JPEGs in two
// subfolders, one file named .jpg that is no picture, a text file and a
// hidden folder (both left out), and a CSV giving three pictures a meta.
// It returns the folder and the meta file.
func writeFolder(t *testing.T) (dir, meta string) {
	t.Helper()
	dir = t.TempDir()
	for _, sub := range []string{"shoes", "bags", ".cache"} {
		if err := os.Mkdir(filepath.Join(dir, sub), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	for i := range pictures {
		var buf bytes.Buffer
		if err := jpeg.Encode(&buf, loadgen.Picture(15, i, 160), &jpeg.Options{Quality: 85}); err != nil {
			t.Fatal(err)
		}
		write(t, filepath.Join(dir, []string{"shoes", "bags"}[i%2], fmt.Sprintf("item %03d.jpg", i)), buf.Bytes())
	}
	write(t, filepath.Join(dir, "broken.jpg"), []byte("this is not a picture"))
	write(t, filepath.Join(dir, "notes.txt"), []byte("left out"))
	write(t, filepath.Join(dir, ".cache", "x.jpg"), []byte("left out"))
	meta = filepath.Join(t.TempDir(), "meta.csv")
	write(t, meta, []byte("file,meta,active\nshoes/item 000.jpg,\"{\"\"sku\"\":\"\"A-0\"\"}\",1\nbags/item 001.jpg,sku B-1,0\nshoes/item 002.jpg,plain,\n"))
	return dir, meta
}

func write(t *testing.T, name string, data []byte) {
	t.Helper()
	if err := os.WriteFile(name, data, 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestImportResumes imports 200 pictures and a file that is no picture
// into a real server over HTTP, interrupts the import after 60
// acknowledged outcomes, loses the journal's last line (as a crash
// between the server's answer and the journal's sync would), and runs it
// again: every picture ends up a target exactly once, with its meta,
// the lost one (and any whose answer the cancel cut off) counted as
// present, and the bad file is reported with its
// catalogue code both times. A third run sends only the bad file.
func TestImportResumes(t *testing.T) {
	s := testserver.New(t, func(_ *config.Config, g *store.Gallery) { g.QPS = 0 })
	dir, meta := writeFolder(t)
	o := importer.Options{Dir: dir, URL: s.URL(), AppID: testserver.AppID, Key: testserver.Key, Secret: testserver.Secret, Meta: meta, Clients: 4}

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var acked atomic.Int32
	o.Acknowledged = func(importer.Record) {
		if acked.Add(1) == 60 {
			cancel()
		}
	}
	first, err := importer.Run(ctx, o)
	if !errors.Is(err, context.Canceled) || first.Left == 0 || first.Pictures != pictures+1 {
		t.Fatalf("the interrupted run: %v, %+v; want context.Canceled with pictures left", err, first)
	}
	dropLastAdded(t, filepath.Join(dir, importer.JournalName))

	o.Acknowledged = nil
	var bar bytes.Buffer
	o.Progress = &bar
	second, err := importer.Run(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	var report bytes.Buffer
	second.Write(&report)
	t.Logf("first run: %+v\nsecond run:\n%s", first, report.String())
	// Present: the picture whose line was lost, and any whose request was
	// in flight when the first run was cancelled but which the server took.
	if second.Present < 1 || second.Skipped+second.Added+second.Present != pictures || second.Left != 0 {
		t.Errorf("second run: %+v; want at least 1 present and the %d pictures skipped, added or present", second, pictures)
	}
	wantBroken(t, second.Failed)
	if !strings.Contains(report.String(), "broken.jpg") || !strings.Contains(report.String(), "427") || !strings.Contains(bar.String(), "importing") {
		t.Errorf("the report or the progress bar lacks the failure:\n%s\n%s", report.String(), bar.String())
	}
	checkTargets(t, s)

	before := s.Snapshot()
	third, err := importer.Run(context.Background(), importer.Options{Dir: dir, URL: s.URL(), AppID: testserver.AppID, Key: testserver.Key, Secret: testserver.Secret})
	if err != nil || third.Skipped != pictures || third.Added+third.Present != 0 {
		t.Errorf("third run: %+v, %v; want every picture skipped", third, err)
	}
	wantBroken(t, third.Failed)
	if after := s.Snapshot(); after != before {
		t.Errorf("the third run changed the gallery: %s, then %s", before, after)
	}
}

// dropLastAdded removes the journal's last "added" line.
func dropLastAdded(t *testing.T, journal string) {
	t.Helper()
	data, err := os.ReadFile(journal)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.SplitAfter(string(data), "\n")
	for i := len(lines) - 1; i >= 0; i-- {
		if strings.Contains(lines[i], `"outcome":"added"`) {
			write(t, journal, []byte(strings.Join(append(lines[:i:i], lines[i+1:]...), "")))
			return
		}
	}
	t.Fatal("the journal records no picture added")
}

func wantBroken(t *testing.T, failed []importer.Failure) {
	t.Helper()
	code := apierror.CRSImageNotCorrect
	if len(failed) != 1 || failed[0].File != "broken.jpg" || failed[0].Code != code.CRSCode() || failed[0].Message != code.Message {
		t.Errorf("failures %+v; want broken.jpg alone, %d %q", failed, code.CRSCode(), code.Message)
	}
}

// checkTargets checks that the gallery holds each picture once, named
// after its file, with the meta and active the CSV gave.
func checkTargets(t *testing.T, s *testserver.Server) {
	t.Helper()
	rows, err := s.SQL().Query(`SELECT name, meta, active FROM targets WHERE gallery_id = ?`, s.Gallery.ID)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	seen := map[string]int{}
	for rows.Next() {
		var name, meta string
		var active int
		if err := rows.Scan(&name, &meta, &active); err != nil {
			t.Fatal(err)
		}
		seen[name]++
		want, wantActive := map[string]string{"item 000": `{"sku":"A-0"}`, "item 001": "sku B-1", "item 002": "plain"}[name], 1
		if name == "item 001" {
			wantActive = 0
		}
		if meta != want || active != wantActive {
			t.Errorf("%s: meta %q, active %d; want %q, %d", name, meta, active, want, wantActive)
		}
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	for i := range pictures {
		if name := fmt.Sprintf("item %03d", i); seen[name] != 1 {
			t.Errorf("%s is %d targets, want 1", name, seen[name])
		}
	}
	if len(seen) != pictures {
		t.Errorf("%d target names, want %d", len(seen), pictures)
	}
}
