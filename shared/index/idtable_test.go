package index

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

// TestIDTableAgainstMap runs random inserts, removals and renumberings on
// an ID table kept as the index keeps it (slots 0 to n-1, a removed slot
// filled from the last) and on a map: every lookup agrees with the map,
// and every few steps every ID is found at the map's slot, no other ID is
// found, and the table's cells hold each slot once.
func TestIDTableAgainstMap(t *testing.T) {
	for _, pool := range []int{3, 50, 2000} {
		rnd := rand.New(rand.NewPCG(uint64(pool), 9))
		tab := newIDTable(0)
		var ids []string
		model := map[string]int32{}
		for step := range 20000 {
			id := fmt.Sprintf("id-%d", rnd.IntN(pool))
			s, ok := tab.find(ids, id)
			if ws, wok := model[id]; ok != wok || ok && s != ws {
				t.Fatalf("pool %d step %d: find(%q) = %d, %v; want %d, %v", pool, step, id, s, ok, ws, wok)
			}
			switch {
			case !ok:
				ids = append(ids, id)
				tab.insert(ids, int32(len(ids)-1))
				model[id] = int32(len(ids) - 1)
			case rnd.IntN(3) > 0:
				if !tab.remove(ids, id) {
					t.Fatalf("pool %d step %d: remove(%q) found nothing", pool, step, id)
				}
				delete(model, id)
				last := int32(len(ids) - 1)
				if s != last {
					tab.renumber(ids, last, s)
					ids[s] = ids[last]
					model[ids[s]] = s
				}
				ids = ids[:last]
			}
			if step%1000 == 0 {
				tab.rehash(ids, 0)
			}
			if step%20 == 0 || len(model) < 60 {
				checkIDTable(t, &tab, ids, model)
			}
		}
		checkIDTable(t, &tab, ids, model)
	}
}

// checkIDTable compares the table with the model.
func checkIDTable(t *testing.T, tab *idTable, ids []string, model map[string]int32) {
	t.Helper()
	if tab.n != len(model) || len(ids) != len(model) {
		t.Fatalf("table holds %d, ids %d, model %d", tab.n, len(ids), len(model))
	}
	seen := make([]bool, len(ids))
	for _, s := range tab.cells {
		if s == emptyCell {
			continue
		}
		if s < 0 || int(s) >= len(ids) || seen[s] {
			t.Fatalf("cell holds slot %d of %d, or twice", s, len(ids))
		}
		seen[s] = true
	}
	for id, want := range model {
		if s, ok := tab.find(ids, id); !ok || s != want {
			t.Fatalf("find(%q) = %d, %v; want %d", id, s, ok, want)
		}
	}
	if _, ok := tab.find(ids, "absent"); ok {
		t.Fatal("found an ID never put")
	}
}
