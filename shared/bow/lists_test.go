package bow

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
)

// listsOf returns what a store of docs (by handle) would hand over for a
// query q: the lists of its words, as Group lists each document.
func listsOf(docs [][]Feature, live []bool, q []Feature, words int) *Lists {
	l := &Lists{Words: words, ByWord: map[uint32][]Listing{}}
	want := map[uint32]bool{}
	for _, f := range q {
		want[f.Word] = true
	}
	for h, fs := range docs {
		if !live[h] {
			continue
		}
		l.Docs++
		for _, g := range Group(fs, words) {
			if want[g.Word] {
				l.ByWord[g.Word] = append(l.ByWord[g.Word], Listing{Doc: uint32(h), Size: len(fs), Turns: g.Turns})
			}
		}
	}
	for _, ls := range l.ByWord { // a store's rows come in any order
		slices.Reverse(ls)
	}
	return l
}

// TestListsAnswerAsTheIndex holds Lists.Query equal to Index.Query, hit
// for hit and bit for bit, over more documents than Candidates (the
// plain score's cut matters), with identical documents (ties broken by
// ID at both cuts, IDs not in handle order), a repeated pattern (the
// MaxCount cap) and removed documents.
func TestListsAnswerAsTheIndex(t *testing.T) {
	rng := rand.New(rand.NewPCG(21, 22))
	const words = 600
	x := NewIndex(words)
	var docs [][]Feature
	var live []bool
	id := func(h int) string { return fmt.Sprintf("doc%05d", (h*7919)%100_000) }
	put := func(fs []Feature) {
		x.Put(id(len(docs)), fs)
		docs, live = append(docs, fs), append(live, true)
	}
	for range Candidates + 300 {
		put(randomFeatures(rng, 20+rng.IntN(120), words))
	}
	for i := range 30 { // identical documents: equal scores
		put(docs[i%3])
	}
	repeated := make([]Feature, 0, MaxCount+50)
	for i := range MaxCount + 50 {
		repeated = append(repeated, Feature{Word: 5, Turn: uint8(i % Turns)})
	}
	put(repeated)
	for h := 0; h < len(docs); h += 11 {
		x.Remove(id(h))
		live[h] = false
	}
	names := func(asked []uint32) (map[uint32]string, error) {
		out := map[uint32]string{}
		for _, h := range asked {
			out[h] = id(int(h))
		}
		return out, nil
	}
	queries := [][]Feature{docs[1], docs[2], repeated[:300]}
	for range 6 {
		queries = append(queries, randomFeatures(rng, 100+rng.IntN(400), words))
	}
	for i, q := range queries {
		for _, k := range []int{1, 5, 40, 2000} {
			want := x.Query(q, k)
			got, err := listsOf(docs, live, q, words).Query(q, k, names)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(got, want) {
				t.Fatalf("query %d, k %d: lists gave %d hits, index %d; first difference at %d",
					i, k, len(got), len(want), firstDifference(got, want))
			}
		}
	}
}

func firstDifference(a, b []Hit) int {
	for i := range min(len(a), len(b)) {
		if a[i] != b[i] {
			return i
		}
	}
	return min(len(a), len(b))
}

// BenchmarkListsQuery scores a query of 1,000 features against the lists
// of 10,000 documents of 500 features over 32,768 words, as a Worker's
// search does after reading them from D1.
func BenchmarkListsQuery(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 2))
	const words, docs = 1 << 15, 10_000
	q := randomFeatures(rng, 1000, words)
	want := map[uint32]bool{}
	for _, f := range q {
		want[f.Word] = true
	}
	l := &Lists{Docs: docs, Words: words, ByWord: map[uint32][]Listing{}}
	for h := range docs {
		fs := make([]Feature, 500)
		for i := range fs {
			fs[i] = Feature{Word: uint32(rng.IntN(words)), Turn: uint8(rng.IntN(Turns))}
		}
		for _, g := range Group(fs, words) {
			if want[g.Word] {
				l.ByWord[g.Word] = append(l.ByWord[g.Word], Listing{Doc: uint32(h), Size: len(fs), Turns: g.Turns})
			}
		}
	}
	names := func(asked []uint32) (map[uint32]string, error) {
		out := map[uint32]string{}
		for _, h := range asked {
			out[h] = fmt.Sprint(h)
		}
		return out, nil
	}
	b.ResetTimer()
	for b.Loop() {
		if _, err := l.Query(q, 40, names); err != nil {
			b.Fatal(err)
		}
	}
}

// pickLists returns what a store that scores the first pass itself
// hands over (Votes): the whole lists l cut to the documents whose plain
// score, summed here in another order than Query's and compared squared,
// is within the margin of the picked-th highest.
func pickLists(l *Lists, q []Feature, picked int, margin float64) *Lists {
	lens := map[uint32]int{}
	for w, ls := range l.ByWord {
		lens[w] = len(ls)
	}
	score, size := map[uint32]float64{}, map[uint32]int{}
	votes := Votes(q, l.Words, l.Docs, lens)
	for i := len(votes) - 1; i >= 0; i-- { // backwards: other roundings
		v := votes[i]
		for _, p := range l.ByWord[v.Word] {
			score[p.Doc] += v.Weight * float64(min(v.Count, len(p.Turns)))
			size[p.Doc] = p.Size
		}
	}
	var vs []float64
	for d, s := range score {
		vs = append(vs, s*s/float64(size[d]))
	}
	slices.Sort(vs)
	cut := 0.0
	if len(vs) >= picked {
		cut = vs[len(vs)-picked] * (1 - margin)
	}
	out := &Lists{Docs: l.Docs, Words: l.Words, ByWord: map[uint32][]Listing{}, Lens: lens}
	for w, ls := range l.ByWord {
		for _, p := range ls {
			if s := score[p.Doc]; s*s/float64(size[p.Doc]) >= cut {
				out.ByWord[w] = append(out.ByWord[w], p)
			}
		}
	}
	return out
}

// TestPickedListsAnswerAsTheWholeLists holds Query over the lists of the
// documents a store picked from the query's Votes (Picked of them, within
// the margin) equal to Query over the whole lists, over more documents
// than Picked with ties at the cut (identical documents) — and shows the
// pick is needed whole: without the ties' margin, or one document short,
// some answer differs.
func TestPickedListsAnswerAsTheWholeLists(t *testing.T) {
	rng := rand.New(rand.NewPCG(23, 24))
	const words = 500
	var docs [][]Feature
	for range Picked + 400 {
		docs = append(docs, randomFeatures(rng, 20+rng.IntN(120), words))
	}
	for i := range 200 { // identical documents: equal scores, ties at the cut
		docs = append(docs, docs[i%7])
	}
	live := make([]bool, len(docs))
	for i := range live {
		live[i] = i%13 != 0
	}
	names := func(asked []uint32) (map[uint32]string, error) {
		out := map[uint32]string{}
		for _, h := range asked {
			out[h] = fmt.Sprintf("doc%05d", (int(h)*7919)%100_000)
		}
		return out, nil
	}
	queries := [][]Feature{docs[1], docs[3]}
	for range 6 {
		queries = append(queries, randomFeatures(rng, 50+rng.IntN(400), words))
	}
	short := 0
	for i, q := range queries {
		whole := listsOf(docs, live, q, words)
		picked := pickLists(whole, q, Picked, 1e-9)
		if n, m := listings(picked), listings(whole); n >= m {
			t.Fatalf("query %d: the pick kept %d of %d listings", i, n, m)
		}
		for _, k := range []int{1, 40, 2000} {
			want, err := whole.Query(q, k, names)
			if err != nil {
				t.Fatal(err)
			}
			got, err := picked.Query(q, k, names)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(got, want) {
				t.Fatalf("query %d, k %d: picked lists gave %d hits, whole %d; first difference at %d",
					i, k, len(got), len(want), firstDifference(got, want))
			}
			less, _ := pickLists(whole, q, Picked/2, 1e-9).Query(q, k, names)
			if !slices.Equal(less, want) {
				short++
			}
		}
	}
	if short == 0 {
		t.Fatal("half the pick answered as the whole lists: the test cannot tell")
	}
}

// listings counts the listings of l.
func listings(l *Lists) int {
	n := 0
	for _, ls := range l.ByWord {
		n += len(ls)
	}
	return n
}
