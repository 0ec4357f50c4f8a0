//go:build linux

// Package workerdtest runs the Worker built by `make worker` under
// `wrangler dev` (workerd with a local D1 and R2) for tests: on a free
// loopback port, with the first-use variables a test gives, its D1 and R2
// kept in a folder of the test, stopped (wrangler and workerd, its whole
// process group) when the test ends. The Worker's own tests
// (server/worker) and the browser's (server/e2e) share it. It reads
// workerd's CPU and memory from /proc, and records V8 CPU profiles of
// the Worker's isolate alone through wrangler's inspector (Profiler).
//
// A missing build or wrangler skips the test, unless the environment
// sets Required (`make test` does, after building the Worker): then it
// fails.
package workerdtest

import (
	"bytes"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// Required is the environment variable that makes a missing Worker build
// fail a test instead of skipping it.
const Required = "PIXMATCH_WORKERD"

// WorkerDir is the Worker's folder, server/worker, found from this
// file's place in the repository.
func WorkerDir() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Dir(filepath.Dir(file))
}

// Workerd is one `wrangler dev` serving the built Worker.
type Workerd struct {
	URL   string // http://127.0.0.1:PORT
	State string // the folder of its local D1 and R2

	t    testing.TB
	cmd  *exec.Cmd
	done chan struct{} // closed once wrangler has exited
	mu   sync.Mutex
	log  bytes.Buffer
}

// Start starts wrangler dev with the D1 and R2 state in state and the
// wrangler vars vars (PIXMATCH_API_KEY and the others), and waits until it
// answers /ping. It returns the time from the start to the first answer,
// a cold start included, and logs the first answer's own time.
func Start(t testing.TB, state string, vars map[string]string) (*Workerd, time.Duration) {
	t.Helper()
	return StartArgs(t, state, vars)
}

// StartArgs is Start with more arguments for wrangler dev
// (--inspector-port, say).
func StartArgs(t testing.TB, state string, vars map[string]string, more ...string) (*Workerd, time.Duration) {
	t.Helper()
	dir := WorkerDir()
	return start(t, dir, []string{filepath.Join(dir, "build", "app.wasm")}, state, vars, more...)
}

// StartIn starts wrangler dev on another Worker, the one whose
// wrangler.toml is in dir (a test's JavaScript Worker, which needs no
// build), as Start does: its state in state, answering /ping.
func StartIn(t testing.TB, dir, state string) (*Workerd, time.Duration) {
	t.Helper()
	return start(t, dir, nil, state, nil)
}

// start starts wrangler dev in dir, once the files need are there.
func start(t testing.TB, dir string, need []string, state string, vars map[string]string, more ...string) (*Workerd, time.Duration) {
	t.Helper()
	bin := filepath.Join(filepath.Dir(filepath.Dir(WorkerDir())), ".tools", "worker", "node_modules", ".bin")
	wrangler := filepath.Join(bin, "wrangler")
	for _, need := range append([]string{wrangler}, need...) {
		if _, err := os.Stat(need); err != nil {
			if os.Getenv(Required) != "" {
				t.Fatalf("%s: %v (make worker builds it)", need, err)
			}
			t.Skipf("%s is missing: run make worker (make test does)", need)
		}
	}
	// A port free a moment ago may be taken before wrangler binds it
	// (the other packages' tests run beside these): wrangler then says
	// so, and is stopped and started again on another.
	for attempt := 1; ; attempt++ {
		w, took, taken := startOn(t, dir, wrangler, bin, freePort(t), state, vars, more...)
		if !taken {
			return w, took
		}
		if attempt == portAttempts {
			t.Fatalf("wrangler dev found its port taken %d times:\n%s", attempt, w.Log())
		}
		t.Logf("wrangler dev found port %s taken; starting it on another", strings.TrimPrefix(w.URL, "http://127.0.0.1:"))
	}
}

// portAttempts is how many ports start tries.
const portAttempts = 3

// startOn starts wrangler dev on port and waits until it answers /ping,
// or stops it and reports taken when it found the port in use.
func startOn(t testing.TB, dir, wrangler, bin, port, state string, vars map[string]string, more ...string) (w *Workerd, took time.Duration, taken bool) {
	t.Helper()
	w = &Workerd{t: t, URL: "http://127.0.0.1:" + port, State: state, done: make(chan struct{})}
	args := []string{"dev", "--ip", "127.0.0.1", "--port", port, "--persist-to", state,
		"--show-interactive-dev-session=false"}
	for k, v := range vars {
		args = append(args, "--var", k+":"+v)
	}
	args = append(args, more...)
	w.cmd = exec.Command(wrangler, args...)
	w.cmd.Dir = dir
	w.cmd.Env = append(os.Environ(), "PATH="+bin+string(os.PathListSeparator)+os.Getenv("PATH"),
		"WRANGLER_SEND_METRICS=false", "CI=true")
	w.cmd.Stdout, w.cmd.Stderr = (*logWriter)(w), (*logWriter)(w)
	w.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true} // wrangler starts workerd: stop both
	start := time.Now()
	if err := w.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { w.cmd.Wait(); close(w.done) }() // its owner, w, stops it (Stop)
	t.Cleanup(w.Stop)
	client := &http.Client{Timeout: 30 * time.Second}
	for {
		asked := time.Now()
		res, err := client.Get(w.URL + "/ping")
		if err == nil {
			res.Body.Close()
			if res.StatusCode == http.StatusOK {
				t.Logf("the first /ping answered took %v (a cold start: the module compiled, an isolate made)",
					time.Since(asked).Round(time.Millisecond))
				return w, time.Since(start), false
			}
		}
		if strings.Contains(w.Log(), "Address already in use") { // wrangler says so, and stays
			w.Stop()
			return w, 0, true
		}
		select {
		case <-w.done:
			t.Fatalf("wrangler dev exited before it answered /ping: %v\n%s", err, w.Log())
		default:
		}
		if time.Since(start) > 90*time.Second {
			t.Fatalf("wrangler dev did not answer /ping within 90 s: %v\n%s", err, w.Log())
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// freePort returns a loopback port free a moment ago.
func freePort(t testing.TB) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return strconv.Itoa(ln.Addr().(*net.TCPAddr).Port)
}

// logWriter collects wrangler's output.
type logWriter Workerd

func (l *logWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.log.Write(p)
}

// Log returns what wrangler and the Worker wrote so far.
func (w *Workerd) Log() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.log.String()
}

// Stop ends wrangler and workerd and waits for them.
func (w *Workerd) Stop() {
	if w.cmd == nil || w.cmd.Process == nil { // not started here
		return
	}
	select {
	case <-w.done:
		return
	default:
	}
	syscall.Kill(-w.cmd.Process.Pid, syscall.SIGTERM)
	select {
	case <-w.done:
	case <-time.After(10 * time.Second):
		syscall.Kill(-w.cmd.Process.Pid, syscall.SIGKILL)
		<-w.done
	}
}

// CPU returns the processor time (user and system) the workerd processes
// of this wrangler have used so far, from /proc: the cost of the requests
// served, without wrangler's own.
func (w *Workerd) CPU() (time.Duration, error) {
	var ticks int64
	err := w.workerds(func(fields []string) {
		u, _ := strconv.ParseInt(fields[11], 10, 64) // utime
		s, _ := strconv.ParseInt(fields[12], 10, 64) // stime
		ticks += u + s
	})
	return time.Duration(ticks) * time.Second / clockTicks, err
}

// RSS returns the resident memory of the workerd processes of this
// wrangler, in bytes, from /proc: the isolate's memory and workerd's own.
func (w *Workerd) RSS() (int64, error) {
	var pages int64
	err := w.workerds(func(fields []string) {
		n, _ := strconv.ParseInt(fields[21], 10, 64) // rss
		pages += n
	})
	return pages * int64(os.Getpagesize()), err
}

// workerds calls each with the fields of /proc/PID/stat after the
// command's name (the state first) of every workerd process in this
// wrangler's process group.
func (w *Workerd) workerds(each func(fields []string)) error {
	stats, err := filepath.Glob("/proc/[0-9]*/stat")
	if err != nil {
		return err
	}
	found := false
	for _, f := range stats {
		b, err := os.ReadFile(f)
		if err != nil {
			continue // ended meanwhile
		}
		// pid (comm) state ppid pgrp ... utime(14) stime(15) ... rss(24): comm may hold spaces.
		end := bytes.LastIndexByte(b, ')')
		open := bytes.IndexByte(b, '(')
		if end < 0 || open < 0 || !strings.Contains(string(b[open+1:end]), "workerd") {
			continue
		}
		fields := strings.Fields(string(b[end+2:]))
		if len(fields) < 22 || fields[2] != strconv.Itoa(w.cmd.Process.Pid) {
			continue
		}
		each(fields)
		found = true
	}
	if !found {
		return fmt.Errorf("no workerd process in wrangler's group %d", w.cmd.Process.Pid)
	}
	return nil
}

// clockTicks is the kernel's USER_HZ, the unit of /proc's times: 100 on
// every Linux architecture Go supports.
const clockTicks = 100
