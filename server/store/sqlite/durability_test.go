package sqlite

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/pixmatch/pixmatch/server/store"
	"github.com/pixmatch/pixmatch/server/store/storetest"
)

// Environment of the writer process that TestKillDuringWrites starts.
const (
	helperDBEnv      = "PIXMATCH_SQLITE_HELPER_DB"
	helperGalleryEnv = "PIXMATCH_SQLITE_HELPER_GALLERY"
	helperImageSize  = 20 << 10
)

// TestHelperWriter is not a test: run by TestKillDuringWrites in a child
// process, it creates targets until killed, printing "ack <id>" after each
// CreateTarget that returned nil.
func TestHelperWriter(t *testing.T) {
	path := os.Getenv(helperDBEnv)
	if path == "" {
		t.Skip("the writer process of TestKillDuringWrites")
	}
	gallery, err := strconv.ParseInt(os.Getenv(helperGalleryEnv), 10, 64)
	if err != nil {
		t.Fatal(err)
	}
	// A deadline, in case the parent dies before it kills this process.
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	s, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	for n := 0; ctx.Err() == nil; n++ {
		if _, err := s.CreateTarget(ctx, storetest.Target(gallery, n, helperImageSize)); err != nil {
			t.Fatal(err)
		}
		fmt.Printf("ack %s\n", storetest.TargetID(n)) // os.Stdout is unbuffered
	}
}

// TestKillDuringWrites checks that a write answered with success survives
// kill -9: a child process writes targets, the parent kills it with SIGKILL
// in the middle of its writes, reopens the database and finds every
// acknowledged target intact and the change log consistent.
func TestKillDuringWrites(t *testing.T) {
	const acks = 50
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "pixmatch.db")
	s, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	g, err := s.CreateGallery(ctx, store.Gallery{Name: "durable", AppID: "durable"})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	cmd := exec.Command(os.Args[0], "-test.run=^TestHelperWriter$", "-test.count=1")
	cmd.Env = append(os.Environ(), helperDBEnv+"="+path, helperGalleryEnv+"="+strconv.FormatInt(g.ID, 10))
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var acked []string
	var output strings.Builder
	lines := bufio.NewScanner(stdout)
	for len(acked) < acks && lines.Scan() {
		output.WriteString(lines.Text() + "\n")
		if id, ok := strings.CutPrefix(lines.Text(), "ack "); ok {
			acked = append(acked, id)
		}
	}
	if err := cmd.Process.Kill(); err != nil {
		t.Fatalf("kill writer: %v", err)
	}
	io.Copy(io.Discard, stdout)
	cmd.Wait()
	if len(acked) < acks {
		t.Fatalf("writer exited after %d acks\nstdout:\n%s\nstderr:\n%s", len(acked), &output, &stderr)
	}
	if code := cmd.ProcessState.ExitCode(); code != -1 {
		t.Fatalf("writer exited with status %d before it was killed\nstderr:\n%s", code, &stderr)
	}

	s, err = Open(ctx, path)
	if err != nil {
		t.Fatalf("reopen after kill: %v", err)
	}
	defer s.Close()
	for n, id := range acked {
		want := storetest.Target(g.ID, n, helperImageSize)
		if id != want.ID {
			t.Fatalf("ack %d names %s, want %s", n, id, want.ID)
		}
		got, err := s.Target(ctx, g.ID, id, true)
		if err != nil {
			t.Errorf("acknowledged target %s lost: %v", id, err)
			continue
		}
		if !bytes.Equal(got.Image, want.Image) || got.ImageSHA256 != want.ImageSHA256 {
			t.Errorf("acknowledged target %s: image of %d bytes differs from the one written", id, len(got.Image))
		}
	}
	after, err := s.Gallery(ctx, g.ID)
	if err != nil {
		t.Fatal(err)
	}
	changes, err := s.Changes(ctx, g.ID, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	count, err := s.CountTargets(ctx, g.ID)
	if err != nil {
		t.Fatal(err)
	}
	if after.Version != int64(len(changes)) || after.Version != int64(count) || after.Version < acks {
		t.Errorf("after the kill: version %d, %d change rows, %d targets; want all equal and at least %d",
			after.Version, len(changes), count, acks)
	}
	t.Logf("killed after %d acks; %d targets survived", len(acked), count)
}
