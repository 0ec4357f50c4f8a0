package pgtest

import (
	"context"
	"net"
	"os"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// TestCluster starts a cluster, checks that it serves PostgreSQL 15 or
// newer on loopback as an unprivileged user, that its databases are
// separate, and that Stop leaves neither a server nor a folder behind.
func TestCluster(t *testing.T) {
	ctx := context.Background()
	c, err := Start(ctx)
	if err != nil {
		t.Fatal(err)
	}
	stopped := false
	defer func() {
		if !stopped {
			c.Stop()
		}
	}()
	a, err := c.CreateDatabase(ctx, "alpha")
	if err != nil {
		t.Fatal(err)
	}
	b, err := c.CreateDatabase(ctx, "beta")
	if err != nil {
		t.Fatal(err)
	}
	conn, err := pgx.Connect(ctx, a)
	if err != nil {
		t.Fatal(err)
	}
	var version int
	var dir string
	if err := conn.QueryRow(ctx, `SELECT current_setting('server_version_num')::int, current_setting('data_directory')`).Scan(&version, &dir); err != nil {
		t.Fatal(err)
	}
	if version < 150000 {
		t.Errorf("server version %d, want 15 or newer", version)
	}
	fi, err := os.Stat(dir)
	if err != nil {
		t.Fatalf("data folder %s: %v", dir, err)
	}
	if st, ok := fi.Sys().(*syscall.Stat_t); ok && os.Geteuid() == 0 && st.Uid == 0 {
		t.Errorf("the data folder %s belongs to root: the server runs as root", dir)
	}
	if _, err := conn.Exec(ctx, `CREATE TABLE only_in_alpha (x int)`); err != nil {
		t.Fatal(err)
	}
	conn.Close(ctx)
	conn, err = pgx.Connect(ctx, b)
	if err != nil {
		t.Fatal(err)
	}
	var n int
	if err := conn.QueryRow(ctx, `SELECT COUNT(*) FROM pg_tables WHERE tablename = 'only_in_alpha'`).Scan(&n); err != nil || n != 0 {
		t.Errorf("database beta sees alpha's table: %d, %v", n, err)
	}
	conn.Close(ctx)

	if err := c.Stop(); err != nil {
		t.Fatal(err)
	}
	stopped = true
	if conn, err := net.DialTimeout("tcp", "127.0.0.1:"+strconv.Itoa(c.Port()), time.Second); err == nil {
		conn.Close()
		t.Error("the stopped cluster still accepts connections")
	}
	if _, err := os.Stat(c.dir); !os.IsNotExist(err) {
		t.Errorf("the cluster's folder %s is still there: %v", c.dir, err)
	}
}
