// Package bow retrieves, among many pictures described by local features,
// the few worth verifying: a bag-of-binary-words index.
//
// # Vocabulary
//
// A Vocabulary quantises a 256-bit binary descriptor to a word: a tree of
// K children per node and Levels levels, whose nodes are descriptors
// themselves. A descriptor descends from the root to the child nearest by
// Hamming distance at each level; the leaf it reaches is its word, one of
// K^Levels. The tree is trained once (Train), by hierarchical k-majority
// clustering: k-means in which the centre of a cluster is the bitwise
// majority of its members, the usual centre for Hamming space, seeded
// k-means++ style so that far-apart descriptors start apart. Training is
// deterministic for a seed, and the trained tree is versioned data
// (MarshalBinary), built by the project's own trainer from licence-clean
// photos: a change of the tree changes every stored word, so words are
// never compared across versions.
//
// # Index
//
// An Index is an inverted file: for each word, the documents (targets)
// whose features quantise to it, each feature with its orientation in
// Turns steps. A query is a picture's features, quantised the same way.
// Each pair of a query feature and a document feature on the same word w
// votes for the document, under the difference t of their turns,
//
//	v = idf(w)² / max(q_w, d_w)
//
// where q_w and d_w count the query's and the document's features on w
// (a word's votes for a document sum to idf(w)²·min(q_w, d_w)), and
// idf(w) = ln((N + 1) / (df(w) + ½)) for N documents of which df(w) have
// the word: rare words weigh most. A document scores
//
//	score(q, d) = max over t of Σ_{i<Window} V_d(t + i mod Turns) / √(|q| · |d|)
//
// the most votes it gathers within Window adjacent turns — V_d(t) being
// the sum over words of v times the pairs of the word at difference t,
// one addition a word and turn, so that a word many features of both
// the query and the document share costs Turns additions a document
// feature rather than one a pair (turnVotes) — |q| and |d|
// counting all the query's and the document's features, so that a
// document is not favoured for having many. Only the Candidates
// documents of highest plain score — the same sum over every turn, an
// upper bound of the score — are scored so; the others rank below them. This is weak geometric
// consistency (Jégou, Douze and Schmid, 2008): a print in a frame, turned
// and tilted, turns its features by about the same angle, so its true
// matches agree on a few turns while a wrong document's chance word
// matches spread over all of them — the plain sum of the votes (any
// turn) shortlisted the target for 88 % of the camera frames of make
// bench-quality, the window for 96 %. Every quantity is taken from the
// index as it is at the query, so adding documents never leaves stale
// weights. Flat is the index's slow, obviously correct twin: it scores
// every document pair by pair, and tests hold the two equal.
package bow

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math/bits"
	"math/rand/v2"
	"slices"
)

// Descriptor is a 256-bit binary descriptor.
type Descriptor = [4]uint64

// distance is the Hamming distance between two descriptors.
func distance(a, b Descriptor) int {
	return bits.OnesCount64(a[0]^b[0]) + bits.OnesCount64(a[1]^b[1]) +
		bits.OnesCount64(a[2]^b[2]) + bits.OnesCount64(a[3]^b[3])
}

// Vocabulary is a tree of binary words (see the package doc).
type Vocabulary struct {
	K, Levels int
	// nodes holds the centres of every node but the root, level by level:
	// the children of node n (the root is n = -1) are nodes
	// (n+1)*K .. (n+1)*K+K-1 of the full K-ary tree, counting from 0.
	nodes []Descriptor
}

// Words returns how many words the vocabulary has: K^Levels.
func (v *Vocabulary) Words() int {
	n := 1
	for range v.Levels {
		n *= v.K
	}
	return n
}

// Word returns the word of d: the leaf it reaches descending to the
// nearest child at every level.
func (v *Vocabulary) Word(d Descriptor) uint32 { return v.Node(d, v.Levels) }

// Node returns the node d reaches at level (1 to Levels, clamped),
// descending to the nearest child at every level, as its index within
// that level: Node(d, Levels) is Word(d), and the node at level l of a
// word w is w / K^(Levels−l) (Ancestor). Nodes of a level partition the
// descriptor space into K^l cells, coarser the nearer the root.
func (v *Vocabulary) Node(d Descriptor, level int) uint32 {
	level = max(1, min(level, v.Levels))
	node, leaf := -1, 0 // the current node and its index within its level
	for range level {
		first := (node + 1) * v.K
		best := nearestChild(&d, v.nodes[first:first+v.K])
		node = first + best
		leaf = leaf*v.K + best
	}
	return uint32(leaf)
}

// nearestChild returns the index of the child nearest to d, the first of
// equals. The loop is the descent's whole cost: it reads the children in
// place, the query's words held in locals, with no bounds check and no
// copy of a descriptor (in WebAssembly each of those costs as much as the
// popcounts).
func nearestChild(d *Descriptor, children []Descriptor) int {
	a, b, c, e := d[0], d[1], d[2], d[3]
	best, bestDist := 0, 257
	for i := range children {
		n := &children[i]
		dist := bits.OnesCount64(a^n[0]) + bits.OnesCount64(b^n[1]) +
			bits.OnesCount64(c^n[2]) + bits.OnesCount64(e^n[3])
		if dist < bestDist {
			best, bestDist = i, dist
		}
	}
	return best
}

// Ancestor returns the node at level (1 to Levels, clamped) above word w:
// the node every descriptor of word w passed through there.
func (v *Vocabulary) Ancestor(w uint32, level int) uint32 {
	for l := max(1, min(level, v.Levels)); l < v.Levels; l++ {
		w /= uint32(v.K)
	}
	return w
}

// Near appends to out the words of d within slack bits of its path: the
// leaves reached descending, at every level, into each child at most
// slack bits farther from d than the nearest child. With slack 0 that is
// Word's leaf and the leaves of children tied with it. A descriptor near
// the border between two words thus lands in both.
func (v *Vocabulary) Near(d Descriptor, slack int, out []uint32) []uint32 {
	return v.near(d, slack, -1, 0, 0, out)
}

// near descends from node (the root is -1), the leaf prefix so far, at
// level.
func (v *Vocabulary) near(d Descriptor, slack, node, leaf, level int, out []uint32) []uint32 {
	if level == v.Levels {
		return append(out, uint32(leaf))
	}
	first := (node + 1) * v.K
	var dist [256]int
	best := 257
	for c := range v.K {
		dist[c] = distance(d, v.nodes[first+c])
		best = min(best, dist[c])
	}
	for c := range v.K {
		if dist[c] <= best+slack {
			out = v.near(d, slack, first+c, leaf*v.K+c, level+1, out)
		}
	}
	return out
}

// Train builds a vocabulary of k children a node and levels levels from
// sample descriptors, deterministically for seed. Each node's children
// are the k-majority clusters of the samples that reached it, after
// iterations rounds of assignment; a node with fewer samples than k
// repeats them.
func Train(samples []Descriptor, k, levels, iterations int, seed uint64) (*Vocabulary, error) {
	if k < 2 || levels < 1 || len(samples) == 0 {
		return nil, fmt.Errorf("bow: train %d children, %d levels on %d samples", k, levels, len(samples))
	}
	v := &Vocabulary{K: k, Levels: levels}
	total := 0
	for l, n := 1, k; l <= levels; l, n = l+1, n*k {
		total += n
	}
	v.nodes = make([]Descriptor, total)
	rng := rand.New(rand.NewPCG(seed, 0x626f77)) // "bow"
	type job struct {
		node    int // -1 for the root
		level   int
		members []Descriptor
	}
	queue := []job{{node: -1, level: 0, members: samples}}
	for len(queue) > 0 {
		j := queue[0]
		queue = queue[1:]
		centres, groups := cluster(j.members, k, iterations, rng)
		first := (j.node + 1) * k
		copy(v.nodes[first:first+k], centres)
		if j.level+1 < levels {
			for c := range k {
				queue = append(queue, job{node: first + c, level: j.level + 1, members: groups[c]})
			}
		}
	}
	return v, nil
}

// cluster splits members into k groups by k-majority clustering and
// returns the centres and groups. With fewer members than k, the missing
// centres repeat members (their groups stay empty).
func cluster(members []Descriptor, k, iterations int, rng *rand.Rand) ([]Descriptor, [][]Descriptor) {
	centres := seedCentres(members, k, rng)
	groups := make([][]Descriptor, k)
	for it := 0; it <= iterations; it++ {
		for c := range groups {
			groups[c] = groups[c][:0]
		}
		for _, m := range members {
			best, bestDist := 0, 257
			for c, ctr := range centres {
				if d := distance(m, ctr); d < bestDist {
					best, bestDist = c, d
				}
			}
			groups[best] = append(groups[best], m)
		}
		if it == iterations {
			break
		}
		changed := false
		for c, g := range groups {
			if len(g) == 0 {
				continue
			}
			if m := majority(g); m != centres[c] {
				centres[c], changed = m, true
			}
		}
		if !changed {
			break
		}
	}
	return centres, groups
}

// seedCentres picks k starting centres k-means++ style: the first at
// random, each next one with a probability growing with its squared
// distance to the nearest centre picked.
func seedCentres(members []Descriptor, k int, rng *rand.Rand) []Descriptor {
	centres := make([]Descriptor, 0, k)
	if len(members) == 0 {
		return make([]Descriptor, k)
	}
	centres = append(centres, members[rng.IntN(len(members))])
	near := make([]int, len(members))
	for i, m := range members {
		near[i] = distance(m, centres[0])
	}
	for len(centres) < k {
		var sum int64
		for _, d := range near {
			sum += int64(d) * int64(d)
		}
		pick := 0
		if sum == 0 { // every member is a centre already: repeat one
			pick = rng.IntN(len(members))
		} else {
			target := rng.Int64N(sum)
			for i, d := range near {
				if target -= int64(d) * int64(d); target < 0 {
					pick = i
					break
				}
			}
		}
		c := members[pick]
		centres = append(centres, c)
		for i, m := range members {
			near[i] = min(near[i], distance(m, c))
		}
	}
	return centres
}

// majority returns the bitwise majority of descriptors (ties to 0).
func majority(ds []Descriptor) Descriptor {
	var counts [256]int32
	for _, d := range ds {
		for w, word := range d {
			for word != 0 {
				b := bits.TrailingZeros64(word)
				counts[w*64+b]++
				word &= word - 1
			}
		}
	}
	var m Descriptor
	half := int32(len(ds))
	for i, c := range counts {
		if 2*c > half {
			m[i/64] |= 1 << (i % 64)
		}
	}
	return m
}

// vocabularyMagic starts an encoded vocabulary.
var vocabularyMagic = [4]byte{'B', 'O', 'W', 'V'}

// ErrFormat reports encoded data that is not a vocabulary.
var ErrFormat = errors.New("bow: not an encoded vocabulary")

// MarshalBinary encodes the vocabulary: "BOWV", K and Levels as uint16,
// then every node's descriptor as four little-endian uint64.
func (v *Vocabulary) MarshalBinary() ([]byte, error) {
	b := make([]byte, 0, 8+32*len(v.nodes))
	b = append(b, vocabularyMagic[:]...)
	b = binary.LittleEndian.AppendUint16(b, uint16(v.K))
	b = binary.LittleEndian.AppendUint16(b, uint16(v.Levels))
	for _, n := range v.nodes {
		for _, w := range n {
			b = binary.LittleEndian.AppendUint64(b, w)
		}
	}
	return b, nil
}

// UnmarshalBinary decodes what MarshalBinary wrote.
func (v *Vocabulary) UnmarshalBinary(b []byte) error {
	if len(b) < 8 || [4]byte(b[:4]) != vocabularyMagic {
		return ErrFormat
	}
	k, levels := int(binary.LittleEndian.Uint16(b[4:])), int(binary.LittleEndian.Uint16(b[6:]))
	if k < 2 || levels < 1 || levels > 8 {
		return fmt.Errorf("%w: %d children, %d levels", ErrFormat, k, levels)
	}
	w := &Vocabulary{K: k, Levels: levels}
	total := 0
	for l, n := 1, k; l <= levels; l, n = l+1, n*k {
		total += n
	}
	if len(b) != 8+32*total {
		return fmt.Errorf("%w: %d bytes for %d nodes", ErrFormat, len(b), total)
	}
	w.nodes = make([]Descriptor, total)
	for i := range w.nodes {
		for j := range 4 {
			w.nodes[i][j] = binary.LittleEndian.Uint64(b[8+32*i+8*j:])
		}
	}
	*v = *w
	return nil
}

// Bag returns the bag of words of descriptors: each word with the number
// of descriptors on it, by word.
func (v *Vocabulary) Bag(ds []Descriptor) Bag {
	words := make([]uint32, len(ds))
	for i, d := range ds {
		words[i] = v.Word(d)
	}
	return BagOf(words)
}

// Bag is a bag of words: distinct words in increasing order, each with how
// many features fall on it.
type Bag struct {
	Words  []uint32
	Counts []uint16
}

// BagOf makes the bag of a list of words.
func BagOf(words []uint32) Bag {
	sorted := slices.Clone(words)
	slices.Sort(sorted)
	var b Bag
	for i, w := range sorted {
		if i > 0 && w == sorted[i-1] {
			if b.Counts[len(b.Counts)-1] < 1<<16-1 {
				b.Counts[len(b.Counts)-1]++
			}
			continue
		}
		b.Words = append(b.Words, w)
		b.Counts = append(b.Counts, 1)
	}
	return b
}

// Size returns how many features the bag holds.
func (b Bag) Size() int {
	n := 0
	for _, c := range b.Counts {
		n += int(c)
	}
	return n
}
