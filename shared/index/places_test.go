package index

import (
	"math/rand/v2"
	"slices"
	"testing"
)

// checkPlaces verifies a place list's bookkeeping: runs within the flat
// slices, no two slots sharing a code, and the dead count what no run
// covers.
func checkPlaces(t *testing.T, p *placeList) {
	t.Helper()
	if len(p.row) != len(p.tab) {
		t.Fatalf("places: %d rows, %d tables", len(p.row), len(p.tab))
	}
	owned := make([]bool, len(p.row))
	live := 0
	for s := range p.at {
		at, n := int(p.at[s]), int(p.n[s])
		if n > 0 && (at < 0 || at+n > len(p.row)) {
			t.Fatalf("places: slot %d's run [%d, %d) of %d", s, at, at+n, len(p.row))
		}
		for i := at; i < at+n; i++ {
			if owned[i] {
				t.Fatalf("places: code %d in two runs", i)
			}
			owned[i] = true
		}
		live += n
	}
	if live+p.dead != len(p.row) {
		t.Fatalf("places: %d live and %d dead of %d", live, p.dead, len(p.row))
	}
}

// TestPlaceListAgainstModel runs random grants, clears, moves and
// truncations on a place list and on a slice of slices: every slot's run
// holds what the model's does (checked every few steps), whatever
// packing happened meanwhile.
func TestPlaceListAgainstModel(t *testing.T) {
	rnd := rand.New(rand.NewPCG(1, 2))
	var p placeList
	var model [][]int32
	packs := 0
	for step := range 5000 {
		switch op := rnd.IntN(10); {
		case op < 3 || len(model) == 0:
			p.addSlot()
			model = append(model, nil)
		case op < 7:
			s := int32(rnd.IntN(len(model)))
			p.clear(s)
			n := 1 + rnd.IntN(12)
			before := len(p.row)
			rows, tabs := p.grant(s, n)
			if len(p.row) < before {
				packs++
			}
			model[s] = model[s][:0]
			for j := range rows {
				rows[j], tabs[j] = int32(step*16+j), uint8(j)
				model[s] = append(model[s], rows[j])
			}
		case op < 8:
			s := int32(rnd.IntN(len(model)))
			p.clear(s)
			model[s] = nil
		default:
			s, last := int32(rnd.IntN(len(model))), int32(len(model)-1)
			p.clear(s)
			if s != last {
				p.move(last, s)
				model[s] = model[last]
			}
			p.truncate(int(last))
			model = model[:last]
		}
		if step%97 == 0 {
			p.compact()
		}
		if step%10 != 0 {
			continue
		}
		checkPlaces(t, &p)
		for s, want := range model {
			rows, tabs := p.rows(int32(s))
			if !slices.Equal(rows, want) {
				t.Fatalf("step %d: slot %d has rows %v, want %v", step, s, rows, want)
			}
			for j, tb := range tabs {
				if int(tb) != j {
					t.Fatalf("step %d: slot %d code %d in table %d", step, s, j, tb)
				}
			}
		}
	}
	if packs == 0 {
		t.Error("no grant packed the list")
	}
}
