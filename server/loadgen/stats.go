package loadgen

import (
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"sync"
	"time"
)

// Stats is what one operation got in the measured phase.
type Stats struct {
	mu    sync.Mutex
	took  []time.Duration // of the requests answered, failed or not
	codes map[int]int     // answers by CRS statusCode
	known int             // searches for a copy of a target
	found int             // of those, the ones that named it
	lost  int             // requests that got no answer (transport errors)
	last  error           // the last of those
}

func (s *Stats) add(d time.Duration, out outcome, err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err != nil {
		s.lost++
		s.last = err
		return
	}
	if s.codes == nil {
		s.codes = map[int]int{}
	}
	s.took = append(s.took, d)
	s.codes[out.code]++
	if out.known {
		s.known++
	}
	if out.found {
		s.found++
	}
}

// Answered is how many requests got an answer, of any statusCode.
func (s *Stats) Answered() int { s.mu.Lock(); defer s.mu.Unlock(); return len(s.took) }

// Code is how many answers had the CRS statusCode code.
func (s *Stats) Code(code int) int { s.mu.Lock(); defer s.mu.Unlock(); return s.codes[code] }

// Found is how many searches were for a copy of a target (answered), and
// how many of those named it.
func (s *Stats) Found() (known, found int) { s.mu.Lock(); defer s.mu.Unlock(); return s.known, s.found }

// Lost is how many requests got no answer, and the last such error.
func (s *Stats) Lost() (int, error) { s.mu.Lock(); defer s.mu.Unlock(); return s.lost, s.last }

// Percentile returns the latency under which a part p (0–1) of the
// answered requests fell, by the nearest-rank method; 0 when none was.
func (s *Stats) Percentile(p float64) time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.took) == 0 {
		return 0
	}
	sorted := slices.Sorted(slices.Values(s.took))
	k := int(p*float64(len(sorted)) + 0.999999)
	return sorted[min(max(k, 1), len(sorted))-1]
}

// Write prints the report as a table: one row an operation, with its
// rate, latency percentiles and answers by statusCode.
func (r Report) Write(w io.Writer) {
	fmt.Fprintf(w, "%d server(s), %d client(s); the gallery held %d targets", r.Servers, r.Clients, r.Held)
	if r.Seeded > 0 {
		fmt.Fprintf(w, " (%d added to seed it in %s, %.1f a second)", r.Seeded, r.SeedTime.Round(time.Millisecond),
			float64(r.Seeded)/r.SeedTime.Seconds())
	}
	fmt.Fprintf(w, "; measured for %s\n", r.Elapsed.Round(time.Millisecond))
	fmt.Fprintf(w, "%-7s %9s %11s %9s %9s %9s  %s\n", "op", "answered", "per second", "p50", "p99", "max", "answers")
	for _, op := range slices.Sorted(maps.Keys(r.Ops)) {
		s := r.Ops[op]
		if s.Answered() == 0 {
			if n, _ := s.Lost(); n == 0 {
				continue
			}
		}
		fmt.Fprintf(w, "%-7s %9d %11.1f %9s %9s %9s  %s\n", op, s.Answered(), float64(s.Answered())/r.Elapsed.Seconds(),
			ms(s.Percentile(0.5)), ms(s.Percentile(0.99)), ms(s.Percentile(1)), s.answers(op))
	}
}

// answers describes the answers by statusCode, and what went unanswered.
func (s *Stats) answers(op string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var parts []string
	for _, code := range slices.Sorted(maps.Keys(s.codes)) {
		parts = append(parts, fmt.Sprintf("%d:%d", code, s.codes[code]))
	}
	if op == "search" && s.known > 0 {
		parts = append(parts, fmt.Sprintf("(copies of a target %d, found %d)", s.known, s.found))
	}
	if s.lost > 0 {
		parts = append(parts, fmt.Sprintf("%d unanswered (%v)", s.lost, s.last))
	}
	return "statusCode:count " + strings.Join(parts, " ")
}

func ms(d time.Duration) string { return fmt.Sprintf("%.1fms", float64(d)/float64(time.Millisecond)) }
