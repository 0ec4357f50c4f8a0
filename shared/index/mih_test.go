package index

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
)

// checkMulti verifies a table's multi-index: present exactly when the
// table's size asks for it, and every row filed once in each part's
// bucket of its key, and nowhere else.
func checkMulti(t *testing.T, i int, tab *table) {
	t.Helper()
	if tab.multi == nil {
		if tab.multiRows > 0 && len(tab.keys) >= tab.multiRows {
			t.Fatalf("table %d has %d rows and no multi-index (from %d rows)", i, len(tab.keys), tab.multiRows)
		}
		return
	}
	if tab.multiRows == 0 || len(tab.keys) < tab.multiRows/2 {
		t.Fatalf("table %d keeps a multi-index at %d rows (from %d rows)", i, len(tab.keys), tab.multiRows)
	}
	m := tab.multi
	inTail := make([]bool, len(tab.keys))
	for _, r := range m.tail {
		if r < 0 || int(r) >= len(tab.keys) || inTail[r] {
			t.Fatalf("table %d: tail holds row %d of %d, or twice", i, r, len(tab.keys))
		}
		inTail[r] = true
	}
	for k := range parts {
		d := &m.dirs[k]
		if len(d.start) != 1<<partBits+1 || d.start[0] != 0 || int(d.start[1<<partBits]) != len(d.rows) || len(d.rows) != m.filed {
			t.Fatalf("table %d part %d: directory of %d, %d rows, %d filed", i, k, len(d.start), len(d.rows), m.filed)
		}
		seen, dead := make([]int, len(tab.keys)), 0
		for v := range 1 << partBits {
			for _, r := range d.bucket(uint16(v)) {
				if r == tombstone {
					dead++
					continue
				}
				if int(r) >= len(tab.keys) || int(r) >= m.filed || part(tab.keys[r], k) != uint16(v) {
					t.Fatalf("table %d part %d: bucket %#x holds row %d of %d (%d filed)", i, k, v, r, len(tab.keys), m.filed)
				}
				seen[r]++
			}
		}
		if dead != m.dead {
			t.Fatalf("table %d part %d: %d tombstones, %d counted", i, k, dead, m.dead)
		}
		for r, n := range seen {
			if inTail[r] {
				n++
			}
			if n != 1 {
				t.Fatalf("table %d part %d: row %d filed %d times", i, k, r, n)
			}
		}
	}
	if m.stale() {
		t.Fatalf("table %d: a stale multi-index (%d in the tail, %d dead, %d filed)", i, len(m.tail), m.dead, m.filed)
	}
}

// TestCompactKeepsEverything compacts an index built by puts, removes and
// replacements, with and without multi-indexes: its layout stays sound,
// every entry is as it was, and searches answer as the model does.
func TestCompactKeepsEverything(t *testing.T) {
	for _, multi := range []bool{false, true} {
		g := newGen(21, 5)
		x, m := New(5), newModel()
		if multi {
			x.MultiIndexRows(20)
			x.alwaysMulti = true
		}
		for i := range 400 {
			id := fmt.Sprintf("t%03d", g.rnd.IntN(150))
			if i%7 == 0 {
				x.Remove(id)
				delete(m.entries, id)
				continue
			}
			e := g.entry(id, 6)
			if err := x.Put(e); err != nil {
				t.Fatal(err)
			}
			m.put(e)
		}
		x.Compact()
		checkLayout(t, x)
		checkContents(t, x, m)
		for range 200 {
			q := g.query(10, nil)
			if got, err := x.Search(context.Background(), q); err != nil || !slices.Equal(got, m.search(q)) {
				t.Fatalf("multi %v: after Compact, Search(%+v) = %v, %v; want %v", multi, q, got, err, m.search(q))
			}
		}
		for t0 := range x.tables {
			if tab := &x.tables[t0]; cap(tab.keys) != len(tab.keys) || cap(tab.checks) != len(tab.checks) {
				t.Errorf("table %d: %d keys in room for %d after Compact", t0, len(tab.keys), cap(tab.keys))
			}
		}
	}
}

// TestMultiIndexAgainstScan puts, replaces (in place and not), removes
// and deactivates entries at random in an index whose tables keep
// multi-indexes, and after every few changes searches both through them
// and by the scan (the multi-indexes set aside): the hits must be the
// same. The tables are large enough for the buckets to hold tombstones
// and a tail between rebuilds, and the searches run in every such state.
func TestMultiIndexAgainstScan(t *testing.T) {
	const tables = 2
	g := newGen(31, tables)
	x := New(tables)
	x.MultiIndexRows(300)
	x.alwaysMulti = true
	random := func() Code {
		c := g.code()
		if g.rnd.IntN(2) == 0 {
			c.Key = g.rnd.Uint64() // spread over the buckets, not clustered
		}
		return c
	}
	var ids []string
	for i := range 1500 {
		ids = append(ids, fmt.Sprintf("t%04d", i))
	}
	withTail, withDead, rebuilt := 0, 0, 0
	filed := map[*multiIndex]int{}
	for step := range 3000 {
		id := ids[g.rnd.IntN(len(ids))]
		switch op := g.rnd.IntN(10); {
		case op < 5:
			e := g.entry(id, 3)
			for j := range e.Codes {
				e.Codes[j] = random()
			}
			if old, ok := x.Get(id); ok && g.rnd.IntN(2) == 0 {
				e.Codes = old.Codes // the same tables: replaced in place
				e.Codes[0].Key = random().Key
			}
			if err := x.Put(e); err != nil {
				t.Fatal(err)
			}
		case op < 8:
			x.Remove(id)
		default:
			x.SetActive(id, g.rnd.IntN(2) == 0)
		}
		for i := range x.tables {
			if m := x.tables[i].multi; m != nil {
				if f, ok := filed[m]; ok && f != m.filed {
					rebuilt++
				}
				filed[m] = m.filed
			}
		}
		if step%10 != 0 {
			continue
		}
		for i := range x.tables {
			if m := x.tables[i].multi; m != nil && len(m.tail) > 0 {
				withTail++
			}
			if m := x.tables[i].multi; m != nil && m.dead > 0 {
				withDead++
			}
		}
		for range 3 {
			q := g.query(6, ids)
			q.MaxDistance = g.rnd.IntN(maxRadius + 1)
			got, err := x.Search(context.Background(), q)
			want, err2 := scanned(x, q)
			if err != nil || err2 != nil || !slices.Equal(got, want) {
				t.Fatalf("step %d: Search(%+v)\n through the multi-indexes %v (%v)\n by the scan %v (%v)", step, q, got, err, want, err2)
			}
		}
	}
	checkLayout(t, x)
	if withTail == 0 || withDead == 0 || rebuilt == 0 || x.multiReads.Load() == 0 {
		t.Errorf("the test missed a state: %d searches with a tail, %d with tombstones, %d rebuilds, %d tables read by multi-index",
			withTail, withDead, rebuilt, x.multiReads.Load())
	}
}

// scanned searches x by the scan alone, its multi-indexes set aside.
func scanned(x *Index, q Query) ([]Hit, error) {
	saved := make([]*multiIndex, len(x.tables))
	for i := range x.tables {
		saved[i], x.tables[i].multi = x.tables[i].multi, nil
	}
	defer func() {
		for i := range x.tables {
			x.tables[i].multi = saved[i]
		}
	}()
	return x.Search(context.Background(), q)
}

// TestTableMultiIndexAgainstModel adds, overwrites and removes rows of a
// table keeping a multi-index, and the same in a plain slice of keys:
// after every change the table's keys are the model's, and (every few
// changes) its buckets and tail file every row once, in the buckets of its key (checkMulti),
// through tails, tombstones and folds.
func TestTableMultiIndexAgainstModel(t *testing.T) {
	rnd := rand.New(rand.NewPCG(5, 8))
	tab := table{multiRows: 50}
	var model []uint64
	folds, waiting := 0, false
	for step := range 4000 {
		key := rnd.Uint64()
		if rnd.IntN(3) == 0 && len(model) > 0 {
			key = model[rnd.IntN(len(model))] ^ 1<<rnd.IntN(64) // a near-duplicate
		}
		switch op := rnd.IntN(10); {
		case op < 5 || len(model) == 0:
			tab.add(Code{Key: key}, 0, 0)
			model = append(model, key)
		case op < 7:
			r := rnd.IntN(len(model))
			tab.set(int32(r), Code{Key: key})
			model[r] = key
		default:
			r, last := rnd.IntN(len(model)), len(model)-1
			tab.remove(int32(r))
			model[r] = model[last]
			model = model[:last]
		}
		folded := false
		if m := tab.multi; m != nil && len(m.tail) == 0 && m.dead == 0 && waiting {
			folds, folded = folds+1, true
		}
		waiting = tab.multi != nil && len(tab.multi.tail)+tab.multi.dead > 0
		if !slices.Equal(tab.keys, model) {
			t.Fatalf("step %d: the table's keys are not the model's", step)
		}
		if step%100 == 0 || folded && folds%4 == 1 {
			checkMulti(t, 0, &tab)
		}
	}
	if folds == 0 {
		t.Error("the buckets were never folded")
	}
}
