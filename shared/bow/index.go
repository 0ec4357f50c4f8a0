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

// Index is an inverted file of documents' bags of words, safe for
// concurrent use (see the package doc for the score). A document costs
// four bytes a feature in the lists (a document with c features on a
// word is listed c times, next to each other; c counts as at most
// MaxCount), plus two bytes a distinct word in its own list of words, for
// removal.
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
// more (a pattern repeated all over a picture) count as MaxCount, in
// Index and Flat alike.
const MaxCount = 255

// doc is one document of the index.
type doc struct {
	id    string
	words []uint16 // its distinct words, for removal
	size  int      // its features
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

// Put adds or replaces the document id with bag b. Words beyond the
// vocabulary are ignored.
func (x *Index) Put(id string, b Bag) {
	x.mu.Lock()
	defer x.mu.Unlock()
	x.remove(id)
	h := x.handle(id)
	d := doc{id: id, size: b.Size(), words: make([]uint16, 0, len(b.Words))}
	for i, w := range b.Words {
		if int(w) >= len(x.postings) {
			continue
		}
		p := &x.postings[w]
		for range min(b.Counts[i], MaxCount) {
			p.docs = append(p.docs, h)
		}
		p.df++
		d.words = append(d.words, uint16(w))
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
	for _, w := range x.docs[h].words {
		p := &x.postings[w]
		i := slices.Index(p.docs, h)
		j := i + 1
		for j < len(p.docs) && p.docs[j] == h {
			j++
		}
		p.docs = slices.Delete(p.docs, i, j)
		p.df--
	}
	x.docs[h] = doc{}
	delete(x.handles, id)
	x.free = append(x.free, h)
}

// idf is the weight of a word held by df of n documents.
func idf(n, df int) float64 { return math.Log((float64(n) + 1) / (float64(df) + 0.5)) }

// Query returns the k documents that score highest against bag q, best
// first (ties by ID), leaving out documents sharing no word with it.
func (x *Index) Query(q Bag, k int) []Hit {
	x.mu.RLock()
	defer x.mu.RUnlock()
	n := len(x.handles)
	acc := accumulators.Get().(*accumulator)
	defer accumulators.Put(acc)
	acc.reset(len(x.docs))
	for i, w := range q.Words {
		if int(w) >= len(x.postings) {
			continue
		}
		p := &x.postings[w]
		if len(p.docs) == 0 {
			continue
		}
		weight := idf(n, p.df)
		weight *= weight
		qc := int(q.Counts[i])
		docs := p.docs
		for j := 0; j < len(docs); {
			h, k := docs[j], j+1
			for k < len(docs) && docs[k] == h {
				k++
			}
			acc.add(h, weight*float64(min(qc, k-j)))
			j = k
		}
	}
	best := make(topK, 0, k+1)
	qs := float64(q.Size())
	for _, h := range acc.touched {
		d := &x.docs[h]
		best = best.offer(Hit{ID: d.id, Score: acc.scores[h] / math.Sqrt(qs*float64(d.size))}, k)
	}
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

// accumulator sums the scores of one query by document handle, and
// remembers which documents it touched so that resetting it costs what
// the query touched, not the size of the index.
type accumulator struct {
	scores  []float64
	touched []uint32
}

var accumulators = sync.Pool{New: func() any { return &accumulator{} }}

func (a *accumulator) reset(docs int) {
	for _, h := range a.touched {
		a.scores[h] = 0
	}
	a.touched = a.touched[:0]
	if len(a.scores) < docs {
		a.scores = append(a.scores, make([]float64, docs-len(a.scores))...)
	}
}

func (a *accumulator) add(h uint32, s float64) {
	if a.scores[h] == 0 {
		a.touched = append(a.touched, h)
	}
	a.scores[h] += s
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
// document's bag and scores every document against a query by the
// formula of the package doc.
type Flat struct {
	bags map[string]Bag
}

// NewFlat returns an empty flat index.
func NewFlat() *Flat { return &Flat{bags: map[string]Bag{}} }

// Put adds or replaces a document.
func (f *Flat) Put(id string, b Bag) { f.bags[id] = b }

// Remove takes a document out.
func (f *Flat) Remove(id string) { delete(f.bags, id) }

// Query scores every document and returns the k best.
func (f *Flat) Query(q Bag, k int) []Hit {
	df := map[uint32]int{}
	for _, b := range f.bags {
		for _, w := range b.Words {
			df[w]++
		}
	}
	var hits []Hit
	for id, b := range f.bags {
		var s float64
		shared := false
		for i, w := range q.Words {
			j, ok := slices.BinarySearch(b.Words, w)
			if !ok {
				continue
			}
			shared = true
			weight := idf(len(f.bags), df[w])
			s += weight * weight * float64(min(q.Counts[i], b.Counts[j], MaxCount))
		}
		if shared {
			hits = append(hits, Hit{ID: id, Score: s / math.Sqrt(float64(q.Size())*float64(b.Size()))})
		}
	}
	return top(hits, k)
}
