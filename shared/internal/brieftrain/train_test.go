package main

import (
	"bytes"
	"math"
	"os"
	"testing"

	"github.com/pixmatch/pixmatch/shared/feature"
)

// shipped is the file `make feature-pattern` writes.
const shipped = "../../feature/pattern_data.go"

// raceEnabled is set when the race detector is on (race_test.go). The
// training starts no goroutines, and the detector makes it take most of
// a minute: make test runs these tests without it.
var raceEnabled bool

func skipUnderRace(t *testing.T) {
	if raceEnabled {
		t.Skip("skipped under the race detector; make test runs it without")
	}
}

// TestShipped checks that the pattern shared/feature ships is what the
// trainer learns from its fixed inputs and seed, down to the bytes of
// the generated file: a pattern edited by hand, or a change to the
// extractor that moves the training patches without a new pattern, fails
// here. After such a change, run make feature-pattern (and bump
// feature.Version).
func TestShipped(t *testing.T) {
	skipUnderRace(t)
	r := Train(Defaults)
	if err := feature.Valid(r.Pattern[:]); err != nil {
		t.Fatalf("the trainer learns an invalid pattern: %v", err)
	}
	if r.Pattern != feature.Pattern() {
		t.Fatalf("feature.Pattern() is not what the trainer learns: run make feature-pattern")
	}
	want, err := Source(r, Defaults)
	if err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(shipped)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("%s is not the file the trainer writes: run make feature-pattern", shipped)
	}
	t.Logf("%d patches of %d photos, correlation bound %.2f", r.Patches, len(r.Photos), float64(r.Correlation)/100)
}

// TestLearningKeepsWhatItPromises runs the greedy choice on the real
// patches and checks the kept tests against the ORB paper's criteria,
// computed here afresh: the first is the most balanced candidate (mean
// nearest ½), no two correlate by the bound or more, and together they
// are more balanced than the candidates they were chosen from. (Steered
// patches are far from balanced: the orientation points at the brighter
// side, so many tests lean one way.)
func TestLearningKeepsWhatItPromises(t *testing.T) {
	skipUnderRace(t)
	p := Defaults
	p.Candidates = 3000
	points := feature.DiscPoints()
	_, patches := trainingPatches(points)
	cands := candidates(points, p)
	kept, bound := learn(patches, cands, p)
	if len(kept) != feature.Bits || bound < p.Correlation {
		t.Fatalf("kept %d tests at bound %d", len(kept), bound)
	}
	n := float64(len(patches))
	outcome := func(c [2]int) []bool {
		out := make([]bool, len(patches))
		for i, v := range patches {
			out[i] = v[c[0]] < v[c[1]]
		}
		return out
	}
	mean := func(o []bool) float64 {
		k := 0
		for _, b := range o {
			if b {
				k++
			}
		}
		return float64(k) / n
	}
	var keptBias, allBias float64
	var outs [][]bool
	for _, k := range kept {
		o := outcome(cands[k])
		outs = append(outs, o)
		keptBias += math.Abs(mean(o) - 0.5)
	}
	for _, c := range cands {
		allBias += math.Abs(mean(outcome(c)) - 0.5)
	}
	keptBias /= float64(len(kept))
	allBias /= float64(len(cands))
	if keptBias > 0.9*allBias {
		t.Errorf("kept tests average |mean − ½| %.3f, candidates %.3f: want under 90 %%", keptBias, allBias)
	}
	first := math.Abs(mean(outcome(cands[kept[0]])) - 0.5)
	for _, c := range cands {
		if b := math.Abs(mean(outcome(c)) - 0.5); b < first-1e-12 {
			t.Fatalf("the first test kept has |mean − ½| %.4f, a candidate %.4f", first, b)
		}
	}
	for i := range outs {
		for j := range i {
			if c := correlation(outs[i], outs[j]); math.Abs(c) >= float64(bound)/100+1e-9 {
				t.Fatalf("kept tests %d and %d correlate %.3f, bound %.2f", j, i, c, float64(bound)/100)
			}
		}
	}
	t.Logf("bound %.2f; mean |mean − ½| kept %.3f, candidates %.3f", float64(bound)/100, keptBias, allBias)
}

// correlation is Pearson's correlation of two binary outcomes.
func correlation(a, b []bool) float64 {
	n := float64(len(a))
	var sa, sb, sab float64
	for i := range a {
		x, y := b2f(a[i]), b2f(b[i])
		sa += x
		sb += y
		sab += x * y
	}
	ma, mb := sa/n, sb/n
	return (sab/n - ma*mb) / math.Sqrt(ma*(1-ma)*mb*(1-mb))
}

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}
