package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"runtime/debug"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/pixmatch/pixmatch/server/auth"
	"github.com/pixmatch/pixmatch/server/store/postgres/pgtest"
	"github.com/pixmatch/pixmatch/shared/testphoto"
)

// TestMain lets the test binary stand in for the pixmatch command when a
// test starts it as a child process.
func TestMain(m *testing.M) {
	if args := os.Getenv("PIXMATCH_TEST_RUN"); args != "" {
		ctx, stop := untilSignal()
		defer stop()
		if err := run(ctx, strings.Fields(args), os.Stdout, os.Getenv); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(2)
		}
		os.Exit(0)
	}
	os.Exit(pgtest.Main(m)) // stops the PostgreSQL cluster a test started
}

// server is a pixmatch serve child process.
type server struct {
	cmd *exec.Cmd
	url string
	out *bufio.Scanner
}

func startServer(t *testing.T, dir string, env ...string) *server {
	t.Helper()
	return startServing(t, []string{"--data", dir}, env...)
}

// startServing starts serve on a free port with the given flags.
func startServing(t *testing.T, flags []string, env ...string) *server {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), "PIXMATCH_TEST_RUN=serve --addr 127.0.0.1:0 "+strings.Join(flags, " "))
	cmd.Env = append(cmd.Env, env...)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	s := &server{cmd: cmd, out: bufio.NewScanner(stdout)}
	var printed []string
	for s.out.Scan() {
		line := s.out.Text()
		printed = append(printed, line)
		if rest, ok := strings.CutPrefix(line, "pixmatch serving "); ok {
			s.url = strings.Fields(rest)[0]
			go io.Copy(io.Discard, stdout)
			return s
		}
	}
	t.Fatalf("server did not start; it printed %q", printed)
	return nil
}

// createTarget signs and sends POST /targets; it returns the targetId, or
// "" when the server did not answer success.
func createTarget(url, appID, key, secret, name string, image []byte) (string, error) {
	params := map[string]any{
		"image": base64.StdEncoding.EncodeToString(image), "name": name, "allowSimilar": "1",
		"timestamp": time.Now().UnixMilli(), "appId": appID, "apiKey": key,
	}
	flat := map[string]string{}
	for k, v := range params {
		flat[k] = fmt.Sprint(v)
	}
	params["signature"] = auth.Sign(flat, secret)
	body, _ := json.Marshal(params)
	res, err := http.Post(url+"/targets", "application/json", bytes.NewReader(body))
	if err != nil {
		return "", err
	}
	defer res.Body.Close()
	var r struct {
		StatusCode int
		Result     struct{ TargetID string }
	}
	if err := json.NewDecoder(res.Body).Decode(&r); err != nil || r.StatusCode != 0 {
		return "", fmt.Errorf("create answered %d: %v", r.StatusCode, err)
	}
	return r.Result.TargetID, nil
}

func get(t *testing.T, base, path, appID, key, secret string) (int, map[string]any) {
	t.Helper()
	q := map[string]string{"timestamp": strconv.FormatInt(time.Now().UnixMilli(), 10), "appId": appID, "apiKey": key}
	q["signature"] = auth.Sign(q, secret)
	v := url.Values{}
	for k, x := range q {
		v.Set(k, x)
	}
	res, err := http.Get(base + path + "?" + v.Encode())
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var r struct {
		StatusCode int
		Result     map[string]any
	}
	json.NewDecoder(res.Body).Decode(&r)
	return r.StatusCode, r.Result
}

// TestFirstStartAndKillNine starts pixmatch on an empty folder with
// credentials from the environment, creates targets, kills the server
// with SIGKILL right after an acknowledged create, restarts it, and finds
// every acknowledged target again.
func TestFirstStartAndKillNine(t *testing.T) {
	dir := t.TempDir()
	env := []string{"PIXMATCH_APP_ID=app1", "PIXMATCH_API_KEY=key1", "PIXMATCH_API_SECRET=secret1", "PIXMATCH_INSTANCE=shop"}
	s := startServer(t, dir, env...)
	photo := testphoto.File("coffee")
	var acked []string
	for i := 0; i < 12; i++ {
		// Distinct files of the same picture: bytes after the JPEG's end.
		img := append(append([]byte{}, photo...), []byte(strconv.Itoa(i))...)
		id, err := createTarget(s.url, "app1", "key1", "secret1", fmt.Sprintf("t%d", i), img)
		if err != nil {
			t.Fatalf("create %d: %v", i, err)
		}
		acked = append(acked, id)
	}
	if err := s.cmd.Process.Kill(); err != nil { // SIGKILL, right after the last answer
		t.Fatal(err)
	}
	s.cmd.Wait()

	s = startServer(t, dir) // the environment no longer matters: the folder has a gallery
	code, res := get(t, s.url, "/targets/count", "app1", "key1", "secret1")
	if code != 0 || res["count"] != float64(len(acked)) {
		t.Fatalf("after kill -9: statusCode %d, result %v, want count %d", code, res, len(acked))
	}
	for _, id := range acked {
		if code, _ := get(t, s.url, "/target/"+id, "app1", "key1", "secret1"); code != 0 {
			t.Errorf("acknowledged target %s lost: statusCode %d", id, code)
		}
	}
	// The feature records (and the grades) the killed server had not made
	// yet are made after the restart.
	for _, id := range acked {
		for deadline := time.Now().Add(time.Minute); ; time.Sleep(50 * time.Millisecond) {
			if _, res := get(t, s.url, "/target/"+id, "app1", "key1", "secret1"); res["grade"] != nil {
				break
			} else if time.Now().After(deadline) {
				t.Fatalf("target %s has no grade a minute after the restart: its record was not made", id)
			}
		}
	}
}

// admin runs pixmatch command lines on one data folder in this process.
type admin struct {
	t   *testing.T
	dir string
}

// ok runs a command that must succeed and returns what it printed.
func (a admin) ok(args ...string) string {
	a.t.Helper()
	out, err := a.run(args...)
	if err != nil {
		a.t.Fatalf("%v: %v", args, err)
	}
	return out
}

// fails runs a command that must fail and returns its error message.
func (a admin) fails(args ...string) string {
	a.t.Helper()
	out, err := a.run(args...)
	if err == nil {
		a.t.Fatalf("%v succeeded: %s", args, out)
	}
	return err.Error()
}

func (a admin) run(args ...string) (string, error) {
	var out bytes.Buffer
	err := run(context.Background(), append(args, "--data", a.dir), &out, func(string) string { return "" })
	return out.String(), err
}

// TestAdminCommands creates, lists, updates and deletes galleries and
// keys from the command line; each change says what it did.
func TestAdminCommands(t *testing.T) {
	a := admin{t, t.TempDir()}
	if got := a.ok("galleries", "create", "shop", "--qps", "5", "--dau", "--app-id", "app-shop"); got != "created gallery \"shop\", appId app-shop\n" {
		t.Fatalf("galleries create: %q", got)
	}
	if got := a.ok("galleries", "list"); !strings.Contains(got, "shop") || !strings.Contains(got, "true") {
		t.Fatalf("galleries list:\n%s", got)
	}
	if got := a.ok("galleries", "update", "shop", "--qps", "7", "--capacity", "10"); got != "updated gallery \"shop\": capacity 0 -> 10, qps 5 -> 7\n" {
		t.Fatalf("galleries update: %q", got)
	}
	if got := a.ok("galleries", "update", "shop", "--qps", "7"); got != "gallery \"shop\" unchanged\n" {
		t.Fatalf("an update that changes nothing: %q", got)
	}
	if got := a.ok("galleries"); !strings.Contains(got, " 7 ") {
		t.Fatalf("after update:\n%s", got)
	}
	if got := a.ok("keys", "create", "--gallery", "shop", "--id", "k1", "--secret", "s1"); got != "created key k1 with secret s1 for gallery \"shop\"\n" {
		t.Fatalf("keys create: %q", got)
	}
	a.ok("keys", "create", "--id", "k2", "--secret", "s2")
	if got := a.ok("keys", "list"); !strings.Contains(got, "k1") || !strings.Contains(got, "shop") {
		t.Fatalf("keys list:\n%s", got)
	}
	if got := a.ok("keys", "delete", "k2"); got != "deleted key k2 (every gallery)\n" {
		t.Fatalf("keys delete: %q", got)
	}
	if got := a.ok("keys", "list"); strings.Contains(got, "k2") {
		t.Fatalf("key still listed after delete:\n%s", got)
	}
	taskFiles := filepath.Join(a.dir, "files", "1") // a dump the gallery left
	os.MkdirAll(taskFiles, 0o700)
	os.WriteFile(filepath.Join(taskFiles, "dump-1.meta"), []byte("{}\n"), 0o600)
	if got := a.ok("galleries", "delete", "shop"); got != "deleted gallery \"shop\" (appId app-shop) with 0 targets and 1 key bound to it (k1)\n" {
		t.Fatalf("galleries delete: %q", got)
	}
	if _, err := os.Stat(taskFiles); !os.IsNotExist(err) {
		t.Fatalf("the deleted gallery's task files are still there: %v", err)
	}
	if got := a.ok("keys", "list"); strings.Contains(got, "k1") {
		t.Fatalf("a key bound to a deleted gallery is still listed:\n%s", got)
	}
	if got := a.fails("galleries", "update", "shop"); got != `there is no gallery named "shop"` {
		t.Fatalf("updating a deleted gallery: %s", got)
	}
	if got := a.fails("keys", "delete", "k1"); got != `there is no key "k1"` {
		t.Fatalf("deleting a deleted key: %s", got)
	}
	if _, err := a.run("frobnicate"); err == nil {
		t.Fatal("an unknown command succeeded")
	}
}

// TestAdminRefusals checks that a refused command says why in words, not
// with a database error, and changes nothing.
func TestAdminRefusals(t *testing.T) {
	a := admin{t, t.TempDir()}
	a.ok("galleries", "create", "shop", "--app-id", "app-shop")
	a.ok("keys", "create", "--id", "k1")
	before := a.ok("galleries") + a.ok("keys")
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"galleries", "create", "shop"}, `a gallery named "shop" already exists`},
		{[]string{"galleries", "create", "other", "--app-id", "app-shop"}, `a gallery with appId "app-shop" already exists ("shop")`},
		{[]string{"galleries", "create", "two words"}, `a gallery name is 1 to 20 letters, digits, '-', '_' or '.', not "two words"`},
		{[]string{"galleries", "create", "other", "--qps", "-1"}, "qps must be 0 (unlimited) or more, not -1"},
		{[]string{"galleries", "update", "shop", "--capacity", "-5"}, "capacity must be 0 (unlimited) or more, not -5"},
		{[]string{"galleries", "update", "shop", "--app-id", "new"}, "the appId of a gallery cannot change: create a new gallery instead"},
		{[]string{"galleries", "update", "shop", "--suspended", "--resume"}, "--suspended and --resume contradict each other"},
		{[]string{"galleries", "delete"}, "galleries delete needs a gallery name"},
		{[]string{"keys", "create", "--id", "k1"}, `a key "k1" already exists`},
		{[]string{"keys", "create", "--gallery", "nope"}, `there is no gallery named "nope"`},
	} {
		if got := a.fails(tt.args...); got != tt.want {
			t.Errorf("%v: %q, want %q", tt.args, got, tt.want)
		}
	}
	if after := a.ok("galleries") + a.ok("keys"); after != before {
		t.Fatalf("refused commands changed something:\n%s\n%s", before, after)
	}
}

// TestSuspendAndResumeWhileServing suspends and resumes a gallery from the
// command line while a server runs on the same folder: the server follows
// within its two-second refresh.
func TestSuspendAndResumeWhileServing(t *testing.T) {
	dir := t.TempDir()
	s := startServer(t, dir, "PIXMATCH_APP_ID=app1", "PIXMATCH_API_KEY=key1", "PIXMATCH_API_SECRET=secret1", "PIXMATCH_INSTANCE=shop")
	a := admin{t, dir}
	countAnswers := func(want int) {
		t.Helper()
		deadline := time.Now().Add(5 * time.Second)
		for {
			code, _ := get(t, s.url, "/targets/count", "app1", "key1", "secret1")
			if code == want {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("count answers statusCode %d, want %d", code, want)
			}
			time.Sleep(100 * time.Millisecond)
		}
	}
	countAnswers(0)
	if got := a.ok("galleries", "update", "shop", "--suspended"); got != "updated gallery \"shop\": suspended false -> true\n" {
		t.Fatalf("suspend: %q", got)
	}
	countAnswers(4) // a suspended database: appId not exist
	if got := a.ok("galleries", "update", "shop", "--resume"); got != "updated gallery \"shop\": suspended true -> false\n" {
		t.Fatalf("resume: %q", got)
	}
	countAnswers(0)
}

// TestVersion prints the version for `pixmatch version` and `--version`.
func TestVersion(t *testing.T) {
	for _, arg := range []string{"version", "--version", "-version"} {
		var out bytes.Buffer
		if err := run(context.Background(), []string{arg}, &out, os.Getenv); err != nil {
			t.Fatalf("%s: %v", arg, err)
		}
		if got := out.String(); !strings.HasPrefix(got, "pixmatch ") || !strings.Contains(got, "go1.") {
			t.Fatalf("%s printed %q", arg, got)
		}
	}
	info := &debug.BuildInfo{GoVersion: "go1.26.0", Main: debug.Module{Version: "v1.2.3"}, Settings: []debug.BuildSetting{
		{Key: "vcs.revision", Value: "0123abcd"}, {Key: "vcs.time", Value: "2026-01-02T03:04:05Z"}, {Key: "vcs.modified", Value: "true"},
	}}
	if got, want := describe(info, ""), "pixmatch v1.2.3 (revision 0123abcd, 2026-01-02T03:04:05Z, modified) go1.26.0"; got != want {
		t.Errorf("describe = %q, want %q", got, want)
	}
	if got, want := describe(&debug.BuildInfo{GoVersion: "go1.26.0"}, "v9-dirty"), "pixmatch v9-dirty go1.26.0"; got != want {
		t.Errorf("describe with -X main.version = %q, want %q", got, want)
	}
}

// TestBenchRefusesBadLines: bench says what is missing or wrong before it
// sends anything.
func TestBenchRefusesBadLines(t *testing.T) {
	none := func(string) string { return "" }
	for _, args := range [][]string{{"bench"}, {"bench", "--app-id", "a", "--api-key", "k", "--api-secret", "s", "--mix", "delete=1"}} {
		if err := run(context.Background(), args, io.Discard, none); err == nil {
			t.Errorf("%v: accepted", args)
		}
	}
}
