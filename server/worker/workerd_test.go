//go:build linux

package worker

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/base64"
	"encoding/json"
	"flag"
	"image"
	"image/jpeg"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	_ "modernc.org/sqlite" // TestMeasureWorkerd writes the local D1 file

	"github.com/pixmatch/pixmatch/server/auth"
	"github.com/pixmatch/pixmatch/server/store/d1"
	"github.com/pixmatch/pixmatch/server/store/storetest"
	"github.com/pixmatch/pixmatch/shared/distort"
	"github.com/pixmatch/pixmatch/shared/fingerprint"
	"github.com/pixmatch/pixmatch/shared/testphoto"
)

// The Worker built by `make worker`, run by the wrangler make installs.
var (
	repoRoot    = filepath.Join("..", "..")
	wranglerBin = filepath.Join(repoRoot, ".tools", "worker", "node_modules", ".bin")
	builtModule = filepath.Join("build", "app.wasm")
)

// requiredEnv makes a missing Worker build fail the test instead of
// skipping it: `make test` sets it, after building the Worker.
const requiredEnv = "PIXMATCH_WORKERD"

// The first-use credentials the test's Worker starts with.
const (
	workerdKey    = "workerd-key"
	workerdSecret = "workerd-secret"
	workerdAppID  = "workerd-app"
)

// workerd is `wrangler dev` serving the built Worker, with a local D1 and
// R2 kept in a folder of the test.
type workerd struct {
	t     *testing.T
	url   string
	state string
	cmd   *exec.Cmd
	log   bytes.Buffer
}

// startWorkerd starts wrangler dev on a free loopback port with the D1
// and R2 state in state, and waits until it answers /ping. It returns the
// time from the start to the first answer (cold start included). The
// process group is stopped when the test ends.
func startWorkerd(t *testing.T, state string) (*workerd, time.Duration) {
	t.Helper()
	wrangler := filepath.Join(wranglerBin, "wrangler")
	for _, need := range []string{wrangler, builtModule} {
		if _, err := os.Stat(need); err != nil {
			if os.Getenv(requiredEnv) != "" {
				t.Fatalf("%s: %v (make worker builds it)", need, err)
			}
			t.Skipf("%s is missing: run make worker (make test does)", need)
		}
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := strconv.Itoa(ln.Addr().(*net.TCPAddr).Port)
	ln.Close()
	w := &workerd{t: t, url: "http://127.0.0.1:" + port, state: state}
	bin, _ := filepath.Abs(wranglerBin)
	w.cmd = exec.Command(wrangler, "dev", "--ip", "127.0.0.1", "--port", port, "--persist-to", state,
		"--show-interactive-dev-session=false",
		"--var", "PIXMATCH_API_KEY:"+workerdKey, "--var", "PIXMATCH_API_SECRET:"+workerdSecret,
		"--var", "PIXMATCH_APP_ID:"+workerdAppID)
	w.cmd.Env = append(os.Environ(), "PATH="+bin+string(os.PathListSeparator)+os.Getenv("PATH"),
		"WRANGLER_SEND_METRICS=false", "CI=true")
	w.cmd.Stdout, w.cmd.Stderr = &w.log, &w.log
	w.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true} // wrangler starts workerd: stop both
	start := time.Now()
	if err := w.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(w.stop)
	for {
		asked := time.Now()
		res, err := http.Get(w.url + "/ping")
		if err == nil {
			res.Body.Close()
			if res.StatusCode == http.StatusOK {
				t.Logf("the first /ping answered took %v (a cold start: the module compiled, an isolate made)",
					time.Since(asked).Round(time.Millisecond))
				return w, time.Since(start)
			}
		}
		if time.Since(start) > 90*time.Second {
			t.Fatalf("wrangler dev did not answer /ping within 90 s: %v\n%s", err, w.log.String())
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// stop ends wrangler and workerd and waits for them.
func (w *workerd) stop() {
	if w.cmd.Process == nil || w.cmd.ProcessState != nil {
		return
	}
	syscall.Kill(-w.cmd.Process.Pid, syscall.SIGTERM)
	done := make(chan struct{})
	go func() { w.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		syscall.Kill(-w.cmd.Process.Pid, syscall.SIGKILL)
		<-done
	}
}

// reply is a CRS answer.
type reply struct {
	HTTP       int
	StatusCode int             `json:"statusCode"`
	Result     json.RawMessage `json:"result"`
	took       time.Duration
}

// crs sends a request signed with the APIKey signature: params in a JSON
// body, or in the query for GET.
func (w *workerd) crs(method, path string, params map[string]string) reply {
	w.t.Helper()
	return w.send(method, path, params, nil)
}

// send is crs with tamper, when not nil, changing the parameters after
// they were signed.
func (w *workerd) send(method, path string, params map[string]string, tamper func(map[string]string)) reply {
	w.t.Helper()
	p := signed(params)
	if tamper != nil {
		tamper(p)
	}
	return w.deliver(method, path, p)
}

// signed returns params with the APIKey signature's parameters.
func signed(params map[string]string) map[string]string {
	p := map[string]string{"apiKey": workerdKey, "appId": workerdAppID, "timestamp": strconv.FormatInt(time.Now().UnixMilli(), 10)}
	for k, v := range params {
		p[k] = v
	}
	p["signature"] = auth.Sign(p, workerdSecret)
	return p
}

// deliver sends p as it is.
func (w *workerd) deliver(method, path string, p map[string]string) reply {
	w.t.Helper()
	var body io.Reader
	target := w.url + path
	if method == http.MethodGet {
		q := url.Values{}
		for k, v := range p {
			q.Set(k, v)
		}
		target += "?" + q.Encode()
	} else {
		b, _ := json.Marshal(p)
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(context.Background(), method, target, body)
	if err != nil {
		w.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	start := time.Now()
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		w.t.Fatalf("%s %s: %v\n%s", method, path, err, w.log.String())
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	r := reply{HTTP: res.StatusCode, took: time.Since(start)}
	if err := json.Unmarshal(raw, &r); err != nil {
		w.t.Fatalf("%s %s: HTTP %d, %q: %v", method, path, res.StatusCode, raw, err)
	}
	return r
}

// want checks a reply's HTTP status and statusCode.
func (r reply) want(t *testing.T, what string, httpStatus, code int) {
	t.Helper()
	if r.HTTP != httpStatus || r.StatusCode != code {
		t.Errorf("%s: HTTP %d, statusCode %d (%s); want %d, %d", what, r.HTTP, r.StatusCode, r.Result, httpStatus, code)
	}
}

func photo(t *testing.T, name string, edit func(b []byte) []byte) string {
	t.Helper()
	return base64.StdEncoding.EncodeToString(edit(testphoto.File(name)))
}

// TestUnderWorkerd runs the built Worker under wrangler dev (workerd, a
// local D1 and R2) and a CRS client's flow against it: create, list, get,
// update, search (a copy found, another photo not), delete, a bad
// signature and a replayed write; then it stops wrangler, starts it again on the same state
// (a cold start: a new isolate, nothing in memory) and finds the target
// written before. It logs the cold start and the time of each search.
func TestUnderWorkerd(t *testing.T) {
	state := t.TempDir()
	w, cold := startWorkerd(t, state)
	t.Logf("wrangler dev answered its first /ping %v after its start", cold.Round(time.Millisecond))
	names := testphoto.Names()
	same := func(b []byte) []byte { return b }
	half := func(b []byte) []byte { return encodeJPEG(t, distort.Scale(0.5)(testphoto.Image(names[0]))) }

	created := w.crs(http.MethodPost, "/targets", map[string]string{"image": photo(t, names[0], same), "name": "first", "meta": "m"})
	created.want(t, "create", 200, 0)
	var target struct {
		TargetID string `json:"targetId"`
		Name     string `json:"name"`
	}
	json.Unmarshal(created.Result, &target)
	if target.TargetID == "" {
		t.Fatalf("create answered no targetId: %s", created.Result)
	}
	w.crs(http.MethodPost, "/targets", map[string]string{"image": photo(t, names[1], same), "name": "second"}).want(t, "create second", 200, 0)
	list := w.crs(http.MethodGet, "/targets/infos", map[string]string{"pageNum": "1", "pageSize": "10"})
	list.want(t, "list", 200, 0)
	if !strings.Contains(string(list.Result), target.TargetID) {
		t.Errorf("the list does not hold %s: %s", target.TargetID, list.Result)
	}
	w.crs(http.MethodGet, "/target/"+target.TargetID, nil).want(t, "get", 200, 0)
	w.crs(http.MethodPut, "/target/"+target.TargetID, map[string]string{"name": "renamed"}).want(t, "update", 200, 0)

	var took []time.Duration
	for range 3 {
		found := w.crs(http.MethodPost, "/search", map[string]string{"image": photo(t, names[0], half)})
		found.want(t, "search a copy", 200, 0)
		if !strings.Contains(string(found.Result), target.TargetID) || !strings.Contains(string(found.Result), "renamed") {
			t.Errorf("the search found %s, want %s named renamed", found.Result, target.TargetID)
		}
		took = append(took, found.took)
	}
	w.crs(http.MethodPost, "/search", map[string]string{"image": photo(t, names[5], same)}).want(t, "search another photo", 404, 17)
	t.Logf("a search of a copy took %v (a fresh Go instance each, D1 lookups included)", took)

	w.send(http.MethodPut, "/target/"+target.TargetID, map[string]string{"name": "signed"},
		func(p map[string]string) { p["name"] = "changed after signing" }).want(t, "a tampered update", 401, 2)
	again := signed(map[string]string{"meta": "once"})
	w.deliver(http.MethodPut, "/target/"+target.TargetID, again).want(t, "a signed update", 200, 0)
	w.deliver(http.MethodPut, "/target/"+target.TargetID, again).want(t, "the same update replayed", 400, 3)

	w.stop()
	w, cold = startWorkerd(t, state)
	t.Logf("after a restart, the first /ping came %v after the start", cold.Round(time.Millisecond))
	got := w.crs(http.MethodGet, "/target/"+target.TargetID, nil)
	got.want(t, "get after the restart", 200, 0)
	if !strings.Contains(string(got.Result), "renamed") {
		t.Errorf("after the restart the target is %s", got.Result)
	}
	w.crs(http.MethodDelete, "/target/"+target.TargetID, nil).want(t, "delete", 200, 0)
	w.crs(http.MethodGet, "/target/"+target.TargetID, nil).want(t, "get after delete", 404, 404)
}

func encodeJPEG(t *testing.T, img image.Image) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := jpeg.Encode(&b, img, &jpeg.Options{Quality: 90}); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

var (
	measure        = flag.Bool("measure", false, "run TestMeasureWorkerd: searches of a large gallery under workerd")
	measureTargets = flag.Int("targets", 10_000, "TestMeasureWorkerd's gallery size")
)

// TestMeasureWorkerd times requests to the Worker under wrangler dev with
// a gallery of -targets targets: one real photo and the rest of random
// codes, written straight into the local D1 file while wrangler is
// stopped. It logs the time of /ping (a request's floor: a fresh Go
// instance and the app assembled), of searches that find the photo's copy
// and of searches that find nothing. Run it with
//
//	go test ./server/worker -run MeasureWorkerd -measure -v
func TestMeasureWorkerd(t *testing.T) {
	if !*measure {
		t.Skip("a measurement: run with -measure")
	}
	state := t.TempDir()
	w, _ := startWorkerd(t, state)
	names := testphoto.Names()
	w.crs(http.MethodPost, "/targets", map[string]string{"image": photo(t, names[0], func(b []byte) []byte { return b }), "name": "real"}).want(t, "create", 200, 0)
	w.stop()
	files, _ := filepath.Glob(filepath.Join(state, "v3", "d1", "miniflare-D1DatabaseObject", "*.sqlite"))
	files = slices.DeleteFunc(files, func(f string) bool { return filepath.Base(f) == "metadata.sqlite" })
	if len(files) != 1 {
		t.Fatalf("local D1 files: %v", files)
	}
	seed(t, files[0], *measureTargets-1)
	w, cold := startWorkerd(t, state)
	t.Logf("restart to the first /ping: %v", cold.Round(time.Millisecond))
	copyOf := encodeJPEG(t, distort.Scale(0.5)(testphoto.Image(names[0])))
	other := testphoto.File(names[5])
	for _, r := range []struct {
		what string
		send func() reply
	}{
		{"ping", func() reply { return w.crs(http.MethodGet, "/ping", nil) }},
		{"search of a copy (found)", func() reply {
			return w.crs(http.MethodPost, "/search", map[string]string{"image": base64.StdEncoding.EncodeToString(copyOf)})
		}},
		{"search of another photo (17)", func() reply {
			return w.crs(http.MethodPost, "/search", map[string]string{"image": base64.StdEncoding.EncodeToString(other)})
		}},
	} {
		var took []time.Duration
		for range 7 {
			took = append(took, r.send().took)
		}
		slices.Sort(took)
		t.Logf("%d targets, %s: median %v (%v to %v)", *measureTargets, r.what, took[3].Round(time.Millisecond),
			took[0].Round(time.Millisecond), took[6].Round(time.Millisecond))
	}
}

// seed adds n targets of random codes to the gallery of the D1 database
// file path, through the D1 store on modernc SQLite.
func seed(t *testing.T, path string, n int) {
	t.Helper()
	ctx := context.Background()
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	st, err := d1.Open(ctx, db, &d1.MemoryBlobs{})
	if err != nil {
		t.Fatal(err)
	}
	gs, err := st.Galleries(ctx)
	if err != nil || len(gs) != 1 {
		t.Fatalf("galleries: %v, %v", gs, err)
	}
	rng := rand.New(rand.NewPCG(3, 3))
	for i := range n {
		fp := fingerprint.Fingerprint{Version: fingerprint.Version}
		for win := range fingerprint.Windows {
			fp.Codes = append(fp.Codes, fingerprint.Code{Window: win, Hash: rng.Uint64()})
		}
		tg := storetest.Target(gs[0].ID, i, 0)
		tg.Image, tg.Active = nil, true
		tg.Fingerprint, _ = fp.MarshalBinary()
		if _, err := st.CreateTarget(ctx, tg); err != nil {
			t.Fatal(err)
		}
	}
}
