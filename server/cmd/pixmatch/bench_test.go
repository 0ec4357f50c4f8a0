package main

import (
	"context"
	"io"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pixmatch/pixmatch/server/store/sqlite"
)

// TestBenchBulk seeds a gallery of the embedded database without a
// server, continues, and refuses an appId the database does not hold,
// adding nothing.
func TestBenchBulk(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	none := func(string) string { return "" }
	if err := run(ctx, []string{"galleries", "create", "g", "--data", dir, "--app-id", "bulkapp"}, io.Discard, none); err != nil {
		t.Fatal(err)
	}
	for _, n := range []string{"2", "3"} {
		if err := run(ctx, []string{"bench", "--bulk", "--data", dir, "--app-id", "bulkapp", "--targets", n}, io.Discard, none); err != nil {
			t.Fatal(err)
		}
	}
	err := run(ctx, []string{"bench", "--bulk", "--data", dir, "--app-id", "other", "--targets", "5"}, io.Discard, none)
	if err == nil || !strings.Contains(err.Error(), `"other"`) {
		t.Errorf("an unknown appId: %v", err)
	}
	st, err := sqlite.Open(ctx, filepath.Join(dir, databaseFile))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	g, err := st.GalleryByAppID(ctx, "bulkapp")
	if err != nil {
		t.Fatal(err)
	}
	if n, err := st.CountTargets(ctx, g.ID); err != nil || n != 3 {
		t.Errorf("%d targets, want 3: %v", n, err)
	}
}
