package d1

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/pixmatch/pixmatch/server/store"
	"github.com/pixmatch/pixmatch/shared/fingerprint"
	"github.com/pixmatch/pixmatch/shared/index"
	"github.com/pixmatch/pixmatch/shared/match"
)

// The search's hash tier without an index in memory: every hash code of
// every target is a row of the codes table, its 64 bits in four 16-bit
// parts, each part indexed (multi-index hashing). Two codes within
// Hamming distance d differ in d_p bits of part p, d_0+d_1+d_2+d_3 = d.
// Looking part p up with up to r_p of its bits flipped misses a code only
// when d_p > r_p for every p, that is when d >= r_0+r_1+r_2+r_3+4: so
// radii adding up to d-3 find every code within d (the pigeonhole
// principle), and they are spread as evenly as they go, which needs the
// fewest lookups (for the match threshold 8: radii 2,1,1,1, 188 lookups a
// probe instead of 548 with 2 on every part). Candidates sends the
// probes; SQLite enumerates the flips, seeks the part indexes, and keeps
// only the codes whose whole
// distance, computed on the parts with its own operators, is within the
// probe's budget and whose window the probe meets. What comes back is the
// IDs of the targets holding one: a superset of any search's hits, which
// the caller searches exactly, with the server's own code, in a small
// index of them.

// MaxBudget is the largest distance Candidates finds every code within:
// its flips go up to 3 bits a part.
const MaxBudget = 15

// ErrBudget reports a search whose bound is over MaxBudget.
var ErrBudget = errors.New("d1: distance bound over what the lookup covers")

// codesJSON returns the codes column of a target with the given encoded
// fingerprint: [window, part0, part1, part2, part3] for each code the
// server's index holds (match.Full), nothing for a fingerprint that does
// not decode (another version's: the search skips it, as the server's
// index does until the fingerprint is made anew).
func codesJSON(encoded []byte) (string, error) {
	var fp fingerprint.Fingerprint
	if len(encoded) == 0 || fp.UnmarshalBinary(encoded) != nil {
		return "[]", nil
	}
	var rows [][5]uint64
	for _, c := range match.Full.Codes(fp) {
		rows = append(rows, [5]uint64{uint64(c.Table), c.Key >> 48, c.Key >> 32 & 0xffff, c.Key >> 16 & 0xffff, c.Key & 0xffff})
	}
	b, err := json.Marshal(rows)
	if rows == nil {
		return "[]", err
	}
	return string(b), err
}

// xor is a ^ b of two 16-bit values in SQLite, which has no XOR operator.
func xor(a, b string) string { return fmt.Sprintf("((%s | %s) - (%s & %s))", a, b, a, b) }

// candidatesSQL is the lookup; its parameters are the probes' JSON, then
// the gallery once for each part.
var candidatesSQL = lookupSQL + `
	SELECT DISTINCT target_id FROM x3 WHERE ` + withinBudget + `
	ORDER BY target_id`

// candidateTargetsWhere is the clause after lookupSQL that finds the
// candidates' rows; its parameters are candidatesSQL's, then the gallery.
var candidateTargetsWhere = `WHERE gallery_id = ? AND id IN (SELECT target_id FROM x3 WHERE ` + withinBudget + `)`

// withinBudget keeps the rows of x3 whose distance (the popcount of its
// four XORs' last step) is within the probe's budget.
const withinBudget = `((a + (a >> 8)) & 31) + ((b + (b >> 8)) & 31) + ((c + (c >> 8)) & 31) + ((d + (d >> 8)) & 31) <= budget`

// lookupSQL is the lookup's common table expressions, down to x3: the
// codes within reach of a probe with their parts' XORs counted to bytes.
var lookupSQL = func() string {
	var b strings.Builder
	b.WriteString(`WITH RECURSIVE
	bit(b) AS (SELECT 0 UNION ALL SELECT b + 1 FROM bit WHERE b < 15),
	flip(r, m) AS (SELECT 0, 0
		UNION ALL SELECT 1, 1 << b FROM bit
		UNION ALL SELECT 2, (1 << x.b) | (1 << y.b) FROM bit x JOIN bit y ON x.b < y.b
		UNION ALL SELECT 3, (1 << x.b) | (1 << y.b) | (1 << z.b) FROM bit x JOIN bit y ON x.b < y.b JOIN bit z ON y.b < z.b),
	ball(r, m) AS MATERIALIZED (SELECT k.r, f.m FROM (SELECT DISTINCT r FROM flip) k JOIN flip f ON f.r <= k.r),

	probe(i, tables, budget, q0, q1, q2, q3, r0, r1, r2, r3) AS MATERIALIZED (SELECT key,
		json_extract(value, '$[0]'), json_extract(value, '$[1]'), json_extract(value, '$[2]'), json_extract(value, '$[3]'),
		json_extract(value, '$[4]'), json_extract(value, '$[5]'), json_extract(value, '$[6]'), json_extract(value, '$[7]'),
		json_extract(value, '$[8]'), json_extract(value, '$[9]')
		FROM json_each(?)),
`)
	// want<p> is the values part p is looked up with, for each probe.
	for p := range 4 {
		fmt.Fprintf(&b, "\twant%d(i, tables, v) AS MATERIALIZED (SELECT p.i, p.tables, %s FROM probe p JOIN ball b ON b.r = p.r%d),\n",
			p, xor(fmt.Sprintf("p.q%d", p), "b.m"), p)
	}
	b.WriteString(`	hit(i, target_id, win, p0, p1, p2, p3) AS MATERIALIZED (`)
	for p := range 4 {
		if p > 0 {
			b.WriteString(" UNION ALL ")
		}
		fmt.Fprintf(&b, `SELECT w.i, c.target_id, c.win, c.p0, c.p1, c.p2, c.p3 FROM want%d w CROSS JOIN codes c
			WHERE c.gallery_id = ? AND c.p%d = w.v AND (w.tables >> c.win) & 1`, p, p)
	}
	// Popcount of the four XORs in steps, each step materialized so that
	// no expression is repeated.
	b.WriteString(`),
	x0(target_id, budget, a, b, c, d) AS MATERIALIZED (SELECT h.target_id, p.budget, ` +
		xor("h.p0", "p.q0") + `, ` + xor("h.p1", "p.q1") + `, ` + xor("h.p2", "p.q2") + `, ` + xor("h.p3", "p.q3") + `
		FROM hit h JOIN probe p ON p.i = h.i),
	x1(target_id, budget, a, b, c, d) AS MATERIALIZED (SELECT target_id, budget,
		a - ((a >> 1) & 21845), b - ((b >> 1) & 21845), c - ((c >> 1) & 21845), d - ((d >> 1) & 21845) FROM x0),
	x2(target_id, budget, a, b, c, d) AS MATERIALIZED (SELECT target_id, budget,
		(a & 13107) + ((a >> 2) & 13107), (b & 13107) + ((b >> 2) & 13107),
		(c & 13107) + ((c >> 2) & 13107), (d & 13107) + ((d >> 2) & 13107) FROM x1),
	x3(target_id, budget, a, b, c, d) AS MATERIALIZED (SELECT target_id, budget,
		(a + (a >> 4)) & 3855, (b + (b >> 4)) & 3855, (c + (c >> 4)) & 3855, (d + (d >> 4)) & 3855 FROM x2)`)
	return b.String()
}()

// Candidates returns the IDs of the gallery's targets holding a code
// within bound of a probe (the key distance plus the probe's penalty, in
// a table the probe names): every target a search with these probes and
// bound can find, whatever its checks, and few others. The bound, less
// the smallest penalty, must be at most MaxBudget.
func (s *Store) Candidates(ctx context.Context, gallery int64, probes []index.Probe, bound int) ([]string, error) {
	list, err := probesJSON(probes, bound)
	if list == "" || err != nil {
		return nil, err
	}
	ids, err := queryAll(ctx, s.db, func(sc scanner) (string, error) {
		var id string
		return id, sc.Scan(&id)
	}, candidatesSQL, list, gallery, gallery, gallery, gallery)
	if err != nil {
		return nil, fmt.Errorf("d1: candidates in gallery %d: %w", gallery, err)
	}
	return ids, nil
}

// CandidateTargets returns the targets Candidates finds, without their
// pictures, by ID, in one statement: the lookup and the read of its rows.
func (s *Store) CandidateTargets(ctx context.Context, gallery int64, probes []index.Probe, bound int) ([]store.Target, error) {
	list, err := probesJSON(probes, bound)
	if list == "" || err != nil {
		return nil, err
	}
	ts, err := s.query(ctx, false, lookupSQL+" "+selectTargetSQL+" "+candidateTargetsWhere, list, gallery, gallery, gallery, gallery, gallery)
	if err != nil {
		return nil, fmt.Errorf("d1: candidates in gallery %d: %w", gallery, err)
	}
	sort.Slice(ts, func(i, j int) bool { return ts[i].ID < ts[j].ID }) // by ID, as SQLite orders them
	return ts, nil
}

// probesJSON returns the lookup's first parameter: for each probe that
// can reach a code within bound, its tables, budget and parts with their
// radii; "" when none can.
func probesJSON(probes []index.Probe, bound int) (string, error) {
	var list [][10]uint64
	for _, p := range probes {
		budget := bound - p.Penalty
		if budget < 0 {
			continue // a probe that can reach nothing
		}
		if budget > MaxBudget {
			return "", fmt.Errorf("%w: %d", ErrBudget, budget)
		}
		k := p.Key
		row := [10]uint64{p.Tables & (1<<fingerprint.Windows - 1), uint64(budget), k >> 48, k >> 32 & 0xffff, k >> 16 & 0xffff, k & 0xffff}
		for j := range max(budget-3, 0) {
			row[6+j%4]++
		}
		list = append(list, row)
	}
	if len(list) == 0 {
		return "", nil
	}
	b, err := json.Marshal(list)
	return string(b), err
}
