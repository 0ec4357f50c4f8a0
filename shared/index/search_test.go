package index

import (
	"context"
	"slices"
	"testing"
)

func TestSearchExamples(t *testing.T) {
	x := New(3)
	put := func(id string, group string, codes ...Code) {
		t.Helper()
		if err := x.Put(Entry{ID: id, Codes: codes, Active: true, Attrs: Attributes{Group: group}}); err != nil {
			t.Fatal(err)
		}
	}
	put("b", "", Code{Key: 0b0111}, Code{Key: 0b0001})                             // 1 from 0 in table 0, code 1
	put("a", "p", Code{Key: 0b1000}, Code{Table: 1, Checks: [Checks]uint64{0xff}}) // 1 from 0 in table 0; key 0 in table 1, a check 8 off
	put("c", "", Code{Table: 2})                                                   // 0 from 0, only in table 2
	put("d", "", Code{Key: 0xff})                                                  // 8 from 0
	put("e", "p", Code{Key: 0b0110}, Code{Key: 0b0011})                            // 2 from 0 twice: code 0 wins

	zero := []Probe{{Key: 0, Tables: 1 << 0}}
	tests := []struct {
		name string
		q    Query
		want []Hit
	}{
		{"limit zero means one", Query{Probes: zero, MaxDistance: 64},
			[]Hit{{ID: "a", Distance: 1}}},
		{"ties by ID, then code", Query{Probes: zero, MaxDistance: 2, Limit: 10},
			[]Hit{{ID: "a", Distance: 1}, {ID: "b", Distance: 1, Code: 1}, {ID: "e", Distance: 2}}},
		{"a table not named is not seen", Query{Probes: []Probe{{Tables: 1 << 2}}, MaxDistance: 64, Limit: 10},
			[]Hit{{ID: "c", Table: 2}}},
		{"bits beyond the tables are ignored", Query{Probes: []Probe{{Tables: ^uint64(0)}}, MaxDistance: 0, Limit: 10},
			[]Hit{{ID: "c", Table: 2}}},
		{"a check is the distance", Query{Probes: []Probe{{Tables: 1 << 1}}, MaxDistance: 64, Limit: 10},
			[]Hit{{ID: "a", Distance: 8, Code: 1, Table: 1}}},
		{"a check beyond the bound excludes a key at 0", Query{Probes: []Probe{{Tables: 1 << 1}}, MaxDistance: 7, Limit: 10},
			[]Hit{}},
		{"slack", Query{Probes: []Probe{{Tables: 1 << 1}}, Slack: [Checks]int{5, 0, 0}, MaxDistance: 7, Limit: 10},
			[]Hit{{ID: "a", Distance: 3, Code: 1, Table: 1}}},
		{"slack beyond the check", Query{Probes: []Probe{{Tables: 1 << 1}}, Slack: [Checks]int{9, 0, 0}, MaxDistance: 0, Limit: 10},
			[]Hit{{ID: "a", Code: 1, Table: 1}}},
		{"slack of another check", Query{Probes: []Probe{{Tables: 1 << 1}}, Slack: [Checks]int{0, 9, 9}, MaxDistance: 7, Limit: 10},
			[]Hit{}},
		{"penalty", Query{Probes: []Probe{{Tables: 1 << 2, Penalty: 4}}, MaxDistance: 4, Limit: 10},
			[]Hit{{ID: "c", Distance: 4, Table: 2}}},
		{"penalty beyond the bound", Query{Probes: []Probe{{Tables: 1 << 2, Penalty: 4}}, MaxDistance: 3, Limit: 10},
			[]Hit{}},
		{"a penalised probe loses to a farther one", Query{
			Probes:      []Probe{{Key: 0, Tables: 1 << 0, Penalty: 3}, {Key: 0b1100, Tables: 1 << 0}},
			MaxDistance: 2, Limit: 10},
			[]Hit{{ID: "a", Distance: 1, Probe: 1}, {ID: "e", Distance: 2, Probe: 1}}},
		{"the probe that matched, the lowest on ties", Query{
			Probes: []Probe{
				{Key: 0xf0f0, Tables: 1 << 0}, {Key: 0xff, Tables: 1 << 0},
				{Key: 0b1000, Tables: 1 << 0}, {Key: 0b1000, Tables: 1<<0 | 1<<2}},
			MaxDistance: 0, Limit: 10},
			[]Hit{{ID: "a", Probe: 2}, {ID: "d", Probe: 1}}},
		{"distance beyond 64", Query{Probes: []Probe{{Key: ^uint64(0), Tables: 1 << 0, Penalty: 100}},
			MaxDistance: 200, Limit: 2},
			[]Hit{{ID: "d", Distance: 156}, {ID: "b", Distance: 161}}},
		{"distinct groups", Query{Probes: zero, MaxDistance: 8, Limit: 10, DistinctGroups: true},
			[]Hit{{ID: "a", Distance: 1}, {ID: "b", Distance: 1, Code: 1}, {ID: "d", Distance: 8}}},
		{"exclude", Query{Probes: zero, MaxDistance: 1, Limit: 10, Exclude: "a"},
			[]Hit{{ID: "b", Distance: 1, Code: 1}}},
		{"filter", Query{Probes: zero, MaxDistance: 64, Limit: 10,
			Filter: FilterFunc(func(a *Attributes) bool { return a.Group == "p" })},
			[]Hit{{ID: "a", Distance: 1}, {ID: "e", Distance: 2}}},
		{"nothing near", Query{Probes: []Probe{{Key: ^uint64(0), Tables: 1 << 0}}, MaxDistance: 10}, []Hit{}},
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
	got, err := x.Search(context.Background(), Query{Probes: zero, MaxDistance: 1, Limit: 10})
	if err != nil || !slices.Equal(got, []Hit{{ID: "b", Distance: 1, Code: 1}}) {
		t.Errorf("with a inactive: %v, %v", got, err)
	}
	got, err = x.Search(context.Background(), Query{Probes: zero, MaxDistance: 1, IncludeInactive: true})
	if err != nil || !slices.Equal(got, []Hit{{ID: "a", Distance: 1}}) {
		t.Errorf("including inactive: %v, %v", got, err)
	}
}

// TestGroups searches with every number of probes from 1 to 20, in each
// position of the groups the scan forms, with penalties that differ
// within a group: each probe must find its own entry, and only that.
func TestGroups(t *testing.T) {
	const n = 20
	x := New(1)
	g := newGen(12, 1)
	keys := make([]uint64, n)
	for i := range keys {
		keys[i] = g.rnd.Uint64()
		if err := x.Put(Entry{ID: string(rune('A' + i)), Codes: []Code{{Key: keys[i]}}, Active: true}); err != nil {
			t.Fatal(err)
		}
	}
	for probes := 1; probes <= n; probes++ {
		for target := range probes {
			q := Query{MaxDistance: 3, Limit: n}
			for i := range probes {
				// Far from every key, except the target's probe, 2 bits
				// off its entry's key.
				p := Probe{Key: g.rnd.Uint64(), Tables: 1, Penalty: i % 3}
				if i == target {
					p.Key = keys[i] ^ 0b101
				}
				q.Probes = append(q.Probes, p)
			}
			got, err := x.Search(context.Background(), q)
			if err != nil {
				t.Fatal(err)
			}
			want := []Hit{}
			if d := 2 + target%3; d <= q.MaxDistance {
				want = []Hit{{ID: string(rune('A' + target)), Distance: d, Probe: target}}
			}
			if !slices.Equal(got, want) {
				t.Errorf("%d probes, target %d: got %v, want %v", probes, target, got, want)
			}
		}
	}
}

func TestProbeDistance(t *testing.T) {
	ones := func(n int) uint64 { return 1<<n - 1 }
	code := Code{Table: 2, Key: ones(3), Checks: [Checks]uint64{ones(10), 0, ones(6)}}
	for _, tc := range []struct {
		name  string
		p     Probe
		slack [Checks]int
		want  int
	}{
		{"keys alone", Probe{Key: ones(3), Checks: code.Checks}, [Checks]int{}, 0},
		{"key distance and penalty", Probe{Penalty: 4, Checks: code.Checks}, [Checks]int{}, 7},
		{"a check beyond its slack", Probe{Key: ones(3)}, [Checks]int{4, 0, 6}, 6},
		{"checks within their slack", Probe{Key: ones(1)}, [Checks]int{8, 0, 4}, 2},
		{"tables do not matter", Probe{Key: ones(3), Checks: code.Checks, Tables: 1}, [Checks]int{}, 0},
	} {
		if got := tc.p.Distance(code, tc.slack); got != tc.want {
			t.Errorf("%s: distance %d, want %d", tc.name, got, tc.want)
		}
	}
}
