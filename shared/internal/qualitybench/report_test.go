package main

import (
	"bytes"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/pixmatch/pixmatch/shared/fingerprint"
)

func TestMedian(t *testing.T) {
	for _, tc := range []struct {
		xs   []int
		want float64
	}{
		{nil, 0},
		{[]int{7}, 7},
		{[]int{9, 1, 4}, 4},
		{[]int{10, 2, 4, 8}, 6},
	} {
		if got := median(tc.xs); got != tc.want {
			t.Errorf("median(%v) = %g, want %g", tc.xs, got, tc.want)
		}
	}
}

func TestScores(t *testing.T) {
	members := []Outcome{
		{Top: true, Found: true, Distance: 0, BaseTop: true, BaseFound: true, BaseDistance: 2},
		{Top: true, Found: true, Distance: 4, BaseDistance: 30},
		{Top: false, Found: true, Wrong: true, Distance: 9, BaseWrong: true, BaseDistance: 20},
		{NoContent: true, Distance: -1, BaseDistance: 40},
	}
	nonMembers := []Outcome{{Wrong: true, Distance: -1}, {Distance: -1, BaseWrong: true}, {Distance: -1}, {Distance: -1}}
	pix, base := scores(members, nonMembers)
	wantPix := Scores{Top1: 0.5, Found: 0.75, Wrong: 0.25, FalseMatch: 0.25, MedianDistance: 6.5, Blank: 1}
	wantBase := Scores{Top1: 0.25, Found: 0.25, Wrong: 0.25, FalseMatch: 0.25, MedianDistance: 25}
	if pix != wantPix {
		t.Errorf("pixmatch scores %+v, want %+v", pix, wantPix)
	}
	if base != wantBase {
		t.Errorf("baseline scores %+v, want %+v", base, wantBase)
	}
}

// tinyRun returns a corpus and results as a run of two edits over two
// targets and two non-members would give.
func tinyRun() (*Corpus, *Results) {
	c := &Corpus{
		Targets:    []*picture{{ID: "p:a", entry: entry{Photo: true, CutOut: true}}, {ID: "p:b", entry: entry{Photo: true}}},
		NonMembers: []*picture{{ID: "p:c", entry: entry{Photo: true}}, {ID: "p:d", entry: entry{Photo: true}}},
		Fillers:    []*picture{{ID: "p:e"}},
		Packages:   []PackageCount{{Package: "p", Version: "1", Files: 6, Photos: 4, Targets: 2, NonMembers: 2, Others: 1, Tiny: 1}},
		Duplicates: []Duplicate{{Dropped: "p:f", Kept: "p:a", Match: 0.99}},
	}
	r := &Results{
		Edits: []string{original, "mirror"},
		Members: [][]Outcome{
			{{Top: true, Found: true, BaseTop: true, BaseFound: true}, {Top: true, Found: true, BaseTop: true, BaseFound: true}},
			{{Top: true, Found: true, BaseDistance: 30, Profiles: []Verdict{{Top: true}}}, {Wrong: true, Match: "target p:a", MatchDistance: 9, BaseDistance: 28, Profiles: []Verdict{{}}}},
		},
		NonMembers: [][]Outcome{
			{{Wrong: true, Match: "distractor p:e #0", MatchDistance: 10, Distance: -1, BaseDistance: -1}, {Distance: -1, BaseDistance: -1}},
			{{Distance: -1, BaseDistance: -1, Profiles: []Verdict{{Wrong: true}}}, {Distance: -1, BaseDistance: -1, Profiles: []Verdict{{}}}},
		},
		TargetIDs:    []string{"p:a", "p:b"},
		NonMemberIDs: []string{"p:c", "p:d"},
		Gallery:      GalleryStats{Entries: 10, Targets: 2, Distractors: 8, Whole: 1, Mirrored: 1, Crops: 6, Codes: 13, TargetCodes: map[int]int{1: 1, 2: 1}, QueryCodes: 12},
		Timing:       Timing{Images: 2, TargetMs: 1, QueryMs: 1.5, BaselineMs: 2, Searches: 2, SearchMs: 0.1, BaseSearchMs: 0.01},
	}
	return c, r
}

func TestReport(t *testing.T) {
	c, r := tinyRun()
	rep := NewReport(c, r)
	if rep.Mean.Name != "mean of the 1 recipes" || rep.Mean.Pixmatch.Found != 0.5 || rep.Mean.Baseline.Found != 0 {
		t.Errorf("the mean row %+v should average the mirror row only", rep.Mean)
	}
	if rep.Rows[0].Pixmatch.FalseMatch != 0.5 || rep.Rows[1].Pixmatch.Wrong != 0.5 ||
		rep.Rows[1].Browser != (Scores{Top1: 0.5, FalseMatch: 0.5}) {
		t.Errorf("rows %+v", rep.Rows)
	}
	want := []FalseMatch{{Query: "p:c", Match: "distractor p:e #0", Distance: 10}}
	if !reflect.DeepEqual(rep.Unedited, want) {
		t.Errorf("unedited false matches %+v, want %+v", rep.Unedited, want)
	}
	if rep.Size.TargetCodes != 1.5 || rep.Size.TargetBytes != 4+1.5*fingerprint.CodeSize || rep.Corpus.TargetCutOuts != 1 || rep.Corpus.FillerOthers != 1 {
		t.Errorf("size %+v, corpus %+v", rep.Size, rep.Corpus)
	}
	dir := t.TempDir()
	if err := rep.Write(dir); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(dir, jsonFile))
	if err != nil {
		t.Fatal(err)
	}
	var back Report
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(&back, rep) {
		t.Errorf("quality.json reads back as\n%+v\nwant\n%+v", back, *rep)
	}
	md, err := os.ReadFile(filepath.Join(dir, mdFile))
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{
		"| original | 100.0 % | 100.0 % | 100.0 % | 100.0 % | 50.0 % | 0.0 % |",
		"| mirror | 50.0 % | 0.0 % | 50.0 % | 0.0 % |",
		"| 50.0 % | 50.0 % |\n| **mean",
		"| **mean of the 1 recipes** |",
		"| `p:c` | non-member | `distractor p:e #0` | 10 |",
		"| codes per target | 1.50 (1 with 1, 1 with 2) | 1 |",
		"| p | 1 | 6 | 4 | 2 | 2 | 0 | 1 | 0 | 1 |",
		"`p:f` (copy of `p:a`, 0.990)",
	} {
		if !strings.Contains(string(md), s) {
			t.Errorf("quality.md lacks %q", s)
		}
	}
	var out bytes.Buffer
	rep.Summarise(&out)
	if !strings.Contains(strings.Join(strings.Fields(out.String()), " "), "recall at threshold 50.0 % 0.0 %") {
		t.Errorf("summary:\n%s", out.String())
	}
	if math.IsNaN(rep.Mean.Pixmatch.MedianDistance) {
		t.Error("median distance is NaN")
	}
}

func TestPct(t *testing.T) {
	for _, tc := range []struct {
		x    float64
		want string
	}{{0, "0.0 %"}, {0.000833, "0.08 %"}, {0.00996, "1.00 %"}, {0.01, "1.0 %"}, {0.5, "50.0 %"}, {1, "100.0 %"}} {
		if got := pct(tc.x); got != tc.want {
			t.Errorf("pct(%g) = %q, want %q", tc.x, got, tc.want)
		}
	}
}
