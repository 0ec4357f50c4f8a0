package main

import (
	"math"

	"github.com/pixmatch/pixmatch/shared/bow"
	"github.com/pixmatch/pixmatch/shared/feature"
)

// wgcIndex is an inverted file with weak geometric consistency (Jégou,
// Douze and Schmid, 2008): each posting keeps its feature's orientation,
// quantised to bins, and a query's votes for an entry are tallied by the
// difference of the two orientations. A print turned in the frame turns
// every feature by about the same angle, so its votes gather in a few
// bins, while a wrong entry's word matches spread over all of them: an
// entry scores the most votes in window adjacent bins, each vote bow's
// idf² weight shared out so that a word's votes sum to bow's
// idf²·min(q_w, d_w), divided by √(|q|·|d|) as bow's.
//
// With m > 0 only the m entries of highest plain score (every bin's votes)
// are scored so: the others rank below them.
type wgcIndex struct {
	bins, window, m int
	v               *bow.Vocabulary
	postings        [][]wgcPosting
	sizes           []int
	idf             []float64
}

type wgcPosting struct {
	doc   uint32
	bin   uint8
	count uint16 // the entry's features on the word
}

func newWGC(v *bow.Vocabulary, recs []feature.Record, words [][]uint32, bag, bins, window, m int) *wgcIndex {
	x := &wgcIndex{bins: bins, window: max(window, 1), m: m, v: v, postings: make([][]wgcPosting, v.Words()), sizes: make([]int, len(words)), idf: make([]float64, v.Words())}
	df := make([]int, v.Words())
	for i, ws := range words {
		n := min(bag, len(ws))
		counts := map[uint32]uint16{}
		for _, w := range ws[:n] {
			counts[w]++
		}
		for w := range counts {
			df[w]++
		}
		for j, w := range ws[:n] {
			x.postings[w] = append(x.postings[w], wgcPosting{doc: uint32(i), bin: x.bin(recs[i].Features[j].Angle), count: counts[w]})
		}
		x.sizes[i] = n
	}
	for w := range x.idf {
		x.idf[w] = math.Log((float64(len(words)) + 1) / (float64(df[w]) + 0.5))
	}
	return x
}

func (x *wgcIndex) bin(angle float32) uint8 {
	b := int(float64(angle) / (2 * math.Pi) * float64(x.bins))
	return uint8(min(max(b, 0), x.bins-1))
}

func (x *wgcIndex) query(q []feature.Feature, words []uint32, n int) []int {
	qcount := map[uint32]int{}
	for _, w := range words {
		qcount[w]++
	}
	hist := make([]float64, len(x.sizes)*x.bins)
	for i, w := range words {
		qb := int(x.bin(q[i].Angle))
		qc := qcount[w]
		wt := x.idf[w] * x.idf[w]
		for _, p := range x.postings[w] {
			d := (qb - int(p.bin) + x.bins) % x.bins
			hist[int(p.doc)*x.bins+d] += wt / float64(max(qc, int(p.count)))
		}
	}
	scores := make([]float64, len(x.sizes))
	var keep []bool
	if x.m > 0 {
		plain := make([]float64, len(x.sizes))
		for d := range plain {
			for _, v := range hist[d*x.bins : (d+1)*x.bins] {
				plain[d] += v
			}
		}
		keep = make([]bool, len(x.sizes))
		qs := float64(len(words))
		for _, d := range ranked(plain, x.m, func(d int, sc float64) float64 { return sc / math.Sqrt(qs*float64(x.sizes[d])) }) {
			keep[d] = true
		}
	}
	for d := range scores {
		if keep != nil && !keep[d] {
			continue
		}
		h := hist[d*x.bins : (d+1)*x.bins]
		best := 0.0
		for b := range x.bins {
			s := 0.0
			for k := range x.window {
				s += h[(b+k)%x.bins]
			}
			best = max(best, s)
		}
		scores[d] = best
	}
	qs := float64(len(words))
	return ranked(scores, n, func(d int, sc float64) float64 { return sc / math.Sqrt(qs*float64(x.sizes[d])) })
}
