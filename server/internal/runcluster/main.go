// Command runcluster starts PostgreSQL and several pixmatch servers on it,
// for a person to try what several servers on one database do
// (`make run-cluster`):
//
//	go run ./server/internal/runcluster [--bin bin/pixmatch] [--host 127.0.0.1] [--port 8080] [--servers 3]
//
// PostgreSQL runs as a throwaway cluster (server/store/postgres/pgtest:
// a temporary folder, a free loopback port, as an unprivileged user when
// run as root); the servers listen on consecutive ports from --port, all
// on one database and one data folder (which holds the dumps and import
// reports, so that any server serves any of them, as servers sharing a
// filesystem do).
// The first server starts first, on the empty database, and prints the
// gallery and API key it creates. Ctrl-C (or SIGTERM) stops the servers,
// then PostgreSQL, and removes everything: nothing is kept.
package main

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/pixmatch/pixmatch/server/store/postgres/pgtest"
)

func main() {
	bin := flag.String("bin", "bin/pixmatch", "the pixmatch command to run")
	host := flag.String("host", "127.0.0.1", "address the servers listen on")
	port := flag.Int("port", 8080, "port of the first server; the others take the next ones")
	servers := flag.Int("servers", 3, "how many servers to start")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, *bin, *host, *port, *servers); err != nil {
		fmt.Fprintln(os.Stderr, "runcluster:", err)
		os.Exit(1)
	}
}

// run starts the cluster and the servers, and stops them when ctx ends
// or a server exits.
func run(ctx context.Context, bin, host string, port, n int) error {
	c, err := pgtest.Start(ctx)
	if err != nil {
		return err
	}
	defer c.Stop()
	dsn, err := c.CreateDatabase(ctx, "pixmatch")
	if err != nil {
		return err
	}
	fmt.Printf("PostgreSQL 127.0.0.1:%d, database %s\n", c.Port(), dsn)
	data, err := os.MkdirTemp("", "pixmatch-cluster-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(data)

	exited := make(chan error, n)
	var procs []*proc
	defer func() { stopAll(procs) }()
	for i := range n {
		addr := host + ":" + strconv.Itoa(port+i)
		p, ready, err := start(bin, i+1, exited, "serve", "--addr", addr, "--db", dsn, "--data", data)
		if err != nil {
			return err
		}
		procs = append(procs, p)
		select { // the first start creates the gallery before the others look
		case <-ready:
		case err := <-exited:
			return fmt.Errorf("server %d exited: %v", i+1, err)
		case <-ctx.Done():
			return nil
		}
	}
	fmt.Printf("%d servers on one PostgreSQL, http://%s:%d to :%d; Ctrl-C stops them all\n", n, host, port, port+n-1)
	select {
	case <-ctx.Done():
		return nil
	case err := <-exited:
		return fmt.Errorf("a server exited: %v", err)
	}
}

// proc is a running server.
type proc struct {
	cmd  *exec.Cmd
	done chan struct{} // closed when it has exited
}

// start runs server number i with args; its exit is sent to exited, and
// ready closes when it says it serves.
func start(bin string, i int, exited chan<- error, args ...string) (*proc, <-chan struct{}, error) {
	prefix := fmt.Sprintf("[%d] ", i)
	cmd := exec.Command(bin, args...)
	cmd.Stderr = prefixed(prefix, os.Stderr)
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, nil, fmt.Errorf("start %s: %w", bin, err)
	}
	p := &proc{cmd: cmd, done: make(chan struct{})}
	ready := make(chan struct{})
	copied := make(chan struct{})
	go func() { relay(out, prefix, ready); close(copied) }()
	go func() {
		<-copied // Wait closes the pipe: read it to the end first
		exited <- cmd.Wait()
		close(p.done)
	}()
	return p, ready, nil
}

// relay copies a server's output, each line prefixed, and closes ready
// once the server says it serves.
func relay(r io.Reader, prefix string, ready chan struct{}) {
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		fmt.Println(prefix + sc.Text())
		if ready != nil && strings.HasPrefix(sc.Text(), "pixmatch serving ") {
			close(ready)
			ready = nil
		}
	}
}

// prefixed writes each line written to it to w, after prefix.
func prefixed(prefix string, w io.Writer) io.Writer {
	r, pw := io.Pipe()
	go func() {
		sc := bufio.NewScanner(r)
		for sc.Scan() {
			fmt.Fprintln(w, prefix+sc.Text())
		}
	}()
	return pw
}

// stopAll asks every server to stop (SIGTERM: they drain their requests)
// and waits up to 20 s for them, then kills what is left.
func stopAll(procs []*proc) {
	for _, p := range procs {
		p.cmd.Process.Signal(syscall.SIGTERM)
	}
	waiting, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	for _, p := range procs {
		select {
		case <-p.done:
		case <-waiting.Done():
			p.cmd.Process.Kill()
			<-p.done
		}
	}
	if len(procs) > 0 {
		fmt.Println("servers stopped; stopping PostgreSQL")
	}
}
