//go:build js && wasm

package main

import (
	"cmp"
	"context"
	"slices"
	"strconv"
	"syscall/js"
	"time"

	"github.com/pixmatch/pixmatch/shared/camera"
	"github.com/pixmatch/pixmatch/shared/feature"
	"github.com/pixmatch/pixmatch/shared/fingerprint"
	"github.com/pixmatch/pixmatch/shared/match"
)

// The held gallery of a small gallery carries its active targets' feature
// records (server/api/sync). searchFeatures verifies a query's features
// against every one of them — no vocabulary and no shortlist: the module
// would grow by the vocabulary, and a few hundred records take tens of
// milliseconds — exactly as the server verifies its shortlist
// (camera.Verify with feature.DefaultVerifyOptions), and merges what it
// finds with the hash search as the server merges its two tiers, its
// matches on part of a picture confirmed by the feature tier first.

// localMatch is a target either tier found in the held gallery.
type localMatch struct {
	id       string // the index ID: the Seq in decimal
	distance int    // the hash tier's; -1 when only the feature tier found it
	score    float64
	corners  *[4]feature.Point // where the feature tier located it; nil if it did not
}

// searchFeatures is searchFeatures(features, fingerprint, options): the
// held gallery searched with a query as CRS POST /search/features takes
// it, by both tiers. features is an encoded feature.Record of the query's
// features (feature.QueryOptions, as features makes it), fingerprint its
// encoded query fingerprint or null (then only the feature tier
// searches); options as for search (the threshold is the hash tier's).
// The answer is [{seq, name, distance, score, corners}], best first, a
// target found by either tier once, scored by the better; corners, when
// the feature tier located the target, are its four corners clockwise
// from its top-left, [{x, y}], in pixels of the record's plane, and
// distance is -1 when only the feature tier found it. It also carries ms:
// {search, verify}, the milliseconds of the hash search and of the
// verification, and verified, the number of records verified.
func (m *module) searchFeatures(args []js.Value) (any, error) {
	q, err := queryRecord(arg(args, 0))
	if err != nil {
		return nil, err
	}
	var fp *fingerprint.Fingerprint
	if v := arg(args, 1); isDefined(v) {
		parsed, err := queryFingerprint(v)
		if err != nil {
			return nil, err
		}
		fp = &parsed
	}
	opts, err := parseSearchOptions(arg(args, 2))
	if err != nil {
		return nil, err
	}
	start := time.Now()
	var hits []match.Hit
	if fp != nil {
		if hits, err = m.hashHits(*fp, opts); err != nil {
			return nil, err
		}
		hits = m.confirm(q, hits)
	}
	searched := time.Now()
	found, verified := m.locate(q, opts)
	merged := merge(hits, found, opts.limit)
	matches := make([]any, len(merged))
	for i, lm := range merged {
		if matches[i], err = m.describe(lm); err != nil {
			return nil, err
		}
	}
	result := js.ValueOf(matches)
	result.Set("ms", map[string]any{"search": millis(searched.Sub(start)), "verify": millis(time.Since(searched))})
	result.Set("verified", verified)
	return result, nil
}

// queryRecord reads a query's encoded feature record.
func queryRecord(v js.Value) (feature.Record, error) {
	var r feature.Record
	if err := decodeArg(v, "features", &r, feature.ErrVersion); err != nil {
		return r, err
	}
	if len(r.Features) > feature.QueryOptions.Max {
		return r, argError("a query has at most " + strconv.Itoa(feature.QueryOptions.Max) + " features")
	}
	return r, nil
}

// locate verifies the query q against the feature record of every held
// target a search with opts may find (active, and passing its filter):
// those found, most inliers first, and how many records were verified.
func (m *module) locate(q feature.Record, opts searchOptions) ([]camera.Found, int) {
	if len(q.Features) == 0 {
		return nil, 0
	}
	records, idx := m.state.Records(), m.state.Index()
	ids := make([]string, 0, len(records))
	for id := range records {
		e, ok := idx.Get(id)
		if ok && e.Active && (opts.filter == nil || opts.filter.Match(&e.Attrs)) {
			ids = append(ids, id)
		}
	}
	slices.Sort(ids)
	found, _ := camera.Verify(context.Background(), q.Features, q.Width, q.Height, ids, records, feature.DefaultVerifyOptions)
	return found, len(ids)
}

// confirm lets the feature tier judge the hash tier's matches on part of
// a picture with the held records, as the server does (match.Confirm
// with match.Confirmation): those it refutes are left out.
func (m *module) confirm(q feature.Record, hits []match.Hit) []match.Hit {
	o := match.Confirmation
	v, err := camera.Vocabulary()
	if err != nil {
		v = nil // every pair compared, as camera.Verify does
	}
	judged, _ := match.Confirm(context.Background(), hits, len(q.Features), m.state.Records(), camera.VerifiesOne(v, q.Features, q.Width, q.Height, o.Verify()), o)
	return slices.DeleteFunc(judged, func(h match.Hit) bool { return h.Refuted })
}

// merge returns the targets the hash tier's hits and the feature tier's
// finds name, as the server merges them: a target found by both once,
// scored by the better, with its corners; best first (ties by ID), at
// most limit.
func merge(hits []match.Hit, found []camera.Found, limit int) []localMatch {
	at := make(map[string]int, len(hits)+len(found))
	out := make([]localMatch, 0, len(hits)+len(found))
	for _, h := range hits {
		at[h.ID] = len(out)
		out = append(out, localMatch{id: h.ID, distance: h.Distance, score: h.Score})
	}
	for _, f := range found {
		corners := f.Verdict.Corners
		i, ok := at[f.ID]
		if !ok {
			i = len(out)
			out = append(out, localMatch{id: f.ID, distance: -1})
		}
		out[i].score, out[i].corners = max(out[i].score, f.Verdict.Score), &corners
	}
	slices.SortFunc(out, func(a, b localMatch) int {
		if c := cmp.Compare(b.score, a.score); c != 0 {
			return c
		}
		return cmp.Compare(a.id, b.id)
	})
	return out[:min(len(out), max(limit, 1))]
}
