package main

import (
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
	rep := &CameraReport{Columns: cr.Columns, Anchor: cr.Anchor}
	for e, name := range cr.Edits {
		row := CameraRow{Name: name, Camera: cr.Camera[e], Queries: len(cr.Want), NonMemberQueries: len(cr.Hits[0][e]) - len(cr.Want)}
		for c, col := range cr.Columns {
			row.Scores = append(row.Scores, columnScores(cr, c, e, col.Threshold))
			row.CornerError = append(row.CornerError, cornerError(cr, c, e))
		}
		rep.Rows = append(rep.Rows, row)
	}
	rep.Mean = CameraRow{Name: "mean of the camera recipes"}
	var camera []CameraRow
	for _, r := range rep.Rows {
		if r.Camera {
			camera = append(camera, r)
		}
	}
	rep.Mean.Name = fmt.Sprintf("mean of the %d camera recipes", len(camera))
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
	return rep
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
	falseMatches := func(c int, thr float64) int {
		n := 0
		for e := range cr.Edits {
			for _, h := range cr.Hits[c][e][len(cr.Want):] {
				if _, _, wrong := sighting(h, "", thr); wrong {
					n++
				}
			}
		}
		return n
	}
	for _, k := range sweepInliers {
		p := SweepPoint{Inliers: k, FalseMatches: falseMatches(anchor, float64(k))}
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
		limit := falseMatches(pix, cr.Columns[pix].Threshold)
		for k := 4; k <= 1000; k++ {
			if falseMatches(anchor, float64(k)) <= limit {
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
	fmt.Fprintf(w, "\n%s\n", cameraDefinitions)
	rep.anchorNotes(w)
}

// cameraDefinitions explains the camera table's columns.
const cameraDefinitions = `- **recall@1**, **recall ≤t**, **false match** as above, each column at its own threshold: pixmatch and pHash as in the results table (Score is the bits that agree), the anchor at its RANSAC inlier count.
- **corner error**: the median, over the queries whose best hit is the target and says where it is, of the mean distance from the four corners reported to the true ones (` + "`Edit.Locate`" + `), in the query's pixels.
- **ORB anchor**: OpenCV's ORB (1000 features, grey, 640-pixel longer side), one FLANN-LSH index (8 tables, 24-bit keys, multi-probe 1) over the gallery's descriptors, 2-NN with ratio 0.8 voting per gallery picture, the 5 best-voted verified with a RANSAC homography (5 px); run by ` + "`anchor.py`" + ` with Debian's python3-opencv, on the first entries of the gallery (every target, then distractors).
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

// Summarise prints the camera table's means.
func (rep *CameraReport) Summarise(w io.Writer) {
	fmt.Fprintf(w, "camera recipes (%s):", rep.Mean.Name)
	for c, col := range rep.Columns {
		s := rep.Mean.Scores[c]
		fmt.Fprintf(w, " %s recall@1 %s, recall ≤t %s, false match %s;", col.Name, pct(s.Top1), pct(s.Found), pct(s.FalseMatch))
	}
	fmt.Fprintln(w)
	if a := rep.Anchor; a != nil {
		fmt.Fprintf(w, "ORB anchor: %d entries, %.1f ms a query (one core); same false matches as pixmatch from %d inliers\n",
			a.Entries, 1000*a.QuerySeconds/float64(max(a.Queries, 1)), rep.SameRate)
	}
}
