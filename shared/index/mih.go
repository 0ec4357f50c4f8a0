package index

import (
	"math/bits"
	"slices"
)

// A table with many rows may also keep a multi-index of its keys
// (Norouzi, Punjani and Fleet, "Fast search in Hamming space with
// multi-index hashing", CVPR 2012). Each 64-bit key is cut into four
// 16-bit parts, and for each part the rows are kept in buckets by the
// part's value. Two keys within distance r of each other differ in at
// least one of the four parts by at most r/4, rounded down (four parts
// each more than r/4 apart would add up to more than r), and a little
// less in some (partRadius): so the rows within r of a probe are all in
// the buckets of the values near enough to the probe's parts. A search
// then reads those buckets instead of the whole table, and computes each
// row's exact distance as the scan does, so it finds exactly the rows
// the scan finds.
//
// The buckets cost 16 bytes a row (four row numbers) and 6 MB a table for
// their 262,144 slice headers, which is why only tables of at least
// Options.MultiIndexRows rows keep one; below that the scan is as fast.

// parts is the number of parts a key is cut into, partBits their width.
const (
	parts    = 4
	partBits = 64 / parts
)

// maxPartRadius is the largest radius a part's buckets are read within:
// up to it a search reads 1, 17, 137 or 697 buckets a part (the values
// within 0 to 3 bits), and finds every row within 15 of a probe, the
// bound of a search for near neighbours at fingerprint.Threshold 8:
// maxRadius.
const (
	maxPartRadius = 3
	maxRadius     = parts*(maxPartRadius+1) - 1
)

// flips lists every 16-bit mask of at most maxPartRadius bits, by
// popcount: flips[:flipsWithin[r]] are those of at most r bits.
var flips, flipsWithin = func() ([]uint16, [maxPartRadius + 1]int) {
	var out []uint16
	var within [maxPartRadius + 1]int
	for r := 0; r <= maxPartRadius; r++ {
		for v := 0; v < 1<<partBits; v++ {
			if bits.OnesCount16(uint16(v)) == r {
				out = append(out, uint16(v))
			}
		}
		within[r] = len(out)
	}
	return out, within
}()

// multiIndex holds a table's rows in buckets by each part of their keys.
type multiIndex struct {
	buckets [parts][][]int32 // buckets[k][v]: the rows whose part k is v
}

// part returns part k of key.
func part(key uint64, k int) uint16 { return uint16(key >> (partBits * k)) }

// newMultiIndex returns the multi-index of keys, row i holding keys[i].
func newMultiIndex(keys []uint64) *multiIndex {
	m := &multiIndex{}
	for k := range parts {
		counts := make([]int32, 1<<partBits)
		for _, key := range keys {
			counts[part(key, k)]++
		}
		// One allocation for every bucket of the part, each bucket a
		// window of it with room to grow by appending into its own
		// capacity only.
		all := make([]int32, len(keys))
		m.buckets[k] = make([][]int32, 1<<partBits)
		at := 0
		for v, n := range counts {
			m.buckets[k][v] = all[at : at : at+int(n)]
			at += int(n)
		}
		for r, key := range keys {
			v := part(key, k)
			m.buckets[k][v] = append(m.buckets[k][v], int32(r))
		}
	}
	return m
}

// add files row r, whose key is key.
func (m *multiIndex) add(r int32, key uint64) {
	for k := range parts {
		v := part(key, k)
		m.buckets[k][v] = append(m.buckets[k][v], r)
	}
}

// drop unfiles row r, whose key is key.
func (m *multiIndex) drop(r int32, key uint64) {
	for k := range parts {
		b := m.buckets[k][part(key, k)]
		if i := slices.Index(b, r); i >= 0 {
			b[i] = b[len(b)-1]
			m.buckets[k][part(key, k)] = b[:len(b)-1]
		}
	}
}

// renumber files the row numbered from, whose key is key, as row to.
func (m *multiIndex) renumber(from, to int32, key uint64) {
	for k := range parts {
		b := m.buckets[k][part(key, k)]
		if i := slices.Index(b, from); i >= 0 {
			b[i] = to
		}
	}
}

// partRadius is the radius part k's buckets are read within to find every
// key within r of a probe. Writing r = 4s + a (0 <= a < 4): a key within
// r of the probe is within s of it in one of the parts 0 to a, or within
// s-1 in one of the others — were it further in each, the four parts would
// differ in at least (a+1)(s+1) + (3-a)s = r+1 bits. At the threshold 8
// that reads part 0 within 2 bits and the others within 1: 188 buckets,
// not the 548 of every part within 2. A negative radius reads nothing.
func partRadius(r, k int) int {
	s, a := r/parts, r%parts
	if k <= a {
		return s
	}
	return s - 1
}
