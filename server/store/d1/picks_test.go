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

// TestShortlistedListsAnswerAsTheWhole holds bow's Query over
// ShortlistedLists (both passes scored in SQL, the lists of the targets
// that could be in the answer alone) equal to Query over the whole lists
// (Lists), hit for hit, for answers of 1, 40 and 3,000, in a gallery of
// more targets than bow.Picked: identical bags (ties at both cuts),
// targets out of the tier, removed targets, and copies of one set of the
// query's words tied at the first pass's cut, half with turns agreeing
// with the query's and half not, so that which of them are candidates
// matters (a store that left out sure candidates without counting them
// for bow.Lists.Shortlisted answers otherwise: the test checks it
// would), and targets with many features on a word that a query of many
// features on it shares (its second pass counts pairs by the query's
// distinct turns).
// The shortlists of 1 and 40 hand over less than a quarter of the whole
// lists, and the lists read in many rows are those read in one.
func TestShortlistedListsAnswerAsTheWhole(t *testing.T) {
	s, _ := openTemp(t)
	shortlistedAnswerAsTheWhole(t, s)
}

// shortlistedAnswerAsTheWhole is TestShortlistedListsAnswerAsTheWhole on
// the empty store s.
func shortlistedAnswerAsTheWhole(t *testing.T, s *Store) {
	ctx := context.Background()
	const words = 700
	rng := rand.New(rand.NewPCG(5, 6))
	random := func(n, words int) []bow.Feature {
		fs := make([]bow.Feature, n)
		for j := range fs {
			fs[j] = bow.Feature{Word: uint32(rng.IntN(words)), Turn: uint8(rng.IntN(bow.Turns))}
		}
		return fs
	}
	q0 := random(300, 500)
	var kept [][]bow.Feature     // by bag
	for range bow.Picked - 140 { // about Picked - 5 listed, with those below
		kept = append(kept, random(60+rng.IntN(20), 500))
	}
	crowded := func(n int) []bow.Feature { // n features on word 7, in every turn
		fs := make([]bow.Feature, n)
		for i := range fs {
			fs[i] = bow.Feature{Word: 7, Turn: uint8(rng.IntN(bow.Turns))}
		}
		return fs
	}
	for range 50 { // many features on one word: many pairs with a crowded query
		kept = append(kept, append(crowded(10+rng.IntN(30)), random(40, 500)...))
	}
	for i := range 150 { // identical bags: equal scores
		kept = append(kept, kept[i%5])
	}
	agreeing := slices.Clone(q0[:24]) // fewer of the query's words, turns agreeing
	for len(agreeing) < 30 {
		agreeing = append(agreeing, bow.Feature{Word: 500 + uint32(rng.IntN(200)), Turn: uint8(rng.IntN(bow.Turns))})
	}
	scattered := slices.Clone(agreeing)
	for i := range scattered {
		scattered[i].Turn = uint8(i % bow.Turns)
	}
	for i := range 200 {
		kept = append(kept, [][]bow.Feature{agreeing, scattered}[i%2])
	}
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
	var gone []string
	for i, fs := range kept {
		bags = append(bags, &Bag{Size: len(fs), Words: bow.Group(fs, words)})
		tg := storetest.Target(g.ID, i, 0)
		tg.Features = []byte(fmt.Sprint(i))
		if i%37 == 0 {
			tg.Features = []byte("left out")
		}
		if _, err := s.CreateTarget(ctx, tg); err != nil {
			t.Fatal(err)
		}
		if i%29 == 3 {
			gone = append(gone, storetest.TargetID(i))
		}
	}
	if _, err := s.DeleteTargets(ctx, g.ID, gone); err != nil {
		t.Fatal(err)
	}
	names := func(seqs []uint32) (map[uint32]string, error) { return s.SeqIDs(ctx, g.ID, seqs) }
	queries := [][]bow.Feature{q0, kept[1], kept[2], kept[bow.Picked+4], append(crowded(300), q0[:100]...)}
	others := 4
	if raceEnabled { // modernc's SQLite runs about ten times slower: fewer random queries
		others = 1
	}
	for range others {
		queries = append(queries, random(100+rng.IntN(300), words+50)) // some beyond the vocabulary
	}
	unskipped, handed, listed := 0, 0, 0
	for i, q := range queries {
		var ws []uint32
		for _, f := range q {
			ws = append(ws, f.Word)
		}
		whole, err := s.Lists(ctx, g.ID, ws)
		if err != nil {
			t.Fatal(err)
		}
		whole.Words = words
		for _, k := range []int{1, 40, 3000} {
			short, err := s.ShortlistedLists(ctx, g.ID, q, words, k)
			if err != nil {
				t.Fatal(err)
			}
			if k == 40 {
				chunkBytes = 500 // many rows of text, each cut between words
				small, err := s.ShortlistedLists(ctx, g.ID, q, words, k)
				chunkBytes = 1 << 20
				if err != nil || !reflect.DeepEqual(small, short) {
					t.Fatalf("query %d, k %d: the lists in rows of 500 bytes differ (%v)", i, k, err)
				}
			}
			short.Words = words
			n, m := count(short), count(whole)
			if k < 100 {
				handed, listed = handed+n, listed+m
			}
			if n > m || short.Docs != whole.Docs {
				t.Fatalf("query %d, k %d: handed over %d of %d listings, of %d targets (whole: %d)", i, k, n, m, short.Docs, whole.Docs)
			}
			want, err := whole.Query(q, k, names)
			if err != nil {
				t.Fatal(err)
			}
			got, err := short.Query(q, k, names)
			if err != nil {
				t.Fatal(err)
			}
			if len(want) == 0 || !slices.Equal(got, want) {
				t.Fatalf("query %d, k %d: the shortlisted lists gave %d hits, the whole %d", i, k, len(got), len(want))
			}
			if _, err := short.Query(q, k+1, names); err != nil { // some left out
				short.Shortlisted(k, 0)
				if got, _ := short.Query(q, k, names); !slices.Equal(got, want) {
					unskipped++
				}
			}
		}
	}
	if handed > listed/4 {
		t.Fatalf("the shortlists handed over %d of %d listings", handed, listed)
	}
	if unskipped == 0 {
		t.Fatal("the lists answered as the whole without their count left out: the test cannot tell")
	}
}

// raceEnabled is set when the race detector is on (race_test.go).
var raceEnabled bool

// count counts the listings of l.
func count(l *bow.Lists) int {
	n := 0
	for _, ls := range l.ByWord {
		n += len(ls)
	}
	return n
}
