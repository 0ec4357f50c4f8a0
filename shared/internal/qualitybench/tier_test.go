package main

import (
	"bytes"
	"context"
	"image"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/pixmatch/pixmatch/shared/camera"
	"github.com/pixmatch/pixmatch/shared/distort"
	"github.com/pixmatch/pixmatch/shared/fingerprint"
	"github.com/pixmatch/pixmatch/shared/match"
	"github.com/pixmatch/pixmatch/shared/testphoto"
)

// TestTierColumn enrols test photos in the feature tier's column and
// finds each, printed, tilted 35° on another photo and the frame then
// enlarged 1.5×: the right entry, matched, its corners where the recipe
// put them in the enlarged frame's pixels (so the column scales them back
// from the plane it extracted from). Photos it never enrolled match
// nothing.
func TestTierColumn(t *testing.T) {
	ctx := context.Background()
	set, err := productionTier()
	if err != nil {
		t.Fatal(err)
	}
	col := newTierColumn(set, 2)
	names := testphoto.Names()
	enrolled, others := names[:6], names[6:10]
	var gallery []Entry
	for _, n := range enrolled {
		gallery = append(gallery, Entry{ID: "entry " + n, Image: testphoto.Image(n)})
	}
	if err := col.Enrol(ctx, gallery); err != nil {
		t.Fatal(err)
	}
	const enlarge = 1.5
	tilt := distort.CameraCatalogue()[1] // cam-tilt-35
	var queries []image.Image
	var truth []distort.Quad
	for i, n := range enrolled {
		locate, _ := tilt.Locate(distort.Params{Seed: uint64(i), Scene: distort.Mirror(testphoto.Image(others[i%len(others)]))})
		frame, q := locate(testphoto.Image(n))
		for k := range q {
			q[k].X, q[k].Y = q[k].X*enlarge, q[k].Y*enlarge
		}
		queries, truth = append(queries, distort.Scale(enlarge)(frame)), append(truth, q)
	}
	for _, n := range others {
		queries = append(queries, testphoto.Image(n))
	}
	hits, err := col.Query(ctx, queries)
	if err != nil {
		t.Fatal(err)
	}
	found := 0
	for i, n := range enrolled {
		top, ok, _ := sighting(hits[i], "entry "+n, col.Threshold())
		if !ok || !top {
			t.Logf("tilted %s: hits %+v", n, hits[i])
			continue
		}
		found++
		if c := hits[i][0].Corners; c == nil || quadDistance(*c, truth[i]) > 12 {
			t.Errorf("tilted %s: corners %v, the print's %v", n, c, truth[i])
		}
	}
	if found < len(enrolled)-1 {
		t.Errorf("found %d of %d tilted prints", found, len(enrolled))
	}
	for i := len(enrolled); i < len(queries); i++ {
		if _, _, wrong := sighting(hits[i], "", col.Threshold()); wrong {
			t.Errorf("%s, never enrolled, matched %+v", others[i-len(enrolled)], hits[i][0])
		}
	}
	s := col.Stats()
	if s.Entries != len(enrolled) || s.Features < 100*len(enrolled) || s.BagWords == 0 || s.Queries != len(queries) ||
		s.Verified == 0 || s.MedianMs <= 0 || s.P99Ms < s.MedianMs {
		t.Errorf("stats %+v", s)
	}
}

// TestBothPolicies merges hand-made answers of the two tiers.
func TestBothPolicies(t *testing.T) {
	thr := float64(fingerprint.Bits - fingerprint.Threshold)
	hashMatch := []Hit{{ID: "a", Score: thr + 2}}
	hashNear := []Hit{{ID: "a", Score: thr - 3}}
	features := []Hit{{ID: "b", Score: 0.9}, {ID: "c", Score: 0.6}}
	shortlisted := []Hit{{ID: "b"}} // nothing verified: the shortlist's first
	cascade, byScore := bothPolicies[0], bothPolicies[1]
	ids := func(hits []Hit) []string {
		var out []string
		for _, h := range hits {
			out = append(out, h.ID)
		}
		return out
	}
	for _, c := range []struct {
		name           string
		p              bothPolicy
		hash, features []Hit
		want           []string
	}{
		{"cascade, the hash tier matches", cascade, hashMatch, features, []string{"a"}},
		{"cascade, the hash tier does not", cascade, hashNear, features, []string{"b", "c", "a"}},
		{"by score, both match", byScore, hashMatch, features, []string{"b", "a", "c"}}, // a: 2 bits within the threshold, 0.5 + 1/Threshold
		{"by score, neither matches", byScore, hashNear, shortlisted, []string{"a", "b"}},
		{"by score, one entry in both", byScore, hashMatch, []Hit{{ID: "a", Score: 0.99}}, []string{"a"}},
	} {
		got := c.p.merge(c.hash, c.features, thr)
		if !slices.Equal(ids(got), c.want) {
			t.Errorf("%s: %v, want %v", c.name, ids(got), c.want)
		}
	}
	// The hash tier's scores on the feature tier's scale: 0.5 at its
	// threshold.
	got := byScore.merge([]Hit{{ID: "a", Score: thr}}, nil, thr)
	if got[0].Score != 0.5 {
		t.Errorf("the hash tier at its threshold scores %g", got[0].Score)
	}
	if got := byScore.merge(hashMatch, []Hit{{ID: "a", Score: 0.99}}, thr); got[0].Score != 0.99 {
		t.Errorf("an entry both tiers found scores %g, want the better 0.99", got[0].Score)
	}
	// A match the feature tier refuted is a near hit: it ranks after the
	// feature tier's matches, below 0.5, and the cascade goes on to them;
	// unconfirmed, it is the hash tier's match.
	refuted := []Hit{{ID: "a", Score: thr + 2, Hash: match.Hit{Refuted: true}}}
	if got := byScore.merge(refuted, features, thr); !slices.Equal(ids(got), []string{"b", "c", "a"}) || got[2].Score >= 0.5 {
		t.Errorf("by score, refuted: %+v", got)
	}
	if got := cascade.merge(refuted, features, thr); !slices.Equal(ids(got), []string{"b", "c", "a"}) {
		t.Errorf("cascade, refuted: %+v", got)
	}
	if got := bothPolicies[2].merge(refuted, nil, thr); got[0].Score < 0.5 {
		t.Errorf("unconfirmed, refuted: %+v", got)
	}
}

// TestCameraTable runs the camera table and the results table's recipes
// with both tiers, without the anchor, on the small corpus: the columns
// in order, the merge without confirmation keeping every match of the
// hash tier (the confirmed merges may refute one: TestBothPolicies), and
// the report's sections.
func TestCameraTable(t *testing.T) {
	c := smallCorpus(t)
	ctx := context.Background()
	r, err := Measure(ctx, c, 60, 2, nolog)
	if err != nil {
		t.Fatal(err)
	}
	cam, tiers, err := cameraTable(ctx, c, r, t.TempDir(), 2, cameraOptions{camera: true, tiers: true}, nolog)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, col := range cam.Columns {
		names = append(names, col.Name)
	}
	if want := []string{"pixmatch", "pHash", "features", "both, cascade", "both, by score", "both, unconfirmed"}; !slices.Equal(names, want) {
		t.Fatalf("camera table columns %q, want %q", names, want)
	}
	if cam.Tier == nil || cam.Tier.Entries != 60 || cam.Tier.Queries != len(cam.Rows)*(len(c.Targets)+len(c.NonMembers)) {
		t.Errorf("feature tier stats %+v", cam.Tier)
	}
	if len(tiers.Rows) != 1+len(distort.Catalogue()) || len(tiers.Columns) != 5 || tiers.Mean.Name != "mean of the 30 recipes" {
		t.Errorf("tiers table: %d rows, %d columns, mean %q", len(tiers.Rows), len(tiers.Columns), tiers.Mean.Name)
	}
	for _, rep := range []*CameraReport{cam, tiers} {
		hash, both := 0, slices.IndexFunc(rep.Columns, func(c ColumnInfo) bool { return c.Name == "both, unconfirmed" })
		for _, row := range rep.Rows {
			if h, b := row.Scores[hash], row.Scores[both]; h.Found == 1 && b.Found != 1 {
				t.Errorf("%s: the hash tier finds every target, both unconfirmed %s", row.Name, pct(b.Found))
			}
		}
	}
	rep := &Report{Camera: cam, Tiers: tiers, Rows: []Row{{}}}
	var md strings.Builder
	rep.Camera.Markdown(&md)
	rep.Tiers.TiersMarkdown(&md)
	for _, s := range []string{"## Camera-like queries", "The feature tier's gallery: 60 entries", "## Both tiers on the results table's recipes",
		"| query | recall@1 pixmatch | recall@1 features | recall@1 both, cascade | recall@1 both, by score |", "Rows whose recall ≤t with **both, cascade** is below the hash tier's"} {
		if !strings.Contains(md.String(), s) {
			t.Errorf("markdown lacks %q", s)
		}
	}
}

// TestVocabularyTrainedOnFillers trains vocabularies on corpora that share
// their fillers and differ in targets and non-members: the same bytes,
// decodable for this feature version, of K^Levels words. Other fillers
// give another vocabulary.
func TestVocabularyTrainedOnFillers(t *testing.T) {
	ctx := context.Background()
	c := smallCorpus(t)
	other := &Corpus{Targets: c.NonMembers, NonMembers: c.Targets, Fillers: c.Fillers}
	o := vocabularyOptions{K: 4, Levels: 2, Iterations: 3, Seed: 7, Views: 1}
	dir := t.TempDir()
	var files [][]byte
	for i, corpus := range []*Corpus{c, other, {Fillers: c.Targets}} {
		file := filepath.Join(dir, string(rune('a'+i)))
		if err := writeVocabulary(ctx, corpus, file, o, 2, nolog); err != nil {
			t.Fatal(err)
		}
		b, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, b)
	}
	if !bytes.Equal(files[0], files[1]) {
		t.Error("the targets and non-members changed the vocabulary")
	}
	if bytes.Equal(files[0], files[2]) {
		t.Error("other fillers gave the same vocabulary")
	}
	v, err := camera.DecodeVocabulary(files[0])
	if err != nil {
		t.Fatal(err)
	}
	if v.Words() != 16 {
		t.Errorf("%d words, want 4^2", v.Words())
	}
}
