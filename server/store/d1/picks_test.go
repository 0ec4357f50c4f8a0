package d1

import (
	"context"
	"fmt"
	"math/rand/v2"
	"reflect"
	"slices"
	"testing"

	"github.com/pixmatch/pixmatch/server/store"
	"github.com/pixmatch/pixmatch/server/store/storetest"
	"github.com/pixmatch/pixmatch/shared/bow"
)

// TestPickedListsAnswerAsTheWhole holds bow's Query over PickedLists
// (the first pass scored in SQL, the lists of the picked targets alone)
// equal to Query over the whole lists (Lists), hit for hit, in a gallery
// of more targets than bow.Picked with identical bags (ties at the cut),
// targets out of the tier and removed targets; and the pick hands over
// fewer listings than the whole where more targets than Picked share a
// word with the query. The lists read in many rows are those read in
// one.
func TestPickedListsAnswerAsTheWhole(t *testing.T) {
	s, _ := openTemp(t)
	pickedAnswerAsTheWhole(t, s)
}

// pickedAnswerAsTheWhole is TestPickedListsAnswerAsTheWhole on the empty
// store s.
func pickedAnswerAsTheWhole(t *testing.T, s *Store) {
	ctx := context.Background()
	const words = 700
	rng := rand.New(rand.NewPCG(5, 6))
	var bags []*Bag
	s.SetBagger(func(_ context.Context, record []byte) (*Bag, error) {
		if string(record) == "left out" {
			return nil, nil
		}
		var i int
		fmt.Sscan(string(record), &i)
		return bags[i], nil
	})
	g, err := s.CreateGallery(ctx, store.Gallery{Name: "g"})
	if err != nil {
		t.Fatal(err)
	}
	var kept [][]bow.Feature // by bag
	for i := range bow.Picked + 300 {
		fs := make([]bow.Feature, 10+rng.IntN(60))
		for j := range fs {
			fs[j] = bow.Feature{Word: uint32(rng.IntN(words)), Turn: uint8(rng.IntN(bow.Turns))}
		}
		if i >= bow.Picked { // identical bags: equal scores
			fs = kept[i%5]
		}
		kept = append(kept, fs)
		bags = append(bags, &Bag{Size: len(fs), Words: bow.Group(fs, words)})
		tg := storetest.Target(g.ID, i, 0)
		tg.Features = []byte(fmt.Sprint(i))
		if i%17 == 0 {
			tg.Features = []byte("left out")
		}
		if _, err := s.CreateTarget(ctx, tg); err != nil {
			t.Fatal(err)
		}
	}
	var gone []string
	for i := 3; i < len(kept); i += 29 {
		gone = append(gone, storetest.TargetID(i))
	}
	if _, err := s.DeleteTargets(ctx, g.ID, gone); err != nil {
		t.Fatal(err)
	}
	names := func(seqs []uint32) (map[uint32]string, error) { return s.SeqIDs(ctx, g.ID, seqs) }
	queries := [][]bow.Feature{kept[1], kept[2], kept[bow.Picked+4]}
	for range 5 {
		q := make([]bow.Feature, 100+rng.IntN(300))
		for j := range q {
			q[j] = bow.Feature{Word: uint32(rng.IntN(words + 50)), Turn: uint8(rng.IntN(bow.Turns))} // some beyond the vocabulary
		}
		queries = append(queries, q)
	}
	fewer := 0
	for i, q := range queries {
		var ws []uint32
		for _, f := range q {
			ws = append(ws, f.Word)
		}
		whole, err := s.Lists(ctx, g.ID, ws)
		if err != nil {
			t.Fatal(err)
		}
		picked, err := s.PickedLists(ctx, g.ID, q, words)
		if err != nil {
			t.Fatal(err)
		}
		chunkBytes = 500 // many rows of text, each cut between words
		small, err := s.PickedLists(ctx, g.ID, q, words)
		chunkBytes = 1 << 20
		if err != nil || !reflect.DeepEqual(small, picked) {
			t.Fatalf("query %d: the picked lists in rows of 500 bytes differ (%v)", i, err)
		}
		whole.Words, picked.Words = words, words
		n, m := count(picked), count(whole)
		if n > m || picked.Docs != whole.Docs {
			t.Fatalf("query %d: the pick handed over %d of %d listings, of %d targets (whole: %d)", i, n, m, picked.Docs, whole.Docs)
		}
		if n < m {
			fewer++
		}
		for _, k := range []int{1, 40, 3000} {
			want, err := whole.Query(q, k, names)
			if err != nil {
				t.Fatal(err)
			}
			got, err := picked.Query(q, k, names)
			if err != nil {
				t.Fatal(err)
			}
			if len(want) == 0 || !slices.Equal(got, want) {
				t.Fatalf("query %d, k %d: the picked lists gave %d hits, the whole %d", i, k, len(got), len(want))
			}
		}
	}
	if fewer < 5 {
		t.Fatalf("the pick handed over fewer listings than the whole for %d queries of %d", fewer, len(queries))
	}
}

// count counts the listings of l.
func count(l *bow.Lists) int {
	n := 0
	for _, ls := range l.ByWord {
		n += len(ls)
	}
	return n
}
