package testserver

import (
	"net"
	"strconv"
	"time"
)

// HoldBody opens a CRS create whose JSON body of n bytes is declared and
// only begun, and returns its connection once the server has had time to
// take the body's share of its budget of body bytes: that share stays
// taken until the connection is closed (or the body's time runs out).
func (s *Server) HoldBody(n int) net.Conn {
	s.T.Helper()
	conn, err := net.Dial("tcp", s.Addr())
	if err != nil {
		s.T.Fatal(err)
	}
	s.T.Cleanup(func() { conn.Close() })
	if _, err := conn.Write([]byte("POST /targets HTTP/1.1\r\nHost: " + s.Addr() +
		"\r\nContent-Type: application/json\r\nContent-Length: " + strconv.Itoa(n) + "\r\n\r\n{\"name\":")); err != nil {
		s.T.Fatal(err)
	}
	time.Sleep(200 * time.Millisecond)
	return conn
}
