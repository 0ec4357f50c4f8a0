package index

import (
	"context"
	"fmt"
	"math/bits"
)

// Query is what Search looks for.
type Query struct {
	// Codes holds one or more codes of the index's width, concatenated.
	Codes []uint64
	// Limit is the most hits returned; zero or less means 1.
	Limit int
	// MaxDistance is the largest distance a hit may have. Distances larger
	// than the width are treated as the width.
	MaxDistance int
	// IncludeInactive also finds inactive entries.
	IncludeInactive bool
	// Filter, if not nil, must match an entry's attributes for it to be a
	// hit.
	Filter Filter
	// DistinctGroups returns at most one hit, the best, per non-empty
	// Attrs.Group. Entries without a group are each their own.
	DistinctGroups bool
	// Exclude names an entry never returned, such as the stored target a
	// search by target starts from. Empty excludes nothing.
	Exclude string
}

// Filter decides which entries a query may return. Search calls Match only
// for entries within the query's distance bound, with the index's read lock
// held: Match must be quick, must not modify or retain attrs, and must not
// call the index's methods.
type Filter interface {
	Match(attrs *Attributes) bool
}

// FilterFunc adapts a function to a Filter.
type FilterFunc func(attrs *Attributes) bool

// Match returns f(attrs).
func (f FilterFunc) Match(attrs *Attributes) bool { return f(attrs) }

// Hit is one entry found by Search.
type Hit struct {
	ID       string
	Distance int
	// QueryCode and EntryCode are the indexes of the query code and the
	// entry code whose distance is Distance; among equal pairs, the lowest
	// entry code, then the lowest query code.
	QueryCode int
	EntryCode int
}

// checkEvery is the number of code comparisons between two looks at the
// context: a few microseconds of scanning.
const checkEvery = 1 << 14

// Search returns the entries nearest to q's codes, nearest first, ties in
// ID order. It returns the context's error, wrapped, if ctx is done before
// the scan finishes.
func (x *Index) Search(ctx context.Context, q Query) ([]Hit, error) {
	nq, ok := x.count(q.Codes)
	if !ok {
		return nil, fmt.Errorf("%w: query has %d words for %d-bit codes", ErrCodeLength, len(q.Codes), x.bits)
	}
	if q.MaxDistance < 0 {
		return nil, fmt.Errorf("%w: %d", ErrDistance, q.MaxDistance)
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("index: search not started: %w", err)
	}
	x.mu.RLock()
	defer x.mu.RUnlock()
	s := &scan{
		x:        x,
		queries:  q.Codes,
		nq:       nq,
		bound:    min(q.MaxDistance, x.bits),
		inactive: q.IncludeInactive,
		filter:   q.Filter,
		exclude:  -1,
		top:      newTopK(max(q.Limit, 1), q.DistinctGroups, x.ids, x.attrs),
	}
	if slot, ok := x.slotOf[q.Exclude]; ok {
		s.exclude = slot
	}
	if err := s.run(ctx); err != nil {
		return nil, fmt.Errorf("index: search stopped: %w", err)
	}
	found := s.top.sorted()
	hits := make([]Hit, len(found))
	for i, c := range found {
		hits[i] = Hit{
			ID:        x.ids[c.slot],
			Distance:  int(c.dist),
			QueryCode: int(c.query),
			EntryCode: int(c.entry),
		}
	}
	return hits, nil
}

// scan is the state of one search.
type scan struct {
	x       *Index
	queries []uint64
	nq      int
	// queries256 holds the query codes of a 256-bit index as arrays.
	queries256 [][4]uint64
	bound      int // largest distance that can still enter the result
	inactive   bool
	filter     Filter
	exclude    int32
	top        *topK
}

// run compares every row with the queries, in chunks between which it
// checks ctx.
func (s *scan) run(ctx context.Context) error {
	done := ctx.Done()
	rows := len(s.x.owner)
	chunk := max(checkEvery/(s.x.words*s.nq), 64)
	scanRows := s.kernel()
	for lo := 0; lo < rows; lo += chunk {
		if done != nil {
			select {
			case <-done:
				return ctx.Err()
			default:
			}
		}
		scanRows(lo, min(lo+chunk, rows))
	}
	return nil
}

// kernel returns the loop that suits the width and the number of query
// codes. The 64-bit loops take query codes four or eight at a time, padding
// the last group with copies of the first code, which leaves every minimum
// unchanged.
func (s *scan) kernel() func(lo, hi int) {
	switch {
	case s.x.words == 1 && s.nq == 1:
		return s.scanOne
	case s.x.words == 1 && s.nq <= 4:
		s.queries = padQueries(s.queries, 4)
		return s.scanFour
	case s.x.words == 1:
		s.queries = padQueries(s.queries, 8)
		return s.scanEights
	case s.x.words == 4 && s.nq == 1:
		return s.scan256One
	case s.x.words == 4:
		s.queries256 = make([][4]uint64, s.nq)
		for i := range s.queries256 {
			s.queries256[i] = [4]uint64(s.queries[i*4:])
		}
		return s.scan256
	default:
		return s.scanWide
	}
}

// padQueries returns the 64-bit codes qs padded to a multiple of n with
// copies of qs[0].
func padQueries(qs []uint64, n int) []uint64 {
	out := make([]uint64, (len(qs)+n-1)/n*n)
	for i := copy(out, qs); i < len(out); i++ {
		out[i] = qs[0]
	}
	return out
}

// scanOne scans rows [lo, hi) of a 64-bit index with a single query code:
// the fast path.
func (s *scan) scanOne(lo, hi int) {
	q := s.queries[0]
	bound := s.bound
	for i, c := range s.x.codes[lo:hi] {
		if d := bits.OnesCount64(c ^ q); d <= bound {
			bound = s.offer(int32(lo+i), d, 0)
		}
	}
}

// scanFour scans rows [lo, hi) of a 64-bit index with four query codes,
// reading each row once for all of them.
func (s *scan) scanFour(lo, hi int) {
	q := (*[4]uint64)(s.queries)
	bound := s.bound
	for i, c := range s.x.codes[lo:hi] {
		d := min(bits.OnesCount64(c^q[0]), bits.OnesCount64(c^q[1]),
			bits.OnesCount64(c^q[2]), bits.OnesCount64(c^q[3]))
		if d <= bound {
			bound = s.offer(int32(lo+i), d, s.firstQuery(c, d))
		}
	}
}

// scanEights scans rows [lo, hi) of a 64-bit index with query codes in
// groups of eight, reading each row once for all of them.
func (s *scan) scanEights(lo, hi int) {
	qs := s.queries
	q := (*[8]uint64)(qs)
	bound := s.bound
	for i, c := range s.x.codes[lo:hi] {
		d := min(bits.OnesCount64(c^q[0]), bits.OnesCount64(c^q[1]),
			bits.OnesCount64(c^q[2]), bits.OnesCount64(c^q[3]),
			bits.OnesCount64(c^q[4]), bits.OnesCount64(c^q[5]),
			bits.OnesCount64(c^q[6]), bits.OnesCount64(c^q[7]))
		for g := 8; g < len(qs); g += 8 {
			p := (*[8]uint64)(qs[g:])
			d = min(d, bits.OnesCount64(c^p[0]), bits.OnesCount64(c^p[1]),
				bits.OnesCount64(c^p[2]), bits.OnesCount64(c^p[3]),
				bits.OnesCount64(c^p[4]), bits.OnesCount64(c^p[5]),
				bits.OnesCount64(c^p[6]), bits.OnesCount64(c^p[7]))
		}
		if d <= bound {
			bound = s.offer(int32(lo+i), d, s.firstQuery(c, d))
		}
	}
}

// firstQuery returns the index of the first 64-bit query code at distance
// d from c.
func (s *scan) firstQuery(c uint64, d int) int {
	qi := 0
	for bits.OnesCount64(c^s.queries[qi]) != d {
		qi++
	}
	return qi
}

// scan256 scans rows [lo, hi) of a 256-bit index. A pair whose first half
// is already beyond the bound, or beyond the row's best pair, is dropped
// without counting the second half.
func (s *scan) scan256(lo, hi int) {
	qs := s.queries256
	codes := s.x.codes[lo*4 : hi*4]
	bound := s.bound
	for r := 0; r+4 <= len(codes); r += 4 {
		c := (*[4]uint64)(codes[r : r+4])
		best, bestQ := bound+1, -1
		for qi := range qs {
			q := &qs[qi]
			d := bits.OnesCount64(c[0]^q[0]) + bits.OnesCount64(c[1]^q[1])
			if d < best {
				d += bits.OnesCount64(c[2]^q[2]) + bits.OnesCount64(c[3]^q[3])
				if d < best {
					best, bestQ = d, qi
				}
			}
		}
		if bestQ >= 0 {
			bound = s.offer(int32(lo+r/4), best, bestQ)
		}
	}
}

// scan256One scans rows [lo, hi) of a 256-bit index with a single query
// code, counting the second half of a row only when the first is within
// the bound.
func (s *scan) scan256One(lo, hi int) {
	q := [4]uint64(s.queries)
	codes := s.x.codes[lo*4 : hi*4]
	bound := s.bound
	for r := 0; r+4 <= len(codes); r += 4 {
		c := (*[4]uint64)(codes[r : r+4])
		d := bits.OnesCount64(c[0]^q[0]) + bits.OnesCount64(c[1]^q[1])
		if d > bound {
			continue
		}
		d += bits.OnesCount64(c[2]^q[2]) + bits.OnesCount64(c[3]^q[3])
		if d <= bound {
			bound = s.offer(int32(lo+r/4), d, 0)
		}
	}
}

// scanWide scans rows [lo, hi) of an index of any width. Like scan256, it
// drops a pair once its first half is beyond the bound or the row's best.
func (s *scan) scanWide(lo, hi int) {
	w := s.x.words
	half := w / 2
	codes := s.x.codes[lo*w : hi*w]
	qs := s.queries
	bound := s.bound
	for r := 0; r+w <= len(codes); r += w {
		row := codes[r : r+w : r+w]
		best, bestQ := bound+1, -1
		for qi := 0; qi+w <= len(qs); qi += w {
			q := qs[qi : qi+w : qi+w]
			d := 0
			for j, c := range row[:half] {
				d += bits.OnesCount64(c ^ q[j])
			}
			if d >= best {
				continue
			}
			for j, c := range row[half:] {
				d += bits.OnesCount64(c ^ q[half+j])
			}
			if d < best {
				best, bestQ = d, qi/w
			}
		}
		if bestQ >= 0 {
			bound = s.offer(int32(lo+r/w), best, bestQ)
		}
	}
}

// offer considers row r at distance d from query code qi and returns the
// new distance bound. Activity, exclusion and the filter are checked here,
// only for rows already within the bound.
func (s *scan) offer(r int32, d, qi int) int {
	x := s.x
	slot := x.owner[r]
	if slot == s.exclude || !(s.inactive || x.active[slot]) {
		return s.bound
	}
	c := candidate{slot: slot, dist: int32(d), entry: x.sub[r], query: int32(qi)}
	if !s.top.admits(c) {
		return s.bound
	}
	if s.filter != nil && !s.filter.Match(&x.attrs[slot]) {
		return s.bound
	}
	s.top.offer(c)
	if s.top.full() {
		s.bound = min(s.bound, int(s.top.worst().dist))
	}
	return s.bound
}
