package main

import (
	"cmp"
	"fmt"
	"io"
	"math"
	"slices"
	"strings"

	"github.com/pixmatch/pixmatch/shared/distort"
)

// CameraReport is the camera table: every column on the same queries.
type CameraReport struct {
	Columns []ColumnInfo `json:"columns"`
	// Rows has one row per query kind; Mean averages the camera recipes.
	Rows []CameraRow `json:"rows"`
	Mean CameraRow   `json:"mean_of_camera_recipes"`
	// Anchor is the anchor's sizes and times; Sweep, its scores at other
	// inlier counts; SameRate, the smallest inlier count at which it
	// falsely matches no more non-member queries (of every row) than
	// pixmatch does, 0 without an anchor.
	Anchor   *AnchorStats `json:"anchor,omitempty"`
	Sweep    []SweepPoint `json:"anchor_inlier_sweep,omitempty"`
	SameRate int          `json:"anchor_inliers_at_pixmatch_false_matches,omitempty"`
	// Tier is the feature tier's sizes and times.
	Tier *TierStats `json:"feature_tier,omitempty"`
	// FalseMatches[c] counts the non-member queries of every row that
	// column c matched, of NonMemberQueries.
	FalseMatches     []int `json:"false_matches"`
	NonMemberQueries int   `json:"non_member_queries"`
	// Matched lists the non-member queries each column matched, but for
	// pixmatch's and pHash's, which the results table tells.
	Matched []NonMemberMatch `json:"non_member_matches,omitempty"`
}

// NonMemberMatch is a non-member query that a column matched.
type NonMemberMatch struct {
	Column string  `json:"column"`
	Edit   string  `json:"edit"`
	Query  string  `json:"query"`
	Match  string  `json:"match"`
	Score  float64 `json:"score"`
}

// CameraRow is the scores of every column on one query kind.
type CameraRow struct {
	Name             string `json:"name"`
	Camera           bool   `json:"camera_recipe"`
	Queries          int    `json:"queries"`
	NonMemberQueries int    `json:"non_member_queries"`
	// Scores[c] is column c's (recall@1, recall at threshold, wrong and
	// false matches). CornerError[c] is the median over the queries whose
	// nearest hit is the target and carries corners of the mean distance,
	// in pixels, from the corners reported to the true ones; -1 when there
	// are none.
	Scores      []Scores  `json:"scores"`
	CornerError []float64 `json:"corner_error_px"`
}

// SweepPoint is the anchor at one inlier count.
type SweepPoint struct {
	Inliers int `json:"inliers"`
	// CameraRecall is the mean recall at the count over the camera
	// recipes; FalseMatches counts non-member queries of every row that
	// matched.
	CameraRecall float64 `json:"camera_recall"`
	FalseMatches int     `json:"false_matches"`
}

// sweepInliers are the inlier counts of the anchor's sweep
// (camera-anchors §1).
var sweepInliers = []int{8, 12, 15, 20, 30}

// sighting judges one query's hits against its target want ("" for a
// non-member) at threshold thr.
func sighting(hits []Hit, want string, thr float64) (top, found, wrong bool) {
	if len(hits) == 0 {
		return false, false, false
	}
	top = hits[0].ID == want
	found = slices.ContainsFunc(hits, func(h Hit) bool { return h.ID == want && h.Score >= thr })
	wrong = hits[0].Score >= thr && hits[0].ID != want
	return top, found, wrong
}

// NewCameraReport summarises the camera table.
func NewCameraReport(cr *CameraResults) *CameraReport {
	rep := &CameraReport{Columns: cr.Columns, Anchor: cr.Anchor, Tier: cr.Tier, FalseMatches: make([]int, len(cr.Columns))}
	for e, name := range cr.Edits {
		row := CameraRow{Name: name, Camera: cr.Camera[e], Queries: len(cr.Want), NonMemberQueries: len(cr.Hits[0][e]) - len(cr.Want)}
		for c, col := range cr.Columns {
			row.Scores = append(row.Scores, columnScores(cr, c, e, col.Threshold))
			row.CornerError = append(row.CornerError, cornerError(cr, c, e))
			rep.FalseMatches[c] += falseMatches(cr, c, e, col.Threshold)
		}
		rep.NonMemberQueries += row.NonMemberQueries
		rep.Rows = append(rep.Rows, row)
	}
	rep.Mean = CameraRow{Name: "mean of the camera recipes"}
	var camera []CameraRow
	for _, r := range rep.Rows {
		if r.Camera {
			camera = append(camera, r)
		}
	}
	rep.Mean.Name = fmt.Sprintf("mean of the %d %s", len(camera), cmp.Or(cr.MeanOf, "camera recipes"))
	for c := range cr.Columns {
		var s Scores
		errs := []float64{}
		for _, r := range camera {
			n := float64(len(camera))
			s.Top1, s.Found, s.Wrong, s.FalseMatch = s.Top1+r.Scores[c].Top1/n, s.Found+r.Scores[c].Found/n, s.Wrong+r.Scores[c].Wrong/n, s.FalseMatch+r.Scores[c].FalseMatch/n
			if r.CornerError[c] >= 0 {
				errs = append(errs, r.CornerError[c])
			}
		}
		rep.Mean.Scores = append(rep.Mean.Scores, s)
		rep.Mean.CornerError = append(rep.Mean.CornerError, medianFloat(errs))
	}
	rep.sweep(cr)
	rep.listMatched(cr)
	return rep
}

// listMatched lists the non-member queries that the columns matched, but
// for pixmatch's and pHash's.
func (rep *CameraReport) listMatched(cr *CameraResults) {
	for c, col := range cr.Columns {
		if col.Name == (&hashColumn{}).Name() || col.Name == (&phashColumn{}).Name() {
			continue
		}
		for e, edit := range cr.Edits {
			for i, hits := range cr.Hits[c][e][len(cr.Want):] {
				if _, _, wrong := sighting(hits, "", cr.Columns[c].Threshold); wrong {
					rep.Matched = append(rep.Matched, NonMemberMatch{Column: cr.Columns[c].Name, Edit: edit,
						Query: cr.Queries[len(cr.Want)+i], Match: cr.Labels[hits[0].ID], Score: hits[0].Score})
				}
			}
		}
	}
}

// columnScores scores column c on edit e at threshold thr.
func columnScores(cr *CameraResults, c, e int, thr float64) Scores {
	var s Scores
	hits := cr.Hits[c][e]
	members, others := len(cr.Want), len(hits)-len(cr.Want)
	for i, h := range hits {
		if i < members {
			top, found, wrong := sighting(h, cr.Want[i], thr)
			s.Top1, s.Found, s.Wrong = s.Top1+b2f(top), s.Found+b2f(found), s.Wrong+b2f(wrong)
		} else if _, _, wrong := sighting(h, "", thr); wrong {
			s.FalseMatch++
		}
	}
	s.Top1, s.Found, s.Wrong = s.Top1/float64(max(members, 1)), s.Found/float64(max(members, 1)), s.Wrong/float64(max(members, 1))
	s.FalseMatch /= float64(max(others, 1))
	return s
}

// falseMatches counts the non-member queries of edit e that column c
// matched at threshold thr.
func falseMatches(cr *CameraResults, c, e int, thr float64) int {
	n := 0
	for _, h := range cr.Hits[c][e][len(cr.Want):] {
		if _, _, wrong := sighting(h, "", thr); wrong {
			n++
		}
	}
	return n
}

// cornerError is the median localisation error of column c on edit e.
func cornerError(cr *CameraResults, c, e int) float64 {
	var errs []float64
	for i, want := range cr.Want {
		hits, truth := cr.Hits[c][e][i], cr.Truth[e][i]
		if truth == nil || len(hits) == 0 || hits[0].ID != want || hits[0].Corners == nil {
			continue
		}
		errs = append(errs, quadDistance(*hits[0].Corners, *truth))
	}
	return medianFloat(errs)
}

// quadDistance is the mean distance between corresponding corners.
func quadDistance(a, b distort.Quad) float64 {
	var sum float64
	for k := range a {
		sum += math.Hypot(a[k].X-b[k].X, a[k].Y-b[k].Y) / 4
	}
	return sum
}

// medianFloat returns the median of xs, -1 for none.
func medianFloat(xs []float64) float64 {
	if len(xs) == 0 {
		return -1
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

// sweep fills in the anchor's scores at other inlier counts.
func (rep *CameraReport) sweep(cr *CameraResults) {
	anchor, pix := -1, -1
	for c, col := range cr.Columns {
		switch col.Name {
		case (&anchorColumn{}).Name():
			anchor = c
		case (&hashColumn{}).Name():
			pix = c
		}
	}
	if anchor < 0 {
		return
	}
	allFalse := func(c int, thr float64) int {
		n := 0
		for e := range cr.Edits {
			n += falseMatches(cr, c, e, thr)
		}
		return n
	}
	for _, k := range sweepInliers {
		p := SweepPoint{Inliers: k, FalseMatches: allFalse(anchor, float64(k))}
		cameras := 0
		for e, camera := range cr.Camera {
			if camera {
				p.CameraRecall += columnScores(cr, anchor, e, float64(k)).Found
				cameras++
			}
		}
		p.CameraRecall /= float64(max(cameras, 1))
		rep.Sweep = append(rep.Sweep, p)
	}
	if pix >= 0 {
		limit := allFalse(pix, cr.Columns[pix].Threshold)
		for k := 4; k <= 1000; k++ {
			if allFalse(anchor, float64(k)) <= limit {
				rep.SameRate = k
				break
			}
		}
	}
}

// Markdown writes the camera table's section of quality.md.
func (rep *CameraReport) Markdown(w io.Writer) {
	fmt.Fprintf(w, "## Camera-like queries\n\n")
	fmt.Fprintf(w, "Every column searched with the same queries: the pictures themselves, the recipes of `distort.CameraCatalogue()` (a print seen by a camera in a %d×%d frame, on or in front of a non-member photo) and, for comparison, %s of `distort.Catalogue()`. The mean averages the camera recipes.\n\n",
		distort.FrameLong, distort.FrameShort, strings.Join(cameraReference, ", "))
	rep.table(w)
	fmt.Fprintf(w, "\n%s", cameraDefinitions)
	if rep.Anchor != nil {
		fmt.Fprint(w, anchorDefinition)
	}
	fmt.Fprintln(w)
	rep.totals(w)
	rep.tierNotes(w)
	rep.anchorNotes(w)
}

// TiersMarkdown writes the section of quality.md that searches the
// results table's recipes with the hash tier, the feature tier and both.
func (rep *CameraReport) TiersMarkdown(w io.Writer) {
	fmt.Fprintf(w, "## Both tiers on the results table's recipes\n\n")
	fmt.Fprintf(w, "The queries of the results table searched with the hash tier (the results table's pixmatch), the feature tier alone, and both tiers merged, each as in the camera table.\n\n")
	rep.table(w)
	fmt.Fprintln(w)
	rep.totals(w)
	for c, col := range rep.Columns[1:] {
		var lost []string
		for _, row := range rep.Rows {
			if hash, got := row.Scores[0].Found, row.Scores[c+1].Found; got < hash {
				lost = append(lost, fmt.Sprintf("%s %s → %s", row.Name, pct(hash), pct(got)))
			}
		}
		if len(lost) == 0 {
			lost = []string{"none"}
		}
		fmt.Fprintf(w, "- Rows whose recall ≤t with **%s** is below the hash tier's: %s.\n", col.Name, strings.Join(lost, ", "))
	}
	fmt.Fprintln(w)
}

// table writes the rows of the report: every metric of every column.
func (rep *CameraReport) table(w io.Writer) {
	var cols []string
	for _, c := range rep.Columns {
		cols = append(cols, fmt.Sprintf("**%s**: %d entries, a match at a score ≥ %g", c.Name, c.Entries, c.Threshold))
	}
	fmt.Fprintf(w, "%s.\n\n", strings.Join(cols, "; "))
	header, rule := "| query |", "|---|"
	for _, metric := range []string{"recall@1", "recall ≤t", "false match", "corner error"} {
		for _, c := range rep.Columns {
			header += fmt.Sprintf(" %s %s |", metric, c.Name)
			rule += "--:|"
		}
	}
	fmt.Fprintf(w, "%s\n%s\n", header, rule)
	for _, row := range append(slices.Clone(rep.Rows), rep.Mean) {
		name := row.Name
		if row.Name == rep.Mean.Name {
			name = "**" + name + "**"
		}
		line := "| " + name + " |"
		for _, pick := range []func(Scores) float64{
			func(s Scores) float64 { return s.Top1 }, func(s Scores) float64 { return s.Found }, func(s Scores) float64 { return s.FalseMatch },
		} {
			for _, s := range row.Scores {
				line += " " + pct(pick(s)) + " |"
			}
		}
		for _, e := range row.CornerError {
			if e < 0 {
				line += " – |"
			} else {
				line += fmt.Sprintf(" %.1f px |", e)
			}
		}
		fmt.Fprintln(w, line)
	}
}

// totals writes each column's false matches over every row.
func (rep *CameraReport) totals(w io.Writer) {
	var parts []string
	for c, col := range rep.Columns {
		parts = append(parts, fmt.Sprintf("%s %d (%s)", col.Name, rep.FalseMatches[c], pct(float64(rep.FalseMatches[c])/float64(max(rep.NonMemberQueries, 1)))))
	}
	fmt.Fprintf(w, "Non-member queries matched, of the %d of every row: %s.\n\n", rep.NonMemberQueries, strings.Join(parts, ", "))
	if len(rep.Matched) == 0 {
		return
	}
	fmt.Fprintf(w, "| column | query | edit | matched entry | score |\n|---|---|---|---|--:|\n")
	for i, m := range rep.Matched {
		if i == maxListed {
			fmt.Fprintf(w, "\n… and %d more (see %s).\n", len(rep.Matched)-maxListed, jsonFile)
			break
		}
		fmt.Fprintf(w, "| %s | `%s` | %s | `%s` | %.3f |\n", m.Column, m.Query, m.Edit, m.Match, m.Score)
	}
	fmt.Fprintln(w)
}

// tierNotes writes the feature tier's sizes and times.
func (rep *CameraReport) tierNotes(w io.Writer) {
	t := rep.Tier
	if t == nil {
		return
	}
	entries, queries := float64(max(t.Entries, 1)), float64(max(t.Queries, 1))
	fmt.Fprintf(w, "The feature tier's gallery: %d entries, %.0f features each (`feature.TargetOptions`), %.0f distinct words in the bag of each (about %.1f KB a target in the index); enrolling took %.1f ms a picture. A query took %.1f ms at the median and %.1f ms at the 99th percentile: %.1f ms to extract its features, %.1f ms for the shortlist, %.1f ms to verify %.1f targets (means; %d queries, each timed on its own goroutine, so one core's time).\n\n",
		t.Entries, float64(t.Features)/entries, float64(t.BagWords)/entries, float64(t.BagWords)/entries*indexBytesPerWord/1000,
		1000*t.EnrolSeconds/entries, t.MedianMs, t.P99Ms, 1000*t.ExtractSeconds/queries, 1000*t.ShortlistSeconds/queries,
		1000*t.VerifySeconds/queries, float64(t.Verified)/queries, t.Queries)
}

// indexBytesPerWord is what a target costs the bag-of-words index per
// distinct word: a handle and a count in the word's list, and the word in
// the target's own list (bow.Index).
const indexBytesPerWord = 4 + 2 + 2

// cameraDefinitions explains the camera table's columns.
const cameraDefinitions = `- **recall@1**, **recall ≤t**, **false match** as above, each column at its own threshold: pixmatch and pHash as in the results table (Score is the bits that agree), the anchor at its RANSAC inlier count, the feature tier and both tiers at a score of 0.5.
- **features**: pixmatch's feature tier (` + "`shared/camera`" + `) alone: every entry enrolled as the server enrols it (` + "`feature.Enrol`" + ` with ` + "`feature.DefaultEnrolOptions`" + `: its own features and those of synthetic views tilted 50°), the bag of words of its strongest ` + "`camera.BagFeatures`" + ` features, each with its orientation, in the tier; a query's features (` + "`feature.QueryOptions`" + `) shortlisted (` + "`camera.Shortlist`" + ` targets), then verified (` + "`camera.Verify`" + ` with ` + "`feature.DefaultVerifyOptions`" + `). The score is the verdict's (0.5 at the least inliers accepted); when no target is verified, the first of the shortlist is the best entry at score 0. Corners are the verdict's, in the query's pixels.
- **both, cascade**: the hash tier's answer when its best hit is within its threshold, else the feature tier's. **both, by score**: every hit of both tiers, by score. The hash tier's scores are brought to the feature tier's scale (` + "`fingerprint.Score`" + `, 0.5 at the threshold); when neither tier matches, the hash tier's nearest entry is the best at any score.
- **corner error**: the median, over the queries whose best hit is the target and says where it is, of the mean distance from the four corners reported to the true ones (` + "`Edit.Locate`" + `), in the query's pixels.
`

// anchorDefinition explains the anchor's column, when there is one.
const anchorDefinition = `- **ORB anchor**: OpenCV's ORB (1000 features, grey, 640-pixel longer side), one FLANN-LSH index (8 tables, 24-bit keys, multi-probe 1) over the gallery's descriptors, 2-NN with ratio 0.8 voting per gallery picture, the 5 best-voted verified with a RANSAC homography (5 px); run by ` + "`anchor.py`" + ` with Debian's python3-opencv, on the first entries of the gallery (every target, then distractors).
`

// anchorNotes writes the anchor's sweep, sizes and times.
func (rep *CameraReport) anchorNotes(w io.Writer) {
	if rep.Anchor == nil {
		return
	}
	a := rep.Anchor
	fmt.Fprintf(w, "The anchor at other inlier counts (mean recall ≤t over the camera recipes / non-member queries of every row matched):")
	for i, p := range rep.Sweep {
		fmt.Fprintf(w, "%s ≥ %d: %s / %d", map[bool]string{true: "", false: ";"}[i == 0], p.Inliers, pct(p.CameraRecall), p.FalseMatches)
	}
	fmt.Fprintf(w, ". It falsely matches no more non-member queries than pixmatch from %d inliers on.\n\n", rep.SameRate)
	fmt.Fprintf(w, "The anchor's gallery: %d entries, %.0f features each; enrolling took %.1f ms a picture, a query %.1f ms (%d queries; one core, as the script measured them).\n\n",
		a.Entries, float64(a.Features)/float64(max(a.Entries, 1)), 1000*a.EnrolSeconds/float64(max(a.Entries, 1)),
		1000*a.QuerySeconds/float64(max(a.Queries, 1)), a.Queries)
}

// Summarise prints the report's means.
func (rep *CameraReport) Summarise(w io.Writer) {
	fmt.Fprintf(w, "%s:", rep.Mean.Name)
	for c, col := range rep.Columns {
		s := rep.Mean.Scores[c]
		fmt.Fprintf(w, " %s recall@1 %s, recall ≤t %s, false match %s (%d of %d);", col.Name, pct(s.Top1), pct(s.Found), pct(s.FalseMatch),
			rep.FalseMatches[c], rep.NonMemberQueries)
	}
	fmt.Fprintln(w)
	if t := rep.Tier; t != nil {
		fmt.Fprintf(w, "feature tier: %d entries, %.1f ms to enrol one; a query %.1f ms median, %.1f ms p99 (one core)\n",
			t.Entries, 1000*t.EnrolSeconds/float64(max(t.Entries, 1)), t.MedianMs, t.P99Ms)
	}
	if a := rep.Anchor; a != nil {
		fmt.Fprintf(w, "ORB anchor: %d entries, %.1f ms a query (one core); same false matches as pixmatch from %d inliers\n",
			a.Entries, 1000*a.QuerySeconds/float64(max(a.Queries, 1)), rep.SameRate)
	}
}
