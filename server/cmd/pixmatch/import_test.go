package main

import (
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pixmatch/pixmatch/server/internal/testserver"
	"github.com/pixmatch/pixmatch/shared/testphoto"
)

// TestImportCommand imports two photos and a file that is no picture
// into a real server, the key taken from the environment: the report
// names the failure with its code, and the command ends in an error.
func TestImportCommand(t *testing.T) {
	s := testserver.New(t)
	dir := t.TempDir()
	names := testphoto.Names()
	for i, name := range names[:2] {
		if err := os.WriteFile(filepath.Join(dir, []string{"one.jpg", "two.jpg"}[i]), testphoto.File(name), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(dir, "three.png"), []byte("no picture"), 0o644); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{"PIXMATCH_API_KEY": testserver.Key, "PIXMATCH_API_SECRET": testserver.Secret}
	var out bytes.Buffer
	err := run(context.Background(), []string{"import", dir, "--url", s.URL(), "--gallery", testserver.AppID, "--clients", "2"}, &out, func(k string) string { return env[k] })
	if err == nil || !strings.Contains(err.Error(), "1 of 3 pictures failed") {
		t.Errorf("import: %v, want 1 of 3 failed", err)
	}
	if !strings.Contains(out.String(), "3 pictures: 2 added") || !strings.Contains(out.String(), "three.png  427  Image not correct") {
		t.Errorf("report:\n%s", out.String())
	}
	if n, err := s.Service.Targets.Count(s.Gallery.ID); err != nil || n != 2 {
		t.Errorf("the gallery holds %d targets (%v), want 2", n, err)
	}
}

func TestImportRefusesBadLines(t *testing.T) {
	none := func(string) string { return "" }
	for _, args := range [][]string{{"import"}, {"import", "--app-id", "a", "--api-key", "k", "--api-secret", "s"}, {"import", "dir"}, {"import", "a", "b", "--app-id", "a"}} {
		if err := run(context.Background(), args, io.Discard, none); err == nil {
			t.Errorf("%v: accepted", args)
		}
	}
}
