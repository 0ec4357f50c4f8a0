package match

import (
	"context"
	"strconv"
	"testing"

	"github.com/pixmatch/pixmatch/shared/distort"
	"github.com/pixmatch/pixmatch/shared/fingerprint"
	"github.com/pixmatch/pixmatch/shared/index"
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

// TestSearchAppliesThePolicy checks Search against Distance: the same
// hits, in order, scored, with turned codes penalised.
func TestSearchAppliesThePolicy(t *testing.T) {
	ctx := context.Background()
	gallery := targets(t)
	x := index.New(fingerprint.Bits)
	names := testphoto.Names()
	for i, name := range names {
		if err := x.Put(index.Entry{ID: strconv.Itoa(i), Codes: gallery[name].Codes, Active: true,
			Attrs: index.Attributes{Group: "g" + strconv.Itoa(i/2)}}); err != nil {
			t.Fatal(err)
		}
	}
	for _, e := range []distort.Edit{{Name: "as is", Apply: distort.JPEG(90)}, {Name: "mirror", Apply: distort.Mirror}} {
		for i, name := range names {
			q, _ := fingerprint.Query(e.Apply(testphoto.Image(name)))
			for _, o := range []Options{{Limit: 3}, {Limit: 3, Near: true}, {Limit: 5, Near: true, DistinctGroups: true}} {
				hits, err := Search(ctx, x, q, o)
				if err != nil {
					t.Fatal(err)
				}
				if len(hits) == 0 || hits[0].ID != strconv.Itoa(i) {
					t.Fatalf("%s of %s with %+v: hits %+v", e.Name, name, o, hits)
				}
				for k, h := range hits {
					j, _ := strconv.Atoi(h.ID)
					if want := Distance(q, gallery[names[j]]); h.Distance != want || h.Distance > o.Bound() {
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
	// A turned code alone must come TurnPenalty closer than an upright one.
	q := fingerprint.Fingerprint{Version: fingerprint.Version, Codes: make([]uint64, 8)}
	target := fingerprint.Fingerprint{Version: fingerprint.Version, Codes: []uint64{0}}
	for i := range q.Codes {
		q.Codes[i] = ^uint64(0) // 64 bits away
	}
	q.Codes[3] = 0xff // a turn: 8 bits away
	if d := Distance(q, target); d != 8+TurnPenalty {
		t.Errorf("turned code at 8 bits: Distance %d, want %d", d, 8+TurnPenalty)
	}
}

// TestSearchPenalisesTurnedCodes checks the bounds of each kind of code:
// a query whose only close code is a turn matches only when the turn plus
// its penalty is within the threshold.
func TestSearchPenalisesTurnedCodes(t *testing.T) {
	x := index.New(fingerprint.Bits)
	if err := x.Put(index.Entry{ID: "t", Codes: []uint64{0}, Active: true}); err != nil {
		t.Fatal(err)
	}
	far := ^uint64(0)
	query := func(pos int, code uint64) fingerprint.Fingerprint {
		q := fingerprint.Fingerprint{Version: fingerprint.Version, Codes: []uint64{far, far, far, far, far, far, far, far}}
		q.Codes[pos] = code
		return q
	}
	const bits4, bits8 = 0xf, 0xff
	for _, tc := range []struct {
		name     string
		q        fingerprint.Fingerprint
		o        Options
		wantDist int // -1: no hit
	}{
		{"upright at the threshold", query(0, bits8), Options{}, 8},
		{"turn at the threshold", query(5, bits8), Options{}, -1},
		{"turn within threshold minus penalty", query(5, bits4), Options{}, 4 + TurnPenalty},
		{"turn near", query(5, bits8), Options{Near: true}, 8 + TurnPenalty},
		{"turn with a wider threshold", query(5, bits8), Options{Threshold: 12}, 12},
		{"upright past a narrower threshold", query(0, bits8), Options{Threshold: 7}, -1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			hits, err := Search(context.Background(), x, tc.q, tc.o)
			if err != nil {
				t.Fatal(err)
			}
			switch {
			case tc.wantDist < 0 && len(hits) != 0:
				t.Errorf("hits %+v, want none", hits)
			case tc.wantDist >= 0 && (len(hits) != 1 || hits[0].Distance != tc.wantDist):
				t.Errorf("hits %+v, want one at %d", hits, tc.wantDist)
			}
		})
	}
}
