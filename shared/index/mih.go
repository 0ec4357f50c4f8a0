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
// The buckets cost 16 bytes a row (four row numbers) and 1 MB a table for
// the directories of their 262,144 buckets, and only tables of at least
// MultiIndexRows rows keep one; below that the scan is as fast.

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
//
// Each part's buckets are one slice of row numbers, ordered by the part's
// value, and a directory of where each value's bucket starts in it (4
// bytes a value, 1 MB a table, where a slice header for each bucket took
// 6 MB). Such buckets cannot grow in place, so a row added (or whose key
// changed) goes to a short tail of rows that a search reads whole, and a
// row removed leaves a tombstone in its buckets; a row renumbered is
// renumbered in place. When the tail and the tombstones together pass a
// small share of the rows (stale), the table folds them in (fold): the
// put that passes it pays for the many rows that waited, a few
// microseconds each.
type multiIndex struct {
	dirs  [parts]bucketDir
	tail  []int32 // rows in no bucket
	dead  int     // tombstones in each part's buckets
	filed int     // rows in each part's buckets when last folded, every one below it
}

// bucketDir is one part's buckets: bucket v is rows[start[v]:start[v+1]].
type bucketDir struct {
	start *[1<<partBits + 1]int32 // an array, so that a part's value needs no bounds check
	rows  []int32                 // row numbers, or tombstone
}

// tombstone is a removed row's number in the buckets, until a rebuild.
const tombstone = -1

// bucket returns the rows of d's bucket v.
func (d *bucketDir) bucket(v uint16) []int32 {
	return d.rows[d.start[v]:d.start[int(v)+1]]
}

// size returns the number of rows in d's bucket v, tombstones included.
func (d *bucketDir) size(v uint16) int {
	return int(d.start[int(v)+1] - d.start[v])
}

// part returns part k of key.
func part(key uint64, k int) uint16 { return uint16(key >> (partBits * k)) }

// newMultiIndex returns the multi-index of keys, row i holding keys[i].
func newMultiIndex(keys []uint64) *multiIndex {
	m := &multiIndex{}
	m.build(keys)
	return m
}

// build files every row of keys in the buckets, which are empty.
func (m *multiIndex) build(keys []uint64) {
	for k := range parts {
		d := &m.dirs[k]
		d.start = new([1<<partBits + 1]int32)
		d.rows = make([]int32, len(keys))
		// Count each value into the start of the next one's bucket, sum
		// the counts into starts, then place each row at its bucket's
		// cursor, which ends where the next bucket starts.
		for _, key := range keys {
			d.start[int(part(key, k))+1]++
		}
		for v := 1; v <= 1<<partBits; v++ {
			d.start[v] += d.start[v-1]
		}
		for r, key := range keys {
			v := part(key, k)
			d.rows[d.start[v]] = int32(r)
			d.start[v]++
		}
		copy(d.start[1:], d.start[:1<<partBits])
		d.start[0] = 0
	}
	m.tail, m.dead, m.filed = m.tail[:0], 0, len(keys)
}

// fold files the tail in the buckets and drops their tombstones. The
// buckets of a part are in order of value, and so is the tail once
// sorted by the part: a pass forward over the rows drops the tombstones,
// if there are any, and the tail is merged in from the back, moving the
// rows between two of its values up in one copy each, so that memory is
// read in order (where building the buckets from the keys would scatter
// every row). The rows keep room for the next tails.
func (m *multiIndex) fold(keys []uint64) {
	tail := make([]uint64, len(m.tail)) // value<<32 | row, to sort by value
	for k := range parts {
		d := &m.dirs[k]
		live := len(d.rows)
		if m.dead > 0 {
			live = d.dropTombstones()
		}
		for i, r := range m.tail {
			tail[i] = uint64(part(keys[r], k))<<32 | uint64(r)
		}
		slices.Sort(tail)
		n := live + len(tail)
		if cap(d.rows) < n {
			d.rows = slices.Grow(d.rows[:live], n+n/64-live)
		}
		d.rows = d.rows[:n]
		d.merge(tail)
	}
	m.filed = m.filed - m.dead + len(m.tail)
	m.tail, m.dead = m.tail[:0], 0
}

// dropTombstones moves every bucket's rows forward over the tombstones
// and returns the rows left.
func (d *bucketDir) dropTombstones() int {
	w := int32(0)
	for v := range 1 << partBits {
		lo, hi := d.start[v], d.start[v+1]
		d.start[v] = w
		for _, r := range d.rows[lo:hi] {
			if r != tombstone {
				d.rows[w] = r
				w++
			}
		}
	}
	d.start[1<<partBits] = w
	return int(w)
}

// merge files the rows of tail (value<<32 | row, in order) in the
// buckets, whose rows fill the start of d.rows and leave room for the
// tail's at its end. From the tail's last value to its first, the rows of
// the buckets after that value's move up by the tail rows still to file,
// in one copy, and the value's tail rows go in before them; then every
// bucket's start moves up by the tail rows of smaller values.
func (d *bucketDir) merge(tail []uint64) {
	w, hi := len(d.rows), int(d.start[1<<partBits])
	for i := len(tail) - 1; i >= 0; {
		v := uint16(tail[i] >> 32)
		end := int(d.start[int(v)+1])
		w -= copy(d.rows[w-(hi-end):w], d.rows[end:hi])
		for hi = end; i >= 0 && uint16(tail[i]>>32) == v; i-- {
			w--
			d.rows[w] = int32(uint32(tail[i]))
		}
	}
	j := 0
	for v := range 1<<partBits + 1 {
		for j < len(tail) && int(tail[j]>>32) < v {
			j++
		}
		d.start[v] += int32(j)
	}
}

// stale reports whether the tail and the tombstones have grown enough
// for the buckets to be built again: beyond a 128th of the rows, at which
// a search reads a tail of a few thousand rows at 1M rows a table.
func (m *multiIndex) stale() bool {
	return len(m.tail)+m.dead > m.filed/128+32
}

// add files row r, which is in no bucket, in the tail.
func (m *multiIndex) add(r int32) {
	m.tail = append(m.tail, r)
}

// find returns where row r, whose key is key, is in each part's buckets,
// or false if it is in none: then it is in the tail.
func (m *multiIndex) find(r int32, key uint64) (at [parts]int32, ok bool) {
	if int(r) >= m.filed {
		return at, false // added since the buckets were built
	}
	for k := range parts {
		d := &m.dirs[k]
		v := part(key, k)
		i := slices.Index(d.bucket(v), r)
		if i < 0 {
			return at, false
		}
		at[k] = d.start[v] + int32(i)
	}
	return at, true
}

// drop unfiles row r, whose key is key.
func (m *multiIndex) drop(r int32, key uint64) {
	if at, ok := m.find(r, key); ok {
		for k := range parts {
			m.dirs[k].rows[at[k]] = tombstone
		}
		m.dead++
		return
	}
	if i := slices.Index(m.tail, r); i >= 0 {
		m.tail[i] = m.tail[len(m.tail)-1]
		m.tail = m.tail[:len(m.tail)-1]
	}
}

// renumber files the row numbered from, whose key is key, as row to.
func (m *multiIndex) renumber(from, to int32, key uint64) {
	if at, ok := m.find(from, key); ok {
		for k := range parts {
			m.dirs[k].rows[at[k]] = to
		}
		return
	}
	if i := slices.Index(m.tail, from); i >= 0 {
		m.tail[i] = to
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
