package bow

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
)

// shortlistLists returns what a store that scores both passes itself
// hands over (Shortlisted) for an answer of at most k: the whole lists l
// cut to the documents within the margin of the picked-th highest plain
// score, and those above it whose final score is within the margin of
// the k-th highest among them — both summed here in another order than
// Query's, and compared squared over the size, as a store's SQL does.
// Without skip, the count left out is 0 (what a store that forgot it would
// hand over).
func shortlistLists(l *Lists, q []Feature, picked, k int, margin float64, skip bool) *Lists {
	lens := map[uint32]int{}
	for w, ls := range l.ByWord {
		lens[w] = len(ls)
	}
	votes := Votes(q, l.Words, l.Docs, lens)
	plain, size := map[uint32]float64{}, map[uint32]int{}
	for i := len(votes) - 1; i >= 0; i-- { // backwards: other roundings
		v := votes[i]
		for _, p := range l.ByWord[v.Word] {
			plain[p.Doc] += v.Weight * float64(min(v.Count, len(p.Turns)))
			size[p.Doc] = p.Size
		}
	}
	cut := kth(plain, size, picked) // 0 when fewer
	final := map[uint32]float64{}   // of the sure ones
	windows := map[uint32]*[Turns]float64{}
	for i := len(votes) - 1; i >= 0; i-- {
		v := votes[i]
		for _, p := range l.ByWord[v.Word] {
			if s := plain[p.Doc]; s*s/float64(size[p.Doc]) <= cut*(1+margin) {
				continue
			}
			w := windows[p.Doc]
			if w == nil {
				w = new([Turns]float64)
				windows[p.Doc] = w
			}
			share := v.Weight / float64(max(v.Count, len(p.Turns)))
			for _, t := range slices.Backward(p.Turns) {
				for f, n := range v.ByTurn {
					b := (uint8(f) - t) % Turns
					w[b] += share * float64(n)
					w[(b+Turns-1)%Turns] += share * float64(n)
				}
			}
		}
	}
	for d, w := range windows {
		final[d] = slices.Max(w[:])
	}
	cut2 := kth(final, size, k)
	out := &Lists{Docs: l.Docs, Words: l.Words, ByWord: map[uint32][]Listing{}, Lens: lens}
	handed, skipped := map[uint32]bool{}, 0
	for d, s := range plain {
		v := s * s / float64(size[d])
		switch f, sure := final[d], v > cut*(1+margin); {
		case v < cut*(1-margin):
		case !sure || f*f/float64(size[d]) >= cut2*(1-margin):
			handed[d] = true
		case skip:
			skipped++
		}
	}
	out.Shortlisted(k, skipped)
	for w, ls := range l.ByWord {
		for _, p := range ls {
			if handed[p.Doc] {
				out.ByWord[w] = append(out.ByWord[w], p)
			}
		}
	}
	return out
}

// kth returns the k-th highest of the scores s squared over the sizes,
// or 0 if there are fewer.
func kth(s map[uint32]float64, size map[uint32]int, k int) float64 {
	var vs []float64
	for d, v := range s {
		vs = append(vs, v*v/float64(size[d]))
	}
	if len(vs) < k || k <= 0 {
		return 0
	}
	slices.Sort(vs)
	return vs[len(vs)-k]
}

// TestShortlistedListsAnswerAsTheWholeLists holds Query over the lists a
// store shortlisted (Shortlisted: both passes scored by the store, only
// the documents that could rank among k handed over) equal to Query over
// the whole lists, for k of 1, 5 and 40, over random documents, groups of
// identical ones (ties at both cuts), and a case built to need the count
// of documents left out: copies of a document of the query's words, tied
// at the first pass's cut, half with turns that agree with the query's
// (a final score that ranks among the answer) and half without. Which
// copies are candidates is decided by ID; a store that left sure
// candidates out without saying so would have Query take every copy it
// handed over. The test fails if that count is ignored, or if the store
// hands over more than a quarter of the pick.
func TestShortlistedListsAnswerAsTheWholeLists(t *testing.T) {
	rng := rand.New(rand.NewPCG(25, 26))
	const words = 600
	q := randomFeatures(rng, 300, 500)
	var docs [][]Feature
	for range Picked - 125 {
		docs = append(docs, randomFeatures(rng, 60+rng.IntN(20), 500))
	}
	for i := range 150 { // identical documents: ties at both cuts
		docs = append(docs, docs[i%7])
	}
	// Fewer words of the query than the others have, but with turns
	// agreeing: a lower plain score, a higher final one.
	agreeing := slices.Clone(q[:20])
	for len(agreeing) < 30 {
		agreeing = append(agreeing, Feature{Word: 500 + uint32(rng.IntN(100)), Turn: uint8(rng.IntN(Turns))})
	}
	// Copies of the same words: the same plain score, ties at the first
	// pass's cut; half of them with the turns scattered, a low final
	// score, so that which copies are candidates matters.
	scattered := slices.Clone(agreeing)
	for i := range scattered {
		scattered[i].Turn = uint8(i % Turns)
	}
	firstCopy := len(docs)
	for i := range 200 {
		docs = append(docs, [][]Feature{agreeing, scattered}[i%2])
	}
	live := make([]bool, len(docs))
	for i := range live {
		live[i] = i%31 != 0 || i >= firstCopy
	}
	names := func(asked []uint32) (map[uint32]string, error) {
		out := map[uint32]string{}
		for _, h := range asked {
			out[h] = fmt.Sprintf("doc%05d", (int(h)*7919)%100_000)
		}
		return out, nil
	}
	queries := [][]Feature{q, docs[1], docs[3]}
	for range 5 {
		queries = append(queries, randomFeatures(rng, 50+rng.IntN(400), words))
	}
	unskipped := 0
	for i, q := range queries {
		whole := listsOf(docs, live, q, words)
		picked := listings(pickLists(whole, q, Picked, 1e-9))
		for _, k := range []int{1, 5, 40} {
			want, err := whole.Query(q, k, names)
			if err != nil {
				t.Fatal(err)
			}
			short := shortlistLists(whole, q, Picked, k, 1e-9, true)
			if n := listings(short); n > picked/4 {
				t.Fatalf("query %d, k %d: the shortlist handed over %d listings, the pick %d", i, k, n, picked)
			}
			got, err := short.Query(q, k, names)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(got, want) {
				t.Fatalf("query %d, k %d: shortlisted lists gave %d hits, whole %d; first difference at %d",
					i, k, len(got), len(want), firstDifference(got, want))
			}
			if _, err := short.Query(q, k+1, names); short.skipped > 0 && err == nil {
				t.Fatalf("query %d: lists shortlisted for %d answered %d", i, k, k+1)
			}
			if got, _ := shortlistLists(whole, q, Picked, k, 1e-9, false).Query(q, k, names); !slices.Equal(got, want) {
				unskipped++
			}
		}
	}
	if unskipped == 0 {
		t.Fatal("the shortlist answered as the whole lists without its count left out: the test cannot tell")
	}
}
