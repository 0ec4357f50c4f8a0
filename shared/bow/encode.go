package bow

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
)

// An Index is written out whole by WriteTo and read back by DecodeIndex,
// so that a server can start its feature tier from a copy instead of
// quantising every target's features again. The documents are written —
// each one's ID, size and kept features by word — and the postings, the
// same facts listed by word: rebuilding them from the documents is a
// transposition that writes every feature to one of tens of thousands of
// places far apart, most of a reading's time, while the lists read back
// in parts side by side. Every number is little-endian, every array
// fixed-width, but the postings' varints:
//
//	header   "PXBW", format uint32, words uint32, Turns uint32,
//	         MaxCount uint32, documents uint32, ID bytes uint64,
//	         features uint64
//	docs     documents uint32 ID lengths, documents uint32 sizes (the
//	         features given to Put), documents uint32 counts (the
//	         features kept), then the IDs' bytes
//	features the words of every document's kept features, uint16 each,
//	         document after document; then their turns, uint8 each
//	postings for every word in turn: its entries (a uvarint), then each
//	         entry's document as a uvarint gap from the one before (the
//	         first from 0; a document's repeats are gaps of 0), the
//	         documents ascending; then, for every postBlock-th word from
//	         the first, where its list starts in the section (uint64)
//
// Removed documents are not written, and the documents written get
// handles in their order. Neither changes an answer: a query's scores
// and ranking (ties by ID) do not depend on handles or on the order of
// a posting list's documents.
//
// DecodeIndex trusts nothing it reads. The header's counts must add up
// to the length of the input before the postings, so no count can make it allocate
// more than a small multiple of the input's size; the vocabulary's size,
// Turns and MaxCount must be the caller's and this build's; every ID is
// unique, every document's words ascending and below the vocabulary's
// size, at most MaxCount of them alike, every turn below Turns, every
// count at most its size; every varint minimal, every list's documents
// ascending and written, the lists' entries as many as the features; and
// the postings must list exactly the documents' (word, document) pairs —
// checked, without building the lists again, by comparing a sum of the
// pairs under a hash keyed afresh for each reading (a damaged or forged
// copy passes with a chance of about 2⁻⁶⁴). Any inconsistency is
// ErrEncoding, with nothing built.

// indexFormat is the layout WriteTo writes and DecodeIndex reads.
const indexFormat = 2

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
	renumbered := make([]uint32, len(x.docs)) // a handle's as written
	var idBytes, features uint64
	for h := range x.docs {
		d := &x.docs[h]
		if hd, ok := x.handles[d.id]; !ok || hd != uint32(h) {
			continue // removed: its handle is free
		}
		renumbered[h] = uint32(len(live))
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
	pos := func() int64 { return n + int64(len(b)) }
	if err := x.writePostings(&b, renumbered, pos, flush); err != nil {
		return n, err
	}
	if err := flush(); err != nil {
		return n, err
	}
	return n, bw.Flush()
}

// postBlock is how many words' lists the postings' directory spans an
// entry: the parts a reading decodes side by side.
const postBlock = 1024

// writePostings appends every word's list to *b, its documents
// renumbered as written and ascending, then the directory of where each
// block of postBlock words starts; pos is the output's length so far, *b
// included, and flush empties *b into the output.
func (x *Index) writePostings(b *[]byte, renumbered []uint32, pos func() int64, flush func() error) error {
	start := pos()
	at := func() uint64 { return uint64(pos() - start) }
	dir := make([]uint64, 0, (len(x.postings)+postBlock-1)/postBlock)
	var list []uint32
	for w := range x.postings {
		if w%postBlock == 0 {
			dir = append(dir, at())
		}
		list = list[:0]
		for _, h := range x.postings[w].docs {
			list = append(list, renumbered[h])
		}
		if !slices.IsSorted(list) { // a replaced document keeps its handle, listed last
			slices.Sort(list)
		}
		*b = binary.AppendUvarint(*b, uint64(len(list)))
		prev := uint32(0)
		for _, h := range list {
			*b = binary.AppendUvarint(*b, uint64(h-prev))
			prev = h
			if len(*b) >= 1<<12 {
				if err := flush(); err != nil {
					return err
				}
			}
		}
	}
	for _, off := range dir {
		*b = binary.LittleEndian.AppendUint64(*b, off)
	}
	return nil
}

// DecodeIndex reads an index WriteTo wrote over a vocabulary of words
// words (the caller's: an index is meaningful over its own vocabulary
// alone). Errors wrap ErrEncoding.
func DecodeIndex(b []byte, words int) (*Index, error) {
	h, err := readHeader(b, words)
	if err != nil {
		return nil, err
	}
	body := b[indexHeader:]
	docs, err := h.readDocs(body)
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
	key := rand.Uint64()
	var listed postingsRead
	var wg sync.WaitGroup
	wg.Go(func() { listed = h.readPostings(body[h.docsBytes():], x.postings, key) })
	pairs := pairSum(docs, key)
	wg.Wait()
	switch {
	case listed.err != nil:
		return nil, listed.err
	case listed.entries != h.features:
		return nil, fmt.Errorf("%w: the lists hold %d entries, the documents %d features", ErrEncoding, listed.entries, h.features)
	case listed.sum != pairs:
		return nil, fmt.Errorf("%w: the lists do not list the documents' words", ErrEncoding)
	}
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
	if h.idBytes > rest || h.features > rest || h.docsBytes()+8*uint64(h.blocks()) > rest {
		return h, fmt.Errorf("%w: %d documents of %d ID bytes and %d features in %d bytes",
			ErrEncoding, h.docs, h.idBytes, h.features, rest)
	}
	return h, nil
}

// docsBytes is the length of an encoding's documents and features: where
// its postings start after the header.
func (h header) docsBytes() uint64 { return 12*uint64(h.docs) + h.idBytes + 3*h.features }

// blocks is the entries of the postings' directory.
func (h header) blocks() int { return (h.words + postBlock - 1) / postBlock }

// readDocs reads the documents of an encoded index, b being what follows
// its header h, checking each. Their IDs, words and turns are parts of
// one string and two arrays, three allocations instead of three a
// document (a document put later has its own; what the ones it replaced
// held stays until every document read with them is gone).
func (h header) readDocs(b []byte) ([]doc, error) {
	n := h.docs
	lens, sizes, counts := b[:4*n], b[4*n:8*n], b[8*n:12*n]
	ids := string(b[12*n : 12*n+int(h.idBytes)])
	wordData := b[12*n+int(h.idBytes):]
	allWords, allTurns := make([]uint16, h.features), make([]uint8, h.features)
	for k := range allWords {
		allWords[k] = binary.LittleEndian.Uint16(wordData[2*k:])
	}
	copy(allTurns, wordData[2*h.features:])
	docs := make([]doc, n)
	var at, f uint64
	for i := range docs {
		l := uint64(binary.LittleEndian.Uint32(lens[4*i:]))
		size, c := binary.LittleEndian.Uint32(sizes[4*i:]), uint64(binary.LittleEndian.Uint32(counts[4*i:]))
		if l > uint64(len(ids))-at || c > h.features-f || c > uint64(size) {
			return nil, fmt.Errorf("%w: document %d: ID of %d bytes, %d of %d features kept", ErrEncoding, i, l, c, size)
		}
		d := doc{id: ids[at : at+l], size: int(size), words: allWords[f : f+c : f+c], turns: allTurns[f : f+c : f+c]}
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

// postingsRead is what reading the postings found: the entries of every
// list, the sum of their (word, document) pairs under the reading's key,
// or why they cannot be read.
type postingsRead struct {
	entries, sum uint64
	err          error
}

// readPostings fills lists (one per word, empty) from the postings
// section b of an encoding with header h, reading the directory's blocks
// on GOMAXPROCS goroutines.
func (h header) readPostings(b []byte, lists []posting, key uint64) postingsRead {
	blocks := h.blocks()
	dirAt := len(b) - 8*blocks
	dir := func(k int) uint64 {
		if k == blocks {
			return uint64(dirAt)
		}
		return binary.LittleEndian.Uint64(b[dirAt+8*k:])
	}
	for k := range blocks {
		if from, to := dir(k), dir(k+1); (k == 0 && from != 0) || from > to || to > uint64(dirAt) {
			return postingsRead{err: fmt.Errorf("%w: block %d of the lists from %d to %d of %d bytes", ErrEncoding, k, from, to, dirAt)}
		}
	}
	parts := make([]postingsRead, blocks)
	var next atomic.Int64
	var wg sync.WaitGroup
	for range min(max(runtime.GOMAXPROCS(0), 1), blocks) {
		wg.Go(func() {
			for k := int(next.Add(1) - 1); k < blocks; k = int(next.Add(1) - 1) {
				lo, hi := k*postBlock, min((k+1)*postBlock, h.words)
				parts[k] = readLists(b[dir(k):dir(k+1)], lists[lo:hi], lo, uint32(h.docs), key)
			}
		})
	}
	wg.Wait()
	var all postingsRead
	for _, p := range parts {
		if p.err != nil {
			return p
		}
		all.entries += p.entries
		all.sum += p.sum
	}
	return all
}

// readLists reads the lists of the words first, first+1, … from b, which
// they must fill exactly, each document below docs.
func readLists(b []byte, lists []posting, first int, docs uint32, key uint64) postingsRead {
	var r postingsRead
	at := 0
	uvarint := func() (uint64, bool) {
		if at < len(b) && b[at] < 0x80 {
			at++
			return uint64(b[at-1]), true
		}
		v, n := binary.Uvarint(b[at:])
		if n <= 1 || b[at+n-1] == 0 { // cut short, too long, or not minimal
			return 0, false
		}
		at += n
		return v, true
	}
	for i := range lists {
		w := first + i
		c, ok := uvarint()
		if !ok || c > uint64(len(b)-at) { // every entry takes a byte at least
			return postingsRead{err: fmt.Errorf("%w: word %d: a list of %d entries in %d bytes", ErrEncoding, w, c, len(b)-at)}
		}
		if c == 0 {
			continue
		}
		p := &lists[i]
		p.docs = make([]uint32, c)
		prev := uint32(0)
		for k := range p.docs {
			gap, ok := uvarint()
			if !ok || gap >= uint64(docs-prev) {
				return postingsRead{err: fmt.Errorf("%w: word %d: entry %d is no document after %d of %d", ErrEncoding, w, k, prev, docs)}
			}
			d := prev + uint32(gap)
			if k == 0 || gap > 0 {
				p.df++
			}
			p.docs[k] = d
			r.sum += pairHash(key, uint16(w), d)
			prev = d
		}
		r.entries += c
	}
	if at != len(b) {
		return postingsRead{err: fmt.Errorf("%w: %d bytes after the lists of words %d to %d", ErrEncoding, len(b)-at, first, first+len(lists)-1)}
	}
	return r
}

// pairSum returns the sum of the (word, document) pairs of docs' kept
// features under key, summed on GOMAXPROCS goroutines.
func pairSum(docs []doc, key uint64) uint64 {
	parts := max(runtime.GOMAXPROCS(0), 1)
	sums := make([]uint64, parts)
	var wg sync.WaitGroup
	for p := range parts {
		lo, hi := len(docs)*p/parts, len(docs)*(p+1)/parts
		wg.Go(func() {
			var s uint64
			for h := lo; h < hi; h++ {
				for _, w := range docs[h].words {
					s += pairHash(key, w, uint32(h))
				}
			}
			sums[p] = s
		})
	}
	wg.Wait()
	var all uint64
	for _, s := range sums {
		all += s
	}
	return all
}

// pairHash is a pair of a word and a document mixed under key: the
// finaliser of SplitMix64, so that a sum of pairs changes when any pair
// does, unless by a chance of about 2⁻⁶⁴ for a key the input cannot know.
func pairHash(key uint64, w uint16, d uint32) uint64 {
	z := key ^ (uint64(w)<<32 | uint64(d))
	z = (z ^ z>>30) * 0xbf58476d1ce4e5b9
	z = (z ^ z>>27) * 0x94d049bb133111eb
	return z ^ z>>31
}
