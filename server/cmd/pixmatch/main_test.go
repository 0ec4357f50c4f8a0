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
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/pixmatch/pixmatch/server/auth"
	"github.com/pixmatch/pixmatch/shared/testphoto"
)

// TestMain lets the test binary stand in for the pixmatch command when a
// test starts it as a child process.
func TestMain(m *testing.M) {
	if args := os.Getenv("PIXMATCH_TEST_RUN"); args != "" {
		if err := run(context.Background(), strings.Fields(args), os.Stdout, os.Getenv); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(2)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// server is a pixmatch serve child process.
type server struct {
	cmd *exec.Cmd
	url string
	out *bufio.Scanner
}

func startServer(t *testing.T, dir string, env ...string) *server {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), "PIXMATCH_TEST_RUN=serve --addr 127.0.0.1:0 --data "+dir)
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
}

// TestAdminCommands creates galleries and keys from the command line.
func TestAdminCommands(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	var out bytes.Buffer
	runOK := func(args ...string) string {
		t.Helper()
		out.Reset()
		if err := run(ctx, append(args, "--data", dir), &out, func(string) string { return "" }); err != nil {
			t.Fatalf("%v: %v", args, err)
		}
		return out.String()
	}
	runOK("galleries", "create", "shop", "--qps", "5", "--dau")
	if got := runOK("galleries", "list"); !strings.Contains(got, "shop") || !strings.Contains(got, "true") {
		t.Fatalf("galleries list:\n%s", got)
	}
	runOK("galleries", "update", "shop", "--qps", "7")
	if got := runOK("galleries"); !strings.Contains(got, " 7 ") {
		t.Fatalf("after update:\n%s", got)
	}
	if got := runOK("keys", "create", "--gallery", "shop", "--id", "k1", "--secret", "s1"); !strings.Contains(got, "k1") {
		t.Fatalf("keys create: %s", got)
	}
	if got := runOK("keys", "list"); !strings.Contains(got, "k1") || !strings.Contains(got, "shop") {
		t.Fatalf("keys list:\n%s", got)
	}
	runOK("keys", "delete", "k1")
	if got := runOK("keys", "list"); strings.Contains(got, "k1") {
		t.Fatalf("key still listed after delete:\n%s", got)
	}
	runOK("galleries", "delete", "shop")
	if err := run(ctx, []string{"galleries", "update", "shop", "--data", dir}, &out, os.Getenv); err == nil {
		t.Fatal("updating a deleted gallery succeeded")
	}
	if err := run(ctx, []string{"frobnicate"}, &out, os.Getenv); err == nil {
		t.Fatal("an unknown command succeeded")
	}
}
