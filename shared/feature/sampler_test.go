package feature

import (
	"math/rand/v2"
	"testing"
)

// TestSamplerIsRandV2 holds the sampler to math/rand/v2, number for
// number: its raw outputs, and IntN for every n RANSAC meets (4 to a few
// thousand pairs), powers of two (the mask) and n where Lemire's
// rejection loop runs often (2⁶² + 1 rejects about a quarter of draws).
func TestSamplerIsRandV2(t *testing.T) {
	ns := []int{1, 2, 3, 4, 5, 7, 64, 1 << 20, 1<<62 + 1, 1<<63 - 1, 3 << 61}
	for n := 6; n <= 5000; n += 7 {
		ns = append(ns, n)
	}
	for seed := range uint64(8) {
		want := rand.New(rand.NewPCG(seed, 0x72616e736163))
		got := newSampler(seed, 0x72616e736163)
		for range 1000 {
			if g, w := got.uint64(), want.Uint64(); g != w {
				t.Fatalf("seed %d: uint64 %d, rand/v2 %d", seed, g, w)
			}
		}
		for _, n := range ns {
			for range 200 {
				if g, w := got.intN(n), want.IntN(n); g != w {
					t.Fatalf("seed %d: intN(%d) %d, rand/v2 %d", seed, n, g, w)
				}
			}
		}
	}
}
