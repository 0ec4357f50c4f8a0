package app_test

import (
	"bytes"
	"context"
	"image/png"
	"testing"
	"time"

	"github.com/pixmatch/pixmatch/server/gallery"
	"github.com/pixmatch/pixmatch/server/internal/testserver"
	"github.com/pixmatch/pixmatch/shared/testphoto"
)

// TestFeatureRecordsMadeInBackground opens a database whose targets have
// no feature records, as one written before the feature tier existed:
// the server starts serving at once and a background job makes the
// records, then stops with the server's jobs.
func TestFeatureRecordsMadeInBackground(t *testing.T) {
	s := testserver.New(t)
	ctx := context.Background()
	for _, n := range []string{"coffee", "rocket", "grass"} {
		var b bytes.Buffer
		if err := png.Encode(&b, testphoto.Image(n)); err != nil {
			t.Fatal(err)
		}
		pic, err := s.Service.Pictures.Read(ctx, b.Bytes(), gallery.Policy{})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.Service.Targets.Add(ctx, s.Gallery.ID, gallery.Target{Name: n, Active: true}, pic, gallery.AddOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	s.Exec(`DELETE FROM target_features`)
	s = s.Reopen()
	wait, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	if err := s.Jobs.Wait(wait); err != nil {
		t.Fatal(err)
	}
	if n := s.Service.Targets.Unfeatured(); n != 0 {
		t.Fatalf("%d targets still without a feature record after the job", n)
	}
	var n int
	if err := s.SQL().QueryRow(`SELECT COUNT(*) FROM target_features`).Scan(&n); err != nil || n != 3 {
		t.Fatalf("%d feature records after the job, %v; want 3", n, err)
	}
}
