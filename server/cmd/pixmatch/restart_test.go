package main

import (
	"cmp"
	"context"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pixmatch/pixmatch/server/store/postgres"
	"github.com/pixmatch/pixmatch/server/store/postgres/pgtest"
	"github.com/pixmatch/pixmatch/shared/testphoto"
)

// TestPostgresRestartUnderLoad crashes PostgreSQL (SIGKILL to every one
// of its processes) and starts it again while a client keeps adding
// targets through a server: during the outage the server answers each
// create with a catalogue error within seconds, afterwards it adds again
// without being restarted, and every target it acknowledged is in the
// database and answered by the server.
func TestPostgresRestartUnderLoad(t *testing.T) {
	ctx := context.Background()
	c, dsn := ownPostgres(t, "restart")
	s := startServing(t, []string{"--data", t.TempDir(), "--db", dsn})

	l := &load{url: s.url}
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() { l.run(t, done) })
	l.waitAcked(t, 3)
	c.Kill()
	l.wait(t, "a create refused", func() bool { return l.refused > 0 })
	if err := c.Restart(ctx); err != nil {
		t.Fatal(err)
	}
	before := l.ackedCount()
	l.waitAcked(t, before+3) // the server reconnected by itself
	close(done)
	wg.Wait()

	st, err := postgres.Open(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	g, err := st.GalleryByAppID(ctx, "app1")
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range l.acked {
		if _, err := st.Target(ctx, g.ID, id, false); err != nil {
			t.Errorf("acknowledged target %s is not in PostgreSQL: %v", id, err)
		}
		if code, _ := get(t, s.url, "/target/"+id, "app1", "key1", "secret1"); code != 0 {
			t.Errorf("the server answers acknowledged target %s with statusCode %d", id, code)
		}
	}
	t.Logf("%d creates acknowledged, %d refused during the outage", len(l.acked), l.refused)
}

// ownPostgres starts a PostgreSQL cluster of the test's own, which it may
// kill and restart, stopped at the end, with a database of that name
// holding the gallery "shop" (appId app1) and the key key1 (secret1).
func ownPostgres(t *testing.T, name string) (*pgtest.Cluster, string) {
	t.Helper()
	ctx := context.Background()
	c, err := pgtest.Start(ctx)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Stop() }) // after the server stops
	dsn, err := c.CreateDatabase(ctx, name)
	if err != nil {
		t.Fatal(err)
	}
	a := admin{t, t.TempDir()}
	a.ok("galleries", "create", "shop", "--app-id", "app1", "--db", dsn)
	a.ok("keys", "create", "--id", "key1", "--secret", "secret1", "--db", dsn)
	return c, dsn
}

// load adds targets one after the other until done closes, each a new
// file of the same picture, remembering what was acknowledged.
type load struct {
	url     string
	name    string // of the targets, before their number; "t" when empty
	mu      sync.Mutex
	acked   []string
	refused int
	killed  bool // the server is being killed: a create may go unanswered
}

func (l *load) run(t *testing.T, done chan struct{}) {
	photo := testphoto.File("coffee")
	for i := 0; ; i++ {
		select {
		case <-done:
			return
		default:
		}
		name := cmp.Or(l.name, "t") + strconv.Itoa(i)
		img := append(append([]byte{}, photo...), name...)
		start := time.Now()
		id, err := createTarget(l.url, "app1", "key1", "secret1", name, img)
		if took := time.Since(start); took > 10*time.Second {
			t.Errorf("create %d took %v", i, took)
		}
		l.mu.Lock()
		switch {
		case err == nil:
			l.acked = append(l.acked, id)
		case strings.HasPrefix(err.Error(), "create answered ") && !strings.HasPrefix(err.Error(), "create answered 0:"):
			l.refused++ // a catalogue error in the CRS envelope
		case l.killed:
			l.refused++ // the server died under it
		default:
			t.Errorf("create %d got no answer in the CRS envelope: %v", i, err)
		}
		l.mu.Unlock()
		if err != nil {
			time.Sleep(50 * time.Millisecond)
		}
	}
}

func (l *load) ackedCount() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.acked)
}

// waitAcked waits until n creates were acknowledged.
func (l *load) waitAcked(t *testing.T, n int) {
	t.Helper()
	l.wait(t, fmt.Sprintf("%d creates acknowledged", n), func() bool { return len(l.acked) >= n })
}

// wait waits, for at most 30 s, until done holds (called under l.mu).
func (l *load) wait(t *testing.T, what string, done func() bool) {
	t.Helper()
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		l.mu.Lock()
		ok := done()
		l.mu.Unlock()
		if ok {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("waited 30 s for %s", what)
		}
	}
}

// TestKillNineOfOneServer adds targets through two servers on one
// PostgreSQL at once and kills one of them with SIGKILL mid-stream: the
// survivor keeps adding, and once the killed server is started again it
// answers every target either of them acknowledged, those added while it
// was down too.
func TestKillNineOfOneServer(t *testing.T) {
	dsn := pgtest.NewDatabase(t)
	a := admin{t, t.TempDir()}
	a.ok("galleries", "create", "shop", "--app-id", "app1", "--db", dsn)
	a.ok("keys", "create", "--id", "key1", "--secret", "secret1", "--db", dsn)
	flags := []string{"--data", t.TempDir(), "--db", dsn}
	victim := startServing(t, flags)
	survivor := startServing(t, []string{"--data", t.TempDir(), "--db", dsn})

	doomed, lasting := &load{url: victim.url, name: "a"}, &load{url: survivor.url, name: "b"}
	stopDoomed, stopLasting := make(chan struct{}), make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() { doomed.run(t, stopDoomed) })
	wg.Go(func() { lasting.run(t, stopLasting) })
	doomed.waitAcked(t, 3)
	lasting.waitAcked(t, 2)
	doomed.mu.Lock()
	doomed.killed = true
	doomed.mu.Unlock()
	victim.cmd.Process.Kill() // SIGKILL, with creates in flight
	victim.cmd.Wait()
	close(stopDoomed)
	lasting.waitAcked(t, lasting.ackedCount()+3) // the survivor keeps answering
	close(stopLasting)
	wg.Wait()

	restarted := startServing(t, flags)
	for _, id := range append(doomed.acked, lasting.acked...) {
		if code, _ := get(t, restarted.url, "/target/"+id, "app1", "key1", "secret1"); code != 0 {
			t.Errorf("the restarted server answers acknowledged target %s with statusCode %d", id, code)
		}
	}
	t.Logf("acknowledged: %d by the killed server, %d by the survivor", len(doomed.acked), len(lasting.acked))
}
