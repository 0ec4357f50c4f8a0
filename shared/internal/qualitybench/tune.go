package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/pixmatch/pixmatch/shared/bow"
	"github.com/pixmatch/pixmatch/shared/camera"
	"github.com/pixmatch/pixmatch/shared/distort"
	"github.com/pixmatch/pixmatch/shared/feature"
)

// tuneOptions are the settings of the feature tier a tuning run sweeps
// (-tune): every combination is measured on the camera table's queries.
type tuneOptions struct {
	Vocabularies []vocabularyOptions
	// Bags are bag sizes (camera.BagFeatures), Shortlists shortlist
	// lengths (camera.Shortlist), Inliers values of
	// VerifyOptions.MinInliers.
	Bags, Shortlists, Inliers []int
	// Queries are how query frames' features are found (parseQuery).
	Queries []string
	// Guides are levels of the vocabulary tree whose nodes verification
	// confines matching to (camera.GuideLevel; 0 compares every pair).
	Guides []int
	// Indexes name the shortlisters compared (newShortlister).
	Indexes []string
	// Enrols name how targets are enrolled (parseEnrol).
	Enrols []string
}

// tuneSpec is the sweep as the -tune-* flags give it: comma-separated
// lists.
type tuneSpec struct {
	vocabularies, bags, shortlists, inliers, queryMax, indexes, guides, enrols string
}

// flags binds the spec to its command-line flags.
func (ts *tuneSpec) flags() {
	flag.StringVar(&ts.vocabularies, "tune-vocabularies", "", "with -tune: vocabularies to train and measure, KxLEVELS[+VIEWS] each, comma-separated (default: the -vocabulary-* flags')")
	flag.StringVar(&ts.bags, "tune-bags", "300", "with -tune: bag sizes")
	flag.StringVar(&ts.shortlists, "tune-shortlists", "10", "with -tune: shortlist lengths")
	flag.StringVar(&ts.inliers, "tune-inliers", "20", "with -tune: least inliers accepted")
	flag.StringVar(&ts.queryMax, "tune-queries", "1000", "with -tune: how a query's features are found (parseQuery: MAX[/LEVELS[/SCALE]], the rest as feature.QueryOptions)")
	flag.StringVar(&ts.guides, "tune-guides", "0", "with -tune: levels of the vocabulary whose nodes matching is confined to (0: every pair)")
	flag.StringVar(&ts.enrols, "tune-enrols", "shipped", "with -tune: how targets are enrolled (parseEnrol: shipped, none, or VIEWS/PERVIEW/SHARE)")
	flag.StringVar(&ts.indexes, "tune-indexes", "bow", "with -tune: shortlisting indexes (newShortlister: bow, he<bits>, nn<bits>, tf-<score>, each with /key=value options)")
}

// tuneMode builds the corpus and runs the sweep ts over it, vocabularies
// trained as vo unless ts names some, writing the table to standard
// output.
func tuneMode(ctx context.Context, cache string, workers int, vo vocabularyOptions, ts tuneSpec, logf func(string, ...any)) error {
	o, err := tuneFlags(ts.vocabularies, vo, ts.bags, ts.shortlists, ts.inliers, ts.queryMax)
	if err != nil {
		return err
	}
	o.Indexes = strings.Split(ts.indexes, ",")
	o.Enrols = strings.Split(ts.enrols, ",")
	if o.Guides, err = parseInts(ts.guides); err != nil {
		return err
	}
	c, err := BuildCorpus(ctx, cache, workers, logf)
	if err != nil {
		return err
	}
	return tune(ctx, c, o, workers, os.Stdout, logf)
}

// tuneFlags reads the sweep's lists; without vocabularies, vo alone.
func tuneFlags(vocabularies string, vo vocabularyOptions, bags, shortlists, inliers, queryMax string) (tuneOptions, error) {
	var o tuneOptions
	var errs [5]error
	o.Vocabularies = []vocabularyOptions{vo}
	if vocabularies != "" {
		o.Vocabularies, errs[0] = parseVocabularies(vocabularies)
	}
	o.Bags, errs[1] = parseInts(bags)
	o.Shortlists, errs[2] = parseInts(shortlists)
	o.Inliers, errs[3] = parseInts(inliers)
	o.Queries = strings.Split(queryMax, ",")
	for _, q := range o.Queries {
		if _, err := parseQuery(q); err != nil {
			errs[4] = err
		}
	}
	return o, errors.Join(errs[:]...)
}

// parseQuery reads how a query's features are found: MAX[/LEVELS[/SCALE]]
// (feature.Options' Max, Levels and Scale), the rest as
// feature.QueryOptions.
func parseQuery(spec string) (feature.Options, error) {
	o := feature.QueryOptions
	parts := strings.Split(spec, "/")
	if len(parts) > 3 {
		return o, fmt.Errorf("tune: query %q", spec)
	}
	var err error
	if o.Max, err = strconv.Atoi(parts[0]); err != nil {
		return o, fmt.Errorf("tune: query %q: %w", spec, err)
	}
	if len(parts) > 1 {
		if o.Levels, err = strconv.Atoi(parts[1]); err != nil {
			return o, fmt.Errorf("tune: query %q: %w", spec, err)
		}
	}
	if len(parts) > 2 {
		if o.Scale, err = strconv.ParseFloat(parts[2], 64); err != nil {
			return o, fmt.Errorf("tune: query %q: %w", spec, err)
		}
	}
	return o, nil
}

// parseInts reads a comma-separated list of integers.
func parseInts(s string) ([]int, error) {
	var out []int
	for _, f := range strings.Split(s, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil {
			return nil, fmt.Errorf("tune: %q: %w", s, err)
		}
		out = append(out, n)
	}
	return out, nil
}

// parseVocabularies reads a comma-separated list of KxLEVELS[+VIEWS]
// vocabularies, each otherwise trained as defaultVocabulary, or
// "shipped" for the vocabulary of shared/camera as it is.
func parseVocabularies(s string) ([]vocabularyOptions, error) {
	var out []vocabularyOptions
	for _, f := range strings.Split(s, ",") {
		o := defaultVocabulary
		if f == "shipped" {
			out = append(out, vocabularyOptions{Shipped: true})
			continue
		}
		shape, views, _ := strings.Cut(f, "+")
		k, l, _ := strings.Cut(shape, "x")
		var err [3]error
		o.K, err[0] = strconv.Atoi(k)
		o.Levels, err[1] = strconv.Atoi(l)
		if views != "" {
			o.Views, err[2] = strconv.Atoi(views)
		}
		if err[0] != nil || err[1] != nil || err[2] != nil {
			return nil, fmt.Errorf("tune: vocabulary %q is not KxLEVELS[+VIEWS]", f)
		}
		out = append(out, o)
	}
	return out, nil
}

// tuneQuery is one query of a tuning run: its features, its plane's size,
// the entry it should find ("" for a non-member), and what verifying
// each shortlisted entry found, by entry index.
type tuneQuery struct {
	edit     int
	want     int // entry index, -1 for a non-member
	q        []feature.Feature
	w, h     int
	extract  float64 // seconds to make the plane and extract
	verdicts map[tuneKey]tuneVerdict
}

// tuneKey names a verification: of an entry, matching within the nodes
// of a level (0: every pair).
type tuneKey struct{ entry, guide int }

// tuneVerdict is feature.Verify's answer for one entry at the sweep's
// least MinInliers: a verdict at a larger MinInliers accepts when this one
// did with at least as many inliers.
type tuneVerdict struct {
	ok      bool
	inliers int
	seconds float64
}

// tune measures every combination of o's settings on the camera table's
// queries and writes a table of them to w.
func tune(ctx context.Context, c *Corpus, o tuneOptions, workers int, w io.Writer, logf func(string, ...any)) error {
	start := time.Now()
	g, err := buildGallery(ctx, c, galleryEntries, workers)
	if err != nil {
		return err
	}
	index := map[string]int{}
	for i, e := range g.entries {
		index[e.ID] = i
	}
	edits, isCamera := cameraEdits()
	var names []string
	for _, e := range edits {
		names = append(names, e.Name)
	}
	fmt.Fprintf(w, "| query | vocabulary | index | bag | guide level | shortlist | min inliers | recall@1 | recall ≤t | worst camera recipe | %s | false matches of %d | in shortlist | verified a query | ms a query | recall@1 stopping at the first found | verified a query, stopping | queries whose answer the stop changes |\n",
		strings.Join(names[1:], " | "), len(edits)*len(c.NonMembers))
	fmt.Fprintf(w, "|--:|---|---|--:|--:|--:|--:|--:|--:|---|%s--:|--:|--:|--:|--:|--:|--:|\n", strings.Repeat("--:|", len(edits)-1))
	vocabs := map[vocabularyOptions]*bow.Vocabulary{}
	var queries [][]*tuneQuery
	for _, qspec := range o.Queries {
		qo, err := parseQuery(qspec)
		if err != nil {
			return err
		}
		qs, err := tuneQueries(ctx, c, g, index, edits, qo, workers)
		if err != nil {
			return err
		}
		queries = append(queries, qs)
		logf("tune: %d queries, features found %s (%s)", len(qs), qspec, time.Since(start).Round(time.Millisecond))
	}
	for _, spec := range o.Enrols {
		eo, err := parseEnrol(spec)
		if err != nil {
			return err
		}
		recs, err := enrolEntries(ctx, g, eo, workers)
		if err != nil {
			return err
		}
		logf("tune: %d entries enrolled %s, %.0f features each (%s)", len(recs), spec, meanFeatures(recs), time.Since(start).Round(time.Millisecond))
		for qi, qspec := range o.Queries {
			for _, vo := range o.Vocabularies {
				v, err := tuneVocabulary(ctx, c, vocabs, vo, workers)
				if err != nil {
					return err
				}
				for _, q := range queries[qi] {
					clear(q.verdicts) // verdicts are of one enrolment's records
				}
				s := &sweep{o: o, recs: recs, queries: queries[qi], isCamera: isCamera, names: names, vocab: v, workers: workers, logf: logf}
				if err := s.run(ctx, w, fmt.Sprintf("| %s | %s %s |", qspec, vo, spec)); err != nil {
					return err
				}
				logf("tune: enrol %s, queries %s, vocabulary %s done (%s)", spec, qspec, vo, time.Since(start).Round(time.Millisecond))
			}
		}
	}
	return nil
}

// tuneVocabulary returns the vocabulary vo, trained once a run.
func tuneVocabulary(ctx context.Context, c *Corpus, vocabs map[vocabularyOptions]*bow.Vocabulary, vo vocabularyOptions, workers int) (*bow.Vocabulary, error) {
	if v := vocabs[vo]; v != nil {
		return v, nil
	}
	var v *bow.Vocabulary
	var err error
	if vo.Shipped {
		v, err = camera.Vocabulary()
	} else {
		var samples []bow.Descriptor
		if samples, err = vocabularySamples(ctx, c.Fillers, vo.Views, workers); err == nil {
			v, err = bow.Train(samples, vo.K, vo.Levels, vo.Iterations, vo.Seed)
		}
	}
	if err != nil {
		return nil, err
	}
	vocabs[vo] = v
	return v, nil
}

// enrolEntries enrols every gallery entry with eo.
func enrolEntries(ctx context.Context, g *gallery, eo feature.EnrolOptions, workers int) ([]feature.Record, error) {
	recs := make([]feature.Record, len(g.entries))
	err := parallel(ctx, len(g.entries), workers, func(i int) error {
		p := feature.Plane(g.entries[i].Image, feature.TargetOptions)
		recs[i] = feature.Record{Width: p.Rect.Dx(), Height: p.Rect.Dy(), Features: feature.Enrol(p, eo).Features}
		return nil
	})
	return recs, err
}

// meanFeatures is the mean number of features of recs.
func meanFeatures(recs []feature.Record) float64 {
	n := 0
	for _, r := range recs {
		n += len(r.Features)
	}
	return float64(n) / float64(max(len(recs), 1))
}

// enrolViews are the extra views an enrolment spec names.
var enrolViews = map[string][]feature.View{
	"grade": nil,
	"tilt":  {{Tilt: 50, Axis: 90, Side: 400}},
	"tilt3": {{Tilt: 50, Axis: 45, Side: 400}, {Tilt: 50, Axis: 90, Side: 400}, {Tilt: 50, Axis: 135, Side: 400}},
	"tilt3s": {{Tilt: 50, Axis: 45, Side: 400}, {Tilt: 50, Axis: 90, Side: 400}, {Tilt: 50, Axis: 135, Side: 400},
		{Tilt: 30, Axis: 90, Side: 250}},
}

// parseEnrol reads an enrolment spec: "shipped" (feature.DefaultEnrolOptions),
// "none" (no view adds a feature) or VIEWS/PERVIEW/SHARE — the extra views
// of enrolViews named VIEWS, the most features a view adds, and their
// share of the bag.
func parseEnrol(spec string) (feature.EnrolOptions, error) {
	switch spec {
	case "shipped":
		return feature.DefaultEnrolOptions, nil
	case "none":
		return feature.EnrolOptions{}, nil
	}
	parts := strings.Split(spec, "/")
	views, ok := enrolViews[parts[0]]
	if len(parts) != 3 || !ok {
		return feature.EnrolOptions{}, fmt.Errorf("tune: enrolment %q is not shipped, none or VIEWS/PERVIEW/SHARE", spec)
	}
	per, err1 := strconv.Atoi(parts[1])
	share, err2 := strconv.ParseFloat(parts[2], 64)
	if err := errors.Join(err1, err2); err != nil {
		return feature.EnrolOptions{}, fmt.Errorf("tune: enrolment %q: %w", spec, err)
	}
	return feature.EnrolOptions{Views: views, PerView: per, BagShare: share, Bag: camera.BagFeatures}, nil
}

// tuneQueries makes the camera table's queries and extracts their
// features as opt finds them.
func tuneQueries(ctx context.Context, c *Corpus, g *gallery, index map[string]int, edits []distort.Edit, opt feature.Options, workers int) ([]*tuneQuery, error) {
	pics := append(append([]*picture{}, c.Targets...), c.NonMembers...)
	var out []*tuneQuery
	for e, edit := range edits {
		imgs, _, err := cameraQueries(ctx, edit, pics, c.NonMembers, workers)
		if err != nil {
			return nil, err
		}
		qs := make([]*tuneQuery, len(imgs))
		err = parallel(ctx, len(imgs), workers, func(i int) error {
			t0 := time.Now()
			p := feature.Plane(imgs[i], opt)
			qs[i] = &tuneQuery{edit: e, want: -1, q: feature.Extract(p, opt), w: p.Rect.Dx(), h: p.Rect.Dy(), verdicts: map[tuneKey]tuneVerdict{}}
			qs[i].extract = time.Since(t0).Seconds()
			if i < len(c.Targets) {
				qs[i].want = index[g.target[c.Targets[i]]]
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
		out = append(out, qs...)
	}
	return out, nil
}

// sweep measures the bag sizes, shortlists and inlier counts of a tuning
// run over one vocabulary and one set of queries.
type sweep struct {
	o        tuneOptions
	recs     []feature.Record
	queries  []*tuneQuery
	isCamera []bool
	names    []string
	vocab    *bow.Vocabulary
	workers  int
	logf     func(string, ...any)
}

// run writes a row for every bag size, shortlist length and inlier
// count, each starting with prefix.
func (s *sweep) run(ctx context.Context, w io.Writer, prefix string) error {
	words := make([][]uint32, len(s.recs))
	for i, r := range s.recs {
		words[i] = quantise(s.vocab, r.Features)
	}
	s.logf("tune: vocabulary %s %s", prefix, balance(words, s.vocab.Words()))
	qwords := make([][]uint32, len(s.queries))
	err := parallel(ctx, len(s.queries), s.workers, func(i int) error {
		qwords[i] = quantise(s.vocab, s.queries[i].q)
		return nil
	})
	if err != nil {
		return err
	}
	vo := feature.DefaultVerifyOptions
	vo.MinInliers = slices.Min(s.o.Inliers)
	for _, spec := range s.o.Indexes {
		for _, bag := range s.o.Bags {
			for _, g := range s.o.Guides {
				if err := s.measure(ctx, w, fmt.Sprintf("%s %s | %d | %d |", prefix, spec, bag, g), spec, bag, g, words, qwords, vo); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

// measure writes the rows of one index and bag size.
func (s *sweep) measure(ctx context.Context, w io.Writer, prefix, spec string, bag, guide int, words, qwords [][]uint32, vo feature.VerifyOptions) error {
	deepest := slices.Max(s.o.Shortlists)
	x, err := newShortlister(spec, s.vocab, s.recs, words, bag)
	if err != nil {
		return err
	}
	{
		lists := make([][]int, len(s.queries))
		err := parallel(ctx, len(s.queries), s.workers, func(i int) error {
			q := s.queries[i]
			qcells := s.cells(qwords[i], guide)
			for _, e := range x.query(q.q, qwords[i], deepest) {
				lists[i] = append(lists[i], e)
				if _, done := q.verdicts[tuneKey{e, guide}]; !done {
					q.verdicts[tuneKey{e, guide}] = s.verify(q, qcells, e, guide, vo)
				}
			}
			return nil
		})
		if err != nil {
			return err
		}
		// The shortlist's time, on one goroutine: quantising and querying.
		t0 := time.Now()
		timed := min(200, len(s.queries))
		for i := range timed {
			q := s.queries[i*len(s.queries)/timed]
			x.query(q.q, quantise(s.vocab, q.q), deepest)
		}
		shortSeconds := time.Since(t0).Seconds() / float64(timed)
		for _, n := range s.o.Shortlists {
			for _, t := range s.o.Inliers {
				s.row(w, fmt.Sprintf("%s %d | %d |", prefix, n, t), lists, n, t, guide, shortSeconds)
			}
		}
	}
	return nil
}

// cells returns the nodes at level guide above words, nil for level 0
// (one cell).
func (s *sweep) cells(words []uint32, guide int) []uint32 {
	if guide <= 0 {
		return nil
	}
	out := make([]uint32, len(words))
	for i, w := range words {
		out[i] = s.vocab.Ancestor(w, guide)
	}
	return out
}

// verify verifies entry e against query q, matching within the nodes at
// level guide (qcells are the query's), and times it as camera.Verify
// spends it: the entry's features sorted into the nodes, matched,
// verified.
func (s *sweep) verify(q *tuneQuery, qcells []uint32, e, guide int, vo feature.VerifyOptions) tuneVerdict {
	t1 := time.Now()
	r := &s.recs[e]
	var tcells []uint32
	if guide > 0 {
		tcells = make([]uint32, len(r.Features))
		for j := range r.Features {
			tcells[j] = s.vocab.Node(bow.Descriptor(r.Features[j].Desc), guide)
		}
	}
	pairs := feature.MatchWithin(q.q, r.Features, qcells, tcells, vo.Match)
	v, ok := feature.VerifyPairs(q.q, q.w, q.h, r.Features, r.Width, r.Height, pairs, vo)
	return tuneVerdict{ok: ok, inliers: v.Inliers, seconds: time.Since(t1).Seconds()}
}

// balance describes how evenly the entries' features, by their words,
// spread over a vocabulary of n words.
func balance(words [][]uint32, n int) string {
	counts := make([]int, n)
	all := 0
	for _, ws := range words {
		for _, w := range ws {
			counts[w]++
			all++
		}
	}
	slices.Sort(counts)
	slices.Reverse(counts)
	top, used := 0, 0
	for i, c := range counts {
		if i < n/100 {
			top += c
		}
		used += b2i(c > 0)
	}
	return fmt.Sprintf("%d of %d words used; the 1%% most common hold %.1f%% of the features; the commonest %d", used, n, 100*float64(top)/float64(max(all, 1)), counts[0])
}

// quantise returns the words of fs's descriptors, in order.
func quantise(v *bow.Vocabulary, fs []feature.Feature) []uint32 {
	out := make([]uint32, len(fs))
	for i, f := range fs {
		out[i] = v.Word(bow.Descriptor(f.Desc))
	}
	return out
}

// row writes the scores of shortlists of n and acceptance from t inliers.
func (s *sweep) row(w io.Writer, prefix string, lists [][]int, n, t, guide int, shortSeconds float64) {
	type tally struct{ queries, top, firstTop, found, listed int }
	perEdit := make([]tally, len(s.names))
	falseMatches, verified, stopped, changed := 0, 0, 0, 0
	var seconds float64
	for i, q := range s.queries {
		list := lists[i][:min(n, len(lists[i]))]
		verified += len(list)
		seconds += q.extract
		best, bestInliers, first := -1, 0, -1
		stopped += len(list)
		for k, e := range list {
			v := q.verdicts[tuneKey{e, guide}]
			seconds += v.seconds
			if v.ok && v.inliers >= t && (v.inliers > bestInliers || v.inliers == bestInliers && e < best) {
				best, bestInliers = e, v.inliers
			}
			if v.ok && v.inliers >= t && first < 0 {
				first = e // where a search answering one target stops (camera.VerifyFirst)
				stopped -= len(list) - k - 1
			}
		}
		changed += b2i(first != best)
		if q.want < 0 {
			if best >= 0 {
				falseMatches++
			}
			continue
		}
		top, firstTop := best, first
		if top < 0 && len(list) > 0 {
			top, firstTop = list[0], list[0]
		}
		pe := &perEdit[q.edit]
		pe.queries++
		pe.top += b2i(top == q.want)
		pe.firstTop += b2i(firstTop == q.want)
		pe.listed += b2i(slices.Contains(list, q.want))
		v := q.verdicts[tuneKey{q.want, guide}]
		pe.found += b2i(slices.Contains(list, q.want) && v.ok && v.inliers >= t)
	}
	var top, firstTop, found, listed float64
	cams := 0
	worst, worstName := 2.0, ""
	cells := ""
	for e, pe := range perEdit {
		r := float64(pe.found) / float64(max(pe.queries, 1))
		if e > 0 {
			cells += " " + pct(r) + " |"
		}
		if !s.isCamera[e] {
			continue
		}
		cams++
		top += float64(pe.top) / float64(max(pe.queries, 1))
		firstTop += float64(pe.firstTop) / float64(max(pe.queries, 1))
		found += r
		listed += float64(pe.listed) / float64(max(pe.queries, 1))
		if r < worst {
			worst, worstName = r, s.names[e]
		}
	}
	cf := float64(max(cams, 1))
	ms := 1000 * (seconds/float64(len(s.queries)) + shortSeconds)
	fmt.Fprintf(w, "%s %s | %s | %s (%s) |%s %d | %s | %.1f | %.1f | %s | %.1f | %d |\n", prefix, pct(top/cf), pct(found/cf), pct(worst), worstName, cells,
		falseMatches, pct(listed/cf), float64(verified)/float64(len(s.queries)), ms,
		pct(firstTop/cf), float64(stopped)/float64(len(s.queries)), changed)
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}
