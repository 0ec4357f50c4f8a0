package d1

import (
	"context"
	"math/rand/v2"
	"reflect"
	"slices"
	"testing"

	"github.com/pixmatch/pixmatch/server/store"
	"github.com/pixmatch/pixmatch/server/store/storetest"
	"github.com/pixmatch/pixmatch/shared/fingerprint"
	"github.com/pixmatch/pixmatch/shared/index"
	"github.com/pixmatch/pixmatch/shared/match"
	"github.com/pixmatch/pixmatch/shared/testphoto"
)

// flip returns h with k bits flipped: spread evenly over its four 16-bit
// parts when even (the case the pigeonhole bound is tight for), else at
// random.
func flip(rng *rand.Rand, h uint64, k int, even bool) uint64 {
	perm := rng.Perm(64)
	if even {
		slices.SortFunc(perm, func(a, b int) int { return (a%16*4 + a/16) - (b%16*4 + b/16) })
	}
	for _, b := range perm[:k] {
		h ^= 1 << b
	}
	return h
}

// nearGallery stores n targets whose codes lie at every distance from
// 0 to 18 bits of the query's codes (the rest at random), and returns the
// server's index of the same targets.
func nearGallery(t *testing.T, s *Store, gallery int64, q fingerprint.Fingerprint, n int) *index.Index {
	t.Helper()
	rng := rand.New(rand.NewPCG(12, 1))
	server := match.NewIndex()
	for i := range n {
		fp := fingerprint.Fingerprint{Version: fingerprint.Version}
		for w := range fingerprint.Windows {
			base := q.Codes[rng.IntN(len(q.Codes))]
			c := fingerprint.Code{Window: w, Hash: rng.Uint64()}
			if rng.IntN(5) > 0 {
				c.Hash = flip(rng, base.Hash, rng.IntN(19), rng.IntN(2) == 0)
			}
			for k := range c.Checks {
				c.Checks[k] = flip(rng, base.Checks[k], rng.IntN(12), false)
			}
			fp.Codes = append(fp.Codes, c)
		}
		tg := storetest.Target(gallery, i, 8)
		tg.Fingerprint, _ = fp.MarshalBinary()
		tg.Active = i%5 != 0
		if _, err := s.CreateTarget(context.Background(), tg); err != nil {
			t.Fatal(err)
		}
		if err := server.Put(entryOf(tg, fp)); err != nil {
			t.Fatal(err)
		}
	}
	return server
}

func entryOf(t store.Target, fp fingerprint.Fingerprint) index.Entry {
	return index.Entry{ID: t.ID, Codes: match.Full.Codes(fp), Active: t.Active, Attrs: index.Attributes{Group: t.ProductID}}
}

// TestCandidatesAnswerAsTheIndex: a search of the targets Candidates
// returns (CandidateTargets, in one statement, the same rows) gives exactly what the server's index of the whole gallery
// gives, for matches, near misses (Near), inactive targets, a limit and
// distinct products; and the lookup returns few targets besides.
func TestCandidatesAnswerAsTheIndex(t *testing.T) {
	ctx := context.Background()
	s, _ := openTemp(t)
	g, err := s.CreateGallery(ctx, store.Gallery{Name: "g", AppID: "g"})
	if err != nil {
		t.Fatal(err)
	}
	q, err := fingerprint.Query(testphoto.Image(testphoto.Names()[0]))
	if err != nil {
		t.Fatal(err)
	}
	const n = 120
	server := nearGallery(t, s, g.ID, q, n)
	lookups := map[int][]string{} // by bound: the lookup does not depend on the rest
	for _, o := range []match.Options{
		{Limit: n},
		{Limit: n, Near: true},
		{Limit: n, Near: true, IncludeInactive: true},
		{Limit: 3},
		{Limit: n, DistinctGroups: true, Near: true},
	} {
		want, err := match.Search(ctx, server, q, o)
		if err != nil {
			t.Fatal(err)
		}
		ids, ok := lookups[o.Bound()]
		if !ok {
			if ids, err = s.Candidates(ctx, g.ID, match.Probes(q), o.Bound()); err != nil {
				t.Fatal(err)
			}
			lookups[o.Bound()] = ids
		}
		ts, err := s.TargetsByID(ctx, g.ID, ids, false)
		if err != nil {
			t.Fatal(err)
		}
		if one, err := s.CandidateTargets(ctx, g.ID, match.Probes(q), o.Bound()); err != nil || !reflect.DeepEqual(one, ts) {
			t.Errorf("%+v: CandidateTargets gave %d targets (%v), want the %d rows of the candidates, in the same order", o, len(one), err, len(ts))
		}
		small := match.NewIndex()
		for _, tg := range ts {
			var fp fingerprint.Fingerprint
			if err := fp.UnmarshalBinary(tg.Fingerprint); err != nil {
				t.Fatal(err)
			}
			if err := small.Put(entryOf(tg, fp)); err != nil {
				t.Fatal(err)
			}
		}
		got, err := match.Search(ctx, small, q, o)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(got, want) {
			t.Errorf("%+v: the candidates' search found %v\nthe index %v", o, got, want)
		}
		if len(want) == 0 && o.Limit > 3 {
			t.Errorf("%+v: the index finds nothing: the test proves nothing", o)
		}
		t.Logf("%+v: %d hits, %d candidates of %d targets", o, len(want), len(ids), n)
	}
}

// TestCandidatesBudget refuses a bound the flips cannot cover, and finds
// nothing for probes whose penalty exceeds the bound.
func TestCandidatesBudget(t *testing.T) {
	s, _ := openTemp(t)
	probes := []index.Probe{{Key: 1, Tables: 1}}
	if _, err := s.Candidates(context.Background(), 1, probes, MaxBudget+1); err == nil {
		t.Error("a bound over MaxBudget was accepted")
	}
	probes[0].Penalty = 9
	if ids, err := s.Candidates(context.Background(), 1, probes, 8); err != nil || ids != nil {
		t.Errorf("a probe beyond the bound: %v, %v", ids, err)
	}
	if ts, err := s.CandidateTargets(context.Background(), 1, probes, 8); err != nil || ts != nil {
		t.Errorf("CandidateTargets, a probe beyond the bound: %v, %v", ts, err)
	}
	probes[0].Penalty = 0
	if _, err := s.CandidateTargets(context.Background(), 1, probes, MaxBudget+1); err == nil {
		t.Error("CandidateTargets accepted a bound over MaxBudget")
	}
}
