package main

import (
	"bufio"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/pixmatch/pixmatch/server/config"
)

// TestSlowClientsAreCutOff serves with short timeouts and checks that a
// client dribbling its headers, one sitting idle on a kept-alive
// connection, and one that never finishes its body are all disconnected
// once their time is up, while an ordinary client is served.
func TestSlowClientsAreCutOff(t *testing.T) {
	lim := config.Default().Server
	lim.ReadHeaderTimeout, lim.BodyTimeout, lim.IdleTimeout = 300*time.Millisecond, 300*time.Millisecond, 300*time.Millisecond
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := newHTTPServer(ln, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.ReadAll(r.Body)
	}), lim, slog.New(slog.NewTextHandler(io.Discard, nil)))
	go srv.serve()
	defer srv.shutdown(time.Second)
	addr := ln.Addr().String()

	closedWithin := func(name string, c net.Conn, within time.Duration) {
		t.Helper()
		c.SetReadDeadline(time.Now().Add(within))
		start := time.Now()
		for {
			if _, err := c.Read(make([]byte, 512)); err != nil {
				if ne, ok := err.(net.Error); ok && ne.Timeout() {
					t.Errorf("%s: still open after %v", name, within)
				}
				t.Logf("%s: closed after %v", name, time.Since(start).Round(10*time.Millisecond))
				return
			}
		}
	}
	dial := func() net.Conn {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		return c
	}

	headers := dial()
	io.WriteString(headers, "GET / HTTP/1.1\r\nHost: x\r\n") // and never the blank line
	idle := dial()
	io.WriteString(idle, "GET / HTTP/1.1\r\nHost: x\r\n\r\n")
	line, _ := bufio.NewReader(idle).ReadString('\n')
	if !strings.HasPrefix(line, "HTTP/1.1 200") {
		t.Fatalf("ordinary request: %q", line)
	}
	body := dial()
	io.WriteString(body, "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\nabc")

	closedWithin("dribbled headers", headers, 3*time.Second)
	closedWithin("idle keep-alive", idle, 3*time.Second)
	closedWithin("unfinished body", body, 3*time.Second)
}
