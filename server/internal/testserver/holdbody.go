package testserver

import (
	"net"
	"strconv"
	"time"
)

// HoldBody opens a CRS create whose JSON body of n bytes is declared and
// only begun, on every server (three of a cluster, whose requests go to
// each in turn), and returns once the servers have had time to take the
// body's share of their budgets of body bytes: the shares stay taken
// until the connections are closed (Close, or the end of the test) or
// the body's time runs out.
func (s *Server) HoldBody(n int) *Held {
	s.T.Helper()
	servers := 1
	if Clustered() {
		servers = clusterSize
	}
	h := &Held{}
	s.T.Cleanup(h.Close)
	for range servers {
		conn, err := net.Dial("tcp", s.Addr())
		if err != nil {
			s.T.Fatal(err)
		}
		h.conns = append(h.conns, conn)
		if _, err := conn.Write([]byte("POST /targets HTTP/1.1\r\nHost: " + s.Addr() +
			"\r\nContent-Type: application/json\r\nContent-Length: " + strconv.Itoa(n) + "\r\n\r\n{\"name\":")); err != nil {
			s.T.Fatal(err)
		}
	}
	time.Sleep(200 * time.Millisecond)
	return h
}

// Held is the connections HoldBody keeps open.
type Held struct{ conns []net.Conn }

// Close closes them, giving the shares back.
func (h *Held) Close() {
	for _, c := range h.conns {
		c.Close()
	}
}
