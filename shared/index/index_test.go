package index

import (
	"context"
	"errors"
	"fmt"
	"math/bits"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
)

// model is the reference the index is checked against: a map of entries
// searched by brute force, with every rule of Search written out plainly.
type model struct {
	bits    int
	entries map[string]Entry
}

func (m *model) put(e Entry) {
	e.Codes = slices.Clone(e.Codes)
	m.entries[e.ID] = e
}

func (m *model) search(q Query) []Hit {
	words := m.bits / 64
	var all []Hit
	for _, e := range m.entries {
		if e.ID == q.Exclude || !(e.Active || q.IncludeInactive) {
			continue
		}
		if q.Filter != nil && !q.Filter.Match(&e.Attrs) {
			continue
		}
		best := Hit{ID: e.ID, Distance: -1}
		for ec := 0; ec < len(e.Codes)/words; ec++ {
			for qc := 0; qc < len(q.Codes)/words; qc++ {
				d := 0
				for w := 0; w < words; w++ {
					d += bits.OnesCount64(e.Codes[ec*words+w] ^ q.Codes[qc*words+w])
				}
				if best.Distance < 0 || d < best.Distance {
					best.Distance, best.EntryCode, best.QueryCode = d, ec, qc
				}
			}
		}
		if best.Distance <= q.MaxDistance {
			all = append(all, best)
		}
	}
	slices.SortFunc(all, func(a, b Hit) int {
		if a.Distance != b.Distance {
			return a.Distance - b.Distance
		}
		return strings.Compare(a.ID, b.ID)
	})
	limit := max(q.Limit, 1)
	var hits []Hit
	seen := map[string]bool{}
	for _, h := range all {
		if len(hits) == limit {
			break
		}
		if g := m.entries[h.ID].Attrs.Group; q.DistinctGroups && g != "" {
			if seen[g] {
				continue
			}
			seen[g] = true
		}
		hits = append(hits, h)
	}
	return hits
}

// gen makes random entries and queries whose codes cluster around a few
// centres, so that small distances, ties and shared groups are common.
type gen struct {
	rnd     *rand.Rand
	words   int
	centres [][]uint64
}

func newGen(seed uint64, bits int) *gen {
	g := &gen{rnd: rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)), words: bits / 64}
	for range 6 {
		c := make([]uint64, g.words)
		for i := range c {
			c[i] = g.rnd.Uint64()
		}
		g.centres = append(g.centres, c)
	}
	return g
}

// codes returns k codes, each a centre with a few bits flipped.
func (g *gen) codes(k int) []uint64 {
	out := make([]uint64, 0, k*g.words)
	for range k {
		code := slices.Clone(g.centres[g.rnd.IntN(len(g.centres))])
		for range g.rnd.IntN(10) {
			b := g.rnd.IntN(64 * g.words)
			code[b/64] ^= 1 << (b % 64)
		}
		out = append(out, code...)
	}
	return out
}

func (g *gen) pick(options ...string) string { return options[g.rnd.IntN(len(options))] }

func (g *gen) entry(id string, maxCodes int) Entry {
	a := Attributes{
		Category: int32(g.rnd.IntN(3)),
		Group:    g.pick("", "", "g1", "g2", "g3"),
	}
	for i := range a.Int {
		a.Int[i] = int32(g.rnd.IntN(5))
		a.Str[i] = g.pick("", "a", "b")
	}
	return Entry{
		ID:     id,
		Codes:  g.codes(1 + g.rnd.IntN(maxCodes)),
		Active: g.rnd.IntN(5) != 0,
		Attrs:  a,
	}
}

func (g *gen) query(maxCodes int, ids []string) Query {
	q := Query{
		Codes:           g.codes(1 + g.rnd.IntN(maxCodes)),
		Limit:           g.rnd.IntN(12) - 1,
		MaxDistance:     g.rnd.IntN(25),
		IncludeInactive: g.rnd.IntN(3) == 0,
		DistinctGroups:  g.rnd.IntN(2) == 0,
	}
	if g.rnd.IntN(8) == 0 {
		q.MaxDistance = g.rnd.IntN(64*g.words + 10)
	}
	if g.rnd.IntN(4) == 0 && len(ids) > 0 {
		q.Exclude = ids[g.rnd.IntN(len(ids))]
	}
	switch c, v := int32(g.rnd.IntN(3)), g.pick("a", "b"); g.rnd.IntN(4) {
	case 1:
		q.Filter = FilterFunc(func(a *Attributes) bool { return a.Category == c })
	case 2:
		q.Filter = FilterFunc(func(a *Attributes) bool { return a.Int[1] >= c && a.Str[2] != v })
	}
	return q
}

// checkLayout verifies the index's internal bookkeeping: every row owned by
// a slot that lists it, every slot found by its ID.
func checkLayout(t *testing.T, x *Index) {
	t.Helper()
	n := len(x.ids)
	if len(x.rows) != n || len(x.active) != n || len(x.attrs) != n || len(x.slotOf) != n {
		t.Fatalf("slot slices disagree: ids %d rows %d active %d attrs %d map %d",
			n, len(x.rows), len(x.active), len(x.attrs), len(x.slotOf))
	}
	if len(x.sub) != len(x.owner) || len(x.codes) != len(x.owner)*x.words {
		t.Fatalf("row slices disagree: owner %d sub %d codes %d", len(x.owner), len(x.sub), len(x.codes))
	}
	total := 0
	for s, id := range x.ids {
		if x.slotOf[id] != int32(s) {
			t.Fatalf("slot %d holds %q, map says %d", s, id, x.slotOf[id])
		}
		for j, r := range x.rows[s] {
			if x.owner[r] != int32(s) || x.sub[r] != int32(j) {
				t.Fatalf("slot %d code %d is row %d, owned by %d as code %d", s, j, r, x.owner[r], x.sub[r])
			}
		}
		total += len(x.rows[s])
	}
	if total != len(x.owner) {
		t.Fatalf("slots list %d rows, index has %d", total, len(x.owner))
	}
}

func TestAgainstBruteForce(t *testing.T) {
	tests := []struct {
		bits         int
		entryCodes   int // most codes per entry
		queryCodes   int // most codes per query
		ids          int // size of the ID pool: smaller means more replacing
		steps        int
		seed         uint64
		wantMatching int // searches with at least one hit, at least
	}{
		{bits: 64, entryCodes: 1, queryCodes: 1, ids: 300, steps: 3000, seed: 1},
		{bits: 64, entryCodes: 4, queryCodes: 8, ids: 300, steps: 3000, seed: 2},
		{bits: 64, entryCodes: 3, queryCodes: 2, ids: 40, steps: 2000, seed: 3},
		{bits: 64, entryCodes: 2, queryCodes: 20, ids: 200, steps: 2000, seed: 8},
		{bits: 128, entryCodes: 3, queryCodes: 3, ids: 200, steps: 2000, seed: 4},
		{bits: 192, entryCodes: 2, queryCodes: 4, ids: 200, steps: 2000, seed: 5},
		{bits: 256, entryCodes: 1, queryCodes: 1, ids: 300, steps: 3000, seed: 6},
		{bits: 256, entryCodes: 4, queryCodes: 8, ids: 300, steps: 3000, seed: 7},
	}
	for _, tt := range tests {
		name := fmt.Sprintf("bits=%d/codes=%d/queries=%d/ids=%d", tt.bits, tt.entryCodes, tt.queryCodes, tt.ids)
		t.Run(name, func(t *testing.T) {
			g := newGen(tt.seed, tt.bits)
			x := New(tt.bits)
			m := &model{bits: tt.bits, entries: map[string]Entry{}}
			var ids []string
			for i := range tt.ids {
				ids = append(ids, fmt.Sprintf("t%03d", i))
			}
			matching := 0
			for step := range tt.steps {
				id := ids[g.rnd.IntN(len(ids))]
				switch op := g.rnd.IntN(10); {
				case op < 4:
					e := g.entry(id, tt.entryCodes)
					if err := x.Put(e); err != nil {
						t.Fatalf("step %d: Put: %v", step, err)
					}
					m.put(e)
				case op < 5:
					_, had := m.entries[id]
					if got := x.Remove(id); got != had {
						t.Fatalf("step %d: Remove(%q) = %v, want %v", step, id, got, had)
					}
					delete(m.entries, id)
				case op < 6:
					e, had := m.entries[id]
					active := g.rnd.IntN(2) == 0
					if got := x.SetActive(id, active); got != had {
						t.Fatalf("step %d: SetActive(%q) = %v, want %v", step, id, got, had)
					}
					if had {
						e.Active = active
						m.entries[id] = e
					}
				default:
					q := g.query(tt.queryCodes, ids)
					got, err := x.Search(context.Background(), q)
					if err != nil {
						t.Fatalf("step %d: Search: %v", step, err)
					}
					want := m.search(q)
					if !slices.Equal(got, want) {
						t.Fatalf("step %d: Search(%+v)\n got %v\nwant %v", step, q, got, want)
					}
					if len(got) > 0 {
						matching++
					}
				}
			}
			checkLayout(t, x)
			checkContents(t, x, m)
			if matching < tt.steps/10 {
				t.Errorf("only %d of %d steps were searches with hits: the test data is too sparse", matching, tt.steps)
			}
		})
	}
}

// checkContents compares every entry of x with the model through Get, Each
// and Len.
func checkContents(t *testing.T, x *Index, m *model) {
	t.Helper()
	if x.Len() != len(m.entries) {
		t.Fatalf("Len() = %d, want %d", x.Len(), len(m.entries))
	}
	codes, actives := 0, 0
	for id, want := range m.entries {
		got, ok := x.Get(id)
		if !ok || !equalEntries(got, want) {
			t.Fatalf("Get(%q) = %+v, %v; want %+v", id, got, ok, want)
		}
		codes += len(want.Codes) / x.words
		if want.Active {
			actives++
		}
	}
	if x.ActiveLen() != actives {
		t.Fatalf("ActiveLen() = %d, want %d", x.ActiveLen(), actives)
	}
	if x.Codes() != codes {
		t.Fatalf("Codes() = %d, want %d", x.Codes(), codes)
	}
	seen := 0
	x.Each(func(e Entry) bool {
		if want, ok := m.entries[e.ID]; !ok || !equalEntries(e, want) {
			t.Fatalf("Each gave %+v, want %+v", e, want)
		}
		seen++
		return true
	})
	if seen != len(m.entries) {
		t.Fatalf("Each gave %d entries, want %d", seen, len(m.entries))
	}
}

func equalEntries(a, b Entry) bool {
	return a.ID == b.ID && a.Active == b.Active && a.Attrs == b.Attrs && slices.Equal(a.Codes, b.Codes)
}

func TestSearchExamples(t *testing.T) {
	x := New(64)
	put := func(id string, group string, codes ...uint64) {
		t.Helper()
		if err := x.Put(Entry{ID: id, Codes: codes, Active: true, Attrs: Attributes{Group: group}}); err != nil {
			t.Fatal(err)
		}
	}
	put("b", "", 0b0111, 0b0001)   // nearest to 0: code 1 at distance 1
	put("a", "p", 0b1000)          // distance 1 to 0, lower ID than b
	put("c", "p", 0b1100, 0b0011)  // distance 2, same group as a
	put("d", "", 0xff)             // distance 8
	put("e", "", 0b0110, 0b000011) // distance 2 twice: code 0 wins
	tests := []struct {
		name string
		q    Query
		want []Hit
	}{
		{"limit zero means one", Query{Codes: []uint64{0}, MaxDistance: 64},
			[]Hit{{ID: "a", Distance: 1}}},
		{"ties by ID, then entry code", Query{Codes: []uint64{0}, MaxDistance: 2, Limit: 10},
			[]Hit{{ID: "a", Distance: 1}, {ID: "b", Distance: 1, EntryCode: 1}, {ID: "c", Distance: 2}, {ID: "e", Distance: 2}}},
		{"distinct groups", Query{Codes: []uint64{0}, MaxDistance: 2, Limit: 10, DistinctGroups: true},
			[]Hit{{ID: "a", Distance: 1}, {ID: "b", Distance: 1, EntryCode: 1}, {ID: "e", Distance: 2}}},
		{"exclude", Query{Codes: []uint64{0}, MaxDistance: 1, Limit: 10, Exclude: "a"},
			[]Hit{{ID: "b", Distance: 1, EntryCode: 1}}},
		{"query code that matched", Query{Codes: []uint64{0xf0f0, 0xff, 0b1000}, MaxDistance: 0, Limit: 10},
			[]Hit{{ID: "a", QueryCode: 2}, {ID: "d", QueryCode: 1}}},
		{"distance beyond the width", Query{Codes: []uint64{0}, MaxDistance: 1000, Limit: 3},
			[]Hit{{ID: "a", Distance: 1}, {ID: "b", Distance: 1, EntryCode: 1}, {ID: "c", Distance: 2}}},
		{"filter", Query{Codes: []uint64{0}, MaxDistance: 64, Limit: 10,
			Filter: FilterFunc(func(a *Attributes) bool { return a.Group == "p" })},
			[]Hit{{ID: "a", Distance: 1}, {ID: "c", Distance: 2}}},
		{"nothing near", Query{Codes: []uint64{^uint64(0)}, MaxDistance: 10}, []Hit{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := x.Search(context.Background(), tt.q)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}
	x.SetActive("a", false)
	got, err := x.Search(context.Background(), Query{Codes: []uint64{0}, MaxDistance: 1, Limit: 10})
	if err != nil || !slices.Equal(got, []Hit{{ID: "b", Distance: 1, EntryCode: 1}}) {
		t.Errorf("with a inactive: %v, %v", got, err)
	}
	got, err = x.Search(context.Background(), Query{Codes: []uint64{0}, MaxDistance: 1, IncludeInactive: true})
	if err != nil || !slices.Equal(got, []Hit{{ID: "a", Distance: 1}}) {
		t.Errorf("including inactive: %v, %v", got, err)
	}
}

func TestErrors(t *testing.T) {
	x := New(128)
	tests := []struct {
		name string
		err  error
		want error
	}{
		{"put without ID", x.Put(Entry{Codes: []uint64{1, 2}}), ErrEmptyID},
		{"put without codes", x.Put(Entry{ID: "a"}), ErrCodeLength},
		{"put half a code", x.Put(Entry{ID: "a", Codes: []uint64{1, 2, 3}}), ErrCodeLength},
		{"search without codes", search(x, Query{}), ErrCodeLength},
		{"search half a code", search(x, Query{Codes: []uint64{1}}), ErrCodeLength},
		{"negative distance", search(x, Query{Codes: []uint64{1, 2}, MaxDistance: -1}), ErrDistance},
	}
	for _, tt := range tests {
		if !errors.Is(tt.err, tt.want) {
			t.Errorf("%s: error %v, want %v", tt.name, tt.err, tt.want)
		}
	}
	if x.Len() != 0 {
		t.Errorf("failed puts left %d entries", x.Len())
	}
	for _, width := range []int{0, -64, 32, 100} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("New(%d) did not panic", width)
				}
			}()
			New(width)
		}()
	}
}

func search(x *Index, q Query) error {
	_, err := x.Search(context.Background(), q)
	return err
}

func TestPutAndGetCopy(t *testing.T) {
	x := New(64)
	codes := []uint64{1, 2}
	if err := x.Put(Entry{ID: "a", Codes: codes}); err != nil {
		t.Fatal(err)
	}
	codes[0] = 99
	e, _ := x.Get("a")
	if !slices.Equal(e.Codes, []uint64{1, 2}) {
		t.Fatalf("Put kept the caller's slice: %v", e.Codes)
	}
	e.Codes[1] = 99
	if e, _ := x.Get("a"); !slices.Equal(e.Codes, []uint64{1, 2}) {
		t.Fatalf("Get shared the index's codes: %v", e.Codes)
	}
	if _, ok := x.Get("b"); ok {
		t.Error("Get of a missing ID succeeded")
	}
	if x.Remove("b") || x.SetActive("b", true) {
		t.Error("Remove or SetActive of a missing ID succeeded")
	}
}

func TestEachStops(t *testing.T) {
	x := New(64)
	for i := range 10 {
		if err := x.Put(Entry{ID: fmt.Sprint(i), Codes: []uint64{uint64(i)}}); err != nil {
			t.Fatal(err)
		}
	}
	n := 0
	x.Each(func(Entry) bool { n++; return n < 3 })
	if n != 3 {
		t.Errorf("Each went on for %d calls after fn returned false at 3", n)
	}
}
