// Package index keeps a gallery's fingerprints in memory and finds the
// targets nearest to a query by Hamming distance.
//
// An Index holds entries, one per gallery target. Each entry has an ID, an
// active flag, the attributes filters look at, and one or more codes. A
// code is a 64-bit key, such as the perceptual hash of one window of the
// target's picture, with Checks check words beside it, and belongs to one
// of the index's tables, such as the kind of window it was taken from.
//
// A query is a set of probes. Each probe has a key, check words, a penalty
// and the set of tables it is compared with; it never meets the codes of
// other tables. The distance of a probe to a code is the Hamming distance
// of the keys plus the penalty, or the distance of a pair of check words
// less the query's slack for that word, whichever is larger; an entry's
// distance is the smallest over its pairs. The match policy, which probes
// meet which tables at what penalty, belongs to the caller.
//
// A search returns the entries within a distance bound, nearest first, at
// most a given number, optionally at most one per product group. It scans
// each table's keys once, linearly, with the probes that name that table,
// and keeps the best hits in a bounded heap. The check words of a pair are
// read only when its key is already within the bound, and only entries
// within the bound are tested for activity, exclusion and the query's
// attribute filter, so checks and filters cost nothing on codes too far
// away to matter.
//
// A table of many rows may keep a multi-index of its keys as well
// (MultiIndexRows; mih.go): a search whose bound is small enough reads
// only the buckets that can hold keys within it, when that reads fewer
// rows than the scan, and finds exactly what the scan would.
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
	"sync/atomic"
)

// Checks is the number of check words beside each key.
const Checks = 3

// MaxCodes is the most codes an entry may have.
const MaxCodes = math.MaxUint8

// maxTables is the most tables an index may have: a probe names its
// tables in a 64-bit mask.
const maxTables = 64

// maxRows bounds the number of codes in a table so that rows and slots
// fit in int32.
const maxRows = math.MaxInt32

// Errors returned by Put and Search, wrapped with context.
var (
	// ErrEmptyID reports an entry without an ID.
	ErrEmptyID = errors.New("index: empty ID")
	// ErrCodeCount reports an entry without codes or with more than
	// MaxCodes.
	ErrCodeCount = errors.New("index: number of codes out of range")
	// ErrTable reports a code whose table is not one of the index's.
	ErrTable = errors.New("index: table out of range")
	// ErrFull reports an index that cannot hold more codes.
	ErrFull = errors.New("index: too many codes")
	// ErrNoProbes reports a query without probes.
	ErrNoProbes = errors.New("index: query without probes")
	// ErrDistance reports a query with a negative MaxDistance.
	ErrDistance = errors.New("index: negative MaxDistance")
	// ErrPenalty reports a probe whose penalty is negative or above
	// MaxPenalty.
	ErrPenalty = errors.New("index: penalty out of range")
	// ErrSlack reports a query with a negative slack.
	ErrSlack = errors.New("index: negative slack")
)

// Code is one code of an entry.
type Code struct {
	// Table is the table the code is searched in, 0 <= Table < Tables().
	Table int
	// Key is the code's hash, the one the search scans.
	Key uint64
	// Checks are compared only for pairs whose keys are within the
	// distance bound.
	Checks [Checks]uint64
}

// Entry is one gallery target as the index sees it.
type Entry struct {
	// ID names the target; it is unique within the index and not empty.
	ID string
	// Codes holds the entry's 1 to MaxCodes codes, in any tables.
	Codes []Code
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
// Each table stores its codes in rows, keys in one contiguous slice so
// that a scan reads nothing else. Entries live in slots, with their
// metadata in parallel slices; a slot lists where each of its codes lives,
// in the order they were put (places.go), and is found by its ID through
// a table of slot numbers (idtable.go). Removing a code or an entry moves the last
// row of the table or the last slot into the hole, so removal costs time
// proportional to the entry's codes, not to the index.
type Index struct {
	mu sync.RWMutex

	tables []table

	// Per slot.
	ids    []string
	places placeList // where the entry's codes live, in their order
	active []bool
	// An entry's Attributes are kept as its group, the ID's own string
	// when they are equal (a CRS target's product is itself), and the
	// rest only for the entries that set any of it: most set none.
	groups []string
	extra  []*Attributes // the whole Attributes, or nil when only Group is set

	slotOf  idTable // slots by ID
	actives int     // how many entries are active
	codes   int     // how many codes, over all tables

	// For tests: alwaysMulti reads a table's multi-index whenever the
	// bound allows, cheaper or not, and multiReads counts the tables read
	// so (searches run in parallel under the read lock).
	alwaysMulti bool
	multiReads  atomic.Int64
}

// New returns an empty index with the given number of tables. It panics
// unless 1 <= tables <= 64.
func New(tables int) *Index {
	if tables < 1 || tables > maxTables {
		panic(fmt.Sprintf("index: %d tables, want 1 to %d", tables, maxTables))
	}
	return &Index{
		tables: make([]table, tables),
		slotOf: newIDTable(0),
	}
}

// MultiIndexRows makes every table of at least rows rows keep a
// multi-index of its keys, which searches within a small enough bound
// read instead of scanning the table (see mih.go); 0, the default, keeps
// none. A table builds it when it reaches rows rows, now if it has them,
// and lets it go when it falls below half as many. Rows put after it is
// built wait in a short tail that searches read whole; once the tail and
// the rows removed since pass a 128th of the table, the change that
// passes it folds them into the buckets (BenchmarkMultiIndexFold: about
// 10 ms at 1M rows, under the write lock). Loading many entries,
// set 0 first and rows after, as a multi-index built once costs less.
func (x *Index) MultiIndexRows(rows int) {
	x.mu.Lock()
	defer x.mu.Unlock()
	for t := range x.tables {
		x.tables[t].multiRows = max(rows, 0)
		x.tables[t].keepMulti()
	}
}

// Compact gives back the room the index's slices grew into while
// entries were put one by one: after a gallery is loaded, up to a fifth
// of its memory. It copies each slice once, a table at a time, packs the
// list of where entries' codes are, sizes the table of IDs to the
// entries, and builds the multi-indexes anew, without tail or tombstones.
func (x *Index) Compact() {
	x.mu.Lock()
	defer x.mu.Unlock()
	for i := range x.tables {
		t := &x.tables[i]
		t.keys, t.checks, t.owner, t.sub = exact(t.keys), exact(t.checks), exact(t.owner), exact(t.sub)
		if t.multi != nil {
			t.multi = newMultiIndex(t.keys)
		}
	}
	x.ids, x.active = exact(x.ids), exact(x.active)
	x.groups, x.extra = exact(x.groups), exact(x.extra)
	x.places.compact()
	x.slotOf.rehash(x.ids, 0)
}

// exact returns a copy of s whose capacity is its length.
func exact[S ~[]E, E any](s S) S {
	if cap(s) == len(s) {
		return s
	}
	out := make(S, len(s))
	copy(out, s)
	return out
}

// Tables returns the number of tables.
func (x *Index) Tables() int { return len(x.tables) }

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

// Codes returns the number of codes stored, over all entries.
func (x *Index) Codes() int {
	x.mu.RLock()
	defer x.mu.RUnlock()
	return x.codes
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

// Put adds e, or replaces the entry with the same ID. It keeps a copy of
// e.Codes; the caller may reuse the slice.
func (x *Index) Put(e Entry) error {
	if err := x.validate(e); err != nil {
		return err
	}
	x.mu.Lock()
	defer x.mu.Unlock()
	s, ok := x.slotOf.find(x.ids, e.ID)
	if ok && x.samePlaces(s, e.Codes) {
		rows, _ := x.places.rows(s)
		for j, c := range e.Codes {
			x.tables[c.Table].set(rows[j], c)
		}
		x.setActive(s, e.Active)
		x.setAttrs(s, e.Attrs)
		return nil
	}
	if err := x.checkRoom(s, ok, e); err != nil {
		return err
	}
	if ok {
		x.removeCodes(s)
	} else {
		s = int32(len(x.ids))
		x.ids = append(x.ids, e.ID)
		x.slotOf.insert(x.ids, s)
		x.places.addSlot()
		x.active = append(x.active, false)
		x.groups = append(x.groups, "")
		x.extra = append(x.extra, nil)
	}
	x.setActive(s, e.Active)
	x.setAttrs(s, e.Attrs)
	x.addCodes(s, e.Codes)
	return nil
}

// validate checks what Put can check without the lock.
func (x *Index) validate(e Entry) error {
	if e.ID == "" {
		return ErrEmptyID
	}
	if len(e.Codes) == 0 || len(e.Codes) > MaxCodes {
		return fmt.Errorf("%w: entry %q has %d codes, want 1 to %d", ErrCodeCount, e.ID, len(e.Codes), MaxCodes)
	}
	for j, c := range e.Codes {
		if c.Table < 0 || c.Table >= len(x.tables) {
			return fmt.Errorf("%w: entry %q code %d is in table %d of %d", ErrTable, e.ID, j, c.Table, len(x.tables))
		}
	}
	return nil
}

// samePlaces reports whether slot s has as many codes as codes, each in
// the same table, so that a replacement can overwrite them in place.
func (x *Index) samePlaces(s int32, codes []Code) bool {
	_, tabs := x.places.rows(s)
	if len(tabs) != len(codes) {
		return false
	}
	for j, c := range codes {
		if int(tabs[j]) != c.Table {
			return false
		}
	}
	return true
}

// checkRoom returns ErrFull if putting e, replacing slot s if replace is
// set, would overflow a table.
func (x *Index) checkRoom(s int32, replace bool, e Entry) error {
	var grow [maxTables]int
	for _, c := range e.Codes {
		grow[c.Table]++
	}
	codes := x.codes + len(e.Codes)
	if replace {
		_, tabs := x.places.rows(s)
		for _, t := range tabs {
			grow[t]--
		}
		codes -= len(tabs)
	}
	if codes > maxRows { // the places of every code are counted in int32
		return fmt.Errorf("%w: cannot put %q: %d codes in all", ErrFull, e.ID, codes)
	}
	for t := range x.tables {
		if len(x.tables[t].keys)+grow[t] > maxRows {
			return fmt.Errorf("%w: cannot put %q in table %d", ErrFull, e.ID, t)
		}
	}
	return nil
}

// addCodes appends codes as rows owned by slot s, whose places are empty.
func (x *Index) addCodes(s int32, codes []Code) {
	rows, tabs := x.places.grant(s, len(codes))
	for j, c := range codes {
		rows[j], tabs[j] = x.tables[c.Table].add(c, s, uint8(j)), uint8(c.Table)
	}
	x.codes += len(codes)
}

// removeCodes deletes every row of slot s, filling each hole with the last
// row of its table. It leaves slot s without codes.
func (x *Index) removeCodes(s int32) {
	// Read rows[j] afresh each time: moving a later code of s into a hole
	// updates its place.
	rows, tabs := x.places.rows(s)
	for j := range rows {
		if o, k, moved := x.tables[tabs[j]].remove(rows[j]); moved {
			orows, _ := x.places.rows(o)
			orows[k] = rows[j]
		}
	}
	x.codes -= len(rows)
	x.places.clear(s)
}

// Remove deletes the entry with the given ID and reports whether there was
// one.
func (x *Index) Remove(id string) bool {
	x.mu.Lock()
	defer x.mu.Unlock()
	s, ok := x.slotOf.find(x.ids, id)
	if !ok {
		return false
	}
	x.removeCodes(s)
	x.setActive(s, false)
	x.slotOf.remove(x.ids, id)
	last := int32(len(x.ids) - 1)
	if s != last {
		x.slotOf.renumber(x.ids, last, s)
		x.ids[s] = x.ids[last]
		x.places.move(last, s)
		x.active[s] = x.active[last]
		x.groups[s] = x.groups[last]
		x.extra[s] = x.extra[last]
		rows, tabs := x.places.rows(s)
		for j, r := range rows {
			x.tables[tabs[j]].owner[r] = s
		}
	}
	// Clear the vacated slot so that it keeps no strings alive.
	x.ids[last], x.groups[last], x.extra[last] = "", "", nil
	x.ids = x.ids[:last]
	x.places.truncate(int(last))
	x.active = x.active[:last]
	x.groups = x.groups[:last]
	x.extra = x.extra[:last]
	return true
}

// SetActive sets whether the entry with the given ID is active and reports
// whether there is such an entry.
func (x *Index) SetActive(id string, active bool) bool {
	x.mu.Lock()
	defer x.mu.Unlock()
	s, ok := x.slotOf.find(x.ids, id)
	if ok {
		x.setActive(s, active)
	}
	return ok
}

// Get returns a copy of the entry with the given ID.
func (x *Index) Get(id string) (Entry, bool) {
	x.mu.RLock()
	defer x.mu.RUnlock()
	s, ok := x.slotOf.find(x.ids, id)
	if !ok {
		return Entry{}, false
	}
	return x.entry(s), true
}

// entry returns a copy of the entry in slot s, its codes in the order
// they were put.
func (x *Index) entry(s int32) Entry {
	rows, tabs := x.places.rows(s)
	codes := make([]Code, len(rows))
	for j, r := range rows {
		codes[j] = x.tables[tabs[j]].code(int(tabs[j]), r)
	}
	return Entry{ID: x.ids[s], Codes: codes, Active: x.active[s], Attrs: x.attrsOf(s)}
}

// setAttrs keeps a as slot s's attributes.
func (x *Index) setAttrs(s int32, a Attributes) {
	x.groups[s], x.extra[s] = a.Group, nil
	if a.Group == x.ids[s] {
		x.groups[s] = x.ids[s] // one string for both
	}
	if a != (Attributes{Group: a.Group}) {
		x.extra[s] = &a
	}
}

// attrsRef returns slot s's attributes for a filter to read: the kept
// ones, or a copy made of the group alone.
func (x *Index) attrsRef(s int32) *Attributes {
	if a := x.extra[s]; a != nil {
		return a
	}
	return &Attributes{Group: x.groups[s]}
}

// attrsOf returns slot s's attributes.
func (x *Index) attrsOf(s int32) Attributes {
	if a := x.extra[s]; a != nil {
		return *a
	}
	return Attributes{Group: x.groups[s]}
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

// EachID calls fn with the ID of every entry, in no particular order,
// until fn returns false: Each without copying the entries, under the
// same read lock and with the same rule (fn must not call the index).
func (x *Index) EachID(fn func(id string) bool) {
	x.mu.RLock()
	defer x.mu.RUnlock()
	for _, id := range x.ids {
		if !fn(id) {
			return
		}
	}
}
