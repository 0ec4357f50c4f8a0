package gallery

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"sort"

	"github.com/pixmatch/pixmatch/server/store"
	"github.com/pixmatch/pixmatch/shared/camera"
	"github.com/pixmatch/pixmatch/shared/feature"
	"github.com/pixmatch/pixmatch/shared/fingerprint"
	"github.com/pixmatch/pixmatch/shared/index"
	"github.com/pixmatch/pixmatch/shared/match"
)

// Recognition finds the targets a picture shows: search, the similar
// check, and comparing two pictures.
type Recognition struct{ s *Service }

// Match is a target found for a picture, by either tier.
type Match struct {
	Target Target
	// Distance is the hash tier's distance to the picture; -1 when only
	// the feature tier found the target.
	Distance int
	Score    float64 // in (0, 1]; 0.5 at the match threshold of either tier
	// Corners are where the feature tier found the target's corners in
	// the picture, clockwise from the target's top-left, in pixels of the
	// upright picture; nil when it did not locate the target.
	Corners []Point
}

// Tier names the tier that found m: "hash" when the hash tier matched it
// (the feature tier may have located it too), "features" when only the
// feature tier did.
func (m Match) Tier() string {
	if m.Distance >= 0 {
		return "hash"
	}
	return "features"
}

// SearchOptions shape a search.
type SearchOptions struct {
	Limit  int          // most matches to return; at least 1
	Filter index.Filter // nil: no filter
	Images bool         // load each matched target's image
	// Near also returns targets that come close without matching, up to
	// twice the match threshold, scored below 0.5: the ranked neighbours
	// an image search service lists.
	Near bool
	// DistinctProducts returns at most one target per ProductID.
	DistinctProducts bool
	// Locate runs the feature tier even when the hash tier's matches fill
	// the answer, to say where each target it verifies is (Corners): a
	// browser that sends its features asks for that. Otherwise the feature
	// tier runs only when the hash tier matches fewer than Limit targets —
	// a copy of a target costs no local features — and its answer is
	// merged with the hash tier's.
	Locate bool
}

// Search finds the active targets of a gallery that a picture shows, best
// first. Admission comes first: the gallery's rate and daily limits
// count the search and a suspended gallery refuses it, before read is
// called to decode the picture. Every admitted search calls read. A
// gallery without active targets gives ErrNoActiveTargets in place of
// any answer or error of the picture's or the search's, so always after
// read; whether it has any is asked only when the search found nothing
// or failed, as only active targets are found (a store looked up per
// search, a Worker's D1, then answers one statement less for a search
// that finds). The search itself gives up with ErrSearchTimeout after
// the configured timeout. A picture without content matches nothing.
func (r *Recognition) Search(ctx context.Context, gallery int64, read func(context.Context) (*Picture, error), o SearchOptions) ([]Match, error) {
	return r.SearchQuery(ctx, gallery, func(ctx context.Context) (Query, error) {
		pic, err := read(ctx)
		if err != nil {
			return Query{}, err
		}
		return queryOf(pic)
	}, o)
}

// SearchQuery is Search with a query made beforehand — by a browser that
// sends its features instead of the picture (see ParseQuery) — read after
// the search is admitted. The corners of the answer are in pixels of the
// query's plane.
func (r *Recognition) SearchQuery(ctx context.Context, gallery int64, read func(context.Context) (Query, error), o SearchOptions) ([]Match, error) {
	s := r.s
	defer s.working()()
	sh, err := s.live(gallery)
	if err != nil {
		return nil, err
	}
	if err := s.admit(ctx, sh, s.now()); err != nil {
		return nil, err
	}
	if err := s.fresh(ctx, sh); err != nil {
		return nil, err
	}
	q, err := read(ctx)
	if errors.Is(err, fingerprint.ErrNoContent) {
		return nil, s.noneActive(ctx, sh)
	}
	if err != nil {
		return nil, cmp.Or(s.noneActive(ctx, sh), err)
	}
	search, cancel := context.WithTimeout(ctx, s.cfg.Search.Timeout)
	defer cancel()
	enough := max(o.Limit, 1)
	if o.Locate {
		enough = 0
	}
	ms, err := s.find(search, sh, q, match.Options{
		Limit:          o.Limit,
		Filter:         o.Filter,
		Near:           o.Near,
		DistinctGroups: o.DistinctProducts,
	}, o.Images, true, enough)
	if err != nil || len(ms) == 0 {
		if none := s.noneActive(ctx, sh); none != nil {
			return nil, none
		}
	}
	return ms, err
}

// noneActive returns ErrNoActiveTargets, wrapped, when the gallery holds
// no active target, nil when it holds one, and the error of asking when
// the asking fails.
func (s *Service) noneActive(ctx context.Context, sh *shelf) error {
	any, err := s.anyActive(ctx, sh)
	if err != nil {
		return err
	}
	if !any {
		return fmt.Errorf("gallery %q: %w", sh.settings().Name, ErrNoActiveTargets)
	}
	return nil
}

// Query is what both tiers search with: a picture's query fingerprint
// (the hash tier) and its local features (the feature tier), found on a
// Width×Height plane. A server makes it from a decoded picture; a browser
// sends it instead of the picture.
type Query struct {
	Print         fingerprint.Fingerprint
	Features      []feature.Feature
	Width, Height int
	// scale maps the features' plane to the picture the corners of an
	// answer are given in; 1 when nil.
	scale func(feature.Point) Point
	// pic is the picture a server made the query of: its features are
	// extracted when the feature tier first needs them (Features nil).
	pic *Picture
}

// features returns the query's features, extracting them from its picture
// the first time when it has one.
func (q *Query) features() []feature.Feature {
	if q.Features == nil && q.pic != nil {
		q.Features = queryFeatures(q.pic)
		q.pic = nil
	}
	return q.Features
}

// corner returns where a point of the features' plane is in the picture.
func (q Query) corner(p feature.Point) Point {
	if q.scale == nil {
		return Point{p.X, p.Y}
	}
	return q.scale(p)
}

// queryOf makes the query of a picture to search with; its features are
// extracted if the feature tier is asked.
func queryOf(pic *Picture) (Query, error) {
	fp, err := pic.prints(fingerprint.QueryOf)
	if err != nil {
		return Query{}, err
	}
	q := pic.query(fp, nil)
	q.pic = pic
	return q, nil
}

// query is the query of pic with the given fingerprint and features.
func (p *Picture) query(fp fingerprint.Fingerprint, feats []feature.Feature) Query {
	if p.feat == nil { // read for the hash tier alone (Policy.Search)
		return Query{Print: fp}
	}
	return Query{Print: fp, Features: feats, Width: p.feat.Rect.Dx(), Height: p.feat.Rect.Dy(), scale: p.toPicture}
}

// find searches a gallery with both tiers — the hash tier's index and the
// feature tier's shortlist, verified — and merges their answers: a target
// either finds is a match, scored by the better of the two, with its
// corners when the feature tier located it; best first, at most one per
// product when o asks, at most o.Limit. The feature tier is skipped when
// the hash tier matched at least enough targets (0: never skipped). With
// added, a feature tier that runs holds the records of the adds
// acknowledged before (madeBefore); the caller must not hold sh.write.
func (s *Service) find(ctx context.Context, sh *shelf, q Query, o match.Options, images, added bool, enough int) ([]Match, error) {
	if err := s.fill(ctx, sh, q.Print, o); err != nil {
		return nil, searchError(ctx, err)
	}
	hits, err := match.Search(ctx, sh.index, q.Print, o)
	if err != nil {
		return nil, searchError(ctx, err)
	}
	if hits, err = s.confirm(ctx, sh, &q, hits, o.Near); err != nil {
		return nil, searchError(ctx, err)
	}
	var found map[string]located
	if enough == 0 || matched(hits) < enough {
		if added {
			if err := s.madeBeforeWithin(ctx, sh); err != nil {
				return nil, searchError(ctx, err)
			}
		}
		found, err = s.locate(ctx, sh, q, func(e index.Entry) bool {
			return (e.Active || o.IncludeInactive) && e.ID != o.Exclude && (o.Filter == nil || o.Filter.Match(&e.Attrs))
		}, stopAt(o))
		if err != nil {
			return nil, searchError(ctx, err)
		}
	}
	merged := make([]Match, 0, len(hits)+len(found))
	for _, h := range hits {
		m := Match{Target: Target{ID: h.ID}, Distance: h.Distance, Score: h.Score}
		if l, ok := found[h.ID]; ok {
			m.Score, m.Corners = max(m.Score, l.score), l.corners
			delete(found, h.ID)
		}
		merged = append(merged, m)
	}
	for id, l := range found {
		merged = append(merged, Match{Target: Target{ID: id}, Distance: -1, Score: l.score, Corners: l.corners})
	}
	// sort.Slice, not slices.SortFunc: a handful of matches, and each
	// element type slices sorts is 20 KB more of the Worker's module.
	sort.Slice(merged, func(i, j int) bool {
		a, b := &merged[i], &merged[j]
		if a.Score != b.Score {
			return a.Score > b.Score
		}
		return a.Target.ID < b.Target.ID
	})
	if o.DistinctGroups {
		merged = distinctProducts(sh, merged)
	}
	return s.resolve(ctx, sh, merged[:min(len(merged), max(o.Limit, 1))], images)
}

// stopAt returns how many targets the feature tier's verification of
// its shortlist, best first, may stop at for a search with o
// (camera.VerifyFirst): the answer's length, unless the answer lists
// near neighbours or one target a product — then, as for 0, every
// shortlisted target is verified. The answer can then differ from a
// verification of the whole shortlist only in a frame where more than
// Limit targets are found, in which of them it names.
func stopAt(o match.Options) int {
	if o.Near || o.DistinctGroups {
		return 0
	}
	return max(o.Limit, 1)
}

// confirm lets the feature tier judge the hash tier's matches on part of
// a picture (match.Confirm with match.Confirmation): each it refutes is
// scored below 0.5, a near neighbour, and left out unless near. The
// query's features are extracted only when there is such a match; the
// targets' records are read through the cache. Without a feature tier,
// or a query without a plane, every match stands.
func (s *Service) confirm(ctx context.Context, sh *shelf, q *Query, hits []match.Hit, near bool) ([]match.Hit, error) {
	o := match.Confirmation
	if len(o.Candidates(hits, math.MaxInt)) == 0 || q.Width <= 0 || q.Height <= 0 {
		return hits, nil
	}
	v, err := s.verifyVocabulary(ctx)
	if err != nil || v == nil {
		return hits, err
	}
	feats := q.features()
	ids := o.Candidates(hits, len(feats))
	if len(ids) == 0 {
		return hits, nil
	}
	records, err := s.records.get(ctx, s.store, sh.id, ids)
	if err != nil {
		return nil, fmt.Errorf("read feature records: %w", err)
	}
	hits, err = match.Confirm(ctx, hits, len(feats), records, camera.VerifiesOne(v, feats, q.Width, q.Height, o.Verify()), o)
	if err != nil || near {
		return hits, err
	}
	return slices.DeleteFunc(hits, func(h match.Hit) bool { return h.Refuted }), nil
}

// distinctProducts keeps the best match of each product.
func distinctProducts(sh *shelf, ms []Match) []Match {
	seen := map[string]bool{}
	out := ms[:0]
	for _, m := range ms {
		e, _ := sh.index.Get(m.Target.ID)
		if !seen[e.Attrs.Group] {
			seen[e.Attrs.Group] = true
			out = append(out, m)
		}
	}
	return out
}

// searchError tells a search that ran out of time — in the index, or
// reading its matches from a store slowed by load — from other failures.
func searchError(ctx context.Context, err error) error {
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(ctx.Err(), context.DeadlineExceeded) {
		return fmt.Errorf("%w: %w", ErrSearchTimeout, err)
	}
	return fmt.Errorf("gallery: search: %w", err)
}

// Similar lists the targets of a gallery, active or not, that look like
// pic: what would refuse pic as a new target.
func (r *Recognition) Similar(ctx context.Context, gallery int64, pic *Picture) ([]Match, error) {
	s := r.s
	sh, err := s.live(gallery)
	if err != nil {
		return nil, err
	}
	q, err := queryOf(pic)
	if err != nil {
		return nil, err
	}
	if err := s.fresh(ctx, sh); err != nil {
		return nil, err
	}
	return s.similar(ctx, sh, q, "", similarLimit)
}

// similar lists the targets, active or not, other than except, that q
// finds with either tier: the feature tier's only when the hash tier
// finds none, since one is enough to refuse a picture.
func (s *Service) similar(ctx context.Context, sh *shelf, q Query, except string, limit int) ([]Match, error) {
	ctx, cancel := context.WithTimeout(ctx, s.cfg.Search.Timeout)
	defer cancel()
	return s.find(ctx, sh, q, match.Options{Limit: limit, IncludeInactive: true, Exclude: except}, false, false, 1)
}

// matched counts the hits within the match threshold (score 0.5 or more).
func matched(hits []match.Hit) int {
	n := 0
	for _, h := range hits {
		if h.Score >= 0.5 {
			n++
		}
	}
	return n
}

// resolve reads the targets of matches from the store, in one read, or
// from the rows the gallery keeps (resolved.go). A target deleted since
// the search is left out.
func (s *Service) resolve(ctx context.Context, sh *shelf, ms []Match, images bool) ([]Match, error) {
	ids := make([]string, len(ms))
	for i, m := range ms {
		ids[i] = m.Target.ID
	}
	byID, err := s.rows(ctx, sh, ids, images)
	if err != nil {
		return nil, searchError(ctx, fmt.Errorf("read matched targets: %w", err))
	}
	out := make([]Match, 0, len(ms))
	for _, m := range ms {
		if t, ok := byID[m.Target.ID]; ok {
			m.Target = targetOf(t)
			out = append(out, m)
		}
	}
	return out, nil
}

func isNotFound(err error) bool { return errors.Is(err, store.ErrNotFound) }

// Compare scores how well a search with a would find b as a target,
// from 0 to 1 (0.5 at a match): by the hash tier (match.Distance, as
// fingerprint.Score scores it, 0 beyond twice the threshold) or, where
// that is lower, by the feature tier (b's target features verified in a
// as a frame, feature.Verify's score).
func (r *Recognition) Compare(ctx context.Context, a, b *Picture) (float64, error) {
	ctx, cancel := context.WithTimeout(ctx, r.s.cfg.Images.FeatureTimeout)
	defer cancel()
	if err := featureDeadline(ctx); err != nil {
		return 0, err
	}
	qa, err := a.prints(fingerprint.QueryOf)
	if err != nil {
		return 0, err
	}
	fb, err := b.prints(fingerprint.TargetOf)
	if err != nil {
		return 0, err
	}
	score := 0.0
	if d := match.Distance(qa, fb); d < 2*fingerprint.Threshold {
		score = fingerprint.Score(d)
	}
	if err := featureDeadline(ctx); err != nil {
		return 0, err
	}
	q := a.query(qa, a.features(feature.QueryOptions))
	target := b.enrol().Features
	if v, ok := feature.Verify(q.Features, q.Width, q.Height, target, b.feat.Rect.Dx(), b.feat.Rect.Dy(), feature.DefaultVerifyOptions); ok {
		score = max(score, v.Score)
	}
	return score, featureDeadline(ctx)
}
