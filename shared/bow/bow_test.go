package bow

import (
	"bytes"
	"flag"
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// clustered returns n descriptors around c random centres, each a centre
// with flips random bits changed, and the centre each came from.
func clustered(rng *rand.Rand, c, n, flips int) ([]Descriptor, []int) {
	centres := make([]Descriptor, c)
	for i := range centres {
		centres[i] = Descriptor{rng.Uint64(), rng.Uint64(), rng.Uint64(), rng.Uint64()}
	}
	ds, from := make([]Descriptor, n), make([]int, n)
	for i := range ds {
		from[i] = rng.IntN(c)
		d := centres[from[i]]
		for range flips {
			b := rng.IntN(256)
			d[b/64] ^= 1 << (b % 64)
		}
		ds[i] = d
	}
	return ds, from
}

// TestTrainSeparatesClusters trains a vocabulary of 16 words on
// descriptors from 16 well-separated clusters: nearly every cluster gets
// TestNear checks the soft assignment: with slack 0 a descriptor lands
// in its own word (and only the words of children tied with it), a
// larger slack only adds words, and the whole width of a descriptor
// reaches every word once.
func TestNear(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	ds, _ := clustered(rng, 16, 2000, 30)
	v, err := Train(ds, 4, 3, 5, 1)
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range ds[:200] {
		w := v.Word(d)
		exact := v.Near(d, 0, nil)
		if !slices.Contains(exact, w) {
			t.Fatalf("Near(d, 0) = %v lacks Word(d) = %d", exact, w)
		}
		wider := v.Near(d, 8, nil)
		for _, x := range exact {
			if !slices.Contains(wider, x) {
				t.Fatalf("slack 8 lost word %d of slack 0", x)
			}
		}
	}
	all := v.Near(ds[0], 256, nil)
	slices.Sort(all)
	if len(all) != v.Words() || len(slices.Compact(all)) != v.Words() {
		t.Errorf("slack 256 gave %d words, want each of %d once", len(all), v.Words())
	}
}

// a word of its own, and descriptors of one cluster share it.
func TestTrainSeparatesClusters(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	ds, from := clustered(rng, 16, 4000, 20)
	v, err := Train(ds, 4, 2, 10, 7)
	if err != nil {
		t.Fatal(err)
	}
	if v.Words() != 16 {
		t.Fatalf("%d words, want 16", v.Words())
	}
	// The word most descriptors of each cluster get, and how many agree.
	votes := map[int]map[uint32]int{}
	for i, d := range ds {
		if votes[from[i]] == nil {
			votes[from[i]] = map[uint32]int{}
		}
		votes[from[i]][v.Word(d)]++
	}
	agree, words := 0, map[uint32]bool{}
	for _, vs := range votes {
		best, bestN := uint32(0), 0
		for w, n := range vs {
			if n > bestN {
				best, bestN = w, n
			}
		}
		agree += bestN
		words[best] = true
	}
	if purity := float64(agree) / float64(len(ds)); purity < 0.95 {
		t.Errorf("%.1f %% of descriptors share their cluster's word, want >= 95 %%", 100*purity)
	}
	if len(words) < 14 {
		t.Errorf("16 clusters got %d distinct words, want >= 14", len(words))
	}
}

func TestTrainDeterministicAndRoundTrip(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	ds, _ := clustered(rng, 50, 3000, 30)
	a, _ := Train(ds, 5, 3, 5, 11)
	b, _ := Train(ds, 5, 3, 5, 11)
	ab, _ := a.MarshalBinary()
	bb, _ := b.MarshalBinary()
	if !bytes.Equal(ab, bb) {
		t.Fatal("two trainings with one seed differ")
	}
	var c Vocabulary
	if err := c.UnmarshalBinary(ab); err != nil {
		t.Fatal(err)
	}
	for _, d := range ds[:200] {
		if a.Word(d) != c.Word(d) {
			t.Fatal("a decoded vocabulary gives other words")
		}
	}
	for _, bad := range [][]byte{nil, []byte("BOWV"), ab[:len(ab)-1], append([]byte("XXXX"), ab[4:]...)} {
		if err := c.UnmarshalBinary(bad); err == nil {
			t.Errorf("decoded %d bytes of garbage", len(bad))
		}
	}
}

func FuzzUnmarshalVocabulary(f *testing.F) {
	v, _ := Train([]Descriptor{{1}, {2}, {3}, {4}}, 2, 2, 1, 1)
	good, _ := v.MarshalBinary()
	f.Add(good)
	f.Add([]byte("BOWV\x02\x00\x08\x00"))
	f.Fuzz(func(t *testing.T, b []byte) {
		var v Vocabulary
		if v.UnmarshalBinary(b) == nil {
			v.Word(Descriptor{})
		}
	})
}

// skew shapes the words of randomBag: word = words × u^skew for a uniform
// u, so that low words are common and most rare (1 is uniform).
var skew = 1.5

// randomFeatures are n features on words below words, skewed so that
// some words are common and most rare, as real vocabularies are, at
// random turns.
func randomFeatures(rng *rand.Rand, n, words int) []Feature {
	fs := make([]Feature, n)
	for i := range fs {
		fs[i] = Feature{Word: uint32(math.Pow(rng.Float64(), skew) * float64(words)), Turn: uint8(rng.IntN(Turns))}
	}
	return fs
}

// sameHits reports how got differs from want, the flat twin's hits of a
// query (all of them, scored, by ID in scores): the same scores in
// order, within the rounding of the index's 32-bit votes, and the same
// documents but where two tie.
func sameHits(got, want []Hit, scores map[string]float64) string {
	if len(got) != len(want) {
		return fmt.Sprintf("%d hits, flat %d", len(got), len(want))
	}
	near := func(a, b float64) bool { return math.Abs(a-b) <= 1e-5*math.Max(math.Abs(a), math.Abs(b)) }
	for i := range got {
		if !near(got[i].Score, want[i].Score) || got[i].ID != want[i].ID && !near(scores[got[i].ID], want[i].Score) {
			return fmt.Sprintf("hit %d = %+v, flat %+v", i, got[i], want[i])
		}
	}
	return ""
}

// TestIndexMatchesFlat holds the inverted index equal to the flat scan
// through puts, replacements and removals.
func TestIndexMatchesFlat(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	const words = 2000
	x, f := NewIndex(words), NewFlat()
	check := func(step string, q []Feature) {
		t.Helper()
		all := f.Query(q, 1<<30)
		scores := map[string]float64{}
		for _, h := range all {
			scores[h.ID] = h.Score
		}
		if diff := sameHits(x.Query(q, 15), all[:min(15, len(all))], scores); diff != "" {
			t.Fatalf("%s: %s", step, diff)
		}
	}
	checkRandom := func(step string) {
		t.Helper()
		for range 8 {
			check(step, randomFeatures(rng, 50+rng.IntN(300), words))
		}
	}
	for i := range 400 {
		id := fmt.Sprintf("doc%03d", i)
		fs := randomFeatures(rng, 20+rng.IntN(400), words)
		x.Put(id, fs)
		f.Put(id, fs)
	}
	checkRandom("after puts")
	for i := 0; i < 400; i += 3 {
		id := fmt.Sprintf("doc%03d", i)
		x.Remove(id)
		f.Remove(id)
	}
	checkRandom("after removals")
	for i := 1; i < 400; i += 5 {
		id := fmt.Sprintf("doc%03d", i)
		fs := randomFeatures(rng, 100, words)
		x.Put(id, fs)
		f.Put(id, fs)
	}
	checkRandom("after replacements")
	// A pattern repeated all over a picture: only the first MaxCount
	// features of a word count, in both.
	var repeated []Feature
	for i := range MaxCount + 400 {
		repeated = append(repeated, Feature{Word: 7, Turn: uint8(i % Turns)})
	}
	repeated = append(repeated, Feature{Word: 8, Turn: 3}, Feature{Word: 9, Turn: 5}, Feature{Word: 8, Turn: 4})
	x.Put("repeated", repeated)
	f.Put("repeated", repeated)
	check("a repeated pattern", repeated)
	check("a repeated pattern", repeated[:600])
	check("a repeated pattern", repeated[MaxCount-3:])
	x.Remove("repeated")
	f.Remove("repeated")
	checkRandom("after a repeated pattern left")
	if x.Len() != len(f.docs) {
		t.Fatalf("index holds %d documents, flat %d", x.Len(), len(f.docs))
	}
}

// TestTurnsAgree is weak geometric consistency: of two documents sharing
// the same words with a query, the one whose features are turned from
// the query's by one angle (a print turned in the frame) ranks first,
// whatever the angle, and above a larger document whose matches turn
// every way.
func TestTurnsAgree(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 12))
	const words = 5000
	x := NewIndex(words)
	for i := range 300 {
		x.Put(fmt.Sprint(i), randomFeatures(rng, 200, words))
	}
	q := randomFeatures(rng, 300, words)
	for turn := range uint8(Turns) {
		var agreeing, scattered []Feature
		for i, f := range q[:60] {
			agreeing = append(agreeing, Feature{Word: f.Word, Turn: f.Turn + turn + uint8(i%2)}) // within the window
			scattered = append(scattered, Feature{Word: f.Word, Turn: uint8(rng.IntN(Turns))})
		}
		x.Put("agreeing", agreeing)
		x.Put("scattered", append(scattered, randomFeatures(rng, 10, words)...))
		hits := x.Query(q, 2)
		if len(hits) != 2 || hits[0].ID != "agreeing" || hits[1].ID != "scattered" || hits[0].Score < 2*hits[1].Score {
			t.Fatalf("turned by %d: %+v", turn, hits)
		}
	}
}

// TestQueryFindsItself checks that a document's own features retrieve it
// first.
func TestQueryFindsItself(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	x := NewIndex(32768)
	docs := make([][]Feature, 2000)
	for i := range docs {
		docs[i] = randomFeatures(rng, 300, 32768)
		x.Put(fmt.Sprint(i), docs[i])
	}
	for i := 0; i < len(docs); i += 97 {
		if hits := x.Query(docs[i], 1); len(hits) == 0 || hits[0].ID != fmt.Sprint(i) {
			t.Fatalf("document %d's own features retrieve %+v", i, hits)
		}
	}
}

// BenchmarkQuery searches 100,000 documents of 300 features over 32,768
// words with a query of 500 features, and reports the index's memory per
// document; the flat scan of 5,000 documents, timed in the same run, is
// the baseline its speed is compared with, per document. -querysizes
// lists other numbers of documents, each a sub-benchmark of the same run:
// -args -querysizes 100000,1000000 (about 4 GB at 1M).
func BenchmarkQuery(b *testing.B) {
	for _, field := range strings.Split(*querySizes, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(field))
		if err != nil || n <= 0 {
			b.Fatalf("bad -querysizes entry %q", field)
		}
		b.Run(fmt.Sprintf("docs=%d", n), func(b *testing.B) { benchQuery(b, n) })
	}
}

// querySizes are the numbers of documents BenchmarkQuery indexes.
var querySizes = flag.String("querysizes", "100000", "comma-separated numbers of documents for BenchmarkQuery, e.g. 100000,1000000")

func benchQuery(b *testing.B, docs int) {
	rng := rand.New(rand.NewPCG(9, 10))
	const words = 32768
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	x := NewIndex(words)
	flat := NewFlat()
	for i := range docs {
		fs := randomFeatures(rng, 300, words)
		x.Put(fmt.Sprint(i), fs)
		if i < 5000 {
			flat.Put(fmt.Sprint(i), fs)
		}
	}
	runtime.GC()
	runtime.ReadMemStats(&after)
	q := randomFeatures(rng, 500, words)
	x.Query(q, 20) // the accumulator, once
	var indexed, scanned time.Duration
	for b.Loop() {
		t0 := time.Now()
		x.Query(q, 20)
		t1 := time.Now()
		flat.Query(q, 20)
		indexed += t1.Sub(t0)
		scanned += time.Since(t1)
	}
	perDoc := func(d time.Duration, n int) float64 { return float64(d) / float64(n) }
	b.ReportMetric(float64(indexed.Microseconds())/float64(b.N)/1000, "ms/query")
	b.ReportMetric(perDoc(scanned, 5000)/perDoc(indexed, docs), "x-faster-per-doc-than-flat")
	b.ReportMetric(float64(after.HeapAlloc-before.HeapAlloc-flatBytes(flat))/float64(docs), "B/doc")
}

// flatBytes estimates what the flat twin holds, to leave it out of the
// index's memory.
func flatBytes(f *Flat) uint64 {
	var n uint64
	for _, fs := range f.docs {
		n += uint64(8*cap(fs)) + 64
	}
	return n
}

// TestNodeIsAncestorOfWord checks that the node a descriptor reaches at
// every level is the ancestor of its word there, and that levels out of
// range are clamped.
func TestNodeIsAncestorOfWord(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	ds, _ := clustered(rng, 16, 1000, 30)
	v, err := Train(ds, 4, 3, 5, 1)
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range ds[:300] {
		w := v.Word(d)
		for l := 0; l <= v.Levels+1; l++ {
			n, a := v.Node(d, l), v.Ancestor(w, l)
			if n != a {
				t.Fatalf("level %d: Node = %d, Ancestor of word %d = %d", l, n, w, a)
			}
			if want := w / uint32([]int{16, 16, 4, 1, 1}[l]); n != want {
				t.Fatalf("level %d: node %d of word %d, want %d", l, n, w, want)
			}
		}
	}
}
