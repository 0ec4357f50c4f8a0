package index

import "math/bits"

// group is a set of 1, 2, 4 or 8 probes that a scan kernel compares with
// each row of a table at once.
//
// Its keys are the probes' keys, padded from three to four or from seven
// to eight with copies of the first, which leaves every minimum unchanged.
// Its penalty is the least of its probes', so a kernel's test, the least
// key distance plus that penalty within the bound, is necessary for a pair
// to be within the bound but not sufficient: resolve then computes the
// group's pairs exactly.
type group struct {
	keys    []uint64 // 1, 2, 4 or 8 keys
	penalty int
	probes  []int32 // the probes, as indexes into the query's
}

// plan splits probes, the indexes of the probes naming a table in
// ascending order of penalty, into groups, so that each group's penalty is
// close to all of its probes'. Groups are of eight, then the rest as one
// of 1, 2, 4 (three padded), 4+1, 4+2 or 8 (seven padded).
func (s *scan) plan(probes []int32) {
	s.groups = s.groups[:0]
	s.keys = s.keys[:0]
	add := func(size, n int) {
		first := len(s.keys)
		for _, j := range probes[:n] {
			s.keys = append(s.keys, s.probes[j].Key)
		}
		for len(s.keys) < first+size {
			s.keys = append(s.keys, s.keys[first])
		}
		s.groups = append(s.groups, group{
			keys:    s.keys[first : first+size : first+size],
			penalty: s.probes[probes[0]].Penalty,
			probes:  probes[:n:n],
		})
		probes = probes[n:]
	}
	for len(probes) >= 8 {
		add(8, 8)
	}
	switch r := len(probes); r {
	case 1, 2:
		add(r, r)
	case 3, 4:
		add(4, r)
	case 5, 6:
		add(4, 4)
		add(r-4, r-4)
	case 7:
		add(8, 7)
	}
	// s.keys may have moved while growing: point the groups at its final
	// backing array.
	at := 0
	for i := range s.groups {
		n := len(s.groups[i].keys)
		s.groups[i].keys = s.keys[at : at+n : at+n]
		at += n
	}
}

// scanGroup scans keys, rows lo to lo+len(keys) of the current table, with
// the probes of g, and hands every row that passes the kernel's test to
// resolve.
//
// The kernels are leaf functions that return at the first row passing
// their test: with no call inside their loop, the compiler keeps the loop's
// state in registers instead of saving it to the stack on every row. They
// are kept from being inlined here for the same reason.
func (s *scan) scanGroup(keys []uint64, lo int, g *group) {
	limit := s.bound - g.penalty
	for i := 0; i < len(keys); i++ {
		rest := keys[i:]
		switch len(g.keys) {
		case 1:
			i += nextOne(rest, g.keys[0], limit)
		case 2:
			i += nextTwo(rest, g.keys[0], g.keys[1], limit)
		case 4:
			i += nextFour(rest, (*[4]uint64)(g.keys), limit)
		default:
			i += nextEight(rest, (*[8]uint64)(g.keys), limit)
		}
		if i == len(keys) {
			return
		}
		limit = s.resolve(lo+i, g) - g.penalty
	}
}

// nextOne returns the index of the first key within limit of q, or
// len(keys) if there is none.
//
//go:noinline
func nextOne(keys []uint64, q uint64, limit int) int {
	for i, c := range keys {
		if bits.OnesCount64(c^q) <= limit {
			return i
		}
	}
	return len(keys)
}

// nextTwo returns the index of the first key within limit of q0 or q1, or
// len(keys) if there is none.
//
//go:noinline
func nextTwo(keys []uint64, q0, q1 uint64, limit int) int {
	for i, c := range keys {
		if min(bits.OnesCount64(c^q0), bits.OnesCount64(c^q1)) <= limit {
			return i
		}
	}
	return len(keys)
}

// nextFour returns the index of the first key within limit of one of q,
// or len(keys) if there is none.
//
//go:noinline
func nextFour(keys []uint64, q *[4]uint64, limit int) int {
	q0, q1, q2, q3 := q[0], q[1], q[2], q[3]
	for i, c := range keys {
		d := min(
			min(bits.OnesCount64(c^q0), bits.OnesCount64(c^q1)),
			min(bits.OnesCount64(c^q2), bits.OnesCount64(c^q3)))
		if d <= limit {
			return i
		}
	}
	return len(keys)
}

// nextEight returns the index of the first key within limit of one of q,
// or len(keys) if there is none.
//
//go:noinline
func nextEight(keys []uint64, q *[8]uint64, limit int) int {
	for i, c := range keys {
		d := min(
			min(min(bits.OnesCount64(c^q[0]), bits.OnesCount64(c^q[1])),
				min(bits.OnesCount64(c^q[2]), bits.OnesCount64(c^q[3]))),
			min(min(bits.OnesCount64(c^q[4]), bits.OnesCount64(c^q[5])),
				min(bits.OnesCount64(c^q[6]), bits.OnesCount64(c^q[7]))))
		if d <= limit {
			return i
		}
	}
	return len(keys)
}
