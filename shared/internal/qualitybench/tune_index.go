package main

import (
	"cmp"
	"fmt"
	"math"
	"math/bits"
	"slices"
	"strconv"
	"strings"

	"github.com/pixmatch/pixmatch/shared/bow"
	"github.com/pixmatch/pixmatch/shared/feature"
)

// A shortlister ranks the gallery's entries for a query: an index a
// tuning run compares with shared/bow's.
type shortlister interface {
	// query returns the n best entries for the query's features and their
	// words, best first.
	query(q []feature.Feature, words []uint32, n int) []int
}

// newShortlister builds the index named by spec over the first bag
// words of each entry: "bow" for shared/bow's, or "he<bits>" for an
// inverted file with Hamming embedding: each posting keeps the first
// <bits> bits of its feature's descriptor, and a query feature votes for
// a posting of its word only within h of them. Options follow, each
// "/key=value": h, the Hamming bound (he); n, the exponent of the entry's
// feature count the score is divided by (he; 0 when not given); s, the
// slack of the query's soft assignment (bow.Vocabulary.Near; 0 when not
// given: one word each).
func newShortlister(spec string, v *bow.Vocabulary, recs []feature.Record, words [][]uint32, bag int) (shortlister, error) {
	parts := strings.Split(spec, "/")
	opt := map[string]float64{}
	for _, p := range parts[1:] {
		k, val, _ := strings.Cut(p, "=")
		f, err := strconv.ParseFloat(val, 64)
		if err != nil {
			return nil, fmt.Errorf("tune: index %q: %w", spec, err)
		}
		opt[k] = f
	}
	slack := int(opt["s"])
	if strings.HasPrefix(parts[0], "tf-") {
		return newTfidf(strings.TrimPrefix(parts[0], "tf-"), opt["stop"], slack, v, words, bag), nil
	}
	if b, ok := strings.CutPrefix(parts[0], "wgc"); ok {
		bins, err := strconv.Atoi(b)
		if err != nil || bins < 1 || bins > 64 {
			return nil, fmt.Errorf("tune: index %q", spec)
		}
		return newWGC(v, recs, words, bag, bins, int(opt["w"]), int(opt["m"])), nil
	}
	if parts[0] == "bow" {
		x := bow.NewIndex(v.Words())
		for i, ws := range words {
			x.Put(strconv.Itoa(i), bowFeatures(recs[i].Features, ws[:min(bag, len(ws))], nil))
		}
		return bowShortlister{x: x, v: v, slack: slack}, nil
	}
	vote := strings.HasPrefix(parts[0], "nn")
	b, err := strconv.Atoi(strings.TrimPrefix(strings.TrimPrefix(parts[0], "he"), "nn"))
	if err != nil || b < 1 || b > 64 || !strings.HasPrefix(parts[0], "he") && !vote {
		return nil, fmt.Errorf("tune: index %q", spec)
	}
	x := &heIndex{bits: b, h: int(opt["h"]), norm: opt["n"], slack: slack, v: v, postings: make([][]hePosting, v.Words()), sizes: make([]int, len(words))}
	for i, ws := range words {
		n := min(bag, len(ws))
		for j, w := range ws[:n] {
			x.postings[w] = append(x.postings[w], hePosting{doc: uint32(i), sig: x.sig(recs[i].Features[j].Desc)})
		}
		x.sizes[i] = n
	}
	if vote {
		r := opt["r"]
		if r == 0 {
			r = 0.8
		}
		maxd := int(opt["d"])
		if maxd == 0 {
			maxd = b
		}
		return &voteIndex{heIndex: x, ratio: r, maxd: maxd}, nil
	}
	return x, nil
}

// queryWords returns the words of q's features: words itself without
// slack, else each feature's near words (in order, feature by feature),
// with the feature each word is of.
func queryWords(v *bow.Vocabulary, q []feature.Feature, words []uint32, slack int) ([]uint32, []int) {
	of := make([]int, 0, len(words))
	if slack == 0 {
		for i := range words {
			of = append(of, i)
		}
		return words, of
	}
	var out []uint32
	for i, f := range q {
		n := len(out)
		out = v.Near(bow.Descriptor(f.Desc), slack, out)
		for range len(out) - n {
			of = append(of, i)
		}
	}
	return out, of
}

// bowFeatures pairs words with the turns of the features they are of:
// feature of[k] for words[k], or feature k when of is nil.
func bowFeatures(fs []feature.Feature, words []uint32, of []int) []bow.Feature {
	out := make([]bow.Feature, len(words))
	for k, w := range words {
		i := k
		if of != nil {
			i = of[k]
		}
		out[k] = bow.Feature{Word: w, Turn: bow.TurnOf(fs[i].Angle)}
	}
	return out
}

type bowShortlister struct {
	x     *bow.Index
	v     *bow.Vocabulary
	slack int
}

func (b bowShortlister) query(q []feature.Feature, words []uint32, n int) []int {
	words, of := queryWords(b.v, q, words, b.slack)
	var out []int
	for _, h := range b.x.Query(bowFeatures(q, words, of), n) {
		e, _ := strconv.Atoi(h.ID)
		out = append(out, e)
	}
	return out
}

// heIndex is an inverted file with Hamming embedding.
type heIndex struct {
	bits, h  int
	norm     float64
	slack    int
	v        *bow.Vocabulary
	postings [][]hePosting
	sizes    []int
}

type hePosting struct {
	doc uint32
	sig uint64
}

func (x *heIndex) sig(d feature.Descriptor) uint64 {
	if x.bits == 64 {
		return d[0]
	}
	return d[0] & (1<<x.bits - 1)
}

func (x *heIndex) query(q []feature.Feature, words []uint32, n int) []int {
	scores := make([]float64, len(x.sizes))
	last := make([]int32, len(x.sizes))
	for i := range last {
		last[i] = -1
	}
	docs := float64(len(x.sizes))
	words, of := queryWords(x.v, q, words, x.slack)
	for k, w := range words {
		i := of[k]
		ps := x.postings[w]
		if len(ps) == 0 {
			continue
		}
		idf := math.Log((docs + 1) / (float64(len(ps)) + 0.5))
		s := x.sig(q[i].Desc)
		for _, p := range ps {
			if bits.OnesCount64(s^p.sig) <= x.h && last[p.doc] != int32(i) {
				last[p.doc] = int32(i)
				scores[p.doc] += idf * idf
			}
		}
	}
	return ranked(scores, n, func(d int, sc float64) float64 {
		if x.norm == 0 {
			return sc
		}
		return sc / math.Pow(float64(max(x.sizes[d], 1)), x.norm)
	})
}

// ranked returns the n entries of the highest final scores, ties by
// index, of those scoring above 0: final turns an entry's sum into its
// final score.
func ranked(sums []float64, n int, final func(d int, sum float64) float64) []int {
	var cand []int
	for d, sc := range sums {
		if sc > 0 {
			sums[d] = final(d, sc)
			cand = append(cand, d)
		}
	}
	slices.SortFunc(cand, func(a, b int) int { return cmp.Or(cmp.Compare(sums[b], sums[a]), cmp.Compare(a, b)) })
	return cand[:min(n, len(cand))]
}

// tfidfIndex is an inverted file of word counts scored in one of several
// ways, to compare with shared/bow's: "min" (bow's: Σ idf²·min(q_w, d_w)
// / √(|q|·|d|)), "cos" (the cosine of tf-idf vectors), "lift" (bow's sum
// divided by what a query of as many random features would score with
// the entry), "diff" (the sum less that). Words in more than stop of the
// entries are left out (stop 0: none).
type tfidfIndex struct {
	score    string
	stop     float64
	slack    int
	v        *bow.Vocabulary
	postings [][]tfPosting
	idf      []float64
	sizes    []int
	norms    []float64 // L2 norm of each entry's tf-idf vector
	chance   []float64 // Σ over the entry's words of p(w)·idf(w)², p the share of all features on w
}

type tfPosting struct {
	doc   uint32
	count uint16
}

func newTfidf(score string, stop float64, slack int, v *bow.Vocabulary, words [][]uint32, bag int) *tfidfIndex {
	x := &tfidfIndex{score: score, stop: stop, slack: slack, v: v, postings: make([][]tfPosting, v.Words()), idf: make([]float64, v.Words()),
		sizes: make([]int, len(words)), norms: make([]float64, len(words)), chance: make([]float64, len(words))}
	total := make([]int, v.Words())
	all := 0
	bags := make([]bow.Bag, len(words))
	for i, ws := range words {
		bags[i] = bow.BagOf(ws[:min(bag, len(ws))])
		for j, w := range bags[i].Words {
			x.postings[w] = append(x.postings[w], tfPosting{doc: uint32(i), count: bags[i].Counts[j]})
			total[w] += int(bags[i].Counts[j])
			all += int(bags[i].Counts[j])
		}
		x.sizes[i] = bags[i].Size()
	}
	n := float64(len(words))
	for w, ps := range x.postings {
		x.idf[w] = math.Log((n + 1) / (float64(len(ps)) + 0.5))
		if stop > 0 && float64(len(ps)) > stop*n {
			x.idf[w] = 0
		}
	}
	for i, b := range bags {
		for j, w := range b.Words {
			t := float64(b.Counts[j]) * x.idf[w]
			x.norms[i] += t * t
			x.chance[i] += float64(total[w]) / float64(all) * x.idf[w] * x.idf[w]
		}
		x.norms[i] = math.Sqrt(x.norms[i])
	}
	return x
}

func (x *tfidfIndex) query(q []feature.Feature, words []uint32, n int) []int {
	words, _ = queryWords(x.v, q, words, x.slack)
	qb := bow.BagOf(words)
	scores := make([]float64, len(x.sizes))
	var qnorm float64
	for j, w := range qb.Words {
		qc := qb.Counts[j]
		idf := x.idf[w]
		qnorm += float64(qc) * idf * float64(qc) * idf
		for _, p := range x.postings[w] {
			switch x.score {
			case "cos":
				scores[p.doc] += float64(qc) * float64(p.count) * idf * idf
			default:
				scores[p.doc] += float64(min(qc, p.count)) * idf * idf
			}
		}
	}
	qs := float64(qb.Size())
	return ranked(scores, n, func(d int, sc float64) float64 {
		switch x.score {
		case "cos":
			return sc / (math.Sqrt(qnorm) * x.norms[d])
		case "min":
			return sc / math.Sqrt(qs*float64(x.sizes[d]))
		case "lift":
			return sc / (qs*x.chance[d] + 1e-9)
		case "diff":
			return sc - qs*x.chance[d]
		}
		return sc
	})
}

// voteIndex keeps, like heIndex, the first bits of each feature's
// descriptor in its word's postings, and shortlists as the anchor does: a
// query feature votes for the entry of its nearest posting (by those
// bits, over its words) when that is nearer than ratio times the nearest
// posting of any other entry, and within maxd; entries rank by votes.
type voteIndex struct {
	*heIndex
	ratio float64
	maxd  int
}

func (x *voteIndex) query(q []feature.Feature, words []uint32, n int) []int {
	votes := make([]float64, len(x.sizes))
	words, of := queryWords(x.v, q, words, x.slack)
	for k := 0; k < len(words); {
		i := of[k]
		s := x.sig(q[i].Desc)
		best, second, bestDoc := 65, 65, uint32(0)
		for ; k < len(words) && of[k] == i; k++ {
			for _, p := range x.postings[words[k]] {
				d := bits.OnesCount64(s ^ p.sig)
				switch {
				case d < best && p.doc != bestDoc:
					best, second, bestDoc = d, best, p.doc
				case d < best:
					best = d
				case d < second && p.doc != bestDoc:
					second = d
				}
			}
		}
		if best <= x.maxd && float64(best) < x.ratio*float64(second) {
			votes[bestDoc]++
		}
	}
	return ranked(votes, n, func(_ int, v float64) float64 { return v })
}
