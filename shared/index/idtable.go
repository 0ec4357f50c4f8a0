package index

import "hash/maphash"

// idTable finds an entry's slot by its ID. It is an open-addressing hash
// table of slot numbers with linear probing, keyed by a hash of the ID and
// compared against ids[slot], the index's own copy of it: 4 bytes a cell
// and from 1.33 to 2.67 cells an entry, where a map[string]int32 kept a
// second string header and its own overhead, about 45 bytes an entry.
//
// The table does not keep the IDs: every method takes the index's ids,
// which must hold the ID of every slot the table holds. Removing a cell
// shifts the cells after it back (no tombstones), so a lookup never reads
// further than the run of full cells it starts in.
type idTable struct {
	seed  maphash.Seed
	cells []int32 // a slot, or empty; a power of two long, or nil
	n     int     // full cells
}

// emptyCell marks a cell without a slot.
const emptyCell = -1

// newIDTable returns a table with room for n entries before it grows.
func newIDTable(n int) idTable {
	t := idTable{seed: maphash.MakeSeed()}
	t.resize(n)
	return t
}

// home returns the cell id's search starts at.
func (t *idTable) home(id string) int {
	return int(maphash.String(t.seed, id) & uint64(len(t.cells)-1))
}

// cell returns the cell holding id's slot, or -1 when there is none.
func (t *idTable) cell(ids []string, id string) int {
	if t.n == 0 {
		return -1
	}
	mask := len(t.cells) - 1
	for i := t.home(id); ; i = (i + 1) & mask {
		s := t.cells[i]
		if s == emptyCell {
			return -1
		}
		if ids[s] == id {
			return i
		}
	}
}

// find returns id's slot.
func (t *idTable) find(ids []string, id string) (int32, bool) {
	if i := t.cell(ids, id); i >= 0 {
		return t.cells[i], true
	}
	return 0, false
}

// insert files slot s, whose ID ids[s] the table does not hold yet. The
// table holds slots 0 to s-1, as the index's do: growing, it files them
// anew.
func (t *idTable) insert(ids []string, s int32) {
	if 4*(t.n+1) > 3*len(t.cells) {
		t.rehash(ids[:s], 2*len(t.cells))
	}
	t.place(ids, s)
	t.n++
}

// place puts slot s in the first empty cell from its home on.
func (t *idTable) place(ids []string, s int32) {
	mask := len(t.cells) - 1
	i := t.home(ids[s])
	for t.cells[i] != emptyCell {
		i = (i + 1) & mask
	}
	t.cells[i] = s
}

// remove unfiles id, shifting back the cells after it that would not be
// found past the hole, and reports whether it was there.
func (t *idTable) remove(ids []string, id string) bool {
	i := t.cell(ids, id)
	if i < 0 {
		return false
	}
	mask := len(t.cells) - 1
	for j := (i + 1) & mask; t.cells[j] != emptyCell; j = (j + 1) & mask {
		// The cell j may move back to i unless its home is cyclically
		// in (i, j]: then a lookup would start past the hole.
		if h := t.home(ids[t.cells[j]]); (j-h)&mask >= (j-i)&mask {
			t.cells[i] = t.cells[j]
			i = j
		}
	}
	t.cells[i] = emptyCell
	t.n--
	return true
}

// renumber files slot from, whose ID is ids[from], as slot to: the caller
// then moves the ID to ids[to].
func (t *idTable) renumber(ids []string, from, to int32) {
	if i := t.cell(ids, ids[from]); i >= 0 {
		t.cells[i] = to
	}
}

// resize empties the table and gives it room for n entries.
func (t *idTable) resize(n int) {
	size := 8
	for 3*size < 4*n {
		size *= 2
	}
	t.cells = make([]int32, size)
	for i := range t.cells {
		t.cells[i] = emptyCell
	}
	t.n = 0
}

// rehash files slots 0 to len(ids)-1 anew in a table of at least size
// cells. Every slot must be filed, as it is when the table grows or the
// index compacts.
func (t *idTable) rehash(ids []string, size int) {
	t.resize(max(size*3/4, len(ids)))
	for s := range ids {
		t.place(ids, int32(s))
	}
	t.n = len(ids)
}
