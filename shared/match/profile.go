package match

import (
	"github.com/pixmatch/pixmatch/shared/fingerprint"
	"github.com/pixmatch/pixmatch/shared/index"
)

// A Profile is the part of each target's codes an index holds: the codes
// of some windows, each with its first few checks. The server holds every
// code (Full); a browser holds fewer (Browser), so that a gallery of
// 100,000 targets syncs in a few megabytes, and searches with the checks
// it lacks left out of the distance.
type Profile struct {
	// Windows is the set of windows kept, a bit per fingerprint.Window.
	Windows uint64
	// Checks is how many of a code's checks are kept, in the order Core,
	// Body, Grain: 0 to fingerprint.NumChecks.
	Checks int
}

// The profiles in use.
var (
	// Full keeps every code with every check.
	Full = Profile{Windows: 1<<fingerprint.Windows - 1, Checks: fingerprint.NumChecks}
	// Browser keeps the whole picture and its central 80 %, with the Core
	// and Body checks: the windows that recognise the picture whole,
	// mirrored, turned, framed wider or a little tighter, and askew.
	// Measured with `make bench-quality` (shared/fingerprint/QUALITY.md).
	Browser = Profile{Windows: windows(fingerprint.Whole, fingerprint.Centre80), Checks: 2}
	// Compact keeps only the whole picture, with the Core and Body
	// checks: one code a target, for the largest galleries.
	Compact = Profile{Windows: windows(fingerprint.Whole), Checks: 2}
)

// windows returns the set of the windows ws.
func windows(ws ...fingerprint.Window) uint64 {
	var s uint64
	for _, w := range ws {
		s |= 1 << w
	}
	return s
}

// Codes returns the index codes of a target fingerprint that p keeps,
// with the checks it does not keep zeroed.
func (p Profile) Codes(fp fingerprint.Fingerprint) []index.Code {
	out := make([]index.Code, 0, len(fp.Codes))
	for _, c := range fp.Codes {
		if p.Windows&(1<<c.Window) == 0 {
			continue
		}
		code := index.Code{Table: int(c.Window), Key: c.Hash}
		copy(code.Checks[:p.Checks], c.Checks[:p.Checks])
		out = append(out, code)
	}
	return out
}

// slack is the slack of each check when searching an index of profile p:
// a check p does not keep gets a slack no distance exceeds.
func (p Profile) slack() [index.Checks]int {
	s := Slack
	for i := p.Checks; i < len(s); i++ {
		s[i] = fingerprint.Bits
	}
	return s
}

// Distance is the distance between a query and a target fingerprint as a
// search of an index of profile p sees it: the smallest over the pairs of
// their codes the policy compares, of the target's codes p keeps. Without
// such a pair it is fingerprint.Bits + TurnPenalty.
func (p Profile) Distance(q, target fingerprint.Fingerprint) int {
	best := fingerprint.Bits + TurnPenalty
	slack, codes := p.slack(), p.Codes(target)
	for _, probe := range Probes(q) {
		for _, c := range codes {
			if probe.Tables&(1<<c.Table) == 0 {
				continue
			}
			best = min(best, probe.Distance(c, slack))
		}
	}
	return best
}
