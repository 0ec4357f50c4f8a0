package bow

import (
	"cmp"
	"fmt"
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
	// ByWord holds, for each word of the query, the documents listed on
	// it, in any order: every one when Lens is nil, else at least the
	// listings of the documents Query's first pass could keep (Picked).
	// A word the query lacks is ignored.
	ByWord map[uint32][]Listing
	// Lens, when set, holds how many documents each word of the query
	// lists in all (a word it lacks lists none), and ByWord only part of
	// each list: that of the documents a store picked, as Picked says,
	// having scored the first pass itself from the query's Votes.
	Lens map[uint32]int
	// skipped and upto are what Shortlisted recorded: how many of the
	// first pass's candidates the store left out, and the largest k
	// Query may then answer.
	skipped, upto int
}

// Vote is what Query's first pass gives a document for one word of the
// query: Weight × min(Count, the document's features on the word).
type Vote struct {
	Word   uint32
	Weight float64 // the word's idf, squared
	Count  int     // the query's features on the word
	// ByTurn counts them by turn, for a store that scores the second
	// pass too (Lists.Shortlisted).
	ByTurn [Turns]int32
}

// Votes returns the votes of Query's first pass for the query's features
// q, one for each word of q the vocabulary holds, ascending: their
// weights from the index's documents docs and how many documents each
// word lists, lens (a word lens lacks lists none), over a vocabulary of
// words words.
//
// A store that keeps its lists outside memory can score the first pass
// itself, where the lists are, and hand over only the lists of the
// documents worth a second look. A document's plain score is the sum of
// its votes over the words it is listed on, divided by the square root
// of len(q) × its size; Query's first pass keeps the Candidates
// documents of highest plain score (and those tied with the last), so
// Lists answers as the whole lists do when ByWord holds every listing,
// on the query's words, of each document whose plain score is at least
// the Candidates-th highest: Picked. A store whose arithmetic differs
// in the last bits (another order of additions, another square root)
// picks every document within a relative margin of 1e-9 of that score.
func Votes(q []Feature, words, docs int, lens map[uint32]int) []Vote {
	q = q[:min(len(q), maxQuery)]
	sorted := byWord(q, min(words, MaxWords), false)
	var out []Vote
	runs(wordsOf(sorted), func(i, j int) {
		w := idf(docs, lens[sorted[i].Word])
		out = append(out, Vote{Word: sorted[i].Word, Weight: w * w, Count: j - i, ByTurn: byTurn(sorted[i:j])})
	})
	return out
}

// Picked is how many documents of highest plain score a store that
// scores Query's first pass itself must hand over (see Votes).
const Picked = Candidates

// length returns how many documents the word lists in all.
func (l *Lists) length(word uint32) int {
	if l.Lens != nil {
		return l.Lens[word]
	}
	return len(l.ByWord[word])
}

// Shortlisted records that a store scored both of Query's passes itself
// and handed over fewer documents still, for an answer of at most k:
// those of the Picked whose final score could rank among the k best,
// having left out skipped documents sure to be candidates.
//
// A document's final score is Query's second pass: for each word it is
// listed on, the pairs of one of its turns t and one of the query's turns
// f on the word (Vote.ByTurn) at each difference (f − t) mod Turns add
// Weight / max(Count, its turns on the word) each to its vote at that
// turn; the largest sum of Window cyclically adjacent votes, divided by
// the square root of len(q) × its size, is its score. Window = 2, so a
// vote at turn b counts towards the windows starting at b and at b − 1.
// A store counts a word's pairs by the query's distinct turns, as Query
// does for a word of many query features: a step for each of those a
// document turn, at most Turns.
//
// Let cut be the Picked-th highest plain score. A document whose plain
// score is above cut beyond the margin is surely one of Query's
// candidates (fewer than Picked documents can score above it); those
// within the margin of cut may be or not (ties are broken by ID). Let
// cut₂ be the k-th highest final score among the sure ones (none when
// fewer than k are sure). Each document of the answer scores at least
// cut₂ within the margin, as the k best of the candidates score at least
// as the k best of a part of them. So the store hands over the lists of
//   - every document within the margin of cut, and
//   - every sure one whose final score is at least cut₂ within the margin,
//
// and tells how many sure ones it left out: skipped. Query keeps
// Candidates − skipped of those handed over, which are Query's
// candidates among them (the sure ones are all kept, and those within
// the margin fill the rest in order), and answers exactly as over the
// whole lists for at most k hits (asked for more, it fails). A relative
// margin of 1e-9 covers another order of additions.
//
// It hands over about k documents instead of Picked: on a Worker, the
// picked lists' text, its parsing and their scoring were a sixth of a
// camera frame's CPU.
func (l *Lists) Shortlisted(k, skipped int) { l.upto, l.skipped = k, skipped }

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
	if l.skipped > 0 && k > l.upto {
		return nil, fmt.Errorf("bow: %d hits asked of lists shortlisted for %d", k, l.upto)
	}
	q = q[:min(len(q), maxQuery)]
	qs := float64(len(q))
	sorted := byWord(q, min(l.Words, MaxWords), false)
	// Sized once from the listings to read, and the documents they can
	// name (about Picked when a store picked them): growing them took a
	// tenth of the scoring on a Worker.
	listed, words := 0, 0
	runs(wordsOf(sorted), func(i, j int) { listed, words = listed+len(l.ByWord[sorted[i].Word]), words+1 })
	named := min(listed, max(l.Docs, 0))
	if l.Lens != nil {
		named = min(named, 2*Picked)
	}
	var (
		weights = make([]float64, 0, words)
		groups  = make([]group, 0, words)
		lists   = make([][]Listing, 0, words) // by group
		dense   = make(map[uint32]int32, named)
		docs    = make([]uint32, 0, named)  // by dense index
		sizes   = make([]int, 0, named)     // by dense index
		scores  = make([]float64, 0, named) // by dense index: the plain scores
		at      = make([]int32, 0, listed)  // the dense index of each listing, in order of groups
	)
	// The plain scores: each document's votes summed word by word, in the
	// order of the query's words, as Index.Query sums them.
	runs(wordsOf(sorted), func(i, j int) {
		listed := l.ByWord[sorted[i].Word]
		weight := idf(l.Docs, l.length(sorted[i].Word))
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
	candidates, _, err := best(plain, Candidates-l.skipped, names, false)
	if err != nil {
		return nil, err
	}
	// The candidates' votes by turn, added in the same order again.
	hists := queryHists(sorted, len(weights))
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
			turnVotes(&votes[c], v, p.Turns, sorted[g.i:g.j], hists[g.weight])
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
