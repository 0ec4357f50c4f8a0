// Package pgtest runs throwaway PostgreSQL clusters for tests: a real
// server, as the store meets it in production, in a temporary folder, on
// a free loopback port, gone when the tests end.
//
// A test binary shares one cluster (it takes about a second and a half to
// start) and gives each test a fresh schema of its own, which a store
// uses as its database (a database takes a quarter of a second to
// create, a schema a millisecond):
//
//	func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }
//
//	func TestSomething(t *testing.T) {
//		dsn := pgtest.NewDatabase(t) // postgres://postgres@127.0.0.1:PORT/pixmatch_test?…&search_path=test_1
//		…
//	}
//
// The server's programs are found on PATH first (initdb, then postgres
// beside it, symbolic links followed), else in Debian's layout,
// /usr/lib/postgresql/VERSION/bin, the newest version first. `make test`
// installs Debian's postgresql package when neither has them; a test that
// finds none fails, naming the package to install.
//
// PostgreSQL refuses to run as root. When the tests run as root, initdb
// and the server run as the postgres user (the one Debian's package
// creates), else as nobody: the child processes get that user's IDs
// (syscall.Credential, as setpriv --reuid --regid --clear-groups would
// give them), and the cluster's folder is handed to that user. As any
// other user they run as that user.
//
// The server is a child process of the test binary, not a daemon: Stop
// shuts it down (immediate shutdown: nothing in a throwaway cluster needs
// to survive), and on Linux the kernel sends it the same signal when the
// test binary dies, so a crashed or killed test run leaves no server
// behind (only its folder, named pixmatch-pg-*, in the temporary folder).
//
// The cluster trades durability against an operating-system crash for
// speed (fsync=off); a server process killed with -9 loses nothing that
// was committed, which is what the store's tests need.
package pgtest

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// Install is the command that installs the server's programs on Debian.
const Install = "apt-get install -y postgresql"

// debianBins is where Debian's packages put each major version's programs.
const debianBins = "/usr/lib/postgresql/*/bin"

// Superuser is the role the cluster is created with; it needs no password
// (trust authentication, loopback only).
const Superuser = "postgres"

// Cluster is a running throwaway PostgreSQL cluster.
type Cluster struct {
	dir  string // the temporary folder: data/, the socket, server.log
	bin  string // the folder of initdb and postgres
	port int
	cred *identity // whom the programs run as; nil for the current user
	cmd  *exec.Cmd
	done chan struct{} // closed when the server process has exited
}

// identity is an unprivileged user the programs run as.
type identity struct {
	name     string
	uid, gid uint32
}

// Start creates a cluster in a new temporary folder and starts its server
// on a free port of 127.0.0.1, returning once it accepts connections.
func Start(ctx context.Context) (*Cluster, error) {
	bin, err := BinDir()
	if err != nil {
		return nil, err
	}
	c := &Cluster{bin: bin}
	if os.Geteuid() == 0 {
		if c.cred, err = unprivileged(); err != nil {
			return nil, err
		}
	}
	if c.dir, err = os.MkdirTemp("", "pixmatch-pg-"); err != nil {
		return nil, fmt.Errorf("pgtest: %w", err)
	}
	if err := c.initdb(ctx); err != nil {
		os.RemoveAll(c.dir)
		return nil, err
	}
	// A port found free may be taken before the server binds it: try again.
	for try := 0; ; try++ {
		c.port = 0
		if err = c.start(ctx); err == nil || try == 2 || ctx.Err() != nil {
			break
		}
	}
	if err != nil {
		os.RemoveAll(c.dir)
		return nil, err
	}
	return c, nil
}

// BinDir returns the folder holding initdb and postgres: initdb's on PATH,
// else the newest of Debian's /usr/lib/postgresql/VERSION/bin.
func BinDir() (string, error) {
	var dirs []string
	if p, err := exec.LookPath("initdb"); err == nil {
		if real, err := filepath.EvalSymlinks(p); err == nil {
			dirs = append(dirs, filepath.Dir(real))
		}
	}
	debian, _ := filepath.Glob(debianBins)
	slices.SortFunc(debian, func(a, b string) int { return majorVersion(b) - majorVersion(a) })
	for _, d := range append(dirs, debian...) {
		if isFile(filepath.Join(d, "initdb")) && isFile(filepath.Join(d, "postgres")) {
			return d, nil
		}
	}
	return "", fmt.Errorf("pgtest: PostgreSQL's initdb and postgres are neither on PATH nor in %s: install them (%s, or make postgresql)", debianBins, Install)
}

// majorVersion reads VERSION from /usr/lib/postgresql/VERSION/bin.
func majorVersion(dir string) int {
	v, _ := strconv.Atoi(filepath.Base(filepath.Dir(dir)))
	return v
}

func isFile(path string) bool {
	fi, err := os.Stat(path)
	return err == nil && fi.Mode().IsRegular()
}

// unprivileged returns the user a root process runs PostgreSQL as.
func unprivileged() (*identity, error) {
	for _, name := range []string{"postgres", "nobody"} {
		u, err := user.Lookup(name)
		if err != nil {
			continue
		}
		uid, err1 := strconv.ParseUint(u.Uid, 10, 32)
		gid, err2 := strconv.ParseUint(u.Gid, 10, 32)
		if err1 == nil && err2 == nil && uid != 0 {
			return &identity{name: name, uid: uint32(uid), gid: uint32(gid)}, nil
		}
	}
	return nil, errors.New("pgtest: running as root, and neither a postgres nor a nobody user exists to run PostgreSQL as")
}

// command returns a command running one of the cluster's programs as the
// cluster's user, its output going to the cluster's log.
func (c *Cluster) command(ctx context.Context, program string, args ...string) (*exec.Cmd, error) {
	log, err := os.OpenFile(filepath.Join(c.dir, "server.log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil, fmt.Errorf("pgtest: %w", err)
	}
	cmd := exec.CommandContext(ctx, filepath.Join(c.bin, program), args...)
	cmd.Dir = c.dir
	cmd.Stdout, cmd.Stderr = log, log
	cmd.Env = append(os.Environ(), "LC_ALL=C", "TZ=UTC")
	cmd.SysProcAttr = procAttr(c.cred)
	return cmd, nil
}

// initdb creates the cluster's data folder, owned by the cluster's user.
func (c *Cluster) initdb(ctx context.Context) error {
	if c.cred != nil {
		if err := os.Chown(c.dir, int(c.cred.uid), int(c.cred.gid)); err != nil {
			return fmt.Errorf("pgtest: hand %s to %s: %w", c.dir, c.cred.name, err)
		}
	}
	cmd, err := c.command(ctx, "initdb", "--pgdata", filepath.Join(c.dir, "data"),
		"--username", Superuser, "--auth", "trust", "--encoding", "UTF8", "--locale", "C", "--no-sync")
	if err != nil {
		return err
	}
	defer closeLog(cmd)
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("pgtest: initdb: %w\n%s", err, c.Log())
	}
	return nil
}

// closeLog closes the log file a finished command wrote to.
func closeLog(cmd *exec.Cmd) {
	if f, ok := cmd.Stdout.(*os.File); ok {
		f.Close()
	}
}

// start runs the server, on a free port unless it has one, and waits
// until it accepts connections, it exits, or 30 s pass.
func (c *Cluster) start(ctx context.Context) error {
	if c.port == 0 {
		port, err := freePort()
		if err != nil {
			return err
		}
		c.port = port
	}
	// Not CommandContext: the server outlives the context that started it.
	cmd, err := c.command(context.Background(), "postgres",
		"-D", filepath.Join(c.dir, "data"), "-p", strconv.Itoa(c.port), "-k", c.dir,
		"-c", "listen_addresses=127.0.0.1", "-c", "fsync=off", "-c", "full_page_writes=off",
		"-c", "shared_buffers=32MB", "-c", "max_connections=200")
	if err != nil {
		return err
	}
	if err := cmd.Start(); err != nil {
		closeLog(cmd)
		return fmt.Errorf("pgtest: start postgres: %w", err)
	}
	c.cmd, c.done = cmd, make(chan struct{})
	go func() { cmd.Wait(); closeLog(cmd); close(c.done) }()

	ready, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	for {
		conn, err := pgx.Connect(ready, c.DSN("postgres"))
		if err == nil {
			return conn.Close(ready)
		}
		select {
		case <-c.done:
			return fmt.Errorf("pgtest: postgres exited while starting:\n%s", c.Log())
		case <-ready.Done():
			c.Stop()
			return fmt.Errorf("pgtest: postgres did not accept connections: %w\n%s", err, c.Log())
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// Stop shuts the server down at once and removes the cluster's folder.
func (c *Cluster) Stop() error {
	if c.cmd != nil && c.cmd.Process != nil {
		c.cmd.Process.Signal(shutdownSignal) // immediate shutdown
		select {
		case <-c.done:
		case <-time.After(10 * time.Second):
			c.cmd.Process.Kill()
			<-c.done
		}
	}
	return os.RemoveAll(c.dir)
}

// Kill crashes the server: SIGKILL to the postmaster and every backend at
// once, as a power cut would to the processes (not to the operating
// system's caches). It returns when the postmaster has exited.
func (c *Cluster) Kill() {
	crash(c.cmd.Process.Pid)
	<-c.done
}

// Freeze stops the server's processes where they stand (SIGSTOP to the
// postmaster and every backend), as a hung machine or a lost network
// would: connections stay open and nothing answers. Thaw lets them run
// on.
func (c *Cluster) Freeze() { signalAll(c.cmd.Process.Pid, true) }

// Thaw lets a frozen server run on.
func (c *Cluster) Thaw() { signalAll(c.cmd.Process.Pid, false) }

// Restart starts the server again on the same port and data folder, after
// Kill: PostgreSQL recovers from its write-ahead log as it starts.
func (c *Cluster) Restart(ctx context.Context) error {
	select {
	case <-c.done:
	default:
		return errors.New("pgtest: restart of a running cluster")
	}
	return c.start(ctx)
}

// Port is the loopback port the server listens on.
func (c *Cluster) Port() int { return c.port }

// DSN returns the URL of database db on the cluster, as the superuser.
func (c *Cluster) DSN(db string) string {
	return fmt.Sprintf("postgres://%s@127.0.0.1:%d/%s?sslmode=disable", Superuser, c.port, db)
}

// Log returns the end of the server's log, for a failure's message.
func (c *Cluster) Log() string {
	b, _ := os.ReadFile(filepath.Join(c.dir, "server.log"))
	if len(b) > 4000 {
		b = b[len(b)-4000:]
	}
	return string(b)
}

// CreateDatabase creates an empty database named name and returns its URL.
func (c *Cluster) CreateDatabase(ctx context.Context, name string) (string, error) {
	if err := c.Exec(ctx, "postgres", "CREATE DATABASE "+pgx.Identifier{name}.Sanitize()); err != nil {
		return "", err
	}
	return c.DSN(name), nil
}

// DropDatabase removes database name, ending its connections.
func (c *Cluster) DropDatabase(ctx context.Context, name string) error {
	return c.Exec(ctx, "postgres", "DROP DATABASE IF EXISTS "+pgx.Identifier{name}.Sanitize()+" WITH (FORCE)")
}

// CreateSchema creates an empty schema named name in database db and
// returns the URL of db that works in it (its search_path): a place for a
// store of its own, made in a millisecond where a database takes a
// quarter of a second.
func (c *Cluster) CreateSchema(ctx context.Context, db, name string) (string, error) {
	if err := c.Exec(ctx, db, "CREATE SCHEMA "+pgx.Identifier{name}.Sanitize()); err != nil {
		return "", err
	}
	return c.DSN(db) + "&search_path=" + name, nil
}

// DropSchema removes schema name of database db with everything in it.
func (c *Cluster) DropSchema(ctx context.Context, db, name string) error {
	return c.Exec(ctx, db, "DROP SCHEMA IF EXISTS "+pgx.Identifier{name}.Sanitize()+" CASCADE")
}

// Exec runs one statement in database db as the superuser.
func (c *Cluster) Exec(ctx context.Context, db, statement string) error {
	conn, err := pgx.Connect(ctx, c.DSN(db))
	if err != nil {
		return fmt.Errorf("pgtest: %w", err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, statement); err != nil {
		return fmt.Errorf("pgtest: %s: %w", statement, err)
	}
	return nil
}

// The cluster a test binary shares, started by the first NewDatabase, and
// the database its tests' schemas are made in.
var (
	shared    *Cluster
	sharedErr error
	sharedMu  sync.Mutex
	schemas   atomic.Int64
)

// testDatabase holds the schemas NewDatabase makes.
const testDatabase = "pixmatch_test"

// Main runs the tests and then stops the shared cluster, if a test
// started it, returning the exit code for os.Exit.
func Main(m *testing.M) int {
	code := m.Run()
	sharedMu.Lock()
	defer sharedMu.Unlock()
	if shared != nil {
		if err := shared.Stop(); err != nil {
			fmt.Fprintln(os.Stderr, "pgtest: stop the cluster:", err)
		}
		shared = nil
	}
	return code
}

// Shared returns the test binary's cluster, starting it on first use (with
// a database for NewDatabase's schemas). A cluster that cannot start fails
// every test that asks for it.
func Shared(t testing.TB) *Cluster {
	t.Helper()
	sharedMu.Lock()
	defer sharedMu.Unlock()
	if shared == nil && sharedErr == nil {
		ctx := context.Background()
		if shared, sharedErr = Start(ctx); sharedErr == nil {
			if _, sharedErr = shared.CreateDatabase(ctx, testDatabase); sharedErr != nil {
				shared.Stop()
				shared = nil
			}
		}
	}
	if sharedErr != nil {
		t.Fatal(sharedErr)
	}
	return shared
}

// NewDatabase returns the URL of a fresh, empty place for a store on the
// shared cluster: a schema of its own (the URL's search_path) in a
// database the test binary's tests share, dropped when the test ends.
// Stores in different schemas see nothing of each other's tables;
// advisory locks and LISTEN channels are the database's, shared.
func NewDatabase(t testing.TB) string {
	t.Helper()
	c := Shared(t)
	name := "test_" + strconv.FormatInt(schemas.Add(1), 10)
	dsn, err := c.CreateSchema(context.Background(), testDatabase, name)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := c.DropSchema(context.Background(), testDatabase, name); err != nil {
			t.Error(err)
		}
	})
	return dsn
}
