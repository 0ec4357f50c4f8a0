package main

import (
	"fmt"
	"io"
	"strings"
)

// maxListed is the most duplicates and related pictures quality.md names;
// quality.json has them all.
const maxListed = 30

// Markdown writes the report as quality.md shows it.
func (r *Report) Markdown(w io.Writer) {
	g := r.Gallery
	fmt.Fprintf(w, "# pixmatch recognition quality\n\n")
	fmt.Fprintf(w, "- **pixmatch**: %s — `fingerprint.Target` stored, `fingerprint.Query` searched with `match.Search`; a match is a distance ≤ %d of %d bits, a flipped or turned query code's distance counting %d more.\n",
		r.Matcher.Name, r.Matcher.Threshold, r.Matcher.Bits, r.Matcher.TurnPenalty)
	fmt.Fprintf(w, "- **baseline**: %s — one 64-bit pHash of the whole picture, no border trimming, no flipped or turned codes; a match is a distance ≤ %d.\n",
		r.Baseline.Name, r.Baseline.Threshold)
	fmt.Fprintf(w, "- **gallery**: %d entries: %d targets and %d distractors (%d pictures whole, %d mirrored, %d crops; %d blank candidates passed over), %d codes.\n",
		g.Entries, g.Targets, g.Distractors, g.Whole, g.Mirrored, g.Crops, g.Blank, g.Codes)
	fmt.Fprintf(w, "- **queries**: per row, every target edited (%d queries) and every non-member edited the same way (%d queries).\n\n",
		r.Rows[0].Queries, r.Rows[0].NonMemberQueries)

	fmt.Fprintf(w, "## Results\n\n")
	fmt.Fprintf(w, "| transform | recall@1 pixmatch | recall@1 pHash | recall ≤t pixmatch | recall ≤t pHash | false match pixmatch | false match pHash | wrong match pixmatch | wrong match pHash | median d pixmatch | median d pHash | recall@1 browser | false match browser |\n")
	fmt.Fprintf(w, "|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|\n")
	for _, row := range append(r.Rows, r.Mean) {
		name := row.Name
		if name == r.Mean.Name {
			name = "**" + name + "**"
		}
		p, b := row.Pixmatch, row.Baseline
		fmt.Fprintf(w, "| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n", name,
			pct(p.Top1), pct(b.Top1), pct(p.Found), pct(b.Found), pct(p.FalseMatch), pct(b.FalseMatch),
			pct(p.Wrong), pct(b.Wrong), num(p.MedianDistance), num(b.MedianDistance), pct(row.Browser.Top1), pct(row.Browser.FalseMatch))
	}
	fmt.Fprintf(w, "\n%s\n", definitions)
	if blank := r.Mean.Pixmatch.Blank; blank > 0 {
		fmt.Fprintf(w, "pixmatch refused %d edited queries as blank (no content); they count as misses.\n\n", blank)
	}
	if r.Camera != nil {
		r.Camera.Markdown(w)
	}
	if r.Tiers != nil {
		r.Tiers.TiersMarkdown(w)
	}
	r.falseMatches(w)
	r.sizeAndTime(w)
	r.corpus(w)
}

// falseMatches lists the wrong matches of the unedited pictures.
func (r *Report) falseMatches(w io.Writer) {
	if len(r.Unedited) == 0 {
		return
	}
	fmt.Fprintf(w, "## Wrong matches of the unedited pictures\n\n")
	fmt.Fprintf(w, "The pictures themselves, searched with pixmatch, that matched an entry within %d they should not have (targets: another entry nearest; non-members: any entry).\n\n", r.Matcher.Threshold)
	fmt.Fprintf(w, "| query | kind | matched entry | distance |\n|---|---|---|--:|\n")
	for i, f := range r.Unedited {
		if i == maxListed {
			fmt.Fprintf(w, "\n… and %d more (see %s).\n", len(r.Unedited)-maxListed, jsonFile)
			break
		}
		kind := "non-member"
		if f.Member {
			kind = "target"
		}
		fmt.Fprintf(w, "| `%s` | %s | `%s` | %d |\n", f.Query, kind, f.Match, f.Distance)
	}
	fmt.Fprintln(w)
}

// definitions explains the columns of the results table.
const definitions = `- **recall@1**: the query's target is the nearest of all entries, at any distance (ties go to the lower entry ID; IDs are hashes, so neither targets nor distractors are favoured).
- **recall ≤t**: the target is within the method's threshold t, at any rank — what "found" means.
- **false match**: a query made from a non-member (a photo not in the gallery), edited the same way, has any entry within t.
- **wrong match**: a target query's nearest entry is within t but is another entry.
- **median d**: the median distance from a target query to its target (a blank query counts as 65).
- **browser**: pixmatch searching an index of the codes a browser syncs of each target (` + "`match.Browser`" + `: the whole picture and its central 80 %, two checks each), as a gallery of up to 50,000 targets is synced.
- Recipes are ` + "`distort.Catalogue()`" + `; a recipe that draws on chance takes its seed from the picture's ID and the recipe's name, and the paste recipes paste into a non-member photo.
`

// num formats a median.
func num(x float64) string { return strings.TrimSuffix(fmt.Sprintf("%.1f", x), ".0") }

// sizeAndTime writes the fingerprint size and timing section.
func (r *Report) sizeAndTime(w io.Writer) {
	t, s := r.Timing, r.Size
	ratio := func(a float64) string { return fmt.Sprintf("%.2f ms (%.1f× pHash)", a, a/t.BaselineMs) }
	fmt.Fprintf(w, "## Fingerprint size and time\n\n")
	fmt.Fprintf(w, "| | pixmatch | pHash-64 baseline |\n|---|--:|--:|\n")
	fmt.Fprintf(w, "| codes per target | %.2f (%s) | 1 |\n", s.TargetCodes, codeCounts(r.Gallery.TargetCodes))
	fmt.Fprintf(w, "| bytes per target | %.1f (`MarshalBinary`) | %d |\n", s.TargetBytes, s.BaselineBytes)
	fmt.Fprintf(w, "| codes per query | %.2f | 1 |\n", s.QueryCodes)
	fmt.Fprintf(w, "| time to fingerprint a picture for storing | %s | %.2f ms |\n", ratio(t.TargetMs), t.BaselineMs)
	fmt.Fprintf(w, "| time to fingerprint a picture for searching | %s | %.2f ms |\n", ratio(t.QueryMs), t.BaselineMs)
	fmt.Fprintf(w, "| time to search %d entries | %.3f ms (`match.Search`) | %.3f ms (brute force) |\n\n", r.Gallery.Entries, t.SearchMs, t.BaseSearchMs)
	fmt.Fprintf(w, "Times are means over the %d prepared target pictures (at most 800 px long), measured one at a time in the same run; searches over the first %d. They vary between runs and machines; the tables above do not.\n\n",
		t.Images, t.Searches)
}

// codeCounts describes how many targets have how many codes.
func codeCounts(counts map[int]int) string {
	var parts []string
	for k := 1; k <= 16; k++ {
		if n := counts[k]; n > 0 {
			parts = append(parts, fmt.Sprintf("%d with %d", n, k))
		}
	}
	return strings.Join(parts, ", ")
}

// corpus writes the corpus section.
func (r *Report) corpus(w io.Writer) {
	c := r.Corpus
	fmt.Fprintf(w, "## Corpus\n\n")
	fmt.Fprintf(w, "Real photographs from Debian packages (licences: `LICENSES.md` in the cache folder). %d targets (%d of them cut-outs on white), %d non-members (%d cut-outs); distractors are made of %d left-over photographs and %d other pictures of the same packages (drawings, renders, digital art).\n\n",
		c.Targets, c.TargetCutOuts, c.NonMembers, c.NonMemberCutOuts, c.FillerPhotos, c.FillerOthers)
	fmt.Fprintf(w, "| package | version | files | photos | targets | non-members | left-over photos | other pictures | undecodable | tiny | flat | skipped | duplicates | related |\n")
	fmt.Fprintf(w, "|---|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|\n")
	var total PackageCount
	for _, p := range c.Packages {
		fmt.Fprintf(w, "| %s | %s | %d | %d | %d | %d | %d | %d | %d | %d | %d | %d | %d | %d |\n", p.Package, p.Version,
			p.Files, p.Photos, p.Targets, p.NonMembers, p.Fillers, p.Others, p.Undecodable, p.Tiny, p.Flat, p.Skipped, p.Duplicates, p.Related)
		total = PackageCount{
			Files: total.Files + p.Files, Photos: total.Photos + p.Photos, Targets: total.Targets + p.Targets,
			NonMembers: total.NonMembers + p.NonMembers, Fillers: total.Fillers + p.Fillers, Others: total.Others + p.Others,
			Undecodable: total.Undecodable + p.Undecodable, Tiny: total.Tiny + p.Tiny, Flat: total.Flat + p.Flat,
			Skipped: total.Skipped + p.Skipped, Duplicates: total.Duplicates + p.Duplicates, Related: total.Related + p.Related,
		}
	}
	p := total
	fmt.Fprintf(w, "| **total** | | %d | %d | %d | %d | %d | %d | %d | %d | %d | %d | %d | %d |\n\n",
		p.Files, p.Photos, p.Targets, p.NonMembers, p.Fillers, p.Others, p.Undecodable, p.Tiny, p.Flat, p.Skipped, p.Duplicates, p.Related)
	fmt.Fprintf(w, "%s\n", corpusRules)
	fmt.Fprintf(w, "Duplicates dropped (%d):", len(c.Duplicates))
	for i, d := range c.Duplicates {
		if i == maxListed {
			fmt.Fprintf(w, " … and %d more (see %s)", len(c.Duplicates)-maxListed, jsonFile)
			break
		}
		fmt.Fprintf(w, "%s `%s` (copy of `%s`, %.3f)", sep(i), d.Dropped, d.Kept, d.Match)
	}
	fmt.Fprintf(w, ".\n\nOther pictures dropped as too like a photograph (%d):", len(c.Related))
	for i, id := range c.Related {
		if i == maxListed {
			fmt.Fprintf(w, " … and %d more", len(c.Related)-maxListed)
			break
		}
		fmt.Fprintf(w, "%s `%s`", sep(i), id)
	}
	fmt.Fprintf(w, ".\n")
}

// sep returns the separator before the i-th item of a list.
func sep(i int) string {
	if i == 0 {
		return ""
	}
	return ";"
}

// corpusRules describes how the corpus is made.
var corpusRules = fmt.Sprintf(`How the corpus is made:
- **photographs**: the files listed in the harness's sources table (chosen by looking at each picture: renders, drawings, charts and digital art are out, and of several shots of one scene only one is in); for tuxpaint-stamps-default, every stamp with at least %d colours outside its "cartoon" folders.
- **cut-outs** (pictures with transparency) are trimmed to their visible pixels and laid on white with a margin of 1/12 of their longer side.
- **dropped**: files Go cannot decode; tiny pictures (shorter side under %d px or longer side under %d px); near-uniform ones (luminance spread, 2nd to 98th percentile, at most %d grey levels); other shots of a photograph's scene (skipped).
- **prepared**: every picture scaled once so its longer side is at most %d px (block averaging, then Catmull-Rom).
- **duplicates**: two pictures are copies when, the second mirrored or turned by quarter turns as fits best, their normalised %d×%d grey thumbnails correlate ≥ %.2f: of the whole pictures when their aspect ratios match; else of one's middle cut to the other's aspect ratio and the whole other (the same wallpaper at 16:9 and 16:10); or of their centre squares. A photograph is kept before another picture, then the larger one. Other pictures correlating ≥ %.2f with a photograph are dropped as related.
- **split**: photographs sorted by the SHA-256 of their file; the first up to %d are targets, the next (up to %d, at most a quarter) non-members, the rest left over.
- **distractors**: left-over photographs and the other pictures, whole, then mirrored, then in rounds of crops keeping 40–85 %% of each side (odd rounds mirrored), until the index holds %d entries; fingerprinted like targets.
`, photoColours, minShort, minLong, flatSpread, maxSide, thumbSide, thumbSide, sameMatch, relatedMatch, maxTargets, maxNonMembers, galleryEntries)
