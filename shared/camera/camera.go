// Package camera is the feature tier of recognition: it finds a print in
// a camera frame — tilted, turned, small, partly covered, on a busy
// background — where the hash tier (shared/match) sees another picture.
// A server, the quality harness and (later) a browser use it the same way:
//
//  1. Each target's features (shared/feature: Enrol, its own and those of
//     synthetic views) go into a Tier: the words of its first BagFeatures
//     features — its own — each with its orientation, in a bag-of-words
//     index (shared/bow) over the trained Vocabulary. That is all a tier
//     keeps of a target in memory, about 4 KB; the target's feature
//     record (its features with their geometry) is kept by the caller —
//     a store — and read only when the target is verified.
//  2. A query frame's features (QueryOptions) are quantised the same way
//     and the tier's Shortlist names the targets whose informative word
//     matches agree most on how the print turned (bow's weak geometric
//     consistency).
//  3. Verify checks each shortlisted target's record against the frame
//     (matching confined to the vocabulary's nodes at GuideLevel,
//     feature.MatchWithin, then feature.VerifyPairs: a RANSAC homography,
//     the outline a camera could have seen) and returns the targets
//     found, each with its corners in the frame and a score, 0.5 at the
//     least evidence accepted. A search that answers with at most N
//     targets checks the shortlist best first and stops at the N-th
//     found (VerifyFirst).
package camera

import (
	"cmp"
	"context"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"

	"github.com/pixmatch/pixmatch/shared/bow"
	"github.com/pixmatch/pixmatch/shared/feature"
)

// Settings of the tier, chosen by measurement with make bench-quality
// (its -tune mode; shared/fingerprint/QUALITY.md). Retrieval, not
// verification, bounds the tier's recall: a shortlisted target is
// verified nearly always, so recall grows with both settings.
const (
	// BagFeatures is how many of a target's strongest features its bag
	// of words holds: what the tier keeps of it in memory. Over 10,000
	// entries the camera recipes' recall was 93.2 % with 400 and 94.0 %
	// with 500 (shortlist 40, the index scoring by turn); 300 was 4
	// points below 500 in an earlier sweep. 500, every feature
	// feature.TargetOptions gives, costs about 3.5 KB of index (seven
	// bytes a feature, shared/bow).
	BagFeatures = 500
	// Shortlist is how many targets a query verifies. With the index
	// scoring by turn, bag 500 and the enrolment's views, 20, 30 and 40
	// found 95.0, 95.3 and 95.6 % of the camera recipes (the tuning
	// sweep's recall@1); before scoring by turn (bag 400) 12, 20, 30, 40,
	// 50 and 60 found 80.1, 82.5, 84.4, 85.9, 86.9 and 87.7 %. Verified
	// through the vocabulary's nodes (GuideLevel) a target costs about
	// half a millisecond on the server (QUALITY.md, README's Speed).
	Shortlist = 40
	// GuideLevel is the level of the vocabulary tree whose nodes Verify
	// confines matching to (feature.MatchWithin; 0 compares every pair).
	// Level 1 (32 nodes) lost 0.4 points at shortlist 12 against every
	// pair and verified a shortlist several times faster; level 2 (1,024
	// nodes) lost 1.5 points at 12 and 4 at 60, and was slower than level
	// 1: its nodes hold too few target features for the ratio test to
	// reject ambiguous pairs, so RANSAC runs on many more of them.
	GuideLevel = 1
)

// Tier holds the targets of one gallery for the feature tier. It is safe
// for concurrent use.
type Tier struct {
	vocab *bow.Vocabulary
	words *bow.Index
}

// New returns an empty tier over the vocabulary v.
func New(v *bow.Vocabulary) *Tier {
	return &Tier{vocab: v, words: bow.NewIndex(v.Words())}
}

// Len returns how many targets the tier holds.
func (t *Tier) Len() int { return t.words.Len() }

// bag is the first n features of fs as the index sees them: each one's
// word and orientation.
func (t *Tier) bag(fs []feature.Feature, n int) []bow.Feature {
	fs = fs[:min(n, len(fs))]
	out := make([]bow.Feature, len(fs))
	for i, f := range fs {
		out[i] = bow.Feature{Word: t.vocab.Word(bow.Descriptor(f.Desc)), Turn: bow.TurnOf(f.Angle)}
	}
	return out
}

// Put adds or replaces the target id with its features (strongest first,
// as feature.Extract gives them).
func (t *Tier) Put(id string, fs []feature.Feature) { t.words.Put(id, t.bag(fs, BagFeatures)) }

// Remove takes the target id out of the tier.
func (t *Tier) Remove(id string) { t.words.Remove(id) }

// Shortlist returns, best first, the n targets most worth verifying
// against a query's features.
func (t *Tier) Shortlist(q []feature.Feature, n int) []bow.Hit {
	return t.words.Query(t.bag(q, len(q)), n)
}

// Found is a target verified in a frame.
type Found struct {
	ID      string
	Verdict feature.Verdict
}

// Verify checks each target of ids whose record records holds against
// the query's features in a frameW×frameH frame, stopping early when ctx
// ends, and returns those found, most inliers first (ties by ID).
//
// It matches through the shipped Vocabulary's nodes at GuideLevel
// (feature.MatchWithin): the query's features are sorted into the nodes
// once, each target's when it is verified, and a query feature is
// compared only with the target features of its node. Every check after
// the matching is feature.Verify's. Should the vocabulary not decode, it
// compares every pair (feature.Match).
func Verify(ctx context.Context, q []feature.Feature, frameW, frameH int, ids []string, records map[string]feature.Record, o feature.VerifyOptions) ([]Found, error) {
	v, err := Vocabulary()
	if err != nil {
		v = nil
	}
	return VerifyWith(ctx, v, q, frameW, frameH, ids, records, o)
}

// VerifiesOne returns a function that reports whether one target's
// record is found in the query q, found on a frameW×frameH plane:
// VerifyWith with v and o on a shortlist of that target alone. It is the
// verifier match.Confirm takes to judge a hash match.
func VerifiesOne(v *bow.Vocabulary, q []feature.Feature, frameW, frameH int, o feature.VerifyOptions) func(context.Context, string, feature.Record) (bool, error) {
	return func(ctx context.Context, id string, rec feature.Record) (bool, error) {
		found, err := VerifyWith(ctx, v, q, frameW, frameH, []string{id}, map[string]feature.Record{id: rec}, o)
		return len(found) > 0, err
	}
}

// verify is Verify, matching within g's cells, of the targets of ids
// that targets holds, stopping once the first enough of them in the
// order of ids are found (0: every one is checked). The targets are
// checked by as many goroutines as GOMAXPROCS allows (one, in a
// browser), each taking the next unchecked target; a target's verdict
// does not depend on which goroutine checks it or when
// (feature.VerifyOptions.Seed), and the stop is where the checked
// prefix of ids first holds enough found — what a goroutine checked past
// it is dropped — so the answer is the same as one goroutine's.
func (g guide) verify(ctx context.Context, q []feature.Feature, frameW, frameH int, ids []string, targets map[string]*Target, o feature.VerifyOptions, enough int) ([]Found, error) {
	qcells := g.cells(q)
	verdicts := make([]*feature.Verdict, len(ids))
	check := func(i int) {
		t, ok := targets[ids[i]]
		if !ok || t == nil {
			return
		}
		r := &t.Record
		pairs := feature.MatchIndexed(q, qcells, t.indexed(g), o.Match)
		if v, ok := feature.VerifyPairs(q, frameW, frameH, r.Features, r.Width, r.Height, pairs, o); ok {
			verdicts[i] = &v
		}
	}
	var (
		next atomic.Int64
		end  atomic.Int64 // no target from here on is checked
		mu   sync.Mutex   // guards the rest
		done = make([]bool, len(ids))
		// ids[:settled] are checked, found of them found.
		settled, found int
	)
	end.Store(int64(len(ids)))
	settle := func(i int) {
		mu.Lock()
		defer mu.Unlock()
		done[i] = true
		for ; settled < len(ids) && done[settled] && int64(settled) < end.Load(); settled++ {
			if verdicts[settled] != nil {
				if found++; found == enough {
					end.Store(int64(settled + 1))
				}
			}
		}
	}
	work := func() {
		for ctx.Err() == nil {
			i := next.Add(1) - 1
			if i >= end.Load() {
				return
			}
			check(int(i))
			if enough > 0 {
				settle(int(i))
			}
		}
	}
	var wg sync.WaitGroup
	for range min(runtime.GOMAXPROCS(0), len(ids)) - 1 {
		wg.Go(work)
	}
	work()
	wg.Wait()
	verdicts = verdicts[:end.Load()]
	var out []Found
	for i, v := range verdicts {
		if v != nil {
			out = append(out, Found{ID: ids[i], Verdict: *v})
		}
	}
	slices.SortFunc(out, func(a, b Found) int {
		if c := cmp.Compare(b.Verdict.Inliers, a.Verdict.Inliers); c != 0 {
			return c
		}
		return cmp.Compare(a.ID, b.ID)
	})
	return out, ctx.Err()
}
