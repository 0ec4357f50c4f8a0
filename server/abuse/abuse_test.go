//go:build abuse

// Package abuse attacks a real pixmatch server process the way an outsider
// would — decompression bombs, floods of large unsigned bodies, thousands
// of connections that dribble their requests — and measures what it costs
// the server: its peak resident memory (VmHWM, from /proc) and how long an
// ordinary client waits for its answers meanwhile. The attacks run for
// tens of seconds, so they are kept out of `make test` behind the build
// tag abuse: run them with `make test-abuse`.
package abuse

import (
	"bufio"
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/pixmatch/pixmatch/server/auth"
)

// The credentials of the attacked server.
const (
	appID    = "abuse0app"
	apiKey   = "abusekey"
	secret   = "abusesecret"
	instance = "shop"
)

// binary is the pixmatch command built for the run.
var binary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "pixmatch-abuse")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	// PIXMATCH_ABUSE_BINARY attacks another build (an older one, to
	// compare) instead of this tree's.
	if binary = os.Getenv("PIXMATCH_ABUSE_BINARY"); binary == "" {
		binary = filepath.Join(dir, "pixmatch")
		build := exec.Command("go", "build", "-o", binary, "github.com/pixmatch/pixmatch/server/cmd/pixmatch")
		build.Stdout, build.Stderr = os.Stderr, os.Stderr
		if err := build.Run(); err != nil {
			fmt.Fprintln(os.Stderr, "build pixmatch:", err)
			os.Exit(1)
		}
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// server is a pixmatch serve process.
type server struct {
	t    *testing.T
	cmd  *exec.Cmd
	base string
	dir  string
}

// start runs `pixmatch serve` on a new data folder.
func start(t *testing.T) *server {
	t.Helper()
	dir := t.TempDir()
	cmd := exec.Command(binary, "serve", "--addr", "127.0.0.1:0", "--data", dir)
	cmd.Env = append(os.Environ(), "PIXMATCH_INSTANCE="+instance, "PIXMATCH_APP_ID="+appID,
		"PIXMATCH_API_KEY="+apiKey, "PIXMATCH_API_SECRET="+secret)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = io.Discard
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	lines := bufio.NewScanner(out)
	for lines.Scan() {
		if rest, ok := strings.CutPrefix(lines.Text(), "pixmatch serving "); ok {
			go io.Copy(io.Discard, out)
			return &server{t: t, cmd: cmd, base: strings.Fields(rest)[0], dir: dir}
		}
	}
	t.Fatal("pixmatch serve did not start")
	return nil
}

// admin runs an admin command on the server's data folder.
func (s *server) admin(args ...string) {
	s.t.Helper()
	out, err := exec.Command(binary, append(args, "--data", s.dir)...).CombinedOutput()
	if err != nil {
		s.t.Fatalf("pixmatch %s: %v\n%s", strings.Join(args, " "), err, out)
	}
}

// peak returns the server's peak resident memory so far, in bytes.
func (s *server) peak() int64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", s.cmd.Process.Pid))
	if err != nil {
		s.t.Fatalf("read the server's memory: %v", err)
	}
	for line := range strings.Lines(string(b)) {
		if rest, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
			return kb << 10
		}
	}
	s.t.Fatal("no VmHWM in /proc status")
	return 0
}

// files returns how many files the server has open, sockets included.
func (s *server) files() int {
	fds, err := os.ReadDir(fmt.Sprintf("/proc/%d/fd", s.cmd.Process.Pid))
	if err != nil {
		s.t.Fatalf("read the server's open files: %v", err)
	}
	return len(fds)
}

// watch kills the server once its resident memory passes limit (so that
// a server without bounds cannot take the machine down with it) and
// reports whether it did; it runs until stop is closed.
func (s *server) watch(limit int64, stop <-chan struct{}) <-chan kill {
	killed := make(chan kill, 1)
	go func() {
		defer close(killed)
		for {
			select {
			case <-stop:
				return
			case <-time.After(100 * time.Millisecond):
			}
			b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", s.cmd.Process.Pid))
			if err != nil {
				return
			}
			for line := range strings.Lines(string(b)) {
				if rest, ok := strings.CutPrefix(line, "VmRSS:"); ok { // not VmHWM: what it holds now
					kb, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
					if kb<<10 > limit {
						s.cmd.Process.Kill()
						killed <- kill{rss: kb << 10, at: time.Now()}
						return
					}
				}
			}
		}
	}()
	return killed
}

// kill is when watch killed the server, and its resident memory then.
type kill struct {
	rss int64
	at  time.Time
}

// alive fails the test if the server process has ended.
func (s *server) alive() {
	s.t.Helper()
	if s.cmd.ProcessState != nil {
		s.t.Fatalf("the server ended: %v", s.cmd.ProcessState)
	}
	if _, err := os.Stat(fmt.Sprintf("/proc/%d", s.cmd.Process.Pid)); err != nil {
		s.t.Fatalf("the server process is gone: %v", err)
	}
}

// crsAnswer is what a CRS request got.
type crsAnswer struct {
	HTTP       int
	StatusCode int    `json:"statusCode"`
	Code       string `json:"Code"` // an Alibaba answer's
	Took       time.Duration
	Err        error
}

// signed returns params with the CRS common parameters and signature.
func signed(app string, params map[string]string) map[string]string {
	out := map[string]string{"timestamp": strconv.FormatInt(time.Now().UnixMilli(), 10), "appId": app, "apiKey": apiKey}
	for k, v := range params {
		out[k] = v
	}
	out["signature"] = auth.Sign(out, secret)
	return out
}

// crs sends a signed CRS request with a JSON body (or, for GET, a query).
func crs(client *http.Client, base, method, path, app string, params map[string]string) crsAnswer {
	p := signed(app, params)
	var req *http.Request
	if method == http.MethodGet {
		q := url.Values{}
		for k, v := range p {
			q.Set(k, v)
		}
		req, _ = http.NewRequest(method, base+path+"?"+q.Encode(), nil)
	} else {
		body, _ := json.Marshal(p)
		req, _ = http.NewRequest(method, base+path, bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
	}
	return do(client, req)
}

func do(client *http.Client, req *http.Request) crsAnswer {
	start := time.Now()
	res, err := client.Do(req)
	if err != nil {
		return crsAnswer{Err: err, Took: time.Since(start)}
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	a := crsAnswer{HTTP: res.StatusCode, Took: time.Since(start), Err: err}
	json.Unmarshal(body, &a)
	return a
}

func b64(b []byte) string { return base64.StdEncoding.EncodeToString(b) }

func (a crsAnswer) String() string {
	if a.Err != nil {
		return fmt.Sprintf("error %v after %v", a.Err, a.Took)
	}
	if a.Code != "" {
		return fmt.Sprintf("HTTP %d %s in %v", a.HTTP, a.Code, a.Took.Round(time.Millisecond))
	}
	return fmt.Sprintf("HTTP %d statusCode %d in %v", a.HTTP, a.StatusCode, a.Took.Round(time.Millisecond))
}
