package bow

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"runtime"
	"slices"
	"sync"
)

// An Index is written out whole by WriteTo and read back by DecodeIndex,
// so that a server can start its feature tier from a copy instead of
// quantising every target's features again. Only the documents are
// written — each one's ID, size and kept features by word — not the
// postings: they are the same facts listed by word, and DecodeIndex
// rebuilds them in two sequential passes, which costs less than reading
// them. Every number is little-endian, every array fixed-width:
//
//	header   "PXBW", format uint32, words uint32, Turns uint32,
//	         MaxCount uint32, documents uint32, ID bytes uint64,
//	         features uint64
//	docs     documents uint32 ID lengths, documents uint32 sizes (the
//	         features given to Put), documents uint32 counts (the
//	         features kept), then the IDs' bytes
//	features the words of every document's kept features, uint16 each,
//	         document after document; then their turns, uint8 each
//
// Removed documents are not written, and the documents written get
// handles in their order. Neither changes an answer: a query's scores
// and ranking (ties by ID) do not depend on handles or on the order of
// a posting list's documents.
//
// DecodeIndex trusts nothing it reads. The header's counts must add up
// to the length of the input exactly, so no count can make it allocate
// more than a small multiple of the input's size; the vocabulary's size,
// Turns and MaxCount must be the caller's and this build's; every ID is
// unique, every document's words ascending and below the vocabulary's
// size, at most MaxCount of them alike, every turn below Turns, every
// count at most its size; any inconsistency is ErrEncoding, with nothing
// built.

// indexFormat is the layout WriteTo writes and DecodeIndex reads.
const indexFormat = 1

// indexMagic starts an encoded index.
var indexMagic = [4]byte{'P', 'X', 'B', 'W'}

// indexHeader is the bytes of the header.
const indexHeader = 4 + 5*4 + 2*8

// ErrEncoding reports input DecodeIndex cannot read as an encoded index
// over the vocabulary it is given.
var ErrEncoding = errors.New("bow: not an encoded index")

// WriteTo writes the index in the encoding DecodeIndex reads. It holds
// the index's read lock throughout: queries run meanwhile, writers wait.
func (x *Index) WriteTo(w io.Writer) (int64, error) {
	x.mu.RLock()
	defer x.mu.RUnlock()
	live := make([]*doc, 0, len(x.handles))
	var idBytes, features uint64
	for h := range x.docs {
		d := &x.docs[h]
		if hd, ok := x.handles[d.id]; !ok || hd != uint32(h) {
			continue // removed: its handle is free
		}
		live = append(live, d)
		idBytes += uint64(len(d.id))
		features += uint64(len(d.words))
	}
	bw := bufio.NewWriterSize(w, 1<<16)
	b := append(make([]byte, 0, 1<<12), indexMagic[:]...)
	for _, v := range []uint32{indexFormat, uint32(len(x.postings)), Turns, MaxCount, uint32(len(live))} {
		b = binary.LittleEndian.AppendUint32(b, v)
	}
	b = binary.LittleEndian.AppendUint64(b, idBytes)
	b = binary.LittleEndian.AppendUint64(b, features)
	var n int64
	flush := func() error {
		m, err := bw.Write(b)
		n += int64(m)
		b = b[:0]
		return err
	}
	sections := []func(d *doc){
		func(d *doc) { b = binary.LittleEndian.AppendUint32(b, uint32(len(d.id))) },
		func(d *doc) { b = binary.LittleEndian.AppendUint32(b, uint32(d.size)) },
		func(d *doc) { b = binary.LittleEndian.AppendUint32(b, uint32(len(d.words))) },
		func(d *doc) { b = append(b, d.id...) },
		func(d *doc) {
			for _, w := range d.words {
				b = binary.LittleEndian.AppendUint16(b, w)
			}
		},
		func(d *doc) { b = append(b, d.turns...) },
	}
	for _, section := range sections {
		for _, d := range live {
			section(d)
			if len(b) >= 1<<12 {
				if err := flush(); err != nil {
					return n, err
				}
			}
		}
	}
	if err := flush(); err != nil {
		return n, err
	}
	return n, bw.Flush()
}

// DecodeIndex reads an index WriteTo wrote over a vocabulary of words
// words (the caller's: an index is meaningful over its own vocabulary
// alone). Errors wrap ErrEncoding.
func DecodeIndex(b []byte, words int) (*Index, error) {
	h, err := readHeader(b, words)
	if err != nil {
		return nil, err
	}
	docs, err := h.readDocs(b[indexHeader:])
	if err != nil {
		return nil, err
	}
	x := NewIndex(words)
	x.docs = docs
	x.handles = make(map[string]uint32, len(docs))
	for i := range docs {
		if _, dup := x.handles[docs[i].id]; dup {
			return nil, fmt.Errorf("%w: ID %q twice", ErrEncoding, docs[i].id)
		}
		x.handles[docs[i].id] = uint32(i)
	}
	x.post()
	return x, nil
}

// header is an encoded index's header.
type header struct {
	words, docs       int // the vocabulary's size, the documents
	idBytes, features uint64
}

// readHeader checks an encoded index's header against the input's length
// and this build.
func readHeader(b []byte, words int) (header, error) {
	var h header
	if len(b) < indexHeader || string(b[:4]) != string(indexMagic[:]) {
		return h, fmt.Errorf("%w: no header", ErrEncoding)
	}
	u32 := func(i int) uint32 { return binary.LittleEndian.Uint32(b[4+4*i:]) }
	if f, w, t, c := u32(0), u32(1), u32(2), u32(3); f != indexFormat || int(w) != words || t != Turns || c != MaxCount {
		return h, fmt.Errorf("%w: format %d, %d words, %d turns, %d a word; this build reads format %d, %d turns, %d a word, over %d words",
			ErrEncoding, f, w, t, c, indexFormat, Turns, MaxCount, words)
	}
	h.words, h.docs = words, int(u32(4))
	h.idBytes, h.features = binary.LittleEndian.Uint64(b[24:]), binary.LittleEndian.Uint64(b[32:])
	rest := uint64(len(b) - indexHeader)
	if h.idBytes > rest || h.features > rest || 12*uint64(h.docs)+h.idBytes+3*h.features != rest {
		return h, fmt.Errorf("%w: %d documents of %d ID bytes and %d features in %d bytes",
			ErrEncoding, h.docs, h.idBytes, h.features, rest)
	}
	return h, nil
}

// readDocs reads the documents of an encoded index, b being what follows
// its header h, checking each.
func (h header) readDocs(b []byte) ([]doc, error) {
	n := h.docs
	lens, sizes, counts := b[:4*n], b[4*n:8*n], b[8*n:12*n]
	ids := b[12*n : 12*n+int(h.idBytes)]
	wordData := b[12*n+int(h.idBytes):]
	turns := wordData[2*h.features:]
	docs := make([]doc, n)
	var at, f uint64
	for i := range docs {
		l := uint64(binary.LittleEndian.Uint32(lens[4*i:]))
		size, c := binary.LittleEndian.Uint32(sizes[4*i:]), uint64(binary.LittleEndian.Uint32(counts[4*i:]))
		if l > uint64(len(ids))-at || c > h.features-f || c > uint64(size) {
			return nil, fmt.Errorf("%w: document %d: ID of %d bytes, %d of %d features kept", ErrEncoding, i, l, c, size)
		}
		d := doc{id: string(ids[at : at+l]), size: int(size), words: make([]uint16, c), turns: make([]uint8, c)}
		for k := range d.words {
			d.words[k] = binary.LittleEndian.Uint16(wordData[2*(f+uint64(k)):])
		}
		copy(d.turns, turns[f:f+c])
		if err := d.check(h.words); err != nil {
			return nil, fmt.Errorf("%w: document %q: %w", ErrEncoding, d.id, err)
		}
		docs[i] = d
		at, f = at+l, f+c
	}
	if at != h.idBytes || f != h.features {
		return nil, fmt.Errorf("%w: the documents hold %d ID bytes and %d features, the header says %d and %d",
			ErrEncoding, at, f, h.idBytes, h.features)
	}
	return docs, nil
}

// check reports whether a decoded document is one Put could have made
// over a vocabulary of words words.
func (d *doc) check(words int) error {
	run := 0
	for k, w := range d.words {
		switch {
		case int(w) >= words:
			return fmt.Errorf("word %d of %d", w, words)
		case d.turns[k] >= Turns:
			return fmt.Errorf("turn %d", d.turns[k])
		case k == 0 || w > d.words[k-1]:
			run = 1
		case w == d.words[k-1]:
			run++
		default:
			return fmt.Errorf("word %d after %d", w, d.words[k-1])
		}
		if run > MaxCount {
			return fmt.Errorf("word %d more than %d times", w, MaxCount)
		}
	}
	return nil
}

// post builds the postings of a decoded index from its documents: their
// lengths first, so that each list is allocated once, at its size; then
// the lists, in parts of about equal features on GOMAXPROCS goroutines,
// each part a range of words, which every document holds side by side.
func (x *Index) post() {
	counts := make([]int, len(x.postings))
	total := 0
	for h := range x.docs {
		for _, w := range x.docs[h].words {
			counts[w]++
		}
		total += len(x.docs[h].words)
	}
	for w, c := range counts {
		if c > 0 {
			x.postings[w].docs = make([]uint32, c)
		}
	}
	if total == 0 {
		return
	}
	parts := max(runtime.GOMAXPROCS(0), 1)
	var wg sync.WaitGroup
	lo, sum := 0, 0
	for part := 1; part <= parts && lo < len(counts); part++ {
		hi := len(counts)
		if part < parts {
			for hi = lo; hi < len(counts) && sum < total*part/parts; hi++ {
				sum += counts[hi]
			}
		}
		if hi > lo {
			from, to := lo, hi
			wg.Go(func() { x.postRange(from, to) })
			lo = hi
		}
	}
	wg.Wait()
}

// Filling the lists straight from the documents writes each feature to
// one of tens of thousands of places far apart: every write a cache and
// TLB miss. postRange sorts a block of documents' features by the high
// bits of their words first (postBuckets places to write), then fills
// the lists of each bucket's words (few, near each other) in turn.
const (
	postBucketBits = 7       // low bits of a word within its bucket
	postBlock      = 1 << 20 // features sorted at once
	postBuckets    = MaxWords >> postBucketBits
)

// postRange fills the postings of the words [lo, hi), documents in
// handle order.
func (x *Index) postRange(lo, hi int) {
	fill := make([]uint32, hi-lo)
	last := make([]uint32, hi-lo) // 1 + the handle of the document last listed
	var start [postBuckets + 1]int
	var sorted []uint64
	for h := 0; h < len(x.docs); {
		clear(start[:])
		first, n := h, 0
		for ; h < len(x.docs) && (n == 0 || n+len(x.docs[h].words) <= postBlock); h++ {
			words := x.inRange(h, lo, hi)
			for _, w := range words {
				start[int(w)>>postBucketBits+1]++
			}
			n += len(words)
		}
		for b := 1; b <= postBuckets; b++ {
			start[b] += start[b-1]
		}
		if cap(sorted) < n {
			sorted = make([]uint64, n)
		}
		sorted = sorted[:n]
		at := start
		for d := first; d < h; d++ {
			for _, w := range x.inRange(d, lo, hi) {
				b := int(w) >> postBucketBits
				sorted[at[b]] = uint64(d)<<16 | uint64(w)
				at[b]++
			}
		}
		for _, e := range sorted {
			w, d := int(uint16(e))-lo, uint32(e>>16)
			p := &x.postings[w+lo]
			p.docs[fill[w]] = d
			fill[w]++
			if last[w] != d+1 {
				last[w] = d + 1
				p.df++
			}
		}
	}
}

// inRange returns the words of document h in [lo, hi).
func (x *Index) inRange(h, lo, hi int) []uint16 {
	words := x.docs[h].words
	i, _ := slices.BinarySearch(words, uint16(lo))
	j := i
	if hi <= MaxWords-1 {
		j, _ = slices.BinarySearch(words[i:], uint16(hi))
		j += i
	} else {
		j = len(words)
	}
	return words[i:j]
}
