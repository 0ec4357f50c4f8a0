package index

import "slices"

// candidate is a hit while the scan runs: slots instead of IDs.
type candidate struct {
	slot  int32
	dist  int32
	code  int32 // index of the entry's code that gave dist
	probe int32 // index of the query's probe that gave dist
}

// candidateKey names what a result may hold only once: an entry, or with
// distinct groups, a non-empty group.
type candidateKey struct {
	slot  int32 // -1 for a group key
	group string
}

// topK keeps the best limit candidates seen, at most one per key. Better
// means nearer, then lower ID, then lower code, then lower probe, so the
// result does not depend on the order of the scan.
//
// It is a max-heap: heap[0] is the worst candidate kept, the one a better
// candidate evicts once the heap is full. at maps each kept key to its
// position in heap.
type topK struct {
	limit    int
	distinct bool
	ids      []string
	groups   []string // by slot
	heap     []candidate
	at       map[candidateKey]int
}

func newTopK(limit int, distinct bool, ids []string, groups []string) *topK {
	n := min(limit, 64)
	return &topK{
		limit:    limit,
		distinct: distinct,
		ids:      ids,
		groups:   groups,
		heap:     make([]candidate, 0, n),
		at:       make(map[candidateKey]int, n),
	}
}

// less reports whether a is a better candidate than b.
func (t *topK) less(a, b candidate) bool {
	if a.dist != b.dist {
		return a.dist < b.dist
	}
	if a.slot != b.slot {
		return t.ids[a.slot] < t.ids[b.slot]
	}
	if a.code != b.code {
		return a.code < b.code
	}
	return a.probe < b.probe
}

// full reports whether the heap holds limit candidates.
func (t *topK) full() bool { return len(t.heap) >= t.limit }

// worst returns the candidate the next better one would evict; it is
// meaningful only when the heap is full.
func (t *topK) worst() candidate { return t.heap[0] }

// admits reports whether c could enter: the heap has room or c beats the
// worst candidate kept. A candidate that does not beat the worst cannot
// improve on any kept candidate of its key either.
func (t *topK) admits(c candidate) bool {
	return !t.full() || t.less(c, t.heap[0])
}

func (t *topK) key(c candidate) candidateKey {
	if t.distinct {
		if g := t.groups[c.slot]; g != "" {
			return candidateKey{slot: -1, group: g}
		}
	}
	return candidateKey{slot: c.slot}
}

// offer adds c, which admits must have accepted. If c's key is kept
// already, the better of the two stays.
func (t *topK) offer(c candidate) {
	k := t.key(c)
	if i, ok := t.at[k]; ok {
		if t.less(c, t.heap[i]) {
			t.heap[i] = c
			t.down(i) // better means lower in a max-heap
		}
		return
	}
	if !t.full() {
		t.heap = append(t.heap, c)
		i := len(t.heap) - 1
		t.at[k] = i
		t.up(i)
		return
	}
	delete(t.at, t.key(t.heap[0]))
	t.heap[0] = c
	t.at[k] = 0
	t.down(0)
}

// up moves the candidate at i towards the root while it is worse than its
// parent.
func (t *topK) up(i int) {
	for i > 0 {
		p := (i - 1) / 2
		if !t.less(t.heap[p], t.heap[i]) {
			return
		}
		t.swap(i, p)
		i = p
	}
}

// down moves the candidate at i towards the leaves while a child is worse.
func (t *topK) down(i int) {
	n := len(t.heap)
	for {
		w := i
		if l := 2*i + 1; l < n && t.less(t.heap[w], t.heap[l]) {
			w = l
		}
		if r := 2*i + 2; r < n && t.less(t.heap[w], t.heap[r]) {
			w = r
		}
		if w == i {
			return
		}
		t.swap(i, w)
		i = w
	}
}

func (t *topK) swap(i, j int) {
	t.heap[i], t.heap[j] = t.heap[j], t.heap[i]
	t.at[t.key(t.heap[i])] = i
	t.at[t.key(t.heap[j])] = j
}

// sorted returns the kept candidates, best first.
func (t *topK) sorted() []candidate {
	out := slices.Clone(t.heap)
	slices.SortFunc(out, func(a, b candidate) int {
		switch {
		case t.less(a, b):
			return -1
		case t.less(b, a):
			return 1
		}
		return 0
	})
	return out
}
