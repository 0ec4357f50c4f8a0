package index

import (
	"context"
	"fmt"
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
	for k := range parts {
		seen := make([]int, len(tab.keys))
		for v, b := range tab.multi.buckets[k] {
			for _, r := range b {
				if int(r) >= len(tab.keys) || part(tab.keys[r], k) != uint16(v) {
					t.Fatalf("table %d part %d: bucket %#x holds row %d of %d", i, k, v, r, len(tab.keys))
				}
				seen[r]++
			}
		}
		for r, n := range seen {
			if n != 1 {
				t.Fatalf("table %d part %d: row %d filed %d times", i, k, r, n)
			}
		}
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
