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
