package bow

import (
	"fmt"
	"math/rand/v2"
	"testing"
	"time"
)

// TestTurnVotesCountsPairs holds turnVotes to its definition, bit for
// bit: every pair of a document turn and a query turn counted by its
// difference, one by one, then v times each count added in the order of
// the differences — over words of one pair (the shortcut), of few query
// features (pairs counted directly), of more than Turns (counted through
// the query's histogram), turns of any byte value (the difference is
// taken modulo Turns as a byte), and votes already holding sums (the
// order of additions shows).
func TestTurnVotesCountsPairs(t *testing.T) {
	rng := rand.New(rand.NewPCG(31, 32))
	for i := range 3000 {
		m, n := 1+rng.IntN(MaxCount), 1+rng.IntN(300)
		switch i % 3 {
		case 0:
			m, n = 1, 1
		case 1:
			n = 1 + rng.IntN(Turns)
		}
		turns := make([]uint8, m)
		for j := range turns {
			turns[j] = uint8(rng.IntN(256))
		}
		qs := make([]Feature, n)
		for j := range qs {
			qs[j] = Feature{Word: 3, Turn: uint8(rng.IntN(256))}
		}
		var start [Turns]float64
		for d := range start {
			start[d] = rng.Float64() * 100
		}
		v := rng.Float64() * 7
		want := start
		var pairs [Turns]int
		for _, t := range turns {
			for _, f := range qs {
				pairs[(f.Turn-t)%Turns]++
			}
		}
		for d, c := range pairs {
			if c > 0 {
				want[d] += v * float64(c)
			}
		}
		got := start
		turnVotes(&got, v, turns, qs, queryHists(qs, 1)[0])
		if got != want {
			t.Fatalf("case %d (%d document turns, %d query features): %v, counted pair by pair %v", i, m, n, got, want)
		}
	}
}

// BenchmarkQueryCrowdedWord scores a query of syncwire's largest feature
// record (4,096 features) on one word against 1,000 documents with
// MaxCount features on it — the most pairs a word can make — and, in the
// same run, a camera frame's query (1,000 features over the words)
// against 10,000 documents of 500 features: the ratio is what the
// crowded query costs against an ordinary one. Before turnVotes counted
// pairs through the query's histogram it took 2.8 s a query.
func BenchmarkQueryCrowdedWord(b *testing.B) {
	rng := rand.New(rand.NewPCG(33, 34))
	const words = 1 << 15
	crowded, ordinary := NewIndex(words), NewIndex(words)
	for d := range 1000 {
		fs := randomFeatures(rng, 500, words)
		for i := range MaxCount {
			fs[i] = Feature{Word: 5, Turn: uint8(i % Turns)}
		}
		crowded.Put(fmt.Sprint(d), fs)
	}
	for d := range 10_000 {
		ordinary.Put(fmt.Sprint(d), randomFeatures(rng, 500, words))
	}
	q := make([]Feature, 4096)
	for i := range q {
		q[i] = Feature{Word: 5, Turn: uint8(rng.IntN(Turns))}
	}
	frame := randomFeatures(rng, 1000, words)
	var took, base time.Duration
	for b.Loop() {
		t0 := time.Now()
		crowded.Query(q, 40)
		t1 := time.Now()
		ordinary.Query(frame, 40)
		took, base = took+t1.Sub(t0), base+time.Since(t1)
	}
	b.ReportMetric(float64(took.Microseconds())/float64(b.N)/1000, "ms/crowded-query")
	b.ReportMetric(float64(took)/float64(base), "x-ordinary-query")
}
