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
	out      string
	interval time.Duration
}

// profileInterval is the profiler's sampling interval.
const profileInterval = time.Millisecond

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
	line, _ := bufio.NewReader(stdout).ReadString('\n')
	if strings.TrimSpace(line) != "started" {
		w.Close()
		cmd.Wait()
		return nil, fmt.Errorf("profile.mjs did not start: %q", line)
	}
	return &Profiler{cmd: cmd, stdin: w, out: out, interval: profileInterval}, nil
}

// Stop stops the profiler and returns the profile it wrote.
func (p *Profiler) Stop() (*Profile, error) {
	p.stdin.Close()
	if err := p.cmd.Wait(); err != nil {
		return nil, fmt.Errorf("profile.mjs: %w", err)
	}
	return ReadProfile(p.out, p.interval)
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

// Busy returns the time the isolate ran, estimated two ways: its samples
// (less those of "(idle)") times the interval, low when the sampler,
// short of a processor, fell behind; and the time since the sample
// before each, up to twice the interval, high when the isolate came back
// to work within that time after a wait.
func (p *Profile) Busy() (low, high time.Duration) {
	idle := map[int]bool{}
	for _, n := range p.Nodes {
		if n.CallFrame.FunctionName == "(idle)" {
			idle[n.ID] = true
		}
	}
	for i, s := range p.Samples {
		if idle[s] {
			continue
		}
		low += p.Interval
		if i < len(p.TimeDeltas) {
			high += min(time.Duration(p.TimeDeltas[i])*time.Microsecond, 2*p.Interval)
		}
	}
	return low, high
}

// Share is a part of a profile: its name and its samples' time.
type Share struct {
	Name string
	Time time.Duration
}

// Inclusive returns the time of the samples under each function whose
// name or script holds one of names (a sample counted once per name),
// in the order of names.
func (p *Profile) Inclusive(names ...string) []Share {
	parent := map[int]int{}
	frame := map[int]string{}
	for _, n := range p.Nodes {
		frame[n.ID] = n.CallFrame.FunctionName + " " + n.CallFrame.URL
		for _, c := range n.Children {
			parent[c] = n.ID
		}
	}
	out := make([]Share, len(names))
	for i, name := range names {
		out[i].Name = name
		for _, s := range p.Samples {
			for n := s; n != 0; n = parent[n] {
				if strings.Contains(frame[n], name) {
					out[i].Time += p.Interval
					break
				}
			}
		}
	}
	return out
}

// Top returns the n functions with the most samples of their own.
func (p *Profile) Top(n int) []Share {
	frame := map[int]string{}
	for _, nd := range p.Nodes {
		frame[nd.ID] = strings.TrimSpace(nd.CallFrame.FunctionName + " " + filepath.Base(nd.CallFrame.URL))
	}
	self := map[string]time.Duration{}
	for _, s := range p.Samples {
		self[frame[s]] += p.Interval
	}
	var out []Share
	for k, v := range self {
		out = append(out, Share{k, v})
	}
	slices.SortFunc(out, func(a, b Share) int { return cmp.Compare(b.Time, a.Time) })
	return out[:min(n, len(out))]
}
