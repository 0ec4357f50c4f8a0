package bow

import (
	"math/rand/v2"
	"testing"
)

// nodeByDefinition is Node as the package doc defines it, its slow twin:
// at every level, the child at the least distance, the first of equals.
func nodeByDefinition(v *Vocabulary, d Descriptor, level int) uint32 {
	level = max(1, min(level, v.Levels))
	node, leaf := -1, 0
	for range level {
		first := (node + 1) * v.K
		best, bestDist := 0, 257
		for c := range v.K {
			if dist := distance(d, v.nodes[first+c]); dist < bestDist {
				best, bestDist = c, dist
			}
		}
		node = first + best
		leaf = leaf*v.K + best
	}
	return uint32(leaf)
}

// TestNodeAsDefined holds Node to its definition at every level, on the
// training descriptors, on random ones (far from every centre, where
// equal distances to two children are common) and on the centres
// themselves and copies of them with bits flipped, where ties are made
// on purpose: the first of equals must win, as before the descent was
// made fast.
func TestNodeAsDefined(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	ds, _ := clustered(rng, 16, 2000, 30)
	v, err := Train(ds, 4, 3, 5, 1)
	if err != nil {
		t.Fatal(err)
	}
	probes := append([]Descriptor(nil), ds[:500]...)
	for range 2000 {
		probes = append(probes, Descriptor{rng.Uint64(), rng.Uint64(), rng.Uint64(), rng.Uint64()})
	}
	for _, n := range v.nodes {
		probes = append(probes, n)
		for range 4 {
			b := rng.IntN(256)
			n[b/64] ^= 1 << (b % 64)
			probes = append(probes, n)
		}
	}
	ties := 0
	for _, d := range probes {
		for l := 0; l <= v.Levels+1; l++ {
			if got, want := v.Node(d, l), nodeByDefinition(v, d, l); got != want {
				t.Fatalf("Node(%x, %d) = %d, by definition %d", d, l, got, want)
			}
		}
		least, at := 257, 0 // the nearest first-level children
		for _, c := range v.nodes[:v.K] {
			if dist := distance(d, c); dist < least {
				least, at = dist, 1
			} else if dist == least {
				at++
			}
		}
		if at > 1 {
			ties++
		}
	}
	t.Logf("%d of %d probes have two nearest children", ties, len(probes))
	if ties < 100 {
		t.Errorf("only %d probes have two nearest children: the test proves little", ties)
	}
}
