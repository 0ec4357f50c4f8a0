package index

// table holds the codes of one table in rows: row r has key keys[r] and
// check words checks[r], and is code number sub[r] of the entry in slot
// owner[r]. Keys have a slice of their own so that a scan reads 8 bytes
// per code and nothing else.
type table struct {
	keys   []uint64
	checks [][Checks]uint64
	owner  []int32
	sub    []uint8

	// multi is the table's multi-index, kept while it has at least
	// multiRows rows (and until it falls below half that); nil otherwise,
	// and always when multiRows is 0.
	multi     *multiIndex
	multiRows int
}

// add appends c as a row owned by slot s as its code j, and returns the
// row.
func (t *table) add(c Code, s int32, j uint8) int32 {
	r := int32(len(t.keys))
	t.keys = append(t.keys, c.Key)
	t.checks = append(t.checks, c.Checks)
	t.owner = append(t.owner, s)
	t.sub = append(t.sub, j)
	if t.multi != nil {
		t.multi.add(r)
	}
	t.keepMulti()
	return r
}

// set overwrites the key and checks of row r with c's.
func (t *table) set(r int32, c Code) {
	if t.multi != nil && t.keys[r] != c.Key {
		t.multi.drop(r, t.keys[r])
		t.multi.add(r)
	}
	t.keys[r] = c.Key
	t.checks[r] = c.Checks
	t.keepMulti()
}

// code returns the code in row r of t, which is table number tab.
func (t *table) code(tab int, r int32) Code {
	return Code{Table: tab, Key: t.keys[r], Checks: t.checks[r]}
}

// remove deletes row r by moving the last row into it. If a row moved, it
// reports the slot and code number of the moved row, whose place is now
// r.
func (t *table) remove(r int32) (owner int32, sub uint8, moved bool) {
	last := int32(len(t.keys) - 1)
	if t.multi != nil {
		t.multi.drop(r, t.keys[r])
		if r != last {
			t.multi.renumber(last, r, t.keys[last])
		}
	}
	if r != last {
		t.keys[r] = t.keys[last]
		t.checks[r] = t.checks[last]
		t.owner[r] = t.owner[last]
		t.sub[r] = t.sub[last]
		owner, sub, moved = t.owner[r], t.sub[r], true
	}
	t.keys = t.keys[:last]
	t.checks = t.checks[:last]
	t.owner = t.owner[:last]
	t.sub = t.sub[:last]
	t.keepMulti()
	return owner, sub, moved
}

// keepMulti builds the multi-index when the table has reached multiRows
// rows, and lets it go when the table has fallen below half that (or
// multiRows is 0), so that a table near the limit does not build it again
// and again; in between, it builds the buckets again when they are stale.
func (t *table) keepMulti() {
	switch n := len(t.keys); {
	case t.multi == nil && t.multiRows > 0 && n >= t.multiRows:
		t.multi = newMultiIndex(t.keys)
	case t.multi != nil && (t.multiRows == 0 || n < t.multiRows/2):
		t.multi = nil
	case t.multi != nil && t.multi.stale():
		t.multi.fold(t.keys)
	}
}
