package e2e

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// moduleDir is the folder the test binary's browser module was built
// into: pixmatch.wasm and wasm_exec.js, served under /app/dist/.
var moduleDir string

// TestMain builds the browser module once for every test and benchmark
// of the binary.
func TestMain(m *testing.M) {
	os.Exit(run(m))
}

func run(m *testing.M) int {
	dir, err := os.MkdirTemp("", "pixmatch-e2e-module-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "e2e:", err)
		return 1
	}
	defer os.RemoveAll(dir)
	if err := buildModule(dir); err != nil {
		fmt.Fprintln(os.Stderr, "e2e:", err)
		return 1
	}
	moduleDir = dir
	return m.Run()
}

// buildModule compiles ./wasm of the module this package belongs to into
// dir/pixmatch.wasm and copies Go's wasm_exec.js beside it, as `make wasm`
// does.
func buildModule(dir string) error {
	env, err := goEnv("GOMOD", "GOROOT")
	if err != nil {
		return err
	}
	gomod, goroot := env[0], env[1]
	if gomod == "" || gomod == os.DevNull {
		return fmt.Errorf("build the browser module: not inside a Go module")
	}
	build := exec.Command("go", "build", "-trimpath", "-ldflags=-s", "-o", filepath.Join(dir, "pixmatch.wasm"), "./wasm")
	build.Dir = filepath.Dir(gomod)
	build.Env = append(os.Environ(), "GOOS=js", "GOARCH=wasm", "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		return fmt.Errorf("build the browser module: %w\n%s", err, out)
	}
	glue, err := os.ReadFile(filepath.Join(goroot, "lib", "wasm", "wasm_exec.js"))
	if err != nil {
		return fmt.Errorf("copy wasm_exec.js: %w", err)
	}
	return os.WriteFile(filepath.Join(dir, "wasm_exec.js"), glue, 0o644)
}

// goEnv returns the values of the go command's environment variables.
func goEnv(names ...string) ([]string, error) {
	var stderr bytes.Buffer
	cmd := exec.Command("go", append([]string{"env"}, names...)...)
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("go env: %w: %s", err, stderr.Bytes())
	}
	lines := strings.Split(strings.TrimRight(string(out), "\n"), "\n")
	if len(lines) != len(names) {
		return nil, fmt.Errorf("go env %s: %d lines, want %d", strings.Join(names, " "), len(lines), len(names))
	}
	return lines, nil
}
