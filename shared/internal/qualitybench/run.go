package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash/fnv"
	"image"
	"math/bits"
	"math/rand/v2"
	"runtime"
	"slices"
	"time"

	"github.com/corona10/goimagehash"

	"github.com/pixmatch/pixmatch/shared/distort"
	"github.com/pixmatch/pixmatch/shared/fingerprint"
	"github.com/pixmatch/pixmatch/shared/index"
	"github.com/pixmatch/pixmatch/shared/match"
)

// The measurement's fixed settings.
const (
	// galleryEntries is the size of the index: the targets, padded with
	// distractors.
	galleryEntries = 10000
	// baselineThreshold is the distance at which the baseline pHash
	// matches (matching-anchors §4: pHash-64 at t ≤ 10).
	baselineThreshold = 10
	// original names the query that is the picture itself.
	original = "original"
	// timedSearches is how many searches the timing pass makes.
	timedSearches = 200
)

// Outcome is what one query found, with pixmatch (the production
// fingerprint and index) and with the baseline.
type Outcome struct {
	// NoContent reports a query that pixmatch refuses as blank.
	NoContent bool
	// Top is whether the nearest entry at any distance is the query's
	// target; Found, whether the target is within the threshold at any
	// rank; Wrong, whether the nearest entry is within the threshold but
	// is not the target (for non-member queries: any match). Distance is
	// the distance to the target, -1 without one.
	Top, Found, Wrong bool
	Distance          int
	// The same for the baseline.
	BaseTop, BaseFound, BaseWrong bool
	BaseDistance                  int
	// Match names the entry pixmatch wrongly matched, when Wrong, and
	// MatchDistance is its distance.
	Match         string
	MatchDistance int
	// Profiles has Top, Found and Wrong as above for each of the
	// gallery's reduced profiles, searched in an index of that profile.
	Profiles []Verdict

	codes int // the query's pixmatch codes
}

// Verdict is what a query found in an index of one profile.
type Verdict struct{ Top, Found, Wrong bool }

// profiles are the reduced profiles measured besides match.Full, each
// with an index of its own.
var profiles = []match.Profile{match.Browser}

// Results are the measurements of a run.
type Results struct {
	// Edits names the queries made from each picture: the picture itself,
	// then every recipe of distort.Catalogue.
	Edits []string
	// Members[e][t] is the outcome of edit e of target t; NonMembers[e][n]
	// of non-member n. TargetIDs and NonMemberIDs name the pictures.
	Members, NonMembers     [][]Outcome
	TargetIDs, NonMemberIDs []string
	Gallery                 GalleryStats
	Timing                  Timing

	// gallery holds the index's entries, targets first, for other
	// recognisers to enrol (MeasureCamera); targetIDs, each target's ID;
	// labels describe each entry ID.
	gallery   []Entry
	targetIDs map[*picture]string
	labels    map[string]string
}

// GalleryStats describe the searched index.
type GalleryStats struct {
	Entries     int `json:"entries"`
	Targets     int `json:"targets"`
	Distractors int `json:"distractors"`
	// Distractors by kind: whole pictures, mirrored ones, and crops
	// (every other one mirrored); Blank counts the candidates refused for
	// having no content.
	Whole    int `json:"distractor_whole"`
	Mirrored int `json:"distractor_mirrored"`
	Crops    int `json:"distractor_crops"`
	Blank    int `json:"distractor_candidates_blank"`
	// Codes is the number of codes in the index; TargetCodes[k] how many
	// targets have k codes; QueryCodes, the mean codes of a query.
	Codes       int         `json:"codes"`
	TargetCodes map[int]int `json:"target_codes"`
	QueryCodes  float64     `json:"query_codes_mean"`
}

// Timing is the time fingerprinting and searching take, measured on one
// goroutine over the prepared target pictures.
type Timing struct {
	Images       int     `json:"images"`
	TargetMs     float64 `json:"target_ms"`          // fingerprint.Target
	QueryMs      float64 `json:"query_ms"`           // fingerprint.Query
	BaselineMs   float64 `json:"baseline_ms"`        // goimagehash.PerceptionHash
	Searches     int     `json:"searches"`           // how many searches were timed
	SearchMs     float64 `json:"search_ms"`          // index.Search over the gallery
	BaseSearchMs float64 `json:"baseline_search_ms"` // brute force over the baseline codes
}

// gallery is the searched index and the baseline's codes of the same
// entries.
type gallery struct {
	index *index.Index
	// reduced[i] holds the same entries in profiles[i].
	reduced []*index.Index
	// ids are the entry IDs in ascending order, the order ties go by;
	// base[i] is the baseline code of ids[i].
	ids  []string
	base []uint64
	// target maps a target picture to its entry ID; label describes each
	// entry ID.
	target map[*picture]string
	label  map[string]string
	stats  GalleryStats
	// entries are the indexed pictures in the order they were put.
	entries []Entry
}

// Measure builds a gallery of the targets padded with distractors to
// entries entries, and runs every query.
func Measure(ctx context.Context, c *Corpus, entries, workers int, logf func(string, ...any)) (*Results, error) {
	if len(c.Targets) == 0 || len(c.NonMembers) < 2 {
		return nil, fmt.Errorf("measure: %d targets and %d non-members are too few", len(c.Targets), len(c.NonMembers))
	}
	start := time.Now()
	g, err := buildGallery(ctx, c, entries, workers)
	if err != nil {
		return nil, err
	}
	logf("gallery: %d entries, %d codes (%s)", g.stats.Entries, g.stats.Codes, time.Since(start).Round(time.Millisecond))
	res := &Results{Gallery: g.stats, gallery: g.entries, targetIDs: g.target, labels: g.label}
	for _, p := range c.Targets {
		res.TargetIDs = append(res.TargetIDs, p.ID)
	}
	for _, p := range c.NonMembers {
		res.NonMemberIDs = append(res.NonMemberIDs, p.ID)
	}
	if res.Timing, err = timeTargets(ctx, c.Targets, g); err != nil {
		return nil, err
	}
	edits := append([]distort.Edit{{Name: original, Apply: func(img image.Image) image.Image { return img }}}, distort.Catalogue()...)
	for _, e := range edits {
		res.Edits = append(res.Edits, e.Name)
	}
	start = time.Now()
	if res.Members, err = queryAll(ctx, g, edits, c.Targets, c.NonMembers, true, workers); err != nil {
		return nil, err
	}
	if res.NonMembers, err = queryAll(ctx, g, edits, c.NonMembers, c.NonMembers, false, workers); err != nil {
		return nil, err
	}
	n := len(edits) * (len(c.Targets) + len(c.NonMembers))
	logf("queries: %d (%s)", n, time.Since(start).Round(time.Millisecond))
	var codes, queries int
	for _, row := range slices.Concat(res.Members, res.NonMembers) {
		for _, o := range row {
			if !o.NoContent {
				queries++
				codes += o.codes
			}
		}
	}
	res.Gallery.QueryCodes = float64(codes) / float64(max(1, queries))
	return res, nil
}

// entryID names an index entry neutrally, so that ties between targets
// and distractors, broken by ID, favour neither.
func entryID(label string) string {
	sum := sha256.Sum256([]byte(label))
	return hex.EncodeToString(sum[:8])
}

// signature is a fingerprint and a baseline code of one picture.
type signature struct {
	fp   fingerprint.Fingerprint
	base uint64
}

// fingerprints returns the stored fingerprint and baseline code of img.
func fingerprints(img image.Image) (signature, error) {
	fp, err := fingerprint.Target(img)
	if err != nil {
		return signature{}, err
	}
	h, err := goimagehash.PerceptionHash(img)
	if err != nil {
		return signature{}, fmt.Errorf("baseline: %w", err)
	}
	return signature{fp: fp, base: h.GetHash()}, nil
}

// buildGallery fingerprints the targets and enough distractors to fill
// the index to entries.
func buildGallery(ctx context.Context, c *Corpus, entries, workers int) (*gallery, error) {
	g := &gallery{index: match.NewIndex(), target: map[*picture]string{}, label: map[string]string{}}
	g.stats.TargetCodes = map[int]int{}
	base := map[string]uint64{}
	put := func(label string, p signature) error {
		id := entryID(label)
		if _, dup := base[id]; dup {
			return fmt.Errorf("measure: entry ID %s twice", id)
		}
		base[id], g.label[id] = p.base, label
		for i, pr := range profiles {
			if codes := pr.Codes(p.fp); len(codes) > 0 {
				if err := g.reduced[i].Put(index.Entry{ID: id, Codes: codes, Active: true}); err != nil {
					return err
				}
			}
		}
		return g.index.Put(index.Entry{ID: id, Codes: match.Full.Codes(p.fp), Active: true})
	}
	for range profiles {
		g.reduced = append(g.reduced, match.NewIndex())
	}
	prints := make([]signature, len(c.Targets))
	err := parallel(ctx, len(c.Targets), workers, func(i int) (err error) {
		if prints[i], err = fingerprints(c.Targets[i].Image); err != nil {
			return fmt.Errorf("measure: target %s: %w", c.Targets[i].ID, err)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	for i, t := range c.Targets {
		g.target[t] = entryID("target " + t.ID)
		g.stats.TargetCodes[len(prints[i].fp.Codes)]++
		if err := put("target "+t.ID, prints[i]); err != nil {
			return nil, err
		}
		g.entries = append(g.entries, Entry{ID: g.target[t], Image: t.Image})
	}
	if err := addDistractors(ctx, g, c.Fillers, entries-len(c.Targets), workers, put); err != nil {
		return nil, err
	}
	for id := range base {
		g.ids = append(g.ids, id)
	}
	slices.Sort(g.ids)
	for _, id := range g.ids {
		g.base = append(g.base, base[id])
	}
	g.stats.Entries, g.stats.Targets, g.stats.Codes = g.index.Len(), len(c.Targets), g.index.Codes()
	g.stats.Distractors = g.stats.Entries - g.stats.Targets
	return g, nil
}

// addDistractors puts need distractors made from the fillers: each filler
// whole, then each mirrored, then rounds of crops, each round one crop
// per filler, until there are enough. Candidates without content are
// passed over.
func addDistractors(ctx context.Context, g *gallery, fillers []*picture, need, workers int, put func(string, signature) error) error {
	if len(fillers) == 0 && need > 0 {
		return errors.New("measure: no pictures to make distractors of")
	}
	const batch = 1024
	for next := 0; need > 0; next += batch {
		prints := make([]signature, batch)
		errs := make([]error, batch)
		err := parallel(ctx, batch, workers, func(i int) error {
			f, round := fillers[(next+i)%len(fillers)], (next+i)/len(fillers)
			prints[i], errs[i] = fingerprints(distractor(f, round))
			if errs[i] != nil && !errors.Is(errs[i], fingerprint.ErrNoContent) {
				return fmt.Errorf("measure: distractor of %s: %w", f.ID, errs[i])
			}
			return nil
		})
		if err != nil {
			return err
		}
		before := need
		for i := 0; i < batch && need > 0; i++ {
			f, round := fillers[(next+i)%len(fillers)], (next+i)/len(fillers)
			if errs[i] != nil {
				g.stats.Blank++
				continue
			}
			label := fmt.Sprintf("distractor %s #%d", f.ID, round)
			if err := put(label, prints[i]); err != nil {
				return err
			}
			g.entries = append(g.entries, Entry{ID: entryID(label), Image: distractor(f, round)})
			switch {
			case round == 0:
				g.stats.Whole++
			case round == 1:
				g.stats.Mirrored++
			default:
				g.stats.Crops++
			}
			need--
		}
		if need == before {
			return fmt.Errorf("measure: %d candidate distractors in a row have no content", batch)
		}
	}
	return nil
}

// distractor returns variant round of a filler picture: round 0 is the
// picture, round 1 its mirror image, and later rounds crops keeping 40 to
// 85 % of its width (the height within a fifth of that share) at a place
// drawn from the picture's ID and the round; odd rounds are mirrored.
func distractor(f *picture, round int) image.Image {
	switch round {
	case 0:
		return f.Image
	case 1:
		return distort.Mirror(f.Image)
	}
	rng := rand.New(rand.NewPCG(seedOf(f.ID, "distractor"), uint64(round)))
	w, h := float64(f.Image.Rect.Dx()), float64(f.Image.Rect.Dy())
	kw := 0.40 + 0.45*rng.Float64()
	kh := min(1, kw*(0.8+0.4*rng.Float64()))
	cw, ch := max(16, int(kw*w)), max(16, int(kh*h))
	x, y := int(rng.Float64()*(w-float64(cw))), int(rng.Float64()*(h-float64(ch)))
	var img image.Image = f.Image.SubImage(image.Rect(x, y, x+cw, y+ch).Intersect(f.Image.Rect))
	if round%2 == 1 {
		img = distort.Mirror(img)
	}
	return img
}

// seedOf returns the seed of an edit of a picture: the same for the same
// names on every run.
func seedOf(id, edit string) uint64 {
	h := fnv.New64a()
	h.Write([]byte(id))
	h.Write([]byte{0})
	h.Write([]byte(edit))
	return h.Sum64()
}

// queryAll makes every edit of every picture in pics, searches with it
// and returns the outcomes by edit. Member queries look for their own
// target; the pasting edits take their scenes from the non-members
// (never the picture itself).
func queryAll(ctx context.Context, g *gallery, edits []distort.Edit, pics, scenes []*picture, members bool, workers int) ([][]Outcome, error) {
	out := make([][]Outcome, len(edits))
	for e := range out {
		out[e] = make([]Outcome, len(pics))
	}
	err := parallel(ctx, len(edits)*len(pics), workers, func(job int) error {
		e, p := edits[job/len(pics)], pics[job%len(pics)]
		params := distort.Params{Seed: seedOf(p.ID, e.Name)}
		params.Scene = sceneFor(p, scenes, params.Seed).Image
		img := e.With(params)(p.Image)
		want := ""
		if members {
			want = g.target[p]
		}
		o, err := g.query(ctx, img, want)
		if err != nil {
			return fmt.Errorf("measure: %s of %s: %w", e.Name, p.ID, err)
		}
		out[job/len(pics)][job%len(pics)] = o
		return nil
	})
	return out, err
}

// sceneFor picks, by seed, a scene from scenes that is not p.
func sceneFor(p *picture, scenes []*picture, seed uint64) *picture {
	i := int(seed % uint64(len(scenes)))
	if scenes[i] == p {
		i = (i + 1) % len(scenes)
	}
	return scenes[i]
}

// query searches the gallery for img with pixmatch and with the baseline.
// want is the entry ID of the query's target, empty for a non-member.
func (g *gallery) query(ctx context.Context, img image.Image, want string) (Outcome, error) {
	o := Outcome{Distance: -1, BaseDistance: -1}
	fp, err := fingerprint.Query(img)
	switch {
	case errors.Is(err, fingerprint.ErrNoContent):
		o.NoContent = true
	case err != nil:
		return o, err
	default:
		v, near, err := verdict(ctx, g.index, fp, want, match.Full)
		if err != nil {
			return o, err
		}
		if o.Top, o.Found, o.Wrong = v.Top, v.Found, v.Wrong; o.Wrong {
			o.Match, o.MatchDistance = g.label[near[0].ID], near[0].Distance
		}
		if want != "" {
			o.Distance = g.distance(fp, want)
		}
		o.codes = len(fp.Codes)
		for i, pr := range profiles {
			v, _, err := verdict(ctx, g.reduced[i], fp, want, pr)
			if err != nil {
				return o, err
			}
			o.Profiles = append(o.Profiles, v)
		}
	}
	h, err := goimagehash.PerceptionHash(img)
	if err != nil {
		return o, fmt.Errorf("baseline: %w", err)
	}
	best, d := g.nearest(h.GetHash())
	o.BaseTop = g.ids[best] == want
	o.BaseWrong = d <= baselineThreshold && g.ids[best] != want
	if want != "" {
		i, _ := slices.BinarySearch(g.ids, want)
		o.BaseDistance = bits.OnesCount64(h.GetHash() ^ g.base[i])
		o.BaseFound = o.BaseDistance <= baselineThreshold
	}
	return o, nil
}

// verdict searches x, an index of profile pr, for the query fp whose
// target has entry ID want ("" for none). It also returns the entries
// within the threshold, nearest first.
func verdict(ctx context.Context, x *index.Index, fp fingerprint.Fingerprint, want string, pr match.Profile) (Verdict, []match.Hit, error) {
	top, err := match.Search(ctx, x, fp, match.Options{Limit: 1, Threshold: fingerprint.Bits, Profile: pr})
	if err != nil {
		return Verdict{}, nil, err
	}
	near, err := match.Search(ctx, x, fp, match.Options{Limit: x.Len(), Profile: pr})
	if err != nil {
		return Verdict{}, nil, err
	}
	return Verdict{
		Top:   len(top) > 0 && top[0].ID == want,
		Found: slices.ContainsFunc(near, func(h match.Hit) bool { return h.ID == want }),
		Wrong: len(near) > 0 && near[0].ID != want,
	}, near, nil
}

// distance returns the distance of a query fingerprint to an entry, as a
// search sees it.
func (g *gallery) distance(q fingerprint.Fingerprint, id string) int {
	e, _ := g.index.Get(id)
	var target fingerprint.Fingerprint
	for _, c := range e.Codes {
		target.Codes = append(target.Codes, fingerprint.Code{Window: fingerprint.Window(c.Table), Hash: c.Key, Checks: c.Checks})
	}
	return match.Distance(q, target)
}

// nearest returns the position in g.ids of the baseline code nearest to
// h, the first in ID order among equals, and its distance: a brute-force
// search.
func (g *gallery) nearest(h uint64) (int, int) {
	best, bestD := 0, 65
	for i, c := range g.base {
		if d := bits.OnesCount64(c ^ h); d < bestD {
			best, bestD = i, d
		}
	}
	return best, bestD
}

// timeTargets measures, on one goroutine, fingerprinting each target
// picture for storing, for searching and with the baseline, then
// searching with the first timedSearches of them.
func timeTargets(ctx context.Context, targets []*picture, g *gallery) (Timing, error) {
	t := Timing{Images: len(targets)}
	var stored, searched, baseline time.Duration
	queries := make([]fingerprint.Fingerprint, 0, len(targets))
	hashes := make([]uint64, 0, len(targets))
	for _, p := range targets {
		t0 := time.Now()
		_, err1 := fingerprint.Target(p.Image)
		t1 := time.Now()
		q, err2 := fingerprint.Query(p.Image)
		t2 := time.Now()
		h, err3 := goimagehash.PerceptionHash(p.Image)
		t3 := time.Now()
		if err := errors.Join(err1, err2, err3); err != nil {
			return t, fmt.Errorf("measure: timing %s: %w", p.ID, err)
		}
		stored, searched, baseline = stored+t1.Sub(t0), searched+t2.Sub(t1), baseline+t3.Sub(t2)
		queries, hashes = append(queries, q), append(hashes, h.GetHash())
	}
	ms := func(d time.Duration, n int) float64 {
		return float64(d) / float64(time.Millisecond) / float64(max(n, 1))
	}
	t.TargetMs, t.QueryMs, t.BaselineMs = ms(stored, len(targets)), ms(searched, len(targets)), ms(baseline, len(targets))
	t.Searches = min(timedSearches, len(queries))
	t0 := time.Now()
	for _, q := range queries[:t.Searches] {
		if _, err := match.Search(ctx, g.index, q, match.Options{Limit: 1}); err != nil {
			return t, fmt.Errorf("measure: timing: %w", err)
		}
	}
	t1 := time.Now()
	sink := 0
	for _, h := range hashes[:t.Searches] {
		_, d := g.nearest(h)
		sink += d
	}
	t2 := time.Now()
	runtime.KeepAlive(sink) // the searches' results must look used
	t.SearchMs, t.BaseSearchMs = ms(t1.Sub(t0), t.Searches), ms(t2.Sub(t1), t.Searches)
	return t, nil
}
