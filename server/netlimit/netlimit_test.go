package netlimit

import (
	"bufio"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"
)

// serve runs an http.Server behind a Listener of the given cap; handler
// answers every request.
func serve(t *testing.T, limit int, handler http.HandlerFunc) *Listener {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	l := Listen(ln, limit)
	srv := &http.Server{Handler: handler, ConnState: l.ConnState, ReadHeaderTimeout: time.Minute}
	go srv.Serve(l)
	t.Cleanup(func() { srv.Close() })
	return l
}

func dial(t *testing.T, l *Listener) net.Conn {
	t.Helper()
	c, err := net.Dial("tcp", l.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// get sends a request on c and returns the status line, or "" when the
// connection is closed without an answer.
func get(c net.Conn) string {
	c.SetDeadline(time.Now().Add(5 * time.Second))
	io.WriteString(c, "GET / HTTP/1.1\r\nHost: x\r\n\r\n")
	line, _ := bufio.NewReader(c).ReadString('\n')
	return strings.TrimSpace(line)
}

func waitOpen(t *testing.T, l *Listener, n int) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(time.Millisecond) {
		if l.Open() == n {
			return
		}
	}
	t.Fatalf("%d connections open, want %d", l.Open(), n)
}

// TestSilentConnectionsMakeRoom fills the cap with connections that never
// send a request (slowloris): a new client still gets its answer, and the
// oldest silent connection is the one closed.
func TestSilentConnectionsMakeRoom(t *testing.T) {
	l := serve(t, 4, func(w http.ResponseWriter, r *http.Request) {})
	var silent []net.Conn
	for range 4 {
		silent = append(silent, dial(t, l))
		waitOpen(t, l, len(silent))
	}
	if got := get(dial(t, l)); got != "HTTP/1.1 200 OK" {
		t.Fatalf("new client at the cap: %q, want 200", got)
	}
	silent[0].SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, err := silent[0].Read(make([]byte, 1)); err == nil {
		t.Fatal("the oldest silent connection is still open")
	}
	if l.Open() > 4 {
		t.Fatalf("%d connections open, over the cap of 4", l.Open())
	}
}

// TestBusyConnectionsAreKept fills the cap with requests in progress: a
// new connection is refused rather than one of them broken off.
func TestBusyConnectionsAreKept(t *testing.T) {
	release := make(chan struct{})
	l := serve(t, 3, func(w http.ResponseWriter, r *http.Request) { <-release })
	busy := make([]chan string, 3)
	for i := range busy {
		c := dial(t, l)
		busy[i] = make(chan string, 1)
		go func() { busy[i] <- get(c) }()
	}
	waitOpen(t, l, 3)
	time.Sleep(50 * time.Millisecond) // the three requests are in their handler
	if got := get(dial(t, l)); got != "" {
		t.Fatalf("a connection over the cap of busy ones was answered %q", got)
	}
	close(release)
	for i, ch := range busy {
		if got := <-ch; got != "HTTP/1.1 200 OK" {
			t.Fatalf("busy request %d: %q", i, got)
		}
	}
	if l.Shed() != 1 {
		t.Errorf("shed %d, want 1", l.Shed())
	}
}

// TestIdleConnectionsMakeRoom fills the cap with kept-alive connections
// between requests: they make room too.
func TestIdleConnectionsMakeRoom(t *testing.T) {
	l := serve(t, 2, func(w http.ResponseWriter, r *http.Request) {})
	for range 2 {
		if got := get(dial(t, l)); got != "HTTP/1.1 200 OK" {
			t.Fatalf("first requests: %q", got)
		}
	}
	if got := get(dial(t, l)); got != "HTTP/1.1 200 OK" {
		t.Fatalf("new client with the cap full of idle connections: %q", got)
	}
}
