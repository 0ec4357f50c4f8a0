package main

import (
	"context"
	"image"
	"slices"
	"strings"
	"testing"

	"github.com/pixmatch/pixmatch/shared/distort"
	"github.com/pixmatch/pixmatch/shared/testphoto"
)

// TestCameraColumnsAgreeWithTheResultsTable checks the recogniser
// interface against the code it wraps: on the rows both tables measure,
// the pixmatch and pHash columns of the camera table judge every query
// as the results table does.
func TestCameraColumnsAgreeWithTheResultsTable(t *testing.T) {
	c := smallCorpus(t)
	ctx := context.Background()
	r, err := Measure(ctx, c, 60, 2, nolog)
	if err != nil {
		t.Fatal(err)
	}
	cols := []column{{rec: newHashColumn(2)}, {rec: &phashColumn{workers: 2}}}
	cr, err := MeasureCamera(ctx, c, r, cols, 2, nolog)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{original}
	for _, e := range distort.CameraCatalogue() {
		want = append(want, e.Name)
	}
	want = append(want, cameraReference...)
	if !slices.Equal(cr.Edits, want) {
		t.Fatalf("camera edits %q, want %q", cr.Edits, want)
	}
	if cr.Columns[0].Entries != 60 || cr.Columns[1].Entries != 60 {
		t.Errorf("columns %+v, want 60 entries each", cr.Columns)
	}
	for e, name := range cr.Edits {
		for i := range cr.Want {
			if (cr.Truth[e][i] != nil) != cr.Camera[e] {
				t.Errorf("%s of target %d: truth %v", name, i, cr.Truth[e][i])
			}
		}
		old := slices.Index(r.Edits, name)
		if old < 0 {
			continue
		}
		outcomes := slices.Concat(r.Members[old], r.NonMembers[old])
		for i, o := range outcomes {
			wantID := ""
			if i < len(cr.Want) {
				wantID = cr.Want[i]
			}
			top, found, wrong := sighting(cr.Hits[0][e][i], wantID, cr.Columns[0].Threshold)
			if top != o.Top || found != o.Found || wrong != o.Wrong {
				t.Errorf("%s, query %d: pixmatch column %v %v %v, results table %v %v %v", name, i, top, found, wrong, o.Top, o.Found, o.Wrong)
			}
			top, found, wrong = sighting(cr.Hits[1][e][i], wantID, cr.Columns[1].Threshold)
			if top != o.BaseTop || (wantID != "" && found != o.BaseFound) || wrong != o.BaseWrong {
				t.Errorf("%s, query %d: pHash column %v %v %v, results table %v %v %v", name, i, top, found, wrong, o.BaseTop, o.BaseFound, o.BaseWrong)
			}
		}
	}
	rep := NewCameraReport(cr)
	if got := rep.Rows[0].Scores[0]; got.Top1 != 1 || got.Found != 1 || got.FalseMatch != 0 {
		t.Errorf("pixmatch on the pictures themselves: %+v", got)
	}
	if rep.Mean.Name != "mean of the 9 camera recipes" || len(rep.Mean.Scores) != 2 || rep.Sweep != nil {
		t.Errorf("mean row %+v, sweep %v", rep.Mean, rep.Sweep)
	}
}

// TestAnchor runs anchor.py on a tiny gallery: it must find tilted prints
// of its targets, say where they are, and match no non-member.
func TestAnchor(t *testing.T) {
	ctx := context.Background()
	if err := checkOpenCV(ctx); err != nil {
		t.Skipf("skipped: %v", err)
	}
	names := []string{"astronaut", "chelsea", "coffee", "rocket"}
	var gallery []Entry
	for _, n := range append(names, "brick", "gravel") {
		gallery = append(gallery, Entry{ID: "entry " + n, Image: testphoto.Image(n)})
	}
	a, err := newAnchorColumn(ctx, t.TempDir()+"/anchor", 2)
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		if err := a.Close(); err != nil {
			t.Error(err)
		}
	}()
	if err := a.Enrol(ctx, gallery); err != nil {
		t.Fatal(err)
	}
	// A plain grey scene: this checks the plumbing, not how textured
	// backgrounds crowd out the print's features.
	tilt := distort.CameraCatalogue()[1] // cam-tilt-35
	var queries []image.Image
	var truth []distort.Quad
	for i, n := range names {
		locate, _ := tilt.Locate(distort.Params{Seed: uint64(i)})
		img, q := locate(testphoto.Image(n))
		queries, truth = append(queries, img), append(truth, q)
	}
	queries = append(queries, testphoto.Image("camera"), testphoto.Image("china"))
	hits, err := a.Query(ctx, queries)
	if err != nil {
		t.Fatal(err)
	}
	for i, n := range names {
		if len(hits[i]) == 0 || hits[i][0].ID != "entry "+n || hits[i][0].Score < a.Threshold() || hits[i][0].Corners == nil {
			t.Errorf("tilted %s: hits %+v", n, hits[i])
			continue
		}
		if d := quadDistance(*hits[i][0].Corners, truth[i]); d > 8 {
			t.Errorf("tilted %s: corners %v, %.1f px from the truth %v", n, *hits[i][0].Corners, d, truth[i])
		}
	}
	for i := len(names); i < len(queries); i++ {
		if len(hits[i]) > 0 && hits[i][0].Score >= a.Threshold() {
			t.Errorf("non-member %d matched %+v", i, hits[i][0])
		}
	}
	if s := a.Stats(); s.Entries != 6 || s.Features < 6*300 || s.Queries != 6 || s.QuerySeconds <= 0 {
		t.Errorf("stats %+v", s)
	}
}

// tinyCamera returns camera results of two targets and two non-members
// over the original and one camera recipe, with pixmatch and the anchor.
func tinyCamera() *CameraResults {
	pt := func(x, y float64) distort.Point { return distort.Point{X: x, Y: y} }
	q := distort.Quad{pt(10, 10), pt(110, 10), pt(110, 90), pt(10, 90)}
	off := distort.Quad{pt(12, 10), pt(110, 14), pt(110, 90), pt(10, 90)} // 1.5 px off on average
	hit := func(id string, score float64, corners *distort.Quad) Hit {
		return Hit{ID: id, Score: score, Corners: corners}
	}
	return &CameraResults{
		Edits:  []string{original, "cam-tilt-20"},
		Camera: []bool{false, true},
		Columns: []ColumnInfo{
			{Name: (&hashColumn{}).Name(), Threshold: 56, Entries: 10},
			{Name: (&anchorColumn{}).Name(), Threshold: anchorInliers, Entries: 4},
		},
		Want:    []string{"a", "b"},
		Queries: []string{"target a", "target b", "non-member c", "non-member d"},
		Labels:  map[string]string{"x": "entry x", "y": "entry y"},
		Truth:   [][]*distort.Quad{{nil, nil, nil, nil}, {&q, &q, nil, nil}},
		Hits: [][][][]Hit{
			{ // pixmatch: finds the originals, not the tilts; no false match
				{{hit("a", 64, nil)}, {hit("b", 64, nil)}, {hit("x", 30, nil)}, nil},
				{{hit("x", 40, nil)}, {hit("b", 50, nil)}, {hit("y", 20, nil)}, {hit("x", 21, nil)}},
			},
			{ // anchor: finds everything, and falsely matches at 25 inliers
				{{hit("a", 500, &q)}, {hit("b", 400, &q)}, {hit("x", 9, nil)}, {hit("x", 14, nil)}},
				{{hit("a", 60, &off)}, {hit("b", 22, &q), hit("a", 5, nil)}, {hit("y", 25, nil)}, {hit("x", 10, nil)}},
			},
		},
		Anchor: &AnchorStats{Entries: 4, Features: 3600, EnrolSeconds: 0.4, Queries: 8, QuerySeconds: 1.6},
	}
}

func TestCameraReport(t *testing.T) {
	rep := NewCameraReport(tinyCamera())
	tilt := rep.Rows[1]
	if tilt.Scores[0] != (Scores{Top1: 0.5}) || tilt.Scores[1] != (Scores{Top1: 1, Found: 1, FalseMatch: 0.5}) {
		t.Errorf("tilt row scores %+v", tilt.Scores)
	}
	if tilt.CornerError[0] != -1 || tilt.CornerError[1] != 0.75 { // median of 1.5 and 0
		t.Errorf("tilt row corner errors %v", tilt.CornerError)
	}
	if rep.Mean.Name != "mean of the 1 camera recipes" || rep.Mean.Scores[1] != tilt.Scores[1] {
		t.Errorf("mean %+v", rep.Mean)
	}
	want := []SweepPoint{{8, 1, 4}, {12, 1, 2}, {15, 1, 1}, {20, 1, 1}, {30, 0.5, 0}}
	if !slices.Equal(rep.Sweep, want) || rep.SameRate != 26 {
		t.Errorf("sweep %+v, same rate from %d; want %+v from 26", rep.Sweep, rep.SameRate, want)
	}
	var md, sum strings.Builder
	rep.Markdown(&md)
	rep.Summarise(&sum)
	for _, s := range []string{
		"| recall@1 pixmatch | recall@1 ORB anchor | recall ≤t pixmatch |",
		"| cam-tilt-20 | 50.0 % | 100.0 % | 0.0 % | 100.0 % | 0.0 % | 50.0 % | – | 0.8 px |",
		"≥ 30: 50.0 % / 0. It falsely matches no more non-member queries than pixmatch from 26 inliers on.",
		"4 entries, 900 features each; enrolling took 100.0 ms a picture, a query 200.0 ms",
		"Non-member queries matched, of the 4 of every row: pixmatch 0 (0.0 %), ORB anchor 1 (25.0 %).",
		"| ORB anchor | `non-member c` | cam-tilt-20 | `entry y` | 25.000 |",
	} {
		if !strings.Contains(md.String(), s) {
			t.Errorf("markdown lacks %q:\n%s", s, md.String())
		}
	}
	if !strings.Contains(sum.String(), "ORB anchor recall@1 100.0 %, recall ≤t 100.0 %, false match 50.0 % (1 of 4);") {
		t.Errorf("summary:\n%s", sum.String())
	}
}
