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
}

// add appends c as a row owned by slot s as its code j, and returns the
// row.
func (t *table) add(c Code, s int32, j uint8) int32 {
	r := int32(len(t.keys))
	t.keys = append(t.keys, c.Key)
	t.checks = append(t.checks, c.Checks)
	t.owner = append(t.owner, s)
	t.sub = append(t.sub, j)
	return r
}

// set overwrites the key and checks of row r with c's.
func (t *table) set(r int32, c Code) {
	t.keys[r] = c.Key
	t.checks[r] = c.Checks
}

// code returns the code in row p.row, which is in table p.table.
func (t *table) code(p place) Code {
	return Code{Table: int(p.table), Key: t.keys[p.row], Checks: t.checks[p.row]}
}

// remove deletes row r by moving the last row into it. If a row moved, it
// reports the slot and code number of the moved row, whose place is now
// r.
func (t *table) remove(r int32) (owner int32, sub uint8, moved bool) {
	last := int32(len(t.keys) - 1)
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
	return owner, sub, moved
}
