package feature

import (
	"flag"
	"fmt"
	"image"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pixmatch/pixmatch/shared/testphoto"
)

var measureFlag = flag.Bool("measure", false, "TestMeasure: print how other options fare on the views and camera shots")

// A capture is a shot of a target photo on a scene photo.
type capture struct {
	shot, target string
	a            *image.Gray // the target's plane
	frame        *image.Gray // the camera frame's
	to           func(x, y float64) (float64, float64)
}

var (
	capturesMu sync.Mutex
	captured   = map[string][]capture{} // by target photo
)

// captures returns every shot of the given photos, each on the next
// photo of the test set as its scene, made once.
func captures(names []string) []capture {
	capturesMu.Lock()
	defer capturesMu.Unlock()
	all := testphoto.Names()
	var out []capture
	for _, name := range names {
		if _, ok := captured[name]; !ok {
			scene := all[(slices.Index(all, name)+1)%len(all)]
			for _, s := range shots {
				frame, to := s.take(name, scene)
				captured[name] = append(captured[name], capture{
					shot: s.name, target: name, to: to,
					a:     Plane(testphoto.Image(name), TargetOptions),
					frame: Plane(frame, QueryOptions),
				})
			}
		}
		out = append(out, captured[name]...)
	}
	return out
}

// inliers counts the target's features whose nearest query descriptor
// passes Lowe's ratio test (0.8) and lies within tolerance·(1 + octave
// scale) of where the target's point is in the frame: the matches a
// homography fit would keep.
func inliers(c capture, target, query []Feature) int {
	n := 0
	for _, a := range target {
		best, second, at := Bits+1, Bits+1, -1
		for j, b := range query {
			switch d := Distance(a.Desc, b.Desc); {
			case d < best:
				best, second, at = d, best, j
			case d < second:
				second = d
			}
		}
		if at < 0 || float64(best) >= 0.8*float64(second) {
			continue
		}
		x, y := c.to(float64(a.X), float64(a.Y))
		dx, dy := float64(query[at].X)-x, float64(query[at].Y)-y
		r := 2 * tolerance * float64(query[at].Size) / patchSide
		if dx*dx+dy*dy <= r*r {
			n++
		}
	}
	return n
}

// shotCounts are the inlier counts of every capture of one shot.
type shotCounts struct {
	found, total, inliers int
}

// minInliers is the inlier count the anchor pipeline accepts a match at
// (camera-anchors.md §1).
const minInliers = 20

// measureShots returns, by shot, how many captures have minInliers
// true matches, and the total of their true matches.
func measureShots(cs []capture, target, query Options, tab *table) map[string]shotCounts {
	out := map[string]shotCounts{}
	for _, c := range cs {
		n := inliers(c, extract(c.a, target, tab), extract(c.frame, query, tab))
		s := out[c.shot]
		s.total++
		s.inliers += n
		if n >= minInliers {
			s.found++
		}
		out[c.shot] = s
	}
	return out
}

func shotTable(m map[string]shotCounts) string {
	var b strings.Builder
	found, total := 0, 0
	for _, s := range shots {
		c := m[s.name]
		fmt.Fprintf(&b, " %s %d/%d (%d)", s.name, c.found, c.total, c.inliers/max(c.total, 1))
		found += c.found
		total += c.total
	}
	return fmt.Sprintf("found %5.1f %%:%s", 100*float64(found)/float64(max(total, 1)), b.String())
}

// A variant is a choice of options TestMeasure compares.
type variant struct {
	name          string
	target, query Options
}

// variants are the choices TestMeasure compares with the chosen options:
// other pyramids for the target and for the query, grids, thresholds and
// numbers of features.
func variants() []variant {
	both := func(name string, f func(o *Options)) variant {
		tg, q := TargetOptions, QueryOptions
		f(&tg)
		f(&q)
		return variant{name, tg, q}
	}
	target := func(name string, f func(o *Options)) variant {
		tg := TargetOptions
		f(&tg)
		return variant{"target " + name, tg, QueryOptions}
	}
	query := func(name string, f func(o *Options)) variant {
		q := QueryOptions
		f(&q)
		return variant{"query " + name, TargetOptions, q}
	}
	levels := func(n int, scale float64) func(o *Options) {
		return func(o *Options) { o.Levels, o.Scale = n, scale }
	}
	return []variant{
		{"chosen", TargetOptions, QueryOptions},
		target("levels 6 × 1.25", levels(6, 1.25)),
		target("levels 10 × 1.2", levels(10, 1.2)),
		target("levels 4 × 1.41", levels(4, 1.41)),
		query("levels 8 × 1.2", levels(8, 1.2)),
		query("levels 5 × 1.3", levels(5, 1.3)),
		query("levels 3 × 1.41", levels(3, 1.41)),
		both("cells 48, cap 5", func(o *Options) { o.Cell, o.CellCap = 48, 5 }),
		both("cells 24, cap 2", func(o *Options) { o.Cell, o.CellCap = 24, 2 }),
		both("no spread", func(o *Options) { o.CellCap = 1 << 20 }),
		both("no low threshold", func(o *Options) { o.LowThreshold = 0 }),
		both("threshold 12", func(o *Options) { o.Threshold = 12 }),
		both("threshold 30", func(o *Options) { o.Threshold = 30 }),
		target("300", func(o *Options) { o.Max = 300 }),
		target("800", func(o *Options) { o.Max = 800 }),
		query("500", func(o *Options) { o.Max = 500 }),
		query("1500", func(o *Options) { o.Max = 1500 }),
		query("side 512", func(o *Options) { o.MaxSide = 512 }),
	}
}

// TestMeasure prints, with -measure, how the extractor fares with other
// choices of options on the camera shots of every test photo (14, 10 of
// which the pattern was learned from), and how the patterns compare on
// the held-out photos: the numbers its choices were made by. MEASURE_ONLY
// keeps the variants whose name holds it.
func TestMeasure(t *testing.T) {
	if !*measureFlag {
		t.Skip("a measurement, not a test: run with -measure -v")
	}
	cs := captures(testphoto.Names())
	only := os.Getenv("MEASURE_ONLY")
	for _, v := range variants() {
		if only != "" && !strings.Contains(v.name, only) {
			continue
		}
		t0 := time.Now()
		m := measureShots(cs, v.target, v.query, &steered)
		t.Logf("%-22s %s [%v]", v.name, shotTable(m), time.Since(t0).Round(time.Millisecond))
	}
	m := heldOutCounts(t)
	report(t, "learned pattern, views", m[learnedPattern])
	report(t, "random pattern, views", m[randomPatterns])
	report(t, "unsteered, views", m[unsteeredPattern])
	held := captures(heldOut)
	for _, p := range []struct {
		name string
		tab  *table
	}{{"learned", &steered}, {"random", steer(randomPattern(1))}, {"unsteered", unsteered()}} {
		t.Logf("held out, %-9s %s", p.name+":", shotTable(measureShots(held, TargetOptions, QueryOptions, p.tab)))
	}
}
