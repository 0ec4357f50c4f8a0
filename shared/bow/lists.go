package bow

import (
	"cmp"
	"math"
	"slices"
)

// Lists is the part of an index that one query reads, as a store that
// keeps an index's lists in rows (a Cloudflare Worker's D1, which keeps
// nothing in memory between requests) hands it over: how many documents
// the index holds, the size of its vocabulary, and the lists of the
// query's words. Query scores them exactly as Index.Query scores the same
// documents — the same formulas, the same order of floating-point
// additions, the same candidates and ties — so a store's answer equals
// an Index's.
type Lists struct {
	Docs  int // documents the index holds, listed or not
	Words int // the vocabulary's words (NewIndex's words)
	// ByWord holds, for each word of the query, every document listed on
	// it, in any order. A word the query lacks is ignored.
	ByWord map[uint32][]Listing
}

// Listing is one document's features on one word.
type Listing struct {
	Doc  uint32 // the store's handle of the document
	Size int    // the document's features, as Put was given them
	// Turns are the turns of its features on the word, in the order Put
	// was given them, at most MaxCount of them (Index keeps no more).
	Turns []uint8
}

// Names returns the IDs of documents by their handles.
type Names func(docs []uint32) (map[uint32]string, error)

// scored is a document's score by its handle.
type scored struct {
	doc   uint32
	score float64
}

// Query returns the k documents that score highest against the query's
// features q, best first (ties by ID): those Index.Query returns over an
// index of the same documents. Ties are broken by ID, so names is asked
// for the IDs of the answer and of the documents whose equal scores
// straddle a cut (rarely any besides the answer's).
func (l *Lists) Query(q []Feature, k int, names Names) ([]Hit, error) {
	q = q[:min(len(q), maxQuery)]
	qs := float64(len(q))
	sorted := byWord(q, min(l.Words, MaxWords), false)
	var (
		weights []float64
		groups  []group
		lists   [][]Listing // by group
		dense   = map[uint32]int32{}
		docs    []uint32  // by dense index
		sizes   []int     // by dense index
		scores  []float64 // by dense index: the plain scores
		at      []int32   // the dense index of each listing, in order of groups
	)
	// The plain scores: each document's votes summed word by word, in the
	// order of the query's words, as Index.Query sums them.
	runs(wordsOf(sorted), func(i, j int) {
		listed := l.ByWord[sorted[i].Word]
		weight := idf(l.Docs, len(listed))
		weight *= weight
		weights = append(weights, weight)
		groups = append(groups, group{uint16(i), uint16(j), uint16(len(weights) - 1)})
		lists = append(lists, listed)
		for _, p := range listed {
			d, ok := dense[p.Doc]
			if !ok {
				d = int32(len(docs))
				dense[p.Doc] = d
				docs, sizes, scores = append(docs, p.Doc), append(sizes, p.Size), append(scores, 0)
			}
			scores[d] += weight * float64(min(j-i, len(p.Turns)))
			at = append(at, d)
		}
	})
	plain := make([]scored, len(docs))
	for d, doc := range docs {
		plain[d] = scored{doc, scores[d] / math.Sqrt(qs*float64(sizes[d]))}
	}
	candidates, _, err := best(plain, Candidates, names, false)
	if err != nil {
		return nil, err
	}
	// The candidates' votes by turn, added in the same order again.
	slot := make([]int32, len(docs)) // 1 + the candidate's place; 0 for none
	for c, s := range candidates {
		slot[dense[s.doc]] = int32(c + 1)
	}
	votes := make([][Turns]float64, len(candidates))
	n := 0
	for gi, listed := range lists {
		g := groups[gi]
		for _, p := range listed {
			c := slot[at[n]] - 1
			n++
			if c < 0 {
				continue
			}
			v := weights[g.weight] / float64(max(int(g.j-g.i), len(p.Turns)))
			for _, t := range p.Turns {
				for _, f := range sorted[g.i:g.j] {
					votes[c][(f.Turn-t)%Turns] += v
				}
			}
		}
	}
	final := make([]scored, len(candidates))
	for c, s := range candidates {
		final[c] = scored{s.doc, windowOf(votes[c][:]) / math.Sqrt(qs*float64(sizes[dense[s.doc]]))}
	}
	kept, ids, err := best(final, k, names, true)
	if err != nil {
		return nil, err
	}
	hits := make([]Hit, len(kept))
	for i, c := range kept {
		hits[i] = Hit{ID: ids[c.doc], Score: c.score}
	}
	return hits, nil
}

// wordsOf returns the words of fs.
func wordsOf(fs []Feature) []uint32 {
	out := make([]uint32, len(fs))
	for i, f := range fs {
		out[i] = f.Word
	}
	return out
}

// best returns the k of ss ranking first by score, then by ID, best first.
// IDs are asked of names for the documents of equal scores straddling the
// cut, and for all those kept when all is set; otherwise documents of
// equal score inside the cut stay in handle order.
func best(ss []scored, k int, names Names, all bool) ([]scored, map[uint32]string, error) {
	slices.SortFunc(ss, func(a, b scored) int {
		if c := cmp.Compare(b.score, a.score); c != 0 {
			return c
		}
		return cmp.Compare(a.doc, b.doc)
	})
	k = max(min(k, len(ss)), 0)
	end := k // ss[:end] holds the kept and those tied with the last kept
	for k > 0 && end < len(ss) && ss[end].score == ss[k-1].score {
		end++
	}
	var ask []uint32
	switch {
	case all:
		for _, s := range ss[:end] {
			ask = append(ask, s.doc)
		}
	case end > k:
		for _, s := range ss[:end] {
			if s.score == ss[k-1].score {
				ask = append(ask, s.doc)
			}
		}
	}
	if len(ask) == 0 {
		return ss[:k], nil, nil
	}
	ids, err := names(ask)
	if err != nil {
		return nil, nil, err
	}
	cut := ss[k-1].score
	slices.SortStableFunc(ss[:end], func(a, b scored) int {
		if c := cmp.Compare(b.score, a.score); c != 0 || !all && a.score != cut {
			return c
		}
		return cmp.Compare(ids[a.doc], ids[b.doc])
	})
	return ss[:k], ids, nil
}

// WordTurns is a document's features on one word: the word, and their
// turns in the order the document gave them.
type WordTurns struct {
	Word  uint32
	Turns []uint8
}

// Group returns what Index.Put keeps of a document's features fs, in an
// index over a vocabulary of words words, for a store to list: its
// words ascending, each with its features' turns in the order given, at
// most MaxCount of them; features of words beyond the vocabulary are
// left out.
func Group(fs []Feature, words int) []WordTurns {
	sorted := byWord(fs, min(words, MaxWords), true)
	var out []WordTurns
	runs(wordsOf(sorted), func(i, j int) {
		turns := make([]uint8, j-i)
		for e := i; e < j; e++ {
			turns[e-i] = sorted[e].Turn
		}
		out = append(out, WordTurns{Word: sorted[i].Word, Turns: turns})
	})
	return out
}
