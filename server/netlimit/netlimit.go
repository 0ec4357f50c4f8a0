// Package netlimit caps the connections an HTTP server keeps open, so that
// clients who open many and send little — slowly dribbled headers, idle
// keep-alives — cannot exhaust the process's file descriptors or memory
// and lock everyone else out.
//
// A Listener counts the connections it has accepted and not yet seen
// closed. While it is under its cap it accepts as usual. At the cap, a new
// connection takes the place of the one that has been waiting longest for
// a request — one that has sent no complete request yet, or sits idle
// between requests — which is closed; a connection in the middle of a
// request is never closed for room. When every connection is busy with a
// request, the new one is closed at once: the server stays within its cap
// and keeps serving those it has. Waiting connections are known through
// the http.Server's ConnState hook, which the Listener provides.
//
// Slow requests are bounded elsewhere, by the server's timeouts (header,
// body, write, idle) and by the memory budgets of bodies and decodes.
package netlimit

import (
	"net"
	"net/http"
	"sync"
	"time"
)

// Listener is a net.Listener with a cap on open connections. Use it with
// an http.Server whose ConnState is the Listener's.
type Listener struct {
	net.Listener
	max int

	mu    sync.Mutex
	conns map[net.Conn]*state
	shed  int // connections closed to make room or refused, in all
}

// state is what the listener knows of one open connection.
type state struct {
	waiting bool      // no request in progress: new, or idle
	since   time.Time // when it began waiting
}

// Listen wraps l with a cap of limit open connections (at least 1).
func Listen(l net.Listener, limit int) *Listener {
	return &Listener{Listener: l, max: max(1, limit), conns: map[net.Conn]*state{}}
}

// Accept returns the next connection, making room for it as the package
// doc describes.
func (l *Listener) Accept() (net.Conn, error) {
	for {
		c, err := l.Listener.Accept()
		if err != nil {
			return nil, err
		}
		tc := &conn{Conn: c, l: l}
		if l.admit(tc) {
			return tc, nil
		}
		c.Close()
	}
}

// admit records c, evicting the longest-waiting connection when the cap
// is reached; false when every connection is busy.
func (l *Listener) admit(c net.Conn) bool {
	l.mu.Lock()
	var evict net.Conn
	if len(l.conns) >= l.max {
		var oldest *state
		for other, s := range l.conns {
			if s.waiting && (oldest == nil || s.since.Before(oldest.since)) {
				evict, oldest = other, s
			}
		}
		l.shed++
		if evict == nil {
			l.mu.Unlock()
			return false
		}
		delete(l.conns, evict)
	}
	l.conns[c] = &state{waiting: true, since: time.Now()}
	l.mu.Unlock()
	if evict != nil {
		evict.Close()
	}
	return true
}

// ConnState is the http.Server ConnState hook: it tells the listener
// which connections are in a request and which wait.
func (l *Listener) ConnState(c net.Conn, s http.ConnState) {
	l.mu.Lock()
	defer l.mu.Unlock()
	st, ok := l.conns[c]
	if !ok {
		return
	}
	switch s {
	case http.StateActive:
		st.waiting = false
	case http.StateIdle:
		st.waiting, st.since = true, time.Now()
	case http.StateHijacked, http.StateClosed:
		delete(l.conns, c)
	}
}

// Open returns how many connections are open.
func (l *Listener) Open() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.conns)
}

// Shed returns how many connections were closed to make room, or refused.
func (l *Listener) Shed() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.shed
}

// conn forgets itself when closed, however it is closed.
type conn struct {
	net.Conn
	l    *Listener
	once sync.Once
}

func (c *conn) Close() error {
	c.once.Do(func() {
		c.l.mu.Lock()
		delete(c.l.conns, c)
		c.l.mu.Unlock()
	})
	return c.Conn.Close()
}

// filesReserved are the file descriptors kept for everything but client
// connections: the database and its journal, task files, outgoing
// fetches, the runtime's own.
const filesReserved = 256

// Cap returns want, lowered if need be so that the connections and the
// descriptors the server needs besides fit within the process's limit of
// open files (FileLimit).
func Cap(want int) int {
	if limit := FileLimit(); limit > 0 {
		return max(1, min(want, limit-filesReserved))
	}
	return want
}
