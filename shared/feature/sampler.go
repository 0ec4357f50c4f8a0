package feature

import "math/bits"

// sampler is RANSAC's source of random numbers: math/rand/v2's PCG, as
// rand.New(rand.NewPCG(seed1, seed2)) makes it, and its IntN, giving the
// same numbers bit for bit (TestSamplerIsRandV2) — so every fit is the
// one the seed always gave. It is written out because in WebAssembly
// a draw through rand.Rand is four calls deep, one of them through an
// interface, and cost a seventh of verifying a shortlist; here it is
// one call.
type sampler struct{ hi, lo uint64 }

// newSampler is rand.NewPCG(seed1, seed2).
func newSampler(seed1, seed2 uint64) *sampler { return &sampler{seed1, seed2} }

// uint64 is (*rand.PCG).Uint64: the state advanced by the 128-bit LCG,
// then the DXSM output function.
func (p *sampler) uint64() uint64 {
	const (
		mulHi    = 2549297995355413924
		mulLo    = 4865540595714422341
		incHi    = 6364136223846793005
		incLo    = 1442695040888963407
		cheapMul = 0xda942042e4dd58b5
	)
	hi, lo := bits.Mul64(p.lo, mulLo)
	hi += p.hi*mulLo + p.lo*mulHi
	lo, c := bits.Add64(lo, incLo, 0)
	hi, _ = bits.Add64(hi, incHi, c)
	p.lo, p.hi = lo, hi
	hi ^= hi >> 32
	hi *= cheapMul
	hi ^= hi >> 48
	hi *= lo | 1
	return hi
}

// intN is (*rand.Rand).IntN on a 64-bit platform (js/wasm is one): a
// number in [0, n) for n > 0, by a mask for a power of two, else by
// Lemire's multiply with rejection.
func (p *sampler) intN(n int) int {
	un := uint64(n)
	if un&(un-1) == 0 {
		return int(p.uint64() & (un - 1))
	}
	hi, lo := bits.Mul64(p.uint64(), un)
	if lo < un {
		thresh := -un % un
		for lo < thresh {
			hi, lo = bits.Mul64(p.uint64(), un)
		}
	}
	return int(hi)
}
