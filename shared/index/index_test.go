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
	entries map[string]Entry
}

func newModel() *model { return &model{entries: map[string]Entry{}} }

func (m *model) put(e Entry) {
	e.Codes = slices.Clone(e.Codes)
	m.entries[e.ID] = e
}

// pairDistance is the distance of probe p to code c as Query defines it.
func pairDistance(p Probe, c Code, slack [Checks]int) int {
	d := bits.OnesCount64(p.Key^c.Key) + p.Penalty
	for i := range Checks {
		d = max(d, bits.OnesCount64(p.Checks[i]^c.Checks[i])-slack[i])
	}
	return d
}

// nearest returns e's best pair with q: the smallest distance, then the
// lowest code, then the lowest probe. ok is false if no probe names a
// table of e's codes.
func nearest(e Entry, q Query) (h Hit, ok bool) {
	h = Hit{ID: e.ID, Distance: -1}
	for ci, c := range e.Codes {
		for pi, p := range q.Probes {
			if p.Tables&(1<<c.Table) == 0 {
				continue
			}
			if d := pairDistance(p, c, q.Slack); h.Distance < 0 || d < h.Distance {
				h.Distance, h.Code, h.Probe, h.Table = d, ci, pi, c.Table
			}
		}
	}
	return h, h.Distance >= 0
}

func (m *model) search(q Query) []Hit {
	var all []Hit
	for _, e := range m.entries {
		if e.ID == q.Exclude || !(e.Active || q.IncludeInactive) {
			continue
		}
		if q.Filter != nil && !q.Filter.Match(&e.Attrs) {
			continue
		}
		if h, ok := nearest(e, q); ok && h.Distance <= q.MaxDistance {
			all = append(all, h)
		}
	}
	slices.SortFunc(all, func(a, b Hit) int {
		if a.Distance != b.Distance {
			return a.Distance - b.Distance
		}
		return strings.Compare(a.ID, b.ID)
	})
	limit := max(q.Limit, 1)
	hits := []Hit{}
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

// gen makes random entries and queries whose keys and checks cluster
// around a few centres, so that small distances, ties and shared groups
// are common. Now and then a check word is random, far from every centre,
// so that pairs with near keys are kept apart by their checks.
type gen struct {
	rnd     *rand.Rand
	tables  int
	centres []Code
}

func newGen(seed uint64, tables int) *gen {
	g := &gen{rnd: rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)), tables: tables}
	for range 6 {
		c := Code{Key: g.rnd.Uint64()}
		for i := range c.Checks {
			c.Checks[i] = g.rnd.Uint64()
		}
		g.centres = append(g.centres, c)
	}
	return g
}

// flip returns w with up to n random bits flipped.
func (g *gen) flip(w uint64, n int) uint64 {
	for range g.rnd.IntN(n + 1) {
		w ^= 1 << g.rnd.IntN(64)
	}
	return w
}

// code returns a centre with a few bits flipped, in a random table.
func (g *gen) code() Code {
	c := g.centres[g.rnd.IntN(len(g.centres))]
	c.Table = g.rnd.IntN(g.tables)
	c.Key = g.flip(c.Key, 8)
	for i := range c.Checks {
		if g.rnd.IntN(12) == 0 {
			c.Checks[i] = g.rnd.Uint64()
		} else {
			c.Checks[i] = g.flip(c.Checks[i], 10)
		}
	}
	return c
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
	switch g.rnd.IntN(4) { // as CRS targets are: a group alone, often the ID
	case 0:
		a = Attributes{Group: a.Group}
	case 1:
		a = Attributes{Group: id}
	}
	e := Entry{ID: id, Active: g.rnd.IntN(5) != 0, Attrs: a}
	for range 1 + g.rnd.IntN(maxCodes) {
		e.Codes = append(e.Codes, g.code())
	}
	return e
}

// probe returns a code turned into a probe naming random tables: one, all
// of them (and bits beyond), or any set.
func (g *gen) probe() Probe {
	c := g.code()
	p := Probe{Key: c.Key, Checks: c.Checks}
	switch g.rnd.IntN(4) {
	case 0:
		p.Tables = 1 << c.Table
	case 1:
		p.Tables = ^uint64(0)
	default:
		p.Tables = g.rnd.Uint64() & (1<<g.tables - 1)
	}
	if g.rnd.IntN(3) == 0 {
		p.Penalty = g.rnd.IntN(7)
	}
	return p
}

func (g *gen) query(maxProbes int, ids []string) Query {
	q := Query{
		Limit:           g.rnd.IntN(12) - 1,
		MaxDistance:     g.rnd.IntN(25),
		IncludeInactive: g.rnd.IntN(3) == 0,
		DistinctGroups:  g.rnd.IntN(2) == 0,
	}
	for range 1 + g.rnd.IntN(maxProbes) {
		q.Probes = append(q.Probes, g.probe())
	}
	for i := range q.Slack {
		if g.rnd.IntN(2) == 0 {
			q.Slack[i] = g.rnd.IntN(12)
		}
	}
	switch g.rnd.IntN(8) {
	case 0:
		q.MaxDistance = g.rnd.IntN(80)
	case 1:
		q.MaxDistance = 64 + g.rnd.IntN(100)
		q.Probes[0].Penalty = g.rnd.IntN(80)
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
// a slot whose place names it, every slot found by its ID.
func checkLayout(t *testing.T, x *Index) {
	t.Helper()
	n := len(x.ids)
	if len(x.places.at) != n || len(x.places.n) != n || len(x.active) != n || len(x.groups) != n || len(x.extra) != n || x.slotOf.n != n {
		t.Fatalf("slot slices disagree: ids %d places %d/%d active %d groups %d extra %d ID table %d",
			n, len(x.places.at), len(x.places.n), len(x.active), len(x.groups), len(x.extra), x.slotOf.n)
	}
	checkPlaces(t, &x.places)
	rows := 0
	for i, tab := range x.tables {
		if len(tab.checks) != len(tab.keys) || len(tab.owner) != len(tab.keys) || len(tab.sub) != len(tab.keys) {
			t.Fatalf("table %d: row slices disagree: keys %d checks %d owner %d sub %d",
				i, len(tab.keys), len(tab.checks), len(tab.owner), len(tab.sub))
		}
		rows += len(tab.keys)
		checkMulti(t, i, &tab)
	}
	total, actives := 0, 0
	for s, id := range x.ids {
		if got, ok := x.slotOf.find(x.ids, id); !ok || got != int32(s) {
			t.Fatalf("slot %d holds %q, the ID table says %d, %v", s, id, got, ok)
		}
		rows, tabs := x.places.rows(int32(s))
		for j, r := range rows {
			tab := &x.tables[tabs[j]]
			if tab.owner[r] != int32(s) || int(tab.sub[r]) != j {
				t.Fatalf("slot %d code %d is table %d row %d, owned by %d as code %d",
					s, j, tabs[j], r, tab.owner[r], tab.sub[r])
			}
		}
		total += len(rows)
		if x.active[s] {
			actives++
		}
	}
	if total != rows || total != x.codes {
		t.Fatalf("slots list %d codes, tables have %d rows, count says %d", total, rows, x.codes)
	}
	if actives != x.actives {
		t.Fatalf("%d slots are active, count says %d", actives, x.actives)
	}
}

func TestAgainstBruteForce(t *testing.T) {
	tests := []struct {
		tables     int
		entryCodes int // most codes per entry
		probes     int // most probes per query
		ids        int // size of the ID pool: smaller means more replacing
		steps      int
		seed       uint64
	}{
		{tables: 1, entryCodes: 1, probes: 1, ids: 300, steps: 3000, seed: 1},
		{tables: 1, entryCodes: 4, probes: 8, ids: 300, steps: 3000, seed: 2},
		{tables: 3, entryCodes: 3, probes: 2, ids: 40, steps: 2000, seed: 3},
		{tables: 4, entryCodes: 6, probes: 20, ids: 200, steps: 2000, seed: 4},
		{tables: 13, entryCodes: 13, probes: 30, ids: 200, steps: 2000, seed: 5},
		{tables: 2, entryCodes: 2, probes: 12, ids: 60, steps: 2000, seed: 6},
		{tables: 64, entryCodes: 20, probes: 40, ids: 100, steps: 1500, seed: 7},
	}
	for _, tt := range tests {
		for _, multi := range []bool{false, true} {
			name := fmt.Sprintf("tables=%d/codes=%d/probes=%d/ids=%d/multi=%v", tt.tables, tt.entryCodes, tt.probes, tt.ids, multi)
			t.Run(name, func(t *testing.T) {
				bruteForce(t, tt.tables, tt.entryCodes, tt.probes, tt.ids, tt.steps, tt.seed, multi)
			})
		}
	}
}

// bruteForce runs steps random operations on an index and the model,
// comparing every search. With multi, tables keep a multi-index from 20
// rows on (dropping it below 10, so that it is built and let go as they
// grow and shrink), and searches read it whenever its bound allows.
func bruteForce(t *testing.T, tables, entryCodes, probes, idPool, steps int, seed uint64, multi bool) {
	tt := struct{ tables, entryCodes, probes, ids, steps int }{tables, entryCodes, probes, idPool, steps}
	{
		{
			g := newGen(seed, tt.tables)
			x := New(tt.tables)
			if multi {
				x.MultiIndexRows(20)
				x.alwaysMulti = true
			}
			m := newModel()
			var ids []string
			for i := range tt.ids {
				ids = append(ids, fmt.Sprintf("t%03d", i))
			}
			searches, matching := 0, 0
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
					q := g.query(tt.probes, ids)
					got, err := x.Search(context.Background(), q)
					if err != nil {
						t.Fatalf("step %d: Search: %v", step, err)
					}
					want := m.search(q)
					if !slices.Equal(got, want) {
						t.Fatalf("step %d: Search(%+v)\n got %v\nwant %v", step, q, got, want)
					}
					searches++
					if len(got) > 0 {
						matching++
					}
				}
			}
			checkLayout(t, x)
			checkContents(t, x, m)
			if matching < searches/4 {
				t.Errorf("only %d of %d searches had hits: the test data is too sparse", matching, searches)
			}
			if multi && x.multiReads.Load() == 0 {
				t.Error("no search read a multi-index")
			}
		}
	}
}

// TestChecksDecide searches pairs whose keys are equal and whose checks
// differ: the check's distance less its slack must be the distance.
func TestChecksDecide(t *testing.T) {
	g := newGen(11, 4)
	x := New(4)
	m := newModel()
	for i := range 300 {
		e := g.entry(fmt.Sprintf("t%03d", i), 5)
		e.Active = true
		if err := x.Put(e); err != nil {
			t.Fatal(err)
		}
		m.put(e)
	}
	decided := 0
	for step := range 500 {
		// A probe whose key equals a stored code's and whose checks are
		// that code's with some bits flipped.
		e := m.entries[fmt.Sprintf("t%03d", g.rnd.IntN(300))]
		c := e.Codes[g.rnd.IntN(len(e.Codes))]
		p := Probe{Key: c.Key, Checks: c.Checks, Tables: 1 << c.Table}
		w := g.rnd.IntN(Checks)
		p.Checks[w] ^= 1<<g.rnd.IntN(40) - 1
		q := Query{Probes: []Probe{p}, MaxDistance: g.rnd.IntN(30), Limit: 300}
		q.Slack[w] = g.rnd.IntN(10)
		got, err := x.Search(context.Background(), q)
		if err != nil {
			t.Fatal(err)
		}
		want := m.search(q)
		if !slices.Equal(got, want) {
			t.Fatalf("step %d: got %v, want %v", step, got, want)
		}
		own := bits.OnesCount64(p.Checks[w]^c.Checks[w]) - q.Slack[w]
		for _, h := range got {
			if h.ID == e.ID && own > 0 && h.Distance == own {
				decided++
			}
		}
	}
	if decided < 50 {
		t.Errorf("only %d searches found their entry at the check's distance", decided)
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
		codes += len(want.Codes)
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

func TestErrors(t *testing.T) {
	x := New(2)
	ok := []Code{{Table: 1, Key: 1}}
	tests := []struct {
		name string
		err  error
		want error
	}{
		{"put without ID", x.Put(Entry{Codes: ok}), ErrEmptyID},
		{"put without codes", x.Put(Entry{ID: "a"}), ErrCodeCount},
		{"put too many codes", x.Put(Entry{ID: "a", Codes: make([]Code, MaxCodes+1)}), ErrCodeCount},
		{"put in a table too far", x.Put(Entry{ID: "a", Codes: []Code{{Table: 0}, {Table: 2}}}), ErrTable},
		{"put in a negative table", x.Put(Entry{ID: "a", Codes: []Code{{Table: -1}}}), ErrTable},
		{"search without probes", search(x, Query{}), ErrNoProbes},
		{"negative distance", search(x, Query{Probes: []Probe{{Tables: 1}}, MaxDistance: -1}), ErrDistance},
		{"negative penalty", search(x, Query{Probes: []Probe{{Tables: 1}, {Tables: 1, Penalty: -1}}}), ErrPenalty},
		{"penalty too large", search(x, Query{Probes: []Probe{{Tables: 1, Penalty: MaxPenalty + 1}}}), ErrPenalty},
		{"negative slack", search(x, Query{Probes: []Probe{{Tables: 1}}, Slack: [Checks]int{0, 0, -1}}), ErrSlack},
	}
	for _, tt := range tests {
		if !errors.Is(tt.err, tt.want) {
			t.Errorf("%s: error %v, want %v", tt.name, tt.err, tt.want)
		}
	}
	if x.Len() != 0 || x.Codes() != 0 {
		t.Errorf("failed puts left %d entries, %d codes", x.Len(), x.Codes())
	}
	if err := x.Put(Entry{ID: "a", Codes: make([]Code, MaxCodes)}); err != nil {
		t.Errorf("put of %d codes: %v", MaxCodes, err)
	}
	for _, tables := range []int{0, -1, 65} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("New(%d) did not panic", tables)
				}
			}()
			New(tables)
		}()
	}
	if New(64).Tables() != 64 || New(1).Tables() != 1 {
		t.Error("Tables() does not return what New was given")
	}
}

func search(x *Index, q Query) error {
	_, err := x.Search(context.Background(), q)
	return err
}

func TestPutAndGetCopy(t *testing.T) {
	x := New(3)
	codes := []Code{{Table: 2, Key: 1, Checks: [Checks]uint64{1, 2, 3}}, {Table: 0, Key: 2}}
	want := slices.Clone(codes)
	if err := x.Put(Entry{ID: "a", Codes: codes}); err != nil {
		t.Fatal(err)
	}
	codes[0].Key = 99
	e, _ := x.Get("a")
	if !slices.Equal(e.Codes, want) {
		t.Fatalf("Put kept the caller's slice: %v", e.Codes)
	}
	e.Codes[1].Key = 99
	if e, _ := x.Get("a"); !slices.Equal(e.Codes, want) {
		t.Fatalf("Get shared the index's codes: %v", e.Codes)
	}
	if _, ok := x.Get("b"); ok {
		t.Error("Get of a missing ID succeeded")
	}
	if x.Remove("b") || x.SetActive("b", true) {
		t.Error("Remove or SetActive of a missing ID succeeded")
	}
}

// TestReplace puts new codes under an existing ID: in the same tables, the
// codes are overwritten in place; in other tables or in another number,
// they move. Searches must see only the new codes either way.
func TestReplace(t *testing.T) {
	x := New(3)
	put := func(id string, codes ...Code) {
		t.Helper()
		if err := x.Put(Entry{ID: id, Codes: codes, Active: true}); err != nil {
			t.Fatal(err)
		}
	}
	find := func(key uint64, tables uint64) []Hit {
		t.Helper()
		hits, err := x.Search(context.Background(), Query{
			Probes: []Probe{{Key: key, Tables: tables}}, Limit: 10})
		if err != nil {
			t.Fatal(err)
		}
		return hits
	}
	put("a", Code{Table: 0, Key: 1}, Code{Table: 1, Key: 2})
	put("b", Code{Table: 1, Key: 3}, Code{Table: 0, Key: 4})
	tests := []struct {
		name  string
		codes []Code
	}{
		{"same tables", []Code{{Table: 0, Key: 5}, {Table: 1, Key: 6}}},
		{"other tables", []Code{{Table: 2, Key: 7}, {Table: 1, Key: 8}}},
		{"more codes", []Code{{Table: 2, Key: 9}, {Table: 2, Key: 10}, {Table: 0, Key: 11}}},
		{"one code", []Code{{Table: 1, Key: 12}}},
	}
	old := []Code{{Table: 0, Key: 1}, {Table: 1, Key: 2}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			put("a", tt.codes...)
			checkLayout(t, x)
			for _, c := range old {
				if hits := find(c.Key, 1<<c.Table); len(hits) > 0 {
					t.Errorf("old code %+v still found: %v", c, hits)
				}
			}
			for j, c := range tt.codes {
				want := []Hit{{ID: "a", Code: j, Table: c.Table}}
				if hits := find(c.Key, 1<<c.Table); !slices.Equal(hits, want) {
					t.Errorf("new code %+v: got %v, want %v", c, hits, want)
				}
			}
			if e, _ := x.Get("b"); !slices.Equal(e.Codes, []Code{{Table: 1, Key: 3}, {Table: 0, Key: 4}}) {
				t.Errorf("b changed: %v", e.Codes)
			}
			if x.Codes() != len(tt.codes)+2 {
				t.Errorf("Codes() = %d, want %d", x.Codes(), len(tt.codes)+2)
			}
			old = tt.codes
		})
	}
}

func TestEachStops(t *testing.T) {
	x := New(1)
	for i := range 10 {
		if err := x.Put(Entry{ID: fmt.Sprint(i), Codes: []Code{{Key: uint64(i)}}}); err != nil {
			t.Fatal(err)
		}
	}
	n := 0
	x.Each(func(Entry) bool { n++; return n < 3 })
	if n != 3 {
		t.Errorf("Each went on for %d calls after fn returned false at 3", n)
	}
}

// TestEachID lists every entry's ID once, and stops when fn says so.
func TestEachID(t *testing.T) {
	x, m, _ := snapshotFixture(t, 4)
	seen := map[string]int{}
	x.EachID(func(id string) bool { seen[id]++; return true })
	if len(seen) != len(m.entries) {
		t.Fatalf("EachID gave %d IDs, want %d", len(seen), len(m.entries))
	}
	for id, n := range seen {
		if _, ok := m.entries[id]; !ok || n != 1 {
			t.Fatalf("EachID gave %q %d times; an entry: %v", id, n, ok)
		}
	}
	n := 0
	x.EachID(func(string) bool { n++; return n < 3 })
	if n != 3 {
		t.Errorf("EachID went on for %d calls after fn returned false at 3", n)
	}
}
