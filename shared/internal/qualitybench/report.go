package main

import (
	"cmp"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/pixmatch/pixmatch/shared/fingerprint"
	"github.com/pixmatch/pixmatch/shared/match"
)

// The report's files in the output folder.
const (
	mdFile   = "quality.md"
	jsonFile = "quality.json"
)

// Report is what a run found, as written to quality.json.
type Report struct {
	Matcher  Method        `json:"matcher"`
	Baseline Method        `json:"baseline"`
	Corpus   CorpusSummary `json:"corpus"`
	Gallery  GalleryStats  `json:"gallery"`
	// Rows has one row per query kind: the pictures themselves, then each
	// recipe. Mean averages the recipes' rows, the original left out.
	Rows   []Row  `json:"transforms"`
	Mean   Row    `json:"mean_of_recipes"`
	Size   Size   `json:"size"`
	Timing Timing `json:"timing"`
	// Unedited lists the matches pixmatch made with the unedited pictures
	// that it should not have: a non-member matching an entry, a target
	// whose nearest entry within the threshold is another.
	Unedited []FalseMatch `json:"unedited_false_matches"`
	// Camera is the camera table, when it was measured; Tiers, the
	// results table's recipes searched with the hash tier, the feature
	// tier and both merged.
	Camera *CameraReport `json:"camera,omitempty"`
	Tiers  *CameraReport `json:"tiers,omitempty"`
}

// FalseMatch is a query that matched the wrong entry.
type FalseMatch struct {
	Query    string `json:"query"`
	Member   bool   `json:"member"`
	Match    string `json:"match"`
	Distance int    `json:"distance"`
}

// Method names a way of recognising and its operating point.
type Method struct {
	Name      string `json:"name"`
	Bits      int    `json:"bits"`
	Threshold int    `json:"threshold"`
	// TurnPenalty is what a flipped or turned query code adds to its
	// distance; 0 for a method without such codes.
	TurnPenalty int `json:"turn_penalty,omitempty"`
}

// CorpusSummary is the corpus's composition.
type CorpusSummary struct {
	Packages []PackageCount `json:"packages"`
	// Targets and NonMembers count the photographs of each use, and how
	// many of them are cut-outs; FillerPhotos and FillerOthers the
	// pictures distractors are made of.
	Targets          int         `json:"targets"`
	TargetCutOuts    int         `json:"target_cut_outs"`
	NonMembers       int         `json:"non_members"`
	NonMemberCutOuts int         `json:"non_member_cut_outs"`
	FillerPhotos     int         `json:"filler_photos"`
	FillerOthers     int         `json:"filler_others"`
	Duplicates       []Duplicate `json:"duplicates"`
	Related          []string    `json:"related"`
}

// Row is the scores of one query kind.
type Row struct {
	Name string `json:"name"`
	// Queries made from targets, and from non-members.
	Queries          int    `json:"queries"`
	NonMemberQueries int    `json:"non_member_queries"`
	Pixmatch         Scores `json:"pixmatch"`
	Baseline         Scores `json:"baseline"`
	// Browser is pixmatch searching an index of the browser's profile
	// (match.Browser); it has no median distance.
	Browser Scores `json:"browser"`
}

// Scores are the rates of one method on one query kind, as fractions.
type Scores struct {
	// Top1: the target is the nearest entry at any distance.
	Top1 float64 `json:"recall_at_1"`
	// Found: the target is within the threshold, at any rank.
	Found float64 `json:"recall_at_threshold"`
	// Wrong: a target query's nearest entry is within the threshold and
	// is another entry.
	Wrong float64 `json:"wrong_match_rate"`
	// FalseMatch: a non-member query has an entry within the threshold.
	FalseMatch float64 `json:"false_match_rate"`
	// MedianDistance to the target; a blank query counts as Bits+1.
	MedianDistance float64 `json:"median_distance"`
	// Blank: queries refused as having no content.
	Blank int `json:"blank_queries"`
}

// Size is how big fingerprints are.
type Size struct {
	TargetCodes   float64 `json:"target_codes_mean"`
	TargetBytes   float64 `json:"target_bytes_mean"`
	QueryCodes    float64 `json:"query_codes_mean"`
	BaselineBytes int     `json:"baseline_bytes"`
}

// NewReport summarises a run.
func NewReport(c *Corpus, r *Results) *Report {
	rep := &Report{
		Matcher: Method{
			Name:        fmt.Sprintf("pixmatch fingerprint v%d + match", fingerprint.Version),
			Bits:        fingerprint.Bits,
			Threshold:   fingerprint.Threshold,
			TurnPenalty: match.TurnPenalty,
		},
		Baseline: Method{Name: "goimagehash PerceptionHash, brute force", Bits: 64, Threshold: baselineThreshold},
		Gallery:  r.Gallery,
		Timing:   r.Timing,
	}
	rep.Corpus = summarise(c)
	for e, name := range r.Edits {
		row := Row{Name: name, Queries: len(r.Members[e]), NonMemberQueries: len(r.NonMembers[e])}
		row.Pixmatch, row.Baseline = scores(r.Members[e], r.NonMembers[e])
		row.Browser = profileScores(r.Members[e], r.NonMembers[e], 0)
		rep.Rows = append(rep.Rows, row)
	}
	rep.Mean = mean(rep.Rows[1:])
	for i, o := range r.Members[0] {
		if o.Wrong {
			rep.Unedited = append(rep.Unedited, FalseMatch{Query: r.TargetIDs[i], Member: true, Match: o.Match, Distance: o.MatchDistance})
		}
	}
	for i, o := range r.NonMembers[0] {
		if o.Wrong {
			rep.Unedited = append(rep.Unedited, FalseMatch{Query: r.NonMemberIDs[i], Match: o.Match, Distance: o.MatchDistance})
		}
	}
	var codes, n int
	for k, count := range r.Gallery.TargetCodes {
		codes, n = codes+k*count, n+count
	}
	rep.Size = Size{
		TargetCodes:   float64(codes) / float64(max(n, 1)),
		TargetBytes:   float64(4*n+fingerprint.CodeSize*codes) / float64(max(n, 1)), // Fingerprint.MarshalBinary
		QueryCodes:    r.Gallery.QueryCodes,
		BaselineBytes: 8,
	}
	return rep
}

// summarise counts the corpus's pictures by use.
func summarise(c *Corpus) CorpusSummary {
	s := CorpusSummary{
		Packages:   c.Packages,
		Targets:    len(c.Targets),
		NonMembers: len(c.NonMembers),
		Duplicates: c.Duplicates,
		Related:    c.Related,
	}
	for _, p := range c.Targets {
		if p.CutOut {
			s.TargetCutOuts++
		}
	}
	for _, p := range c.NonMembers {
		if p.CutOut {
			s.NonMemberCutOuts++
		}
	}
	for _, p := range c.Fillers {
		if p.Photo {
			s.FillerPhotos++
		} else {
			s.FillerOthers++
		}
	}
	return s
}

// scores computes both methods' scores from the outcomes of the target
// queries and the non-member queries of one kind.
func scores(members, nonMembers []Outcome) (pix, base Scores) {
	pix = Scores{
		Top1:       rate(members, func(o Outcome) bool { return o.Top }),
		Found:      rate(members, func(o Outcome) bool { return o.Found }),
		Wrong:      rate(members, func(o Outcome) bool { return o.Wrong }),
		FalseMatch: rate(nonMembers, func(o Outcome) bool { return o.Wrong }),
	}
	base = Scores{
		Top1:       rate(members, func(o Outcome) bool { return o.BaseTop }),
		Found:      rate(members, func(o Outcome) bool { return o.BaseFound }),
		Wrong:      rate(members, func(o Outcome) bool { return o.BaseWrong }),
		FalseMatch: rate(nonMembers, func(o Outcome) bool { return o.BaseWrong }),
	}
	var d, bd []int
	for _, o := range slices.Concat(members, nonMembers) {
		if o.NoContent {
			pix.Blank++
		}
	}
	for _, o := range members {
		if o.NoContent {
			d = append(d, fingerprint.Bits+1)
		} else {
			d = append(d, o.Distance)
		}
		bd = append(bd, o.BaseDistance)
	}
	pix.MedianDistance, base.MedianDistance = median(d), median(bd)
	return pix, base
}

// profileScores computes the scores of reduced profile i from the
// outcomes of the target queries and the non-member queries of one kind.
func profileScores(members, nonMembers []Outcome, i int) Scores {
	v := func(o Outcome) Verdict {
		if i < len(o.Profiles) {
			return o.Profiles[i]
		}
		return Verdict{}
	}
	return Scores{
		Top1:       rate(members, func(o Outcome) bool { return v(o).Top }),
		Found:      rate(members, func(o Outcome) bool { return v(o).Found }),
		Wrong:      rate(members, func(o Outcome) bool { return v(o).Wrong }),
		FalseMatch: rate(nonMembers, func(o Outcome) bool { return v(o).Wrong }),
	}
}

// rate returns the share of os for which f holds.
func rate(os []Outcome, f func(Outcome) bool) float64 {
	n := 0
	for _, o := range os {
		if f(o) {
			n++
		}
	}
	return float64(n) / float64(max(len(os), 1))
}

// median returns the median of xs, the mean of the middle two for an
// even count.
func median(xs []int) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return float64(s[len(s)/2])
	}
	return float64(s[len(s)/2-1]+s[len(s)/2]) / 2
}

// mean returns the row averaging the rates of rows.
func mean(rows []Row) Row {
	m := Row{Name: fmt.Sprintf("mean of the %d recipes", len(rows))}
	add := func(dst *Scores, src Scores) {
		n := float64(len(rows))
		dst.Top1 += src.Top1 / n
		dst.Found += src.Found / n
		dst.Wrong += src.Wrong / n
		dst.FalseMatch += src.FalseMatch / n
		dst.MedianDistance += src.MedianDistance / n
		dst.Blank += src.Blank
	}
	for _, r := range rows {
		m.Queries += r.Queries
		m.NonMemberQueries += r.NonMemberQueries
		add(&m.Pixmatch, r.Pixmatch)
		add(&m.Baseline, r.Baseline)
		add(&m.Browser, r.Browser)
	}
	return m
}

// Write writes quality.md and quality.json into dir.
func (r *Report) Write(dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("report: %w", err)
	}
	j, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return fmt.Errorf("report: %w", err)
	}
	if err := os.WriteFile(filepath.Join(dir, jsonFile), append(j, '\n'), 0o644); err != nil {
		return fmt.Errorf("report: %w", err)
	}
	var md strings.Builder
	r.Markdown(&md)
	if err := os.WriteFile(filepath.Join(dir, mdFile), []byte(md.String()), 0o644); err != nil {
		return fmt.Errorf("report: %w", err)
	}
	return nil
}

// pct formats a fraction as a percentage: to a tenth, or to a hundredth
// under one percent, where the false-match goal of 0.1 % lies.
func pct(x float64) string {
	if x > 0 && x < 0.01 {
		return fmt.Sprintf("%.2f %%", 100*x)
	}
	return fmt.Sprintf("%.1f %%", 100*x)
}

// Summarise prints the gist of the report.
func (r *Report) Summarise(w io.Writer) {
	m := r.Mean
	fmt.Fprintf(w, "pixmatch recognition quality: %d targets (%d cut-outs) among %d entries, %d non-members, %d recipes\n",
		r.Corpus.Targets, r.Corpus.TargetCutOuts, r.Gallery.Entries, r.Corpus.NonMembers, len(r.Rows)-1)
	fmt.Fprintf(w, "mean over the recipes   pixmatch (t≤%d)   pHash-64 (t≤%d)   browser profile\n", r.Matcher.Threshold, r.Baseline.Threshold)
	for _, l := range []struct {
		name    string
		a, b, c float64
	}{
		{"recall@1", m.Pixmatch.Top1, m.Baseline.Top1, m.Browser.Top1},
		{"recall at threshold", m.Pixmatch.Found, m.Baseline.Found, m.Browser.Found},
		{"wrong match", m.Pixmatch.Wrong, m.Baseline.Wrong, m.Browser.Wrong},
		{"false match", m.Pixmatch.FalseMatch, m.Baseline.FalseMatch, m.Browser.FalseMatch},
	} {
		fmt.Fprintf(w, "  %-21s %9s %17s %17s\n", l.name, pct(l.a), pct(l.b), pct(l.c))
	}
	weak := slices.Clone(r.Rows[1:])
	slices.SortStableFunc(weak, func(a, b Row) int { return cmp.Compare(a.Pixmatch.Found, b.Pixmatch.Found) })
	var names []string
	for _, row := range weak[:min(6, len(weak))] {
		names = append(names, fmt.Sprintf("%s %s", row.Name, pct(row.Pixmatch.Found)))
	}
	fmt.Fprintf(w, "weakest (recall at threshold): %s\n", strings.Join(names, ", "))
	t := r.Timing
	if r.Camera != nil {
		r.Camera.Summarise(w)
	}
	if r.Tiers != nil {
		r.Tiers.Summarise(w)
	}
	fmt.Fprintf(w, "fingerprint per picture: Target %.2f ms, Query %.2f ms, pHash %.2f ms; %.2f codes (%.1f bytes) per target\n",
		t.TargetMs, t.QueryMs, t.BaselineMs, r.Size.TargetCodes, r.Size.TargetBytes)
}
