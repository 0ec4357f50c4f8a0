package filter

import (
	"errors"
	"hash/fnv"
	"math"
	"math/rand/v2"
	"testing"
	"unicode/utf8"

	"github.com/pixmatch/pixmatch/shared/index"
)

// FuzzParse checks that Parse never panics, fails only with ErrSyntax, and
// that the canonical and compact forms of whatever it accepts parse back to
// filters with the same canonical form that match exactly the same
// attributes.
func FuzzParse(f *testing.F) {
	for _, c := range validCases {
		f.Add(c.in)
	}
	for _, c := range invalidCases {
		f.Add(c.in)
	}
	f.Fuzz(func(t *testing.T, s string) {
		e, err := Parse(s)
		if err != nil {
			if !errors.Is(err, ErrSyntax) {
				t.Fatalf("Parse(%q) error %v does not wrap ErrSyntax", s, err)
			}
			return
		}
		canon := e.String()
		again, err := Parse(canon)
		if err != nil {
			t.Fatalf("Parse(%q) succeeded, but its String %q does not parse: %v", s, canon, err)
		}
		if got := again.String(); got != canon {
			t.Fatalf("Parse(%q): String %q reads back as %q", s, canon, got)
		}
		// The compact form, which String falls back on, must never be longer
		// than the input, so that it fits whenever the input did.
		compact := e.format(true)
		if utf8.RuneCountInString(compact) > utf8.RuneCountInString(s) {
			t.Fatalf("Parse(%q): compact form %q is longer", s, compact)
		}
		short, err := Parse(compact)
		if err != nil {
			t.Fatalf("Parse(%q): compact form %q does not parse: %v", s, compact, err)
		}
		if got := short.String(); got != canon {
			t.Fatalf("Parse(%q): compact form %q reads back as %q, want %q", s, compact, got, canon)
		}
		h := fnv.New64a()
		h.Write([]byte(s))
		for _, a := range sampleAttributes(e, h.Sum64(), 32) {
			if m := e.Match(&a); m != again.Match(&a) || m != short.Match(&a) {
				t.Fatalf("Parse(%q), Parse(%q) and Parse(%q) disagree on %+v", s, canon, compact, a)
			}
		}
	})
}

// sampleAttributes returns n attribute sets drawn, from a generator seeded
// with seed, around the literals e mentions: each literal, its neighbours,
// the int32 extremes and a few values of no significance, so that every
// comparison of e goes both ways in some of them.
func sampleAttributes(e *Expr, seed uint64, n int) []index.Attributes {
	ints := []int32{0, 1, -1, math.MinInt32, math.MaxInt32}
	strs := []string{"", "x", `"`, "中文"}
	var walk func(n *node)
	walk = func(n *node) {
		for _, v := range n.ints {
			ints = append(ints, v, v-1, v+1) // wrapping at the extremes is harmless
		}
		strs = append(strs, n.strs...)
		for i := range n.kids {
			walk(&n.kids[i])
		}
	}
	walk(&e.root)

	rng := rand.New(rand.NewPCG(seed, 0x5eed))
	out := make([]index.Attributes, n)
	for i := range out {
		for f := range 4 {
			out[i].Int[f] = ints[rng.IntN(len(ints))]
			out[i].Str[f] = strs[rng.IntN(len(strs))]
		}
	}
	return out
}
