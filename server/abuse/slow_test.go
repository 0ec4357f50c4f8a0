//go:build abuse

package abuse

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/pixmatch/pixmatch/shared/testphoto"
)

// dribbler keeps one slow connection to the server open, and opens it
// again when the server closes it, until stop: it sends a request a
// line or a few bytes at a time, never finishing it.
type dribbler struct {
	addr    string
	request string // sent a piece at a time
	pieces  int    // how many pieces
	opened  *atomic.Int64
	cut     *atomic.Int64
}

func (d dribbler) run(stop <-chan struct{}) {
	for {
		select {
		case <-stop:
			return
		default:
		}
		c, err := net.DialTimeout("tcp", d.addr, 5*time.Second)
		if err != nil {
			time.Sleep(100 * time.Millisecond)
			continue
		}
		d.opened.Add(1)
		step := max(1, len(d.request)/d.pieces)
		for i := 0; ; i = min(i+step, len(d.request)-1) {
			c.SetWriteDeadline(time.Now().Add(5 * time.Second))
			if _, err := io.WriteString(c, d.request[i:min(i+step, len(d.request)-1)]); err != nil {
				d.cut.Add(1)
				break
			}
			select {
			case <-stop:
				c.Close()
				return
			case <-time.After(time.Second):
			}
		}
		c.Close()
	}
}

// TestSlowClients opens 3,000 connections that dribble headers or bodies,
// then a further 3,000 that send nothing at all, over the server's cap
// of 4,096: meanwhile a new client's /ping and a signed search are
// answered within 1 s every time.
func TestSlowClients(t *testing.T) {
	var lim syscall.Rlimit
	syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim)
	if lim.Cur < 7000 {
		t.Fatalf("this test opens 6,000 connections, and the test process may open %d files: raise the limit (ulimit -n 8192)", lim.Cur)
	}
	s := start(t)
	addr := strings.TrimPrefix(s.base, "http://")
	client := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
	coffee := b64(testphoto.File("coffee"))
	if a := crs(client, s.base, http.MethodPost, "/targets", appID, map[string]string{"image": coffee, "name": "coffee"}); a.StatusCode != 0 {
		t.Fatalf("add the ordinary target: %v", a)
	}
	body := fmt.Sprintf(`{"name":"slow","image":"%s"}`, coffee)
	kinds := []string{
		"GET /ping HTTP/1.1\r\nHost: " + addr + "\r\nUser-Agent: slow\r\nAccept: */*\r\nX-Slow: 1\r\nX-Slower: 2\r\n\r\n",
		fmt.Sprintf("POST /targets HTTP/1.1\r\nHost: %s\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s", addr, len(body), body),
	}
	stop := make(chan struct{})
	var opened, cut atomic.Int64
	var wg sync.WaitGroup
	defer func() { close(stop); wg.Wait() }()
	for i := range 3000 {
		d := dribbler{addr: addr, request: kinds[i%2], pieces: 60, opened: &opened, cut: &cut}
		wg.Go(func() { d.run(stop) })
		if i%500 == 499 {
			time.Sleep(100 * time.Millisecond)
		}
	}
	var silent []net.Conn
	defer func() {
		for _, c := range silent {
			c.Close()
		}
	}()
	measure := func(phase string) {
		var worstPing, worstSearch time.Duration
		for range 10 {
			start := time.Now()
			res, err := client.Get(s.base + "/ping")
			if err != nil {
				t.Errorf("%s: /ping: %v", phase, err)
				continue
			}
			io.Copy(io.Discard, res.Body)
			res.Body.Close()
			worstPing = max(worstPing, time.Since(start))
			a := crs(client, s.base, http.MethodPost, "/search", appID, map[string]string{"image": coffee})
			if a.Err != nil || a.StatusCode != 0 {
				t.Errorf("%s: search: %v", phase, a)
			}
			worstSearch = max(worstSearch, a.Took)
			time.Sleep(300 * time.Millisecond)
		}
		t.Logf("%s: slowest /ping %v, slowest search %v (bound 1 s); %d slow connections opened, %d cut off by the server so far",
			phase, worstPing.Round(time.Millisecond), worstSearch.Round(time.Millisecond), opened.Load(), cut.Load())
		if worstPing > time.Second || worstSearch > time.Second {
			t.Errorf("%s: a new client waited over 1 s", phase)
		}
	}
	time.Sleep(3 * time.Second) // every dribbler connected and sending
	measure("3,000 dribbling connections")
	for range 3000 {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatalf("open a silent connection: %v", err)
		}
		silent = append(silent, c)
	}
	time.Sleep(time.Second)
	measure("and 3,000 silent ones, over the cap")
	s.alive()
	fds := s.files()
	t.Logf("the server has %d files open (cap 4,096 connections)", fds)
	if fds > 4096+64 {
		t.Errorf("the server has %d files open: its connections are not capped at 4,096", fds)
	}
	t.Logf("peak memory %d MB", s.peak()>>20)
}
