package bow

import (
	"cmp"
	"math"
	"slices"
	"sync"
)

// Hit is a document a query retrieved, with its score.
type Hit struct {
	ID    string
	Score float64
}

// Feature is a feature as the index sees it: its word, and its
// orientation in Turns steps of a full turn.
type Feature struct {
	Word uint32
	Turn uint8
}

// Turns is how many steps of a full turn orientations are kept in, and
// Window how many adjacent steps a document's agreeing votes may spread
// over (see the package doc: weak geometric consistency). Over the
// camera recipes of make bench-quality (bag 500, shortlist 40), 16 steps
// and a window of 2 (45°) shortlisted the target for 96.5 % of the
// frames, windows of 3 and 4 for 96.3 and 95.9 %, 32 steps and a window
// of 5 for 96.4 %, 8 and 2 for 95.4 %, the plain sum of votes (any turn)
// for 88.3 % (QUALITY.md).
const (
	Turns  = 16
	Window = 2
)

// TurnOf returns the orientation step of an angle in radians in [0, 2π).
func TurnOf(angle float32) uint8 {
	t := int(float64(angle) * Turns / (2 * math.Pi))
	return uint8(min(max(t, 0), Turns-1))
}

// maxQuery is the most features of a query that count: its first ones.
const maxQuery = 1<<16 - 2

// Candidates is how many documents of the highest plain score (every
// turn's votes) a query scores by their turns (see the package doc).
// Over the camera recipes of make bench-quality (10,000 entries), scoring
// the best 100, 200, 400 and 1,000 by turn found 91.2, 93.1, 93.7 and
// 94.0 % of the frames; scoring every document, 94.0 %. Each costs about
// a microsecond a feature of the document.
const Candidates = 1000

// Index is an inverted file of documents' features, safe for concurrent
// use (see the package doc for the score). A document costs seven bytes
// a feature: four in the lists (a document with c features on a word is
// listed c times, next to each other) and three in its own list of words
// and turns, which scores it by turn and removes it. A document's first
// MaxCount features on a word are kept, the rest left out.
type Index struct {
	mu       sync.RWMutex
	postings []posting // by word
	docs     []doc     // by handle; a removed one is zero and reused
	handles  map[string]uint32
	free     []uint32
}

// posting lists the documents on one word, each as many times as it has
// features on it, the repeats next to each other.
type posting struct {
	docs []uint32
	df   int // distinct documents
}

// MaxCount is the most features of a document on one word that count:
// more (a pattern repeated all over a picture) are left out, the first
// MaxCount kept, in Index and Flat alike.
const MaxCount = 255

// doc is one document of the index: its features by word (byWord), as
// parallel lists of words and turns.
type doc struct {
	id    string
	words []uint16
	turns []uint8
	size  int // its features, as given
}

// MaxWords is the largest vocabulary an Index takes: a document keeps its
// words in 16 bits.
const MaxWords = 1 << 16

// NewIndex returns an empty index over a vocabulary of words words (at
// most MaxWords).
func NewIndex(words int) *Index {
	return &Index{postings: make([]posting, min(words, MaxWords)), handles: map[string]uint32{}}
}

// Len returns how many documents the index holds.
func (x *Index) Len() int {
	x.mu.RLock()
	defer x.mu.RUnlock()
	return len(x.handles)
}

// Has reports whether the index holds the document id.
func (x *Index) Has(id string) bool {
	x.mu.RLock()
	defer x.mu.RUnlock()
	_, ok := x.handles[id]
	return ok
}

// byWord returns fs sorted by word, each word's features in their order,
// each word's first MaxCount when capped, features of words from n on
// left out.
func byWord(fs []Feature, n int, capped bool) []Feature {
	// Sorted as keys of word, position and turn: a plain sort of
	// integers, stable by the position it holds.
	keys := make([]uint64, 0, len(fs))
	for i, f := range fs {
		if int(f.Word) < n {
			keys = append(keys, uint64(f.Word)<<40|uint64(i)<<8|uint64(f.Turn))
		}
	}
	slices.Sort(keys)
	out := make([]Feature, len(keys))
	for i, k := range keys {
		out[i] = Feature{Word: uint32(k >> 40), Turn: uint8(k)}
	}
	if !capped {
		return out
	}
	kept := out[:0]
	run := 0
	for i, f := range out {
		if i > 0 && f.Word == out[i-1].Word {
			run++
		} else {
			run = 0
		}
		if run < MaxCount {
			kept = append(kept, f)
		}
	}
	return kept
}

// runs calls f with each run [i, j) of equal values of s.
func runs[T comparable](s []T, f func(i, j int)) {
	for i := 0; i < len(s); {
		j := i + 1
		for j < len(s) && s[j] == s[i] {
			j++
		}
		f(i, j)
		i = j
	}
}

// Put adds or replaces the document id with features fs. Words beyond
// the vocabulary are ignored.
func (x *Index) Put(id string, fs []Feature) {
	x.mu.Lock()
	defer x.mu.Unlock()
	x.remove(id)
	h := x.handle(id)
	sorted := byWord(fs, len(x.postings), true)
	d := doc{id: id, size: len(fs), words: make([]uint16, len(sorted)), turns: make([]uint8, len(sorted))}
	for i, f := range sorted {
		d.words[i], d.turns[i] = uint16(f.Word), f.Turn
		p := &x.postings[f.Word]
		p.docs = append(p.docs, h)
		if i == 0 || sorted[i-1].Word != f.Word {
			p.df++
		}
	}
	x.docs[h] = d
}

// handle assigns id a handle, reusing a freed one.
func (x *Index) handle(id string) uint32 {
	var h uint32
	if n := len(x.free); n > 0 {
		h, x.free = x.free[n-1], x.free[:n-1]
	} else {
		h = uint32(len(x.docs))
		x.docs = append(x.docs, doc{})
	}
	x.handles[id] = h
	return h
}

// Remove takes the document id out of the index; an unknown id is
// ignored.
func (x *Index) Remove(id string) {
	x.mu.Lock()
	defer x.mu.Unlock()
	x.remove(id)
}

func (x *Index) remove(id string) {
	h, ok := x.handles[id]
	if !ok {
		return
	}
	d := x.docs[h]
	runs(d.words, func(i, _ int) {
		p := &x.postings[d.words[i]]
		a := slices.Index(p.docs, h)
		b := a + 1
		for b < len(p.docs) && p.docs[b] == h {
			b++
		}
		p.docs = slices.Delete(p.docs, a, b)
		p.df--
	})
	x.docs[h] = doc{}
	delete(x.handles, id)
	x.free = append(x.free, h)
}

// idf is the weight of a word held by df of n documents.
func idf(n, df int) float64 { return math.Log((float64(n) + 1) / (float64(df) + 0.5)) }

// Query returns the k documents that score highest against the query's
// features q, best first (ties by ID), leaving out documents sharing no
// word with it.
//
// It takes two passes. The first walks the lists of the query's words,
// summing each document's votes at every turn — its plain score, which
// bounds its score from above. The second scores the Candidates documents
// of highest plain score by turn, from their own lists of words and
// turns.
func (x *Index) Query(q []Feature, k int) []Hit {
	x.mu.RLock()
	defer x.mu.RUnlock()
	n := len(x.handles)
	acc := accumulators.Get().(*accumulator)
	defer accumulators.Put(acc)
	acc.reset(len(x.docs), len(x.postings))
	q = q[:min(len(q), maxQuery)]
	sorted := byWord(q, len(x.postings), false)
	weights := make([]float64, 0, len(sorted))
	for i := 0; i < len(sorted); {
		w := sorted[i].Word
		j := i + 1
		for j < len(sorted) && sorted[j].Word == w {
			j++
		}
		p := &x.postings[w]
		weight := idf(n, p.df)
		weight *= weight
		weights = append(weights, weight)
		acc.group(w, i, j, len(weights)-1)
		acc.sum(p.docs, j-i, weight)
		i = j
	}
	qs := float64(len(q))
	hists := queryHists(sorted, len(weights)) // by weight index: the words of many query features
	plain := make(topK, 0, Candidates+1)
	for _, h := range acc.touched {
		d := &x.docs[h]
		plain = plain.offer(Hit{ID: d.id, Score: acc.scores[h] / math.Sqrt(qs*float64(d.size))}, Candidates)
	}
	best := make(topK, 0, k+1)
	for _, c := range plain {
		d := &x.docs[x.handles[c.ID]]
		var votes [Turns]float64
		runs(d.words, func(a, b int) {
			g, ok := acc.groupOf(uint32(d.words[a]))
			if !ok {
				return
			}
			v := weights[g.weight] / float64(max(int(g.j-g.i), b-a))
			turnVotes(&votes, v, d.turns[a:b], sorted[g.i:g.j], hists[g.weight])
		})
		best = best.offer(Hit{ID: c.ID, Score: windowOf(votes[:]) / math.Sqrt(qs*float64(d.size))}, k)
	}
	acc.ungroup(sorted)
	return top(best, k)
}

// topK keeps the k best hits offered, as a min-heap on (score, then the
// reverse of ID order): the worst kept is at the root.
type topK []Hit

// worse reports whether a ranks after b (lower score, or equal score and
// a later ID).
func worse(a, b Hit) bool {
	return a.Score < b.Score || (a.Score == b.Score && a.ID > b.ID)
}

// offer keeps h if it is among the k best offered so far.
func (t topK) offer(h Hit, k int) topK {
	if k <= 0 {
		return t
	}
	if len(t) == k {
		if !worse(t[0], h) {
			return t
		}
		t[0] = h
		t.down(0)
		return t
	}
	t = append(t, h)
	for i := len(t) - 1; i > 0; { // sift up
		parent := (i - 1) / 2
		if !worse(t[i], t[parent]) {
			break
		}
		t[i], t[parent] = t[parent], t[i]
		i = parent
	}
	return t
}

func (t topK) down(i int) {
	for {
		l, r, least := 2*i+1, 2*i+2, i
		if l < len(t) && worse(t[l], t[least]) {
			least = l
		}
		if r < len(t) && worse(t[r], t[least]) {
			least = r
		}
		if least == i {
			return
		}
		t[i], t[least] = t[least], t[i]
		i = least
	}
}

// accumulator sums the plain scores of one query by document handle,
// and remembers which documents it touched so that resetting it costs
// what the query touched, not the size of the index; it also finds the
// query's features on a word.
type accumulator struct {
	scores  []float64
	touched []uint32
	groups  []group // by word: the query's features on it
}

// group is the query's features on one word, sorted[i:j], and the index
// of its weight (a query has fewer than 2¹⁶ features: Query keeps the
// first ones). A word of the query has one at least, so j > 0; the zero
// group is a word it does not have.
type group struct{ i, j, weight uint16 }

var accumulators = sync.Pool{New: func() any { return &accumulator{} }}

func (a *accumulator) reset(docs, words int) {
	for _, h := range a.touched {
		a.scores[h] = 0
	}
	a.touched = a.touched[:0]
	if len(a.scores) < docs {
		a.scores = append(a.scores, make([]float64, docs-len(a.scores))...)
	}
	if len(a.groups) < words {
		a.groups = append(a.groups, make([]group, words-len(a.groups))...)
	}
}

// sum adds to each document of a word's list docs its plain score on the
// word: weight times the least of qw and its features on the word.
func (a *accumulator) sum(docs []uint32, qw int, weight float64) {
	scores := a.scores
	for j := 0; j < len(docs); {
		h := docs[j]
		k := j + 1
		for k < len(docs) && docs[k] == h {
			k++
		}
		if scores[h] == 0 {
			a.touched = append(a.touched, h)
		}
		scores[h] += weight * float64(min(qw, k-j))
		j = k
	}
}

// group records the query's features on word w.
func (a *accumulator) group(w uint32, i, j, weight int) {
	a.groups[w] = group{uint16(i), uint16(j), uint16(weight)}
}

// groupOf returns the query's features on word w.
func (a *accumulator) groupOf(w uint32) (group, bool) {
	g := a.groups[w]
	return g, g.j > 0
}

// ungroup forgets the query's words.
func (a *accumulator) ungroup(sorted []Feature) {
	for _, f := range sorted {
		a.groups[f.Word] = group{}
	}
}

// turnVotes adds to votes a document's votes on one word, as the package
// doc defines them: v times the pairs of one of its turns (turns) and
// one of the query's features on the word (qs) at each difference of
// their turns, one addition a difference, in the order of the
// differences. hist, when set, counts qs by turn: a word of more query
// features than Turns is counted through it, Turns steps a document
// turn, however many features share the word — a query of 4,096
// features on one word against documents of MaxCount on it cost seconds
// a query when each pair was a step.
func turnVotes(votes *[Turns]float64, v float64, turns []uint8, qs []Feature, hist *[Turns]int32) {
	if len(turns) == 1 && len(qs) == 1 { // nearly every word: one pair
		votes[(qs[0].Turn-turns[0])%Turns] += v
		return
	}
	var pairs [Turns]int32
	for _, t := range turns {
		if hist == nil {
			for _, f := range qs {
				pairs[(f.Turn-t)%Turns]++
			}
			continue
		}
		for x, n := range hist {
			pairs[(uint8(x)-t)%Turns] += n
		}
	}
	for d, n := range pairs {
		if n != 0 {
			votes[d] += v * float64(n)
		}
	}
}

// queryHists returns, for each word of the sorted query features (in
// the order of their runs, words of them), its features counted by
// turn when it has more than Turns of them, else nil (turnVotes).
func queryHists(sorted []Feature, words int) []*[Turns]int32 {
	hists := make([]*[Turns]int32, 0, words)
	runs(wordsOf(sorted), func(i, j int) {
		var h *[Turns]int32
		if j-i > Turns {
			counts := byTurn(sorted[i:j])
			h = &counts
		}
		hists = append(hists, h)
	})
	return hists
}

// byTurn counts features by turn.
func byTurn(fs []Feature) (counts [Turns]int32) {
	for _, f := range fs {
		counts[f.Turn%Turns]++
	}
	return counts
}

// windowOf returns the largest sum of Window cyclically adjacent votes.
func windowOf(votes []float64) float64 {
	var best float64
	for b := range Turns {
		var s float64
		for i := range Window {
			s += votes[(b+i)%Turns]
		}
		best = max(best, s)
	}
	return best
}

// top sorts hits best first (ties by ID) and keeps k of them.
func top(hits []Hit, k int) []Hit {
	slices.SortFunc(hits, func(a, b Hit) int {
		if c := cmp.Compare(b.Score, a.Score); c != 0 {
			return c
		}
		return cmp.Compare(a.ID, b.ID)
	})
	return hits[:min(k, len(hits))]
}

// Flat is the index's slow, obviously correct twin: it keeps each
// document's features and scores every document against a query by the
// formulas of the package doc, pair by pair.
type Flat struct {
	docs map[string][]Feature
}

// NewFlat returns an empty flat index.
func NewFlat() *Flat { return &Flat{docs: map[string][]Feature{}} }

// Put adds or replaces a document.
func (f *Flat) Put(id string, fs []Feature) { f.docs[id] = slices.Clone(fs) }

// Remove takes a document out.
func (f *Flat) Remove(id string) { delete(f.docs, id) }

// Query scores every document and returns the k best.
func (f *Flat) Query(q []Feature, k int) []Hit {
	df := map[uint32]int{}
	kept := map[string]map[uint32][]Feature{}
	for id, fs := range f.docs {
		kept[id] = map[uint32][]Feature{}
		for _, x := range byWord(fs, MaxWords, true) {
			if len(kept[id][x.Word]) == 0 {
				df[x.Word]++
			}
			kept[id][x.Word] = append(kept[id][x.Word], x)
		}
	}
	qcount := map[uint32]int{}
	for _, x := range q {
		qcount[x.Word]++
	}
	var plain, hits []Hit
	votes := map[string]*[Turns]float64{}
	for id, fs := range f.docs {
		var sum float64
		var v [Turns]float64
		for _, a := range q {
			ds := kept[id][a.Word]
			weight := idf(len(f.docs), df[a.Word])
			for _, b := range ds {
				pair := weight * weight / float64(max(qcount[a.Word], len(ds)))
				sum += pair
				v[(a.Turn-b.Turn)%Turns] += pair
			}
		}
		if sum > 0 {
			norm := math.Sqrt(float64(len(q)) * float64(len(fs)))
			plain = append(plain, Hit{ID: id, Score: sum / norm})
			votes[id] = &v
		}
	}
	for _, c := range top(plain, Candidates) {
		hits = append(hits, Hit{ID: c.ID, Score: windowOf(votes[c.ID][:]) / math.Sqrt(float64(len(q))*float64(len(f.docs[c.ID])))})
	}
	return top(hits, k)
}
