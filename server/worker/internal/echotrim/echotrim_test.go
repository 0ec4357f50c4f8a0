package echotrim

import (
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// echoLike is a package shaped as Echo's echo.go is around its servers.
const echoLike = `package echo

import (
	"crypto/tls"
	"net/http"
	stdLog "log"
)

// Echo is the framework.
type Echo struct {
	Logger *stdLog.Logger
	// Server serves HTTP.
	Server    *http.Server
	TLSServer *http.Server
	keep      string
}

// New makes an Echo.
func New() (e *Echo) {
	e = &Echo{
		Server:    new(http.Server),
		TLSServer: &http.Server{},
		keep:      "kept",
	}
	e.Server.Handler = e
	e.TLSServer.TLSConfig = new(tls.Config)
	e.keep += "!"
	return
}

// ServeHTTP is what the Worker runs.
func (e *Echo) ServeHTTP(w http.ResponseWriter, r *http.Request) { _ = e.keep }

// StartTLS starts a TLS server.
func (e *Echo) StartTLS(addr string) error {
	e.TLSServer.Addr = addr
	e.TLSServer.TLSConfig = &tls.Config{}
	return e.TLSServer.ListenAndServe()
}

func serve(e *Echo) error { return e.Server.ListenAndServe() }

func run() error { return serve(New()) }

// server is no field: http.Server is a type of a package.
func server() *http.Server { return new(http.Server) }
`

func TestTrimRemovesTheServersAndWhatUsesThem(t *testing.T) {
	out, rm, err := Trim("echo.go", []byte(echoLike), "Echo", []string{"Server", "TLSServer"})
	if err != nil {
		t.Fatal(err)
	}
	src := string(out)
	if !slices.Equal(rm.Fields, []string{"Server", "TLSServer"}) {
		t.Errorf("fields removed: %v", rm.Fields)
	}
	if !slices.Equal(rm.Funcs, []string{"(*Echo).StartTLS", "serve", "run"}) {
		t.Errorf("functions removed: %v", rm.Funcs)
	}
	for _, gone := range []string{"Server:", "TLSServer", "e.Server", "crypto/tls", "Server serves HTTP", "StartTLS", "func serve(", "func run("} {
		if strings.Contains(src, gone) {
			t.Errorf("%q is still there:\n%s", gone, src)
		}
	}
	for _, kept := range []string{`keep:`, `e.keep += "!"`, "func (e *Echo) ServeHTTP", "func server() *http.Server", `stdLog "log"`, `"net/http"`, "// ServeHTTP is what the Worker runs."} {
		if !strings.Contains(src, kept) {
			t.Errorf("%q is gone:\n%s", kept, src)
		}
	}
}

func TestTrimLeavesOtherFilesAlone(t *testing.T) {
	src := []byte("package echo\n\nimport \"net/http\"\n\nfunc h() *http.Server {   return nil }\n")
	out, rm, err := Trim("router.go", src, "Echo", []string{"Server"})
	if err != nil || string(out) != string(src) || len(rm.Fields)+len(rm.Funcs) != 0 {
		t.Fatalf("Trim = %q, %v, %v; want the file unchanged", out, rm, err)
	}
}

// module writes a module shaped as Echo's: the package, its tests, a
// fixture folder and a subpackage.
func module(t *testing.T, echo string) string {
	dir := t.TempDir()
	files := map[string]string{
		"go.mod":                "module example.com/echo\n\ngo 1.22\n",
		"LICENSE":               "MIT\n",
		"echo.go":               echo,
		"echo_test.go":          "package echo\n",
		"_fixture/index.html":   "<p>",
		"middleware/static.go":  "package middleware\n",
		"middleware/timeout.go": "package middleware\n\ntype Echo struct{ Server int }\n",
	}
	for name, body := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o444); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func TestCopyTrimsThePackageOnly(t *testing.T) {
	src := module(t, echoLike)
	dst := filepath.Join(t.TempDir(), "echo")
	if err := os.MkdirAll(dst, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dst, "stale.go"), []byte("package echo\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	rm, err := Copy(src, dst, "Echo", []string{"Server", "TLSServer"}, []string{"middleware/static.go"})
	if err != nil {
		t.Fatal(err)
	}
	if len(rm.Funcs) != 3 {
		t.Errorf("functions removed: %v", rm.Funcs)
	}
	for name, want := range map[string]bool{
		"go.mod": true, "LICENSE": true, "echo.go": true, "middleware/static.go": false, "middleware/timeout.go": true,
		"echo_test.go": false, "_fixture/index.html": false, "stale.go": false,
	} {
		_, err := os.Stat(filepath.Join(dst, name))
		if got := err == nil; got != want {
			t.Errorf("%s copied: %v, want %v", name, got, want)
		}
	}
	sub, _ := os.ReadFile(filepath.Join(dst, "middleware/timeout.go"))
	if !strings.Contains(string(sub), "Server int") {
		t.Error("a subpackage was trimmed; only the module's root package is")
	}
	if _, err := Copy(src, dst, "Echo", []string{"Server", "Listener"}, nil); err == nil || !strings.Contains(err.Error(), "no field Listener") {
		t.Errorf("Copy with a field Echo lacks: %v, want an error naming it", err)
	}
	if _, err := Copy(src, dst, "Echo", []string{"Server"}, []string{"middleware/proxy.go"}); err == nil || !strings.Contains(err.Error(), "no file middleware/proxy.go") {
		t.Errorf("Copy dropping a file the module lacks: %v, want an error naming it", err)
	}
}

func TestModfileReplacesTheModule(t *testing.T) {
	dir := t.TempDir()
	gomod := filepath.Join(dir, "go.mod")
	os.WriteFile(gomod, []byte("module m\n\nrequire "+Module+" v4.16.0\n"), 0o644)
	os.WriteFile(filepath.Join(dir, "go.sum"), []byte("sums\n"), 0o644)
	out := filepath.Join(dir, "w", "worker.mod")
	os.MkdirAll(filepath.Dir(out), 0o755)
	if err := Modfile(gomod, Module, filepath.Join(dir, "echo"), out); err != nil {
		t.Fatal(err)
	}
	mod, _ := os.ReadFile(out)
	if !strings.Contains(string(mod), "replace "+Module+" => "+filepath.Join(dir, "echo")+"\n") {
		t.Errorf("worker.mod:\n%s", mod)
	}
	if sum, _ := os.ReadFile(filepath.Join(dir, "w", "worker.sum")); string(sum) != "sums\n" {
		t.Errorf("worker.sum = %q", sum)
	}
	os.WriteFile(gomod, []byte("module m\n\nreplace "+Module+" => ../echo\n"), 0o644)
	if err := Modfile(gomod, Module, "echo", out); err == nil {
		t.Error("Modfile over a go.mod that replaces Echo itself: no error")
	}
	if err := Modfile(gomod, Module, "echo", filepath.Join(dir, "worker.txt")); err == nil {
		t.Error("Modfile to a name not ending in .mod: no error")
	}
}

// TestTrimmedEchoCompiles trims the Echo go.mod pins, as make worker
// does, and compiles the copy for js/wasm: every field and dropped file
// is found and what is left builds.
func TestTrimmedEchoCompiles(t *testing.T) {
	if testing.Short() {
		t.Skip("compiles Echo")
	}
	out, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}}", Module).Output()
	src := strings.TrimSpace(string(out))
	if err != nil || src == "" {
		t.Skipf("%s is not in the module cache: %v", Module, err)
	}
	dst := filepath.Join(t.TempDir(), "echo")
	rm, err := Copy(src, dst, Type, Fields, Dropped)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"(*Echo).Start", "(*Echo).StartTLS", "(*Echo).StartAutoTLS", "(*Echo).Close"} {
		if !slices.Contains(rm.Funcs, f) {
			t.Errorf("%s was not removed: %v", f, rm.Funcs)
		}
	}
	build := exec.Command("go", "build", "-mod=mod", ".", "./middleware")
	build.Dir = dst
	build.Env = append(os.Environ(), "GOOS=js", "GOARCH=wasm", "GOFLAGS=-mod=mod", "GOWORK=off")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("the trimmed Echo does not compile: %v\n%s", err, out)
	}
}
