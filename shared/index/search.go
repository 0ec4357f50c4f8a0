package index

import (
	"context"
	"fmt"
	"math/bits"
	"slices"
)

// MaxPenalty is the largest penalty a probe may have.
const MaxPenalty = 1 << 16

// Probe is one query code.
type Probe struct {
	Key    uint64
	Checks [Checks]uint64
	// Tables has bit t set if the probe is compared with the codes of
	// table t. Bits of tables the index does not have are ignored.
	Tables uint64
	// Penalty is added to the key distance; 0 <= Penalty <= MaxPenalty.
	Penalty int
}

// Distance is the distance of p to the code c with the given slack, as
// a Query defines it, whatever tables p names.
func (p Probe) Distance(c Code, slack [Checks]int) int {
	d := bits.OnesCount64(p.Key^c.Key) + p.Penalty
	for i, s := range slack {
		d = max(d, bits.OnesCount64(p.Checks[i]^c.Checks[i])-s)
	}
	return d
}

// Query is what Search looks for.
//
// The distance of a probe p to an entry code c in a table p names is
//
//	k = popcount(p.Key ^ c.Key) + p.Penalty
//	D = max(k, max over i of popcount(p.Checks[i] ^ c.Checks[i]) - Slack[i])
//
// and an entry's distance is the smallest D over its codes and the probes
// naming their tables. An entry with no such pair is never found.
type Query struct {
	// Probes holds one or more probes.
	Probes []Probe
	// Slack is subtracted from the distance of each check word; >= 0.
	Slack [Checks]int
	// Limit is the most hits returned; zero or less means 1.
	Limit int
	// MaxDistance is the largest distance a hit may have.
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
	// Probe and Code are the indexes, in the query's Probes and the
	// entry's Codes, of the pair whose distance is Distance. Among equal
	// pairs it is the lowest code, then the lowest probe.
	Probe int
	Code  int
	// Table is the table of that code.
	Table int
}

// checkEvery is the number of key comparisons between two looks at the
// context: a few microseconds of scanning.
const checkEvery = 1 << 14

// Search returns the entries nearest to q's probes, nearest first, ties in
// ID order. It returns the context's error, wrapped, if ctx is done before
// the scan finishes.
func (x *Index) Search(ctx context.Context, q Query) ([]Hit, error) {
	if err := validateQuery(q); err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("index: search not started: %w", err)
	}
	x.mu.RLock()
	defer x.mu.RUnlock()
	s := &scan{
		x:        x,
		probes:   q.Probes,
		slack:    q.Slack,
		bound:    min(q.MaxDistance, 64+MaxPenalty),
		inactive: q.IncludeInactive,
		filter:   q.Filter,
		exclude:  -1,
		top:      newTopK(max(q.Limit, 1), q.DistinctGroups, x.ids, x.groups),
	}
	if slot, ok := x.slotOf.find(x.ids, q.Exclude); ok {
		s.exclude = slot
	}
	if err := s.run(ctx); err != nil {
		return nil, fmt.Errorf("index: search stopped: %w", err)
	}
	found := s.top.sorted()
	hits := make([]Hit, len(found))
	for i, c := range found {
		_, tables := x.places.rows(c.slot)
		hits[i] = Hit{
			ID:       x.ids[c.slot],
			Distance: int(c.dist),
			Probe:    int(c.probe),
			Code:     int(c.code),
			Table:    int(tables[c.code]),
		}
	}
	return hits, nil
}

// validateQuery checks q's probes and numbers.
func validateQuery(q Query) error {
	if len(q.Probes) == 0 {
		return ErrNoProbes
	}
	if q.MaxDistance < 0 {
		return fmt.Errorf("%w: %d", ErrDistance, q.MaxDistance)
	}
	for i, p := range q.Probes {
		if p.Penalty < 0 || p.Penalty > MaxPenalty {
			return fmt.Errorf("%w: probe %d has penalty %d, want 0 to %d", ErrPenalty, i, p.Penalty, MaxPenalty)
		}
	}
	for i, sl := range q.Slack {
		if sl < 0 {
			return fmt.Errorf("%w: check %d has slack %d", ErrSlack, i, sl)
		}
	}
	return nil
}

// scan is the state of one search.
type scan struct {
	x        *Index
	probes   []Probe
	slack    [Checks]int
	bound    int // largest distance that can still enter the result
	inactive bool
	filter   Filter
	exclude  int32
	top      *topK

	// byPenalty holds the indexes of the probes in ascending order of
	// penalty, ties in query order.
	byPenalty []int32

	// The table being scanned, its probes and their groups.
	tab    *table
	mine   []int32
	groups []group
	keys   []uint64 // the groups' keys
}

// run scans every table with the probes that name it, in chunks of rows
// between which it checks ctx. Each group of probes scans a chunk in turn,
// so the chunk is read from memory once and from cache after that.
func (s *scan) run(ctx context.Context) error {
	done := ctx.Done()
	n := len(s.probes)
	s.mine = make([]int32, 0, n)
	s.groups = make([]group, 0, n/4+2)
	s.keys = make([]uint64, 0, n+8)
	s.byPenalty = make([]int32, n)
	for j := range s.byPenalty {
		s.byPenalty[j] = int32(j)
	}
	slices.SortStableFunc(s.byPenalty, func(a, b int32) int {
		return s.probes[a].Penalty - s.probes[b].Penalty
	})
	for t := range s.x.tables {
		s.tab = &s.x.tables[t]
		rows := len(s.tab.keys)
		if rows == 0 || !s.selectProbes(t) {
			continue
		}
		if s.multiCheaper() {
			if err := s.readMulti(ctx); err != nil {
				return err
			}
			continue
		}
		chunk := max(checkEvery/len(s.mine), 64)
		for lo := 0; lo < rows; lo += chunk {
			if done != nil {
				select {
				case <-done:
					return ctx.Err()
				default:
				}
			}
			hi := min(lo+chunk, rows)
			keys := s.tab.keys[lo:hi:hi]
			for i := range s.groups {
				s.scanGroup(keys, lo, &s.groups[i])
			}
		}
	}
	return nil
}

// selectProbes sets s.mine to the probes that name table t and could be
// within the bound, in ascending order of penalty, and plans their groups.
// It reports whether there are any.
func (s *scan) selectProbes(t int) bool {
	s.mine = s.mine[:0]
	for _, j := range s.byPenalty {
		if p := &s.probes[j]; p.Tables&(1<<t) != 0 && p.Penalty <= s.bound {
			s.mine = append(s.mine, j)
		}
	}
	if len(s.mine) == 0 {
		return false
	}
	s.plan(s.mine)
	return true
}

// resolve computes the exact distance of row r of the current table to
// each probe of g, reading the checks only for pairs whose key is within
// the bound, offers the best pair and returns the new bound.
func (s *scan) resolve(r int, g *group) int {
	key := s.tab.keys[r]
	checks := &s.tab.checks[r]
	best, bestProbe := s.bound+1, int32(-1)
	for _, j := range g.probes {
		p := &s.probes[j]
		d := bits.OnesCount64(key^p.Key) + p.Penalty
		for i := 0; i < Checks && d <= best; i++ {
			d = max(d, bits.OnesCount64(checks[i]^p.Checks[i])-s.slack[i])
		}
		if d < best || d == best && j < bestProbe {
			best, bestProbe = d, j
		}
	}
	if bestProbe < 0 {
		return s.bound
	}
	return s.offer(int32(r), best, bestProbe)
}

// offer considers row r of the current table at distance d from probe p
// and returns the new distance bound. Activity, exclusion and the filter
// are checked here, only for rows already within the bound.
func (s *scan) offer(r int32, d int, p int32) int {
	x := s.x
	slot := s.tab.owner[r]
	if slot == s.exclude || !(s.inactive || x.active[slot]) {
		return s.bound
	}
	c := candidate{slot: slot, dist: int32(d), code: int32(s.tab.sub[r]), probe: p}
	if !s.top.admits(c) {
		return s.bound
	}
	if s.filter != nil && !s.filter.Match(x.attrsRef(slot)) {
		return s.bound
	}
	s.top.offer(c)
	if s.top.full() {
		s.bound = min(s.bound, int(s.top.worst().dist))
	}
	return s.bound
}

// multiCheaper reports whether the current table has a multi-index and
// reading it for every probe of s.mine costs less than scanning the
// table: a bound small enough for its buckets to find every row within
// it, and fewer rows in those buckets than a scan reads, weighed by what
// a row costs each way. The buckets' sizes are counted, not estimated:
// pictures alike fill some buckets far beyond the average.
func (s *scan) multiCheaper() bool {
	m := s.tab.multi
	if m == nil {
		return false
	}
	rows := len(s.tab.keys)
	scanned := rows * len(s.groups)
	// First as if the keys were spread evenly over the buckets, which
	// costs nothing to work out: most searches that would read too many
	// rows are told so here, before reading a bucket's size.
	spread := 0
	for _, j := range s.mine {
		r := s.bound - s.probes[j].Penalty
		if r > maxRadius {
			return false
		}
		for k := range parts {
			if pr := partRadius(r, k); pr >= 0 {
				spread += flipsWithin[pr] * max(rows>>partBits, 1)
			}
		}
	}
	if !s.x.alwaysMulti && spread*multiRowCost >= scanned {
		return false
	}
	read := 0
	for _, j := range s.mine {
		p := &s.probes[j]
		r := s.bound - p.Penalty
		read += len(m.tail)
		for k := range parts {
			if pr := partRadius(r, k); pr >= 0 {
				v, dir := part(p.Key, k), &m.dirs[k]
				for _, f := range flips[:flipsWithin[pr]] {
					read += dir.size(v ^ f)
				}
			}
		}
		if !s.x.alwaysMulti && read*multiRowCost >= scanned {
			return false
		}
	}
	if s.x.alwaysMulti {
		s.x.multiReads.Add(1) // a test's count, kept off other searches' path
	}
	return true
}

// multiRowCost is what reading a row through a bucket costs, in rows of a
// group's scan: measured (BenchmarkMultiIndex, 1M entries), a scan
// compares a row with a group of up to eight probes in about 3.8 ns, in
// order, and a bucket's row, read out of order, costs about 50 ns.
const multiRowCost = 24

// readMulti finds, for each probe of s.mine, the rows of the current
// table within the bound through its multi-index, and offers each as
// resolve does. A row is read through every part it shares with the probe
// closely enough, and offered each time: offering the same pair again
// changes nothing. The rows of the tail, in no bucket, are read whole.
func (s *scan) readMulti(ctx context.Context) error {
	done, keys := ctx.Done(), s.tab.keys
	for _, row := range s.tab.multi.tail {
		for _, j := range s.mine {
			if p := &s.probes[j]; bits.OnesCount64(keys[row]^p.Key)+p.Penalty <= s.bound {
				s.resolveOne(row, j)
			}
		}
	}
	for _, j := range s.mine {
		p := &s.probes[j]
		r := s.bound - p.Penalty
		if r < 0 {
			continue
		}
		for k := range parts {
			pr := partRadius(r, k)
			if pr < 0 {
				continue
			}
			masks := flips[:flipsWithin[pr]]
			if done != nil {
				select {
				case <-done:
					return ctx.Err()
				default:
				}
			}
			v, dir := part(p.Key, k), &s.tab.multi.dirs[k]
			for _, f := range masks {
				for _, row := range dir.bucket(v ^ f) {
					if row != tombstone && bits.OnesCount64(keys[row]^p.Key)+p.Penalty <= s.bound {
						s.resolveOne(row, j)
					}
				}
			}
		}
	}
	return nil
}

// resolveOne computes the exact distance of row r of the current table to
// probe j, whose key is within the bound, and offers the pair if it is
// within the bound.
func (s *scan) resolveOne(r int32, j int32) {
	p := &s.probes[j]
	checks := &s.tab.checks[r]
	d := bits.OnesCount64(s.tab.keys[r]^p.Key) + p.Penalty
	for i := 0; i < Checks && d <= s.bound; i++ {
		d = max(d, bits.OnesCount64(checks[i]^p.Checks[i])-s.slack[i])
	}
	if d <= s.bound {
		s.offer(r, d, j)
	}
}
