// Package index keeps a gallery's fingerprints in memory and finds the
// targets nearest to a query by Hamming distance.
//
// An Index holds entries, one per gallery target. Each entry has an ID,
// one or more codes (perceptual hashes of the width fixed when the index is
// made, a multiple of 64 bits), an active flag and the attributes filters
// look at. A query also has one or more codes; its distance to an entry is
// the smallest Hamming distance over every pair of a query code and an
// entry code, so several codes per side cover sub-windows of a target or
// flips and rotations of a query.
//
// A search returns the entries within a distance bound, nearest first, at
// most a given number, optionally at most one per product group. It scans
// every code once, linearly, and keeps the best hits in a bounded heap.
// Only entries already within the bound are tested for activity, exclusion
// and the query's attribute filter, so a filter costs nothing on entries
// too far away to matter.
//
// The package uses only the standard library and builds for every target
// Go supports, js/wasm included, so the server and the browser search with
// the same code.
package index

import (
	"errors"
	"fmt"
	"math"
	"sync"
)

// Errors returned by Put and Search, wrapped with context.
var (
	// ErrEmptyID reports an entry without an ID.
	ErrEmptyID = errors.New("index: empty ID")
	// ErrCodeLength reports codes that are empty or not a whole number of
	// codes of the index's width.
	ErrCodeLength = errors.New("index: code length is not a positive multiple of the width")
	// ErrFull reports an index that cannot hold more codes.
	ErrFull = errors.New("index: too many codes")
	// ErrDistance reports a query with a negative MaxDistance.
	ErrDistance = errors.New("index: negative MaxDistance")
)

// maxRows bounds the number of codes so that rows and slots fit in int32.
const maxRows = math.MaxInt32

// Entry is one gallery target as the index sees it.
type Entry struct {
	// ID names the target; it is unique within the index and not empty.
	ID string
	// Codes holds the entry's k >= 1 codes of the index's width,
	// concatenated: len(Codes) is k times Bits()/64.
	Codes []uint64
	// Active entries are found by Search; inactive ones only when the
	// query asks for them.
	Active bool
	// Attrs is what filters look at.
	Attrs Attributes
}

// Attributes are the filterable properties of an entry, as Alibaba Image
// Search defines them.
type Attributes struct {
	Category int32
	Int      [4]int32  // int_attr, int_attr2 .. int_attr4
	Str      [4]string // str_attr, str_attr2 .. str_attr4
	// Group is the product ID: a search can return at most one hit per
	// non-empty group.
	Group string
}

// Index is an in-memory set of entries searched by Hamming distance.
// It is safe for concurrent use by many readers and writers; writers are
// serialised, and readers run in parallel with each other.
//
// Codes are stored in rows: row r is codes[r*words:(r+1)*words] and belongs
// to the entry in slot owner[r], whose code number sub[r] it is. Entries
// live in slots, with their metadata in parallel slices. Removing a code or
// an entry moves the last row or slot into the hole, so removal costs time
// proportional to the entry's codes, not to the index.
type Index struct {
	bits  int
	words int

	mu sync.RWMutex

	// Per row.
	codes []uint64
	owner []int32 // slot of the entry the row belongs to
	sub   []int32 // index of the row's code within its entry

	// Per slot.
	ids    []string
	rows   [][]int32 // the entry's rows, in the order of its codes
	active []bool
	attrs  []Attributes

	slotOf  map[string]int32
	actives int // how many entries are active
}

// New returns an empty index of codes that are bits wide. It panics unless
// bits is a positive multiple of 64.
func New(bits int) *Index {
	if bits <= 0 || bits%64 != 0 {
		panic(fmt.Sprintf("index: width %d bits is not a positive multiple of 64", bits))
	}
	return &Index{
		bits:   bits,
		words:  bits / 64,
		slotOf: make(map[string]int32),
	}
}

// Bits returns the width of the index's codes in bits.
func (x *Index) Bits() int { return x.bits }

// Len returns the number of entries, active or not.
func (x *Index) Len() int {
	x.mu.RLock()
	defer x.mu.RUnlock()
	return len(x.ids)
}

// ActiveLen returns the number of active entries.
func (x *Index) ActiveLen() int {
	x.mu.RLock()
	defer x.mu.RUnlock()
	return x.actives
}

// setActive sets the active flag of slot s, keeping the count.
func (x *Index) setActive(s int32, active bool) {
	if x.active[s] != active {
		if active {
			x.actives++
		} else {
			x.actives--
		}
		x.active[s] = active
	}
}

// Codes returns the number of codes stored, over all entries.
func (x *Index) Codes() int {
	x.mu.RLock()
	defer x.mu.RUnlock()
	return len(x.owner)
}

// Put adds e, or replaces the entry with the same ID. It keeps a copy of
// e.Codes; the caller may reuse the slice.
func (x *Index) Put(e Entry) error {
	if e.ID == "" {
		return ErrEmptyID
	}
	k, ok := x.count(e.Codes)
	if !ok {
		return fmt.Errorf("%w: entry %q has %d words for %d-bit codes", ErrCodeLength, e.ID, len(e.Codes), x.bits)
	}
	x.mu.Lock()
	defer x.mu.Unlock()
	s, ok := x.slotOf[e.ID]
	if ok && len(x.rows[s]) == k {
		for i, r := range x.rows[s] {
			copy(x.row(r), e.Codes[i*x.words:])
		}
		x.setActive(s, e.Active)
		x.attrs[s] = e.Attrs
		return nil
	}
	grow := k
	if ok {
		grow -= len(x.rows[s])
	}
	if len(x.owner)+grow > maxRows {
		return fmt.Errorf("%w: cannot put %q", ErrFull, e.ID)
	}
	if ok {
		x.removeRows(s)
	} else {
		s = int32(len(x.ids))
		x.slotOf[e.ID] = s
		x.ids = append(x.ids, e.ID)
		x.rows = append(x.rows, nil)
		x.active = append(x.active, false)
		x.attrs = append(x.attrs, Attributes{})
	}
	x.setActive(s, e.Active)
	x.attrs[s] = e.Attrs
	x.addRows(s, e.Codes, k)
	return nil
}

// count returns how many codes of the index's width codes holds, and
// whether that is a whole number of at least one.
func (x *Index) count(codes []uint64) (int, bool) {
	return len(codes) / x.words, len(codes) > 0 && len(codes)%x.words == 0
}

// row returns the words of row r.
func (x *Index) row(r int32) []uint64 {
	i := int(r) * x.words
	return x.codes[i : i+x.words : i+x.words]
}

// addRows appends the k codes as rows owned by slot s.
func (x *Index) addRows(s int32, codes []uint64, k int) {
	rows := x.rows[s][:0]
	if cap(rows) < k {
		rows = make([]int32, 0, k)
	}
	for i := 0; i < k; i++ {
		rows = append(rows, int32(len(x.owner)))
		x.owner = append(x.owner, s)
		x.sub = append(x.sub, int32(i))
	}
	x.codes = append(x.codes, codes[:k*x.words]...)
	x.rows[s] = rows
}

// removeRows deletes every row of slot s, filling each hole with the
// current last row. It leaves x.rows[s] empty.
func (x *Index) removeRows(s int32) {
	// Read x.rows[s][i] afresh each time: moving a later row of s into a
	// hole updates its entry in x.rows[s].
	for i := 0; i < len(x.rows[s]); i++ {
		r := x.rows[s][i]
		last := int32(len(x.owner) - 1)
		if r != last {
			copy(x.row(r), x.row(last))
			o, j := x.owner[last], x.sub[last]
			x.owner[r], x.sub[r] = o, j
			x.rows[o][j] = r
		}
		x.owner = x.owner[:last]
		x.sub = x.sub[:last]
		x.codes = x.codes[:int(last)*x.words]
	}
	x.rows[s] = x.rows[s][:0]
}

// Remove deletes the entry with the given ID and reports whether there was
// one.
func (x *Index) Remove(id string) bool {
	x.mu.Lock()
	defer x.mu.Unlock()
	s, ok := x.slotOf[id]
	if !ok {
		return false
	}
	x.removeRows(s)
	x.setActive(s, false)
	delete(x.slotOf, id)
	last := int32(len(x.ids) - 1)
	if s != last {
		x.ids[s] = x.ids[last]
		x.rows[s] = x.rows[last]
		x.active[s] = x.active[last]
		x.attrs[s] = x.attrs[last]
		for _, r := range x.rows[s] {
			x.owner[r] = s
		}
		x.slotOf[x.ids[s]] = s
	}
	// Clear the vacated slot so that it keeps no strings alive.
	x.ids[last], x.rows[last], x.attrs[last] = "", nil, Attributes{}
	x.ids = x.ids[:last]
	x.rows = x.rows[:last]
	x.active = x.active[:last]
	x.attrs = x.attrs[:last]
	return true
}

// SetActive sets whether the entry with the given ID is active and reports
// whether there is such an entry.
func (x *Index) SetActive(id string, active bool) bool {
	x.mu.Lock()
	defer x.mu.Unlock()
	s, ok := x.slotOf[id]
	if ok {
		x.setActive(s, active)
	}
	return ok
}

// Get returns a copy of the entry with the given ID.
func (x *Index) Get(id string) (Entry, bool) {
	x.mu.RLock()
	defer x.mu.RUnlock()
	s, ok := x.slotOf[id]
	if !ok {
		return Entry{}, false
	}
	return x.entry(s), true
}

// entry returns a copy of the entry in slot s.
func (x *Index) entry(s int32) Entry {
	codes := make([]uint64, 0, len(x.rows[s])*x.words)
	for _, r := range x.rows[s] {
		codes = append(codes, x.row(r)...)
	}
	return Entry{ID: x.ids[s], Codes: codes, Active: x.active[s], Attrs: x.attrs[s]}
}

// Each calls fn with a copy of every entry, in no particular order, until
// fn returns false. The entries form one consistent view: Each holds the
// index's read lock throughout, so fn must not call the index's methods,
// and a slow fn delays writers.
func (x *Index) Each(fn func(Entry) bool) {
	x.mu.RLock()
	defer x.mu.RUnlock()
	for s := range x.ids {
		if !fn(x.entry(int32(s))) {
			return
		}
	}
}
