package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/pixmatch/pixmatch/server/auth"
	"github.com/pixmatch/pixmatch/server/store/sqlite"
	"github.com/pixmatch/pixmatch/shared/testphoto"
)

// TestPortInUse starts serve on a port that is taken: it fails before it
// creates a database or prints a secret it would lose, so the retry on a
// free port is still a first start.
func TestPortInUse(t *testing.T) {
	taken, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer taken.Close()
	dir := filepath.Join(t.TempDir(), "data")
	var out bytes.Buffer
	err = run(context.Background(), []string{"serve", "--addr", taken.Addr().String(), "--data", dir}, &out, func(string) string { return "" })
	if err == nil || !strings.Contains(err.Error(), "address already in use") {
		t.Fatalf("serve on a taken port: %v", err)
	}
	if out.Len() > 0 {
		t.Errorf("serve printed %q before failing", out.String())
	}
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Errorf("the data folder was created: %v", err)
	}
}

// TestShutdownDrains sends SIGTERM to a server while a create is in
// flight (its body half sent): the server stops accepting, answers the
// create once its body arrives, and exits cleanly; the acknowledged
// target is in the database.
func TestShutdownDrains(t *testing.T) {
	dir := t.TempDir()
	s := startServer(t, dir, "PIXMATCH_APP_ID=app1", "PIXMATCH_API_KEY=key1", "PIXMATCH_API_SECRET=secret1")
	host := strings.TrimPrefix(s.url, "http://")
	body := signedCreate("app1", "key1", "secret1", "drained", testphoto.File("coffee"))

	conn, err := net.Dial("tcp", host)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	fmt.Fprintf(conn, "POST /targets HTTP/1.1\r\nHost: %s\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n", host, len(body))
	half := len(body) / 2
	conn.Write(body[:half])
	time.Sleep(200 * time.Millisecond) // the handler is reading the body

	exited := make(chan error, 1)
	s.cmd.Process.Signal(syscall.SIGTERM)
	go func() { exited <- s.cmd.Wait() }()
	time.Sleep(200 * time.Millisecond)
	if c, err := net.DialTimeout("tcp", host, time.Second); err == nil {
		c.Close()
		t.Error("the stopping server still accepts connections")
	}
	select {
	case err := <-exited:
		t.Fatalf("the server exited with a request in flight: %v", err)
	default:
	}
	conn.Write(body[half:])
	conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	res, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatalf("the request in flight got no answer: %v", err)
	}
	answer, _ := io.ReadAll(res.Body)
	var r struct {
		StatusCode int
		Result     struct{ TargetID string }
	}
	if json.Unmarshal(answer, &r); r.StatusCode != 0 || r.Result.TargetID == "" {
		t.Fatalf("the request in flight: HTTP %d %s", res.StatusCode, answer)
	}
	select {
	case err := <-exited:
		if err != nil {
			t.Fatalf("the server stopped with %v, want a clean exit", err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("the server did not exit after draining")
	}
	st, err := sqlite.Open(context.Background(), filepath.Join(dir, databaseFile))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	gs, _ := st.Galleries(context.Background())
	if _, err := st.Target(context.Background(), gs[0].ID, r.Result.TargetID, false); err != nil {
		t.Fatalf("the acknowledged target is not in the database: %v", err)
	}
	snap := filepath.Join(dir, snapshotsFolder, fmt.Sprintf("%d.snap", gs[0].ID))
	if info, err := os.Stat(snap); err != nil || info.Mode().Perm() != 0o600 {
		t.Errorf("the gallery's snapshot, private, written at shutdown: %v, %v", info, err)
	}
}

// signedCreate is the JSON body of a signed CRS create.
func signedCreate(appID, key, secret, name string, image []byte) []byte {
	params := map[string]string{
		"image": base64.StdEncoding.EncodeToString(image), "name": name,
		"timestamp": fmt.Sprint(time.Now().UnixMilli()), "appId": appID, "apiKey": key,
	}
	params["signature"] = auth.Sign(params, secret)
	b, _ := json.Marshal(params)
	return b
}
