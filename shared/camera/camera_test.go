package camera

import (
	"context"
	"testing"

	"github.com/pixmatch/pixmatch/shared/bow"
	"github.com/pixmatch/pixmatch/shared/distort"
	"github.com/pixmatch/pixmatch/shared/feature"
	"github.com/pixmatch/pixmatch/shared/testphoto"
)

// TestFindsPrintInFrame enrols the test photos and finds each, shot as a
// print tilted 35° on another photo, first in the shortlist and verified
// with its corners where the recipe put them.
func TestFindsPrintInFrame(t *testing.T) {
	v, err := Vocabulary()
	if err != nil {
		t.Fatal(err)
	}
	tier := New(v)
	records := map[string]feature.Record{}
	names := testphoto.Names()
	for _, n := range names {
		img := testphoto.Image(n)
		plane := feature.Plane(img, feature.TargetOptions)
		fs := feature.Extract(plane, feature.TargetOptions)
		tier.Put(n, fs)
		records[n] = feature.Record{Width: plane.Rect.Dx(), Height: plane.Rect.Dy(), Features: fs}
	}
	if tier.Len() != len(names) {
		t.Fatalf("tier holds %d targets, want %d", tier.Len(), len(names))
	}
	found := 0
	for i, n := range names {
		// A background no target shows: another photo, mirrored (the
		// feature tier does not see mirrors).
		scene := distort.Mirror(testphoto.Image(names[(i+1)%len(names)]))
		e := distort.CameraCatalogue()[1] // cam-tilt-35
		shoot, _ := e.Locate(distort.Params{Seed: uint64(i), Scene: scene})
		frame, corners := shoot(testphoto.Image(n))
		plane := feature.Plane(frame, feature.QueryOptions)
		q := feature.Extract(plane, feature.QueryOptions)
		short := tier.Shortlist(q, Shortlist)
		ids := make([]string, len(short))
		for j, h := range short {
			ids[j] = h.ID
		}
		got, err := Verify(context.Background(), q, plane.Rect.Dx(), plane.Rect.Dy(), ids, records, feature.DefaultVerifyOptions)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) == 0 || got[0].ID != n {
			t.Logf("%s (%s): shortlist %v, found %v", n, e.Name, ids, got)
			continue
		}
		found++
		scale := float64(frame.Bounds().Dx()) / float64(plane.Rect.Dx())
		for k, c := range got[0].Verdict.Corners {
			dx, dy := c.X*scale-corners[k].X, c.Y*scale-corners[k].Y
			if dx*dx+dy*dy > 12*12 {
				t.Errorf("%s: corner %d at (%.0f, %.0f), the print's is at (%.0f, %.0f)", n, k, c.X*scale, c.Y*scale, corners[k].X, corners[k].Y)
			}
		}
	}
	if found < len(names)-1 {
		t.Errorf("found %d of %d prints tilted 35°", found, len(names))
	}
}

// TestVocabularyVersion decodes the shipped vocabulary and refuses one
// trained on another version of the features.
func TestVocabularyVersion(t *testing.T) {
	v, err := Vocabulary()
	if err != nil {
		t.Fatal(err)
	}
	if v.Words() < 1000 {
		t.Errorf("the vocabulary has %d words", v.Words())
	}
	b, err := EncodeVocabulary(v)
	if err != nil {
		t.Fatal(err)
	}
	b[0]++ // another feature.Version
	if _, err := DecodeVocabulary(b); err == nil {
		t.Error("decoded a vocabulary of another feature version")
	}
}

// TestVocabularySize keeps the shipped vocabulary small enough to embed
// in the server and fit a tier's index: under 2 MB, at most bow.MaxWords
// words.
func TestVocabularySize(t *testing.T) {
	if len(vocabularyData) > 2<<20 {
		t.Errorf("vocabulary.bin is %d bytes, over 2 MB", len(vocabularyData))
	}
	v, err := Vocabulary()
	if err != nil {
		t.Fatal(err)
	}
	if v.Words() > bow.MaxWords {
		t.Errorf("%d words, an index takes at most %d", v.Words(), bow.MaxWords)
	}
}
