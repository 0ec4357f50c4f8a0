package feature

import (
	"math/bits"
	"slices"
	"sync"
	"unsafe"

	"github.com/pixmatch/pixmatch/shared/internal/simd"
)

// MatchOptions tunes Match.
type MatchOptions struct {
	// Ratio is Lowe's ratio test: a query feature's nearest target feature
	// is kept only when its distance is below Ratio times the distance to
	// the second nearest, so that features that fit several places equally
	// well are dropped. 0 (or 1 and more) turns the test off. A target with
	// a single feature has no second nearest, and the test passes.
	Ratio float64
	// MaxDistance is the largest distance, in bits, of a kept pair. 0 means
	// no bound.
	MaxDistance int
	// Mutual keeps a pair only when the query feature is also the nearest
	// of all the query features to its target feature (a cross-check).
	Mutual bool
}

// DefaultMatchOptions are the matching settings of Verify: Lowe's ratio
// 0.8, as in the anchor run (camera-anchors.md §1), and a bound of 80
// bits. Unrelated 256-bit descriptors differ in about 128 ± 8 bits, so the
// bound removes only pairs six standard deviations nearer than chance
// would not; the ratio test does the real work. No cross-check: it drops
// true pairs when a print repeats a pattern, and the inlier count of
// Verify counts each target feature once anyway.
var DefaultMatchOptions = MatchOptions{Ratio: 0.8, MaxDistance: 80}

// Pair is a query feature and the target feature matched to it.
type Pair struct {
	Query, Target int // indexes into the query's and the target's features
	Distance      int // Hamming distance between their descriptors
}

// noDistance is above every distance between two descriptors.
const noDistance = 257

// Match returns, for each query feature in order, its nearest target
// feature by Hamming distance, when the pair passes o's tests. Of target
// features at the same distance the first is the nearest.
//
// It compares every query feature with every target feature: the
// target's descriptors are first copied into one flat array, and a tight
// loop computes four popcounts per pair, keeping the two nearest. The
// cross-check then looks for the nearest query feature of each target
// feature still paired, the same way. This is the exact matcher; the slow
// twin in the tests holds it to its definition.
func Match(query, target []Feature, o MatchOptions) []Pair {
	return MatchWithin(query, target, nil, nil, o)
}

// MatchWithin is Match with the comparisons confined to cells, as DBoW2's
// direct index confines them: query feature i is compared only with the
// target features j of its own cell, tcell[j] == qcell[i], and the
// nearest and second nearest of the ratio test, and of the cross-check,
// are those of the cell. The cells are a partition of the descriptor
// space both sides share — the nodes of a vocabulary tree at one level
// (bow.Vocabulary.Node) — so a pair of near descriptors is nearly always
// in one cell, and a query feature meets about 1/cells of the target's
// features. With qcell or tcell nil (or not as long as its features) all
// features are in one cell: that is Match.
func MatchWithin(query, target []Feature, qcell, tcell []uint32, o MatchOptions) []Pair {
	if len(query) == 0 || len(target) == 0 {
		return nil
	}
	if len(qcell) != len(query) || len(tcell) != len(target) {
		qcell, tcell = nil, nil
	}
	return match(query, qcell, IndexTarget(target, tcell), o)
}

// Indexed is a target's features grouped by cell, as MatchWithin groups
// them for each call: made once for a target matched against many
// queries (a record kept between searches), it saves the grouping and
// the copy of its descriptors each time. It is read-only once made, so
// matchings may share it.
type Indexed struct {
	features []Feature
	cell     []uint32 // nil: one cell
	cells    *cellIndex
}

// IndexTarget groups a target's features fs by their cells cell for
// MatchIndexed; with cell nil, or not as long as fs, all are in one cell.
func IndexTarget(fs []Feature, cell []uint32) *Indexed {
	if len(cell) != len(fs) {
		cell = nil
	}
	return &Indexed{features: fs, cell: cell, cells: newCellIndex(fs, cell)}
}

// MatchIndexed is MatchWithin(query, fs, qcell, cell, o) for the fs and
// cell t was made of, with the same pairs.
func MatchIndexed(query []Feature, qcell []uint32, t *Indexed, o MatchOptions) []Pair {
	if len(query) == 0 || len(t.features) == 0 {
		return nil
	}
	if len(qcell) != len(query) || t.cell == nil {
		if t.cell != nil { // MatchWithin's one cell: t's grouping does not serve
			t = IndexTarget(t.features, nil)
		}
		qcell = nil
	}
	return match(query, qcell, t, o)
}

// match is MatchWithin over t's grouping, qcell as long as query or nil
// as t's cells are.
func match(query []Feature, qcell []uint32, t *Indexed, o MatchOptions) []Pair {
	maxd := o.MaxDistance
	if maxd <= 0 {
		maxd = noDistance
	}
	ratio := o.Ratio
	if ratio <= 0 || ratio >= 1 {
		ratio = 0
	}
	var pairs []Pair
	if kernels {
		pairs = kept(t.cells.nearestAll(query, qcell), len(query), maxd, ratio)
	} else {
		for qi := range query {
			d1, d2, t1 := t.cells.nearest(&query[qi].Desc, cellOf(qcell, qi))
			if keeps(d1, d2, t1, maxd, ratio) {
				pairs = append(pairs, Pair{Query: qi, Target: t1, Distance: d1})
			}
		}
	}
	if o.Mutual {
		pairs = mutual(pairs, query, t.features, qcell, t.cell)
	}
	return pairs
}

// keeps reports whether match keeps the pair of a query feature whose
// nearest target feature is t1 (-1: none) at distance d1, the second
// nearest at d2.
func keeps(d1, d2, t1, maxd int, ratio float64) bool {
	return t1 >= 0 && d1 <= maxd && (ratio == 0 || d2 == noDistance || float64(d1) < ratio*float64(d2))
}

// kept is match's pairs from nearestAll's answers for n query features,
// which it puts back in nearPool: counted first, so that the pairs are
// allocated once.
func kept(near *[]int32, n, maxd int, ratio float64) []Pair {
	defer nearPool.Put(near)
	all := (*near)[:3*n]
	n = 0
	for k := 0; k < len(all); k += 3 {
		if keeps(int(all[k]), int(all[k+1]), int(all[k+2]), maxd, ratio) {
			n++
		}
	}
	if n == 0 {
		return nil
	}
	pairs := make([]Pair, 0, n)
	for k := 0; k < len(all); k += 3 {
		if d1 := int(all[k]); keeps(d1, int(all[k+1]), int(all[k+2]), maxd, ratio) {
			pairs = append(pairs, Pair{Query: k / 3, Target: int(all[k+2]), Distance: d1})
		}
	}
	return pairs
}

// cellOf is the cell of feature i: cell[i], or 0 without cells.
func cellOf(cell []uint32, i int) uint32 {
	if cell == nil {
		return 0
	}
	return cell[i]
}

// cellIndex holds features' descriptors grouped by cell: one flat array,
// the features of a cell together in their order.
type cellIndex struct {
	flat  []Descriptor
	order []int    // the feature at each place of flat
	cells []uint32 // the distinct cells, increasing
	start []int    // where each cell starts in order, and len(order) last
	// slot[c] is cell c's place in cells, -1 for a cell without
	// features, when the cells are few enough small numbers (nil
	// otherwise: cells is searched). A vocabulary's nodes at a level
	// below the leaves are: 32 at level 1, 1,024 at level 2.
	slot []int32
}

// denseCells is how many more cells than features newCellIndex finds by
// slot rather than by binary search: a table that size costs less than
// a search a feature.
const denseCells = 1024

// newCellIndex groups fs by cell (all in cell 0 when cell is nil).
func newCellIndex(fs []Feature, cell []uint32) *cellIndex {
	x := &cellIndex{order: make([]int, len(fs)), flat: make([]Descriptor, len(fs))}
	if cell != nil && x.byCount(fs, cell) {
		return x
	}
	for i := range x.order {
		x.order[i] = i
	}
	if cell != nil {
		// By cell, then index: one key a feature, sorted without a
		// comparison function.
		keys := make([]uint64, len(fs))
		for i := range keys {
			keys[i] = uint64(cell[i])<<32 | uint64(i)
		}
		slices.Sort(keys)
		for k, key := range keys {
			x.order[k] = int(uint32(key))
		}
	}
	for k, i := range x.order {
		x.flat[k] = fs[i].Desc
		if c := cellOf(cell, i); k == 0 || c != x.cells[len(x.cells)-1] {
			x.cells, x.start = append(x.cells, c), append(x.start, k)
		}
	}
	x.start = append(x.start, len(x.order))
	return x
}

// byCount groups the features by cell, then index, by counting, and makes
// slot, when the cells are small enough numbers (see slot); otherwise it
// reports false and does nothing.
func (x *cellIndex) byCount(fs []Feature, cell []uint32) bool {
	if len(cell) == 0 {
		return false
	}
	top := slices.Max(cell)
	if uint64(top) >= uint64(len(cell))+denseCells {
		return false
	}
	x.slot = make([]int32, int(top)+1)
	for _, c := range cell { // counts, then starts, by cell
		x.slot[c]++
	}
	next := int32(0)
	for c, n := range x.slot {
		x.slot[c] = next
		if n > 0 {
			x.cells, x.start = append(x.cells, uint32(c)), append(x.start, int(next))
		}
		next += n
	}
	x.start = append(x.start, len(fs))
	order, flat, slot := x.order[:len(fs)], x.flat[:len(fs)], x.slot
	for i, c := range cell[:len(fs)] {
		k := slot[c]
		order[k] = i
		flat[k] = fs[i].Desc
		slot[c] = k + 1
	}
	for c := range x.slot {
		x.slot[c] = -1
	}
	for k, c := range x.cells {
		x.slot[c] = int32(k)
	}
	return true
}

// nearest returns the distances from q to its nearest and second nearest
// features of cell c and the index of the nearest, -1 when the cell has
// none.
func (x *cellIndex) nearest(q *Descriptor, c uint32) (d1, d2, i1 int) {
	lo, hi, ok := x.span(c)
	if !ok {
		return noDistance, noDistance, -1
	}
	d1, d2, i1 = nearest(q, x.flat[lo:hi])
	return d1, d2, x.order[lo+i1]
}

// span returns where cell c's features are in flat, ok false when it has
// none.
func (x *cellIndex) span(c uint32) (lo, hi int, ok bool) {
	k := 0
	if x.slot != nil {
		if uint64(c) < uint64(len(x.slot)) {
			k = int(x.slot[c])
			ok = k >= 0
		}
	} else {
		k, ok = slices.BinarySearch(x.cells, c)
	}
	if !ok {
		return 0, 0, false
	}
	return x.start[k], x.start[k+1], true
}

// nearestAll is nearest for each feature of query, in cell qcell[i] (0
// for all with qcell nil), by the kernel (package simd, which must be
// Available): the answers for query[i] are at 3i, 3i+1 and 3i+2 of the
// slice returned, which goes back to nearPool after use.
func (x *cellIndex) nearestAll(query []Feature, qcell []uint32) *[]int32 {
	buf := nearPool.Get().(*[]int32)
	*buf = grow(*buf, 5*len(query))
	near, ranges := (*buf)[:3*len(query)], (*buf)[3*len(query):5*len(query)]
	for qi := range query {
		lo, hi, _ := x.span(cellOf(qcell, qi)) // 0, 0 for none
		ranges[2*qi], ranges[2*qi+1] = int32(lo), int32(hi)
	}
	stride := int(unsafe.Sizeof(Feature{}))
	q := unsafe.Slice((*byte)(unsafe.Pointer(&query[0].Desc)), (len(query)-1)*stride+descriptorBytes)
	flat := unsafe.Slice((*byte)(unsafe.Pointer(unsafe.SliceData(x.flat))), len(x.flat)*descriptorBytes)
	simd.Nearest(q, stride, len(query), ranges, flat, near)
	for qi := range query {
		if ranges[2*qi] == ranges[2*qi+1] {
			near[3*qi+2] = -1
		} else {
			near[3*qi+2] = int32(x.order[near[3*qi+2]])
		}
	}
	return buf
}

// kernels says whether FAST, the box sums and the matching loop use the
// kernels of package simd, which give the same answers: when they are
// built in (the tests turn them off to compare).
var kernels = simd.Available

// nearPool holds nearestAll's answers and ranges between matchings.
var nearPool = sync.Pool{New: func() any { return new([]int32) }}

// descriptorBytes is the size of a Descriptor.
const descriptorBytes = int(unsafe.Sizeof(Descriptor{}))

// nearest returns the distances from q to its nearest and second nearest
// descriptors in ds and the index of the nearest.
func nearest(q *Descriptor, ds []Descriptor) (d1, d2, i1 int) {
	d1, d2 = noDistance, noDistance
	a, b, c, e := q[0], q[1], q[2], q[3]
	for j := range ds {
		t := &ds[j]
		d := bits.OnesCount64(a^t[0]) + bits.OnesCount64(b^t[1]) +
			bits.OnesCount64(c^t[2]) + bits.OnesCount64(e^t[3])
		if d < d2 {
			if d < d1 {
				d1, d2, i1 = d, d1, j
			} else {
				d2 = d
			}
		}
	}
	return d1, d2, i1
}

// mutual keeps the pairs whose query feature is also the nearest query
// feature of its cell to their target feature, the first of equals. It
// is a second pass, over the targets of the pairs kept so far only.
func mutual(pairs []Pair, query, target []Feature, qcell, tcell []uint32) []Pair {
	cells := newCellIndex(query, qcell)
	back := make([]int, len(target)) // nearest query feature + 1, 0 for not yet known
	kept := pairs[:0]
	for _, p := range pairs {
		if back[p.Target] == 0 {
			_, _, q := cells.nearest(&target[p.Target].Desc, cellOf(tcell, p.Target))
			back[p.Target] = q + 1
		}
		if back[p.Target]-1 == p.Query {
			kept = append(kept, p)
		}
	}
	return kept
}
