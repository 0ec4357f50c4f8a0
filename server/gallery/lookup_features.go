package gallery

import (
	"context"
	"fmt"

	"github.com/pixmatch/pixmatch/server/store"
	"github.com/pixmatch/pixmatch/shared/bow"
	"github.com/pixmatch/pixmatch/shared/camera"
	"github.com/pixmatch/pixmatch/shared/feature"
	"github.com/pixmatch/pixmatch/shared/index"
)

// FeatureLookup finds a gallery's feature tier in the store, for a
// service that keeps nothing between requests (a Cloudflare Worker), as
// Lookup finds its hash tier. The store keeps what a camera.Tier keeps of
// each target — its bag of words, in inverted lists — and hands a search
// the lists of its words (bow.Lists), which score them exactly as the
// server's tier does; the shortlist's feature records are then read and
// verified as on a server. So the answer is the server's for the same
// gallery.
type FeatureLookup interface {
	// Vocabulary returns the trained vocabulary the store's bags were
	// made with (camera.Vocabulary's data).
	Vocabulary(ctx context.Context) (*bow.Vocabulary, error)
	// Lists returns, for a query's features q over a vocabulary of
	// words words and an answer of at most k, the gallery's lists: how
	// many targets the tier holds and each word's listings, by a handle
	// of the store's — all of them, or, with each word's length, those
	// of the targets bow's first pass could keep (bow.Votes) or those
	// that could be among the k (bow.Lists.Shortlisted) — as bow.Lists
	// (Words is set by the caller).
	Lists(ctx context.Context, gallery int64, q []bow.Feature, words, k int) (*bow.Lists, error)
	// Names returns the IDs of the gallery's targets by their handles;
	// a handle no target has is left out.
	Names(ctx context.Context, gallery int64, docs []uint32) (map[uint32]string, error)
	// Targets is Names with the targets' rows, without their pictures.
	Targets(ctx context.Context, gallery int64, docs []uint32) (map[uint32]store.Target, error)
}

// WithFeatureLookup makes the service's feature tier the one fl finds in
// the store, per search, rather than a tier loaded at Open. It goes with
// WithLookup: the targets the tier shortlists are read from the store
// into the gallery's index, as the hash tier's candidates are.
func WithFeatureLookup(fl FeatureLookup) Option { return func(s *Service) { s.features = fl } }

// locateLooked is locate over the feature tier s.features finds in the
// store: the query's words, their lists read and scored (bow.Lists), the
// shortlisted targets read into the gallery's index (their rows kept for
// the answer), those accept lets through verified against their records
// until enough are found.
func (s *Service) locateLooked(ctx context.Context, sh *shelf, q Query, accept func(index.Entry) bool, enough int) (map[string]located, error) {
	feats := q.features()
	if len(feats) == 0 {
		return nil, nil
	}
	v, err := s.features.Vocabulary(ctx)
	if err != nil {
		return nil, fmt.Errorf("feature tier: %w", err)
	}
	bag := camera.QueryBag(v, feats)
	lists, err := s.features.Lists(ctx, sh.id, bag, v.Words(), camera.Shortlist)
	if err != nil {
		return nil, fmt.Errorf("feature tier: %w", err)
	}
	lists.Words = v.Words()
	// bow asks for the IDs that break its ties: the shortlist's, and
	// those straddling a cut. Asked for no more than the shortlist, the
	// store reads their rows with them, which the search keeps (one read
	// where the rows were a second); a larger tie gets its names alone,
	// so that a gallery of many equal targets costs no more rows.
	rows := map[string]store.Target{}
	hits, err := lists.Query(bag, camera.Shortlist, func(docs []uint32) (map[uint32]string, error) {
		if len(docs) > camera.Shortlist {
			return s.features.Names(ctx, sh.id, docs)
		}
		ts, err := s.features.Targets(ctx, sh.id, docs)
		ids := make(map[uint32]string, len(ts))
		for doc, t := range ts {
			ids[doc], rows[t.ID] = t.ID, t
		}
		return ids, err
	})
	if err != nil {
		return nil, fmt.Errorf("feature tier: %w", err)
	}
	var unread []string
	for _, h := range hits {
		if _, ok := rows[h.ID]; !ok && h.ID != "" { // "": deleted since the lists were read
			unread = append(unread, h.ID)
		}
	}
	if len(unread) > 0 {
		more, err := s.store.TargetsByID(ctx, sh.id, unread, false)
		if err != nil {
			return nil, fmt.Errorf("feature tier: read the shortlist: %w", err)
		}
		for _, t := range more {
			rows[t.ID] = t
		}
	}
	var ts []store.Target // the shortlist's rows, in its order
	for _, h := range hits {
		if t, ok := rows[h.ID]; ok { // none for a target deleted meanwhile
			ts = append(ts, t)
		}
	}
	sh.resolved.put(sh.stamp(), ts) // for the answer, as fill keeps the hash tier's
	if err := s.putAll(sh, ts); err != nil {
		return nil, err
	}
	var ids []string
	for _, t := range ts {
		if e, ok := sh.index.Get(t.ID); ok && accept(e) {
			ids = append(ids, t.ID)
		}
	}
	if len(ids) == 0 {
		return nil, nil
	}
	targets, err := s.records.targets(ctx, s.store, sh.id, ids)
	if err != nil {
		return nil, fmt.Errorf("read feature records: %w", err)
	}
	found, err := camera.VerifyFirst(ctx, v, feats, q.Width, q.Height, ids, targets, feature.DefaultVerifyOptions, enough)
	if err != nil {
		return nil, err
	}
	return q.located(found), nil
}

// located returns the targets found in q's picture by ID, with their
// corners in it.
func (q Query) located(found []camera.Found) map[string]located {
	out := make(map[string]located, len(found))
	for _, f := range found {
		l := located{score: f.Verdict.Score}
		for _, c := range f.Verdict.Corners {
			l.corners = append(l.corners, q.corner(c))
		}
		out[f.ID] = l
	}
	return out
}
