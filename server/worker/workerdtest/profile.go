//go:build linux

package workerdtest

import (
	"bufio"
	"cmp"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"time"
)

// Profiler records a V8 CPU profile of the Worker's isolate through the
// inspector of a wrangler dev started with --inspector-port (profile.mjs,
// run by the Node that runs wrangler). workerd samples the isolate only
// while it runs (in its lock): JavaScript, WebAssembly, the runtime's own
// code it calls, and its collector, not the local D1's SQLite, which runs
// in another isolate of the process, nor wrangler's proxy. So the samples
// count the CPU time a Worker is billed for on Cloudflare, where a query
// the Worker awaits is the database's time.
type Profiler struct {
	cmd      *exec.Cmd
	stdin    *os.File
	stdout   *bufio.Reader
	out      string
	interval time.Duration
}

// profileInterval is the profiler's sampling interval: fine enough that
// the isolate's waits (a D1 query, an R2 read: a millisecond or more)
// stand out from the spacing of its samples (about 370 µs at this
// interval on a 2-core VM, taking a sample costing time too), so that
// Busy can tell them apart. At 1 ms they could not be: a sample after a
// wait and one after the sampler fell behind look alike.
const profileInterval = 250 * time.Microsecond

// waitGap is the shortest gap between two samples taken to hold a wait
// of the isolate (or the start of the profile): a millisecond, or two
// intervals when they are longer.
func waitGap(interval time.Duration) time.Duration { return max(2*interval, time.Millisecond) }

// StartProfile starts profiling the isolate of the wrangler dev whose
// inspector listens on port; Stop writes the profile to out.
func StartProfile(port, out string) (*Profiler, error) {
	dir := WorkerDir()
	node := filepath.Join(filepath.Dir(filepath.Dir(dir)), ".tools", "worker", "node_modules", ".bin", "node")
	r, w, err := os.Pipe()
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(node, filepath.Join(dir, "workerdtest", "profile.mjs"), port, out,
		fmt.Sprint(profileInterval.Microseconds()))
	cmd.Stdin = r
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	r.Close()
	lines := bufio.NewReader(stdout)
	line, _ := lines.ReadString('\n')
	if strings.TrimSpace(line) != "started" {
		w.Close()
		cmd.Wait()
		return nil, fmt.Errorf("profile.mjs did not start: %q", line)
	}
	return &Profiler{cmd: cmd, stdin: w, stdout: lines, out: out, interval: profileInterval}, nil
}

// Stop stops the profiler and returns the profile it wrote, with the
// isolate's heap as it was when it stopped.
func (p *Profiler) Stop() (*Profile, error) {
	p.stdin.Close()
	line, _ := p.stdout.ReadString('\n')
	if err := p.cmd.Wait(); err != nil {
		return nil, fmt.Errorf("profile.mjs: %w", err)
	}
	var heap Heap
	if err := json.Unmarshal([]byte(line), &heap); err != nil {
		return nil, fmt.Errorf("profile.mjs: the heap's usage %q: %w", line, err)
	}
	prof, err := ReadProfile(p.out, p.interval)
	if prof != nil {
		prof.Heap = heap
	}
	return prof, err
}

// Heap is the isolate's JavaScript heap as V8 reports it
// (Runtime.getHeapUsage), in bytes: what its objects use of the heap,
// the heap's size, and the array buffers' backing stores beside it. The
// Go instance's WebAssembly memory is not counted in any of them.
type Heap struct {
	Used         int64 `json:"usedSize"`
	Total        int64 `json:"totalSize"`
	ArrayBuffers int64 `json:"backingStorageSize"`
}

// Profile is a V8 CPU profile (Chrome's .cpuprofile) of the isolate.
type Profile struct {
	Nodes []struct {
		ID        int `json:"id"`
		CallFrame struct {
			FunctionName string `json:"functionName"`
			URL          string `json:"url"`
		} `json:"callFrame"`
		Children []int `json:"children"`
	} `json:"nodes"`
	Samples    []int   `json:"samples"`
	TimeDeltas []int64 `json:"timeDeltas"` // µs since the sample before
	Interval   time.Duration
	Heap       Heap `json:"-"` // when the profile stopped (Profiler.Stop)
}

// ReadProfile reads a profile sampled every interval.
func ReadProfile(path string, interval time.Duration) (*Profile, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	p := &Profile{Interval: interval}
	return p, json.Unmarshal(b, p)
}

// Busy returns the time the isolate ran, and how many times it went back
// to work after a wait: the time of every sample but "(idle)" ones (see
// weights). The two errors left are small at profileInterval: a gap
// shorter than waitGap in which the isolate was not running (a short
// wait, or a processor taken by another process) counts whole, and a
// stretch longer than waitGap that the sampler, short of a processor,
// left unsampled counts as one gap.
func (p *Profile) Busy() (busy time.Duration, waits int) {
	idle := map[int]bool{}
	for _, n := range p.Nodes {
		if n.CallFrame.FunctionName == "(idle)" {
			idle[n.ID] = true
		}
	}
	weight, long := p.weights()
	for i, s := range p.Samples {
		if !idle[s] {
			busy += weight[i]
		}
	}
	return busy, long
}

// weights returns each sample's time: the time since the sample before,
// or, after a gap of waitGap or more (the isolate waited in it, or the
// profile began), the median of the shorter gaps (the interval when
// none is shorter); and how many gaps were that long.
func (p *Profile) weights() ([]time.Duration, int) {
	bound := waitGap(p.Interval)
	gap := func(i int) time.Duration {
		if i < len(p.TimeDeltas) {
			return time.Duration(p.TimeDeltas[i]) * time.Microsecond
		}
		return bound // a sample without its delta: as after a wait
	}
	var short []time.Duration
	for i := range p.Samples {
		if g := gap(i); g < bound {
			short = append(short, g)
		}
	}
	typical := p.Interval
	if len(short) > 0 {
		slices.Sort(short)
		typical = short[len(short)/2]
	}
	out, long := make([]time.Duration, len(p.Samples)), 0
	for i := range p.Samples {
		if g := gap(i); g < bound {
			out[i] = g
		} else {
			out[i], long = typical, long+1
		}
	}
	return out, long
}

// Share is a part of a profile: its name and its samples' time.
type Share struct {
	Name string
	Time time.Duration
}

// Inclusive returns the time (as Busy counts it) of the samples under
// each function whose name or script holds one of names (a sample
// counted once per name), in the order of names.
func (p *Profile) Inclusive(names ...string) []Share {
	parent := map[int]int{}
	frame := map[int]string{}
	for _, n := range p.Nodes {
		frame[n.ID] = n.CallFrame.FunctionName + " " + n.CallFrame.URL
		for _, c := range n.Children {
			parent[c] = n.ID
		}
	}
	weight, _ := p.weights()
	out := make([]Share, len(names))
	for i, name := range names {
		out[i].Name = name
		for j, s := range p.Samples {
			for n := s; n != 0; n = parent[n] {
				if strings.Contains(frame[n], name) {
					out[i].Time += weight[j]
					break
				}
			}
		}
	}
	return out
}

// Top returns the n functions with the most time of their own.
func (p *Profile) Top(n int) []Share {
	frame := map[int]string{}
	for _, nd := range p.Nodes {
		frame[nd.ID] = strings.TrimSpace(nd.CallFrame.FunctionName + " " + filepath.Base(nd.CallFrame.URL))
	}
	weight, _ := p.weights()
	self := map[string]time.Duration{}
	for i, s := range p.Samples {
		self[frame[s]] += weight[i]
	}
	var out []Share
	for k, v := range self {
		out = append(out, Share{k, v})
	}
	slices.SortFunc(out, func(a, b Share) int { return cmp.Compare(b.Time, a.Time) })
	return out[:min(n, len(out))]
}
