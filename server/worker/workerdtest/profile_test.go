//go:build linux

package workerdtest

import (
	"encoding/json"
	"testing"
	"time"
)

// TestBusy: a sample counts the time since the one before, but after a
// wait (a gap of a millisecond or more at 250 µs, and the first sample)
// the typical gap; idle samples count nothing.
func TestBusy(t *testing.T) {
	var p Profile
	if err := json.Unmarshal([]byte(`{
		"nodes": [
			{"id": 1, "callFrame": {"functionName": "(root)"}, "children": [2, 3]},
			{"id": 2, "callFrame": {"functionName": "search", "url": "app.wasm"}},
			{"id": 3, "callFrame": {"functionName": "(idle)"}}
		],
		"samples":    [2,    2,   2,   2,   2,    2,   2,   3,   2],
		"timeDeltas": [5000, 300, 400, 350, 2500, 300, 300, 400, 350]
	}`), &p); err != nil {
		t.Fatal(err)
	}
	p.Interval = 250 * time.Microsecond
	// The short gaps 300 300 300 350 350 400 400: their median, 350, for
	// the first sample and the one after the 2.5 ms wait.
	const want = (350 + 300 + 400 + 350 + 350 + 300 + 300 + 350) * time.Microsecond
	busy, waits := p.Busy()
	if busy != want || waits != 2 {
		t.Errorf("Busy = %v, %d waits; want %v, 2", busy, waits, want)
	}
	if in := p.Inclusive("search", "(idle)"); in[0].Time != want || in[1].Time != 400*time.Microsecond {
		t.Errorf("Inclusive = %v, want search %v and (idle) 400µs", in, want)
	}
	if top := p.Top(1); len(top) != 1 || top[0].Time != want {
		t.Errorf("Top(1) = %v, want search %v", top, want)
	}
	// Sampled at 1 ms, a wait is a gap of two intervals or more.
	p.Interval = time.Millisecond
	p.TimeDeltas = []int64{5000, 1100, 1200, 1000, 2500, 1100, 1100, 1300, 1050}
	const at1ms = (1100 + 1100 + 1200 + 1000 + 1100 + 1100 + 1100 + 1050) * time.Microsecond
	if busy, waits := p.Busy(); busy != at1ms || waits != 2 {
		t.Errorf("at 1 ms: Busy = %v, %d waits; want %v, 2", busy, waits, at1ms)
	}
	// No delta shorter than the bound: the interval for each.
	p.TimeDeltas = []int64{5000, 3000}
	p.Samples = p.Samples[:2]
	if busy, waits := p.Busy(); busy != 2*time.Millisecond || waits != 2 {
		t.Errorf("only waits: Busy = %v, %d waits; want 2ms, 2", busy, waits)
	}
}
