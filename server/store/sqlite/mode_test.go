package sqlite

import (
	"context"
	"io/fs"
	"os"
	"path/filepath"
	"testing"

	"github.com/pixmatch/pixmatch/server/store"
)

// TestFilesArePrivate: the data folder Open creates is 0700 and the
// database file and its -wal and -shm files are 0600, so that other users
// of the machine read neither the targets nor the keys' secrets.
func TestFilesArePrivate(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	path := filepath.Join(dir, "pixmatch.db")
	s, err := Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := s.CreateKey(context.Background(), store.Key{ID: "k", Secret: "secret"}); err != nil {
		t.Fatal(err)
	}
	want := map[string]fs.FileMode{dir: 0o700 | fs.ModeDir, path: 0o600, path + "-wal": 0o600, path + "-shm": 0o600}
	for name, mode := range want {
		st, err := os.Stat(name)
		if err != nil {
			t.Errorf("%s: %v", filepath.Base(name), err)
			continue
		}
		if st.Mode() != mode {
			t.Errorf("%s has mode %v, want %v", filepath.Base(name), st.Mode(), mode)
		}
	}
}
