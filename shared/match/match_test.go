package match

import (
	"context"
	"image"
	"slices"
	"strconv"
	"testing"

	"github.com/pixmatch/pixmatch/shared/distort"
	"github.com/pixmatch/pixmatch/shared/fingerprint"
	"github.com/pixmatch/pixmatch/shared/index"
	"github.com/pixmatch/pixmatch/shared/luma"
	"github.com/pixmatch/pixmatch/shared/testphoto"
)

func targets(t *testing.T) map[string]fingerprint.Fingerprint {
	t.Helper()
	out := map[string]fingerprint.Fingerprint{}
	for _, name := range testphoto.Names() {
		fp, err := fingerprint.Target(testphoto.Image(name))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		out[name] = fp
	}
	return out
}

// TestRecognitionSurvivesEdits is the recognition contract: every edited
// photo matches its own target within the threshold, strictly nearer than
// any other target, and no other target comes within the threshold.
func TestRecognitionSurvivesEdits(t *testing.T) {
	gallery := targets(t)
	for _, e := range distort.Foundation() {
		t.Run(e.Name, func(t *testing.T) {
			worst, closest := 0, fingerprint.Bits
			for name, target := range gallery {
				q, err := fingerprint.Query(e.Apply(testphoto.Image(name)))
				if err != nil {
					t.Fatalf("%s: %v", name, err)
				}
				own := Distance(q, target)
				worst = max(worst, own)
				if own > fingerprint.Threshold {
					t.Errorf("%s: distance to own target %d > %d", name, own, fingerprint.Threshold)
				}
				for other, fp := range gallery {
					if other == name {
						continue
					}
					d := Distance(q, fp)
					closest = min(closest, d)
					if d <= fingerprint.Threshold || d <= own {
						t.Errorf("%s: matches %s at %d (own target at %d)", name, other, d, own)
					}
				}
			}
			t.Logf("worst own distance %d, closest other %d", worst, closest)
		})
	}
}

// TestUnrelatedPhotosDoNotMatch compares every pair of distinct photos,
// as queries with all their symmetries.
func TestUnrelatedPhotosDoNotMatch(t *testing.T) {
	gallery := targets(t)
	closest := fingerprint.Bits
	for a := range gallery {
		q, err := fingerprint.Query(testphoto.Image(a))
		if err != nil {
			t.Fatal(err)
		}
		for b, fp := range gallery {
			d := Distance(q, fp)
			if a == b {
				if d != 0 {
					t.Errorf("%s against itself: distance %d", a, d)
				}
				continue
			}
			closest = min(closest, d)
			if d <= fingerprint.Threshold {
				t.Errorf("unrelated %s and %s at distance %d", a, b, d)
			}
		}
	}
	t.Logf("closest unrelated pair: %d", closest)
}

// TestSearchAppliesThePolicy checks Search against Distance, in an index
// of each profile: the same hits, in order, scored.
func TestSearchAppliesThePolicy(t *testing.T) {
	asIs := distort.Edit{Name: "as is", Apply: distort.JPEG(90)}
	mirror := distort.Edit{Name: "mirror", Apply: distort.Mirror}
	turned := distort.Edit{Name: "turned", Apply: distort.Rotate(1)}
	framed := distort.Edit{Name: "framed", Apply: distort.Border(0.15, image.White.C)}
	for _, tc := range []struct {
		name    string
		profile Profile
		edits   []distort.Edit
	}{
		{"full", Full, []distort.Edit{asIs, mirror, {Name: "crop", Apply: distort.Crop(0.13)}, {Name: "askew", Apply: distort.RotateBy(7)}}},
		{"browser", Browser, []distort.Edit{asIs, mirror, {Name: "crop", Apply: distort.Crop(0.06)}, {Name: "askew", Apply: distort.RotateBy(5)}}},
		{"compact", Compact, []distort.Edit{asIs, mirror, turned, framed}},
	} {
		t.Run(tc.name, func(t *testing.T) { searchAppliesThePolicy(t, tc.profile, tc.edits) })
	}
}

func searchAppliesThePolicy(t *testing.T, p Profile, edits []distort.Edit) {
	ctx := context.Background()
	gallery := targets(t)
	x := NewIndex()
	names := testphoto.Names()
	for i, name := range names {
		if err := x.Put(index.Entry{ID: strconv.Itoa(i), Codes: p.Codes(gallery[name]), Active: true,
			Attrs: index.Attributes{Group: "g" + strconv.Itoa(i/2)}}); err != nil {
			t.Fatal(err)
		}
	}
	for _, e := range edits {
		for i, name := range names {
			q, _ := fingerprint.Query(e.Apply(testphoto.Image(name)))
			for _, o := range []Options{{Limit: 3}, {Limit: 3, Near: true}, {Limit: 5, Near: true, DistinctGroups: true}} {
				o.Profile = p
				hits, err := Search(ctx, x, q, o)
				if err != nil {
					t.Fatal(err)
				}
				if len(hits) == 0 || hits[0].ID != strconv.Itoa(i) {
					t.Fatalf("%s of %s with %+v: hits %+v", e.Name, name, o, hits)
				}
				for k, h := range hits {
					j, _ := strconv.Atoi(h.ID)
					if want := p.Distance(q, gallery[names[j]]); h.Distance != want || h.Distance > o.Bound() {
						t.Errorf("%s of %s: hit %s at %d, Distance says %d (bound %d)", e.Name, name, h.ID, h.Distance, want, o.Bound())
					}
					if h.Score != fingerprint.Score(h.Distance) {
						t.Errorf("score %v for distance %d", h.Score, h.Distance)
					}
					if k > 0 && hits[k-1].Distance > h.Distance {
						t.Errorf("hits out of order: %+v", hits)
					}
				}
			}
		}
	}
}

// TestProfileCodes checks what a profile keeps of a fingerprint with a
// code of every window, and of one without a Trimmed code.
func TestProfileCodes(t *testing.T) {
	var framed, plain fingerprint.Fingerprint
	for w := fingerprint.Whole; w < fingerprint.Windows; w++ {
		c := fingerprint.Code{Window: w, Hash: uint64(w) + 1, Checks: [fingerprint.NumChecks]uint64{11, 22, 33}}
		framed.Codes = append(framed.Codes, c)
		if w != fingerprint.Trimmed {
			plain.Codes = append(plain.Codes, c)
		}
	}
	win := func(ws ...fingerprint.Window) (s []int) {
		for _, w := range ws {
			s = append(s, int(w))
		}
		return s
	}
	all := win(fingerprint.Whole, fingerprint.Trimmed, fingerprint.Centre90, fingerprint.Centre80, fingerprint.Centre70, fingerprint.Centre60,
		fingerprint.TopLeft80, fingerprint.TopRight80, fingerprint.BottomLeft80, fingerprint.BottomRight80)
	for _, tc := range []struct {
		name   string
		p      Profile
		fp     fingerprint.Fingerprint
		tables []int
		checks [index.Checks]uint64
	}{
		{"full", Full, framed, all, [index.Checks]uint64{11, 22, 33}},
		{"browser", Browser, framed, win(fingerprint.Whole, fingerprint.Centre80), [index.Checks]uint64{11, 22, 0}},
		{"compact", Compact, framed, win(fingerprint.Whole), [index.Checks]uint64{11, 22, 0}},
		{"compact, no border", Compact, plain, win(fingerprint.Whole), [index.Checks]uint64{11, 22, 0}},
		{"whole and trimmed", Profile{Windows: 3, Checks: 1}, framed, win(fingerprint.Whole, fingerprint.Trimmed), [index.Checks]uint64{11, 0, 0}},
		{"one window, no checks", Profile{Windows: 1 << fingerprint.Centre60}, framed, win(fingerprint.Centre60), [index.Checks]uint64{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var tables []int
			for _, c := range tc.p.Codes(tc.fp) {
				tables = append(tables, c.Table)
				if c.Key != uint64(c.Table)+1 || c.Checks != tc.checks {
					t.Errorf("code %+v", c)
				}
			}
			if !slices.Equal(tables, tc.tables) {
				t.Errorf("tables %v, want %v", tables, tc.tables)
			}
		})
	}
}

// code returns a code of window w whose hash is hashBits ones and whose
// checks are checkBits ones: at those distances from a code of zeros.
func code(w fingerprint.Window, turn luma.Dihedral, degrees int8, hashBits, checkBits int) fingerprint.Code {
	ones := func(n int) uint64 { return 1<<n - 1 }
	c := fingerprint.Code{Window: w, Turn: turn, Degrees: degrees, Hash: ones(hashBits)}
	for i := range c.Checks {
		c.Checks[i] = ones(checkBits)
	}
	return c
}

// TestPolicy checks each rule of the policy on a target whose every
// window's hash and checks are zeros.
func TestPolicy(t *testing.T) {
	var target fingerprint.Fingerprint
	for w := fingerprint.Whole; w < fingerprint.Windows; w++ {
		target.Codes = append(target.Codes, code(w, luma.Identity, 0, 0, 0))
	}
	x := NewIndex()
	if err := x.Put(index.Entry{ID: "t", Codes: Full.Codes(target), Active: true}); err != nil {
		t.Fatal(err)
	}
	one := func(c fingerprint.Code) fingerprint.Fingerprint {
		return fingerprint.Fingerprint{Version: fingerprint.Version, Codes: []fingerprint.Code{c}}
	}
	tests := []struct {
		name string
		q    fingerprint.Fingerprint
		o    Options
		want int // -1: no hit
	}{
		{"upright whole at the threshold", one(code(fingerprint.Whole, luma.Identity, 0, 8, 0)), Options{}, 8},
		{"upright whole past it", one(code(fingerprint.Whole, luma.Identity, 0, 9, 0)), Options{}, -1},
		{"a turn pays the penalty", one(code(fingerprint.Whole, luma.Mirror, 0, 4, 0)), Options{}, 4 + TurnPenalty},
		{"a turn at the threshold misses", one(code(fingerprint.Whole, luma.Rotate90, 0, 8, 0)), Options{}, -1},
		{"a turn found near", one(code(fingerprint.Whole, luma.Rotate90, 0, 8, 0)), Options{Near: true}, 8 + TurnPenalty},
		{"checks within their slack", one(code(fingerprint.Trimmed, luma.Identity, 0, 2, 12)), Options{}, 8},
		{"checks past their slack", one(code(fingerprint.Trimmed, luma.Identity, 0, 0, 13)), Options{}, -1},
		{"wider threshold", one(code(fingerprint.Whole, luma.Identity, 0, 12, 0)), Options{Threshold: 12}, 12},
		{"a centre window", one(code(fingerprint.Centre60, luma.Identity, 0, 6, 0)), Options{}, 6},
		{"a window turned back", one(code(fingerprint.Centre80, luma.Identity, -6, 3, 0)), Options{}, 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			hits, err := Search(context.Background(), x, tt.q, tt.o)
			if err != nil {
				t.Fatal(err)
			}
			switch {
			case tt.want < 0 && len(hits) != 0:
				t.Errorf("hits %+v, want none", hits)
			case tt.want >= 0 && (len(hits) != 1 || hits[0].Distance != tt.want):
				t.Errorf("hits %+v, want one at %d", hits, tt.want)
			}
			if d := Distance(tt.q, target); tt.want >= 0 && d != tt.want {
				t.Errorf("Distance %d, want %d", d, tt.want)
			}
		})
	}
}

// TestPolicyTables: a query code meets only the target windows it can
// correspond to.
func TestPolicyTables(t *testing.T) {
	tests := []struct {
		query fingerprint.Code
		win   fingerprint.Window
		meets bool
	}{
		{code(fingerprint.Whole, luma.Identity, 0, 0, 0), fingerprint.BottomRight80, true},
		{code(fingerprint.Whole, luma.Mirror, 0, 0, 0), fingerprint.Trimmed, true},
		{code(fingerprint.Whole, luma.Mirror, 0, 0, 0), fingerprint.Centre80, false},
		{code(fingerprint.Centre80, luma.Identity, 0, 0, 0), fingerprint.Centre60, true},
		{code(fingerprint.Centre80, luma.Identity, 0, 0, 0), fingerprint.TopLeft80, false},
		{code(fingerprint.Centre80, luma.Identity, 9, 0, 0), fingerprint.Centre80, true},
		{code(fingerprint.Centre80, luma.Identity, 9, 0, 0), fingerprint.Whole, false},
	}
	for _, tt := range tests {
		q := fingerprint.Fingerprint{Codes: []fingerprint.Code{tt.query}}
		target := fingerprint.Fingerprint{Codes: []fingerprint.Code{code(tt.win, luma.Identity, 0, 0, 0)}}
		if got := Distance(q, target) <= fingerprint.Threshold; got != tt.meets {
			t.Errorf("%v (turn %d, %d°) against %v: meets %v, want %v", tt.query.Window, tt.query.Turn, tt.query.Degrees, tt.win, got, tt.meets)
		}
	}
}
