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

// TestImportCommand imports two photos, a copy of one of them under
// another name and a file that is no picture into a real server, the key
// taken from the environment: the report names the similar picture (419)
// and the bad file (427) with their codes, and the command ends in an
// error. Run again with --allow-similar, it adds the similar picture alone.
func TestImportCommand(t *testing.T) {
	s := testserver.New(t)
	dir := t.TempDir()
	names := testphoto.Names()
	files := map[string][]byte{"one.jpg": testphoto.File(names[0]), "two.jpg": testphoto.File(names[1]),
		"two-copy.jpg": testphoto.File(names[1]), "three.png": []byte("no picture")}
	for name, data := range files {
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	env := map[string]string{"PIXMATCH_API_KEY": testserver.Key, "PIXMATCH_API_SECRET": testserver.Secret}
	getenv := func(k string) string { return env[k] }
	// One client: two-copy.jpg (sorted first) is added before two.jpg is sent.
	args := []string{"import", dir, "--url", s.URL(), "--gallery", testserver.AppID, "--clients", "1"}
	var out bytes.Buffer
	err := run(context.Background(), args, &out, getenv)
	if err == nil || !strings.Contains(err.Error(), "2 of 4 pictures failed") {
		t.Errorf("import: %v, want 2 of 4 failed", err)
	}
	for _, want := range []string{"4 pictures: 2 added", "three.png  427  Image not correct", "two.jpg    419  Cannot update target"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("report lacks %q:\n%s", want, out.String())
		}
	}
	out.Reset()
	err = run(context.Background(), append(args, "--allow-similar"), &out, getenv)
	if err == nil || !strings.Contains(out.String(), "4 pictures: 1 added, 2 skipped (done before), 0 already in the gallery, 1 failed") {
		t.Errorf("import --allow-similar: %v\n%s", err, out.String())
	}
	if n, err := s.Service.Targets.CountContext(t.Context(), s.Gallery.ID); err != nil || n != 3 {
		t.Errorf("the gallery holds %d targets (%v), want 3", n, err)
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
