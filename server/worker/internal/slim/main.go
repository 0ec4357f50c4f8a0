// Command slim is the part of `make worker` that keeps the Worker's Go
// module small (see README, "Cloudflare Workers"). It runs on the host:
//
//	slim echo -dst DIR -modfile FILE.mod
//
// writes Echo, as go.mod pins it (found with `go mod download`), without
// its servers and its static-file middleware (package echotrim) into DIR,
// and FILE.mod and FILE.sum: the
// repository's go.mod and go.sum with Echo replaced by DIR, for
// `go build -modfile FILE.mod`.
//
//	slim pack [-budget BYTES] [-with OTHER.wasm] FILE.wasm
//
// rewrites the module's data section in place (package wasmdata), prints
// the module's size raw and gzipped (by gzip -9), and fails when the
// gzipped size is over the budget: with OTHER's gzipped size added, a
// module deployed beside it (the kernels, shared/internal/simd).
package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/pixmatch/pixmatch/server/worker/internal/echotrim"
	"github.com/pixmatch/pixmatch/server/worker/internal/wasmdata"
)

// Budget is the most the Worker's module may weigh gzipped: Cloudflare's
// Free plan took 3 MB of compressed upload (issue 12).
const Budget = 3_000_000

func main() {
	if len(os.Args) < 2 {
		fail(errors.New("usage: slim echo -dst DIR -modfile FILE.mod | slim pack [-budget BYTES] [-with OTHER.wasm] FILE.wasm"))
	}
	var err error
	switch os.Args[1] {
	case "echo":
		err = echo(os.Args[2:])
	case "pack":
		err = pack(os.Args[2:])
	default:
		err = fmt.Errorf("slim: unknown command %q", os.Args[1])
	}
	if err != nil {
		fail(err)
	}
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "slim:", err)
	os.Exit(1)
}

// echo writes the trimmed copy of Echo and the module file that uses it.
func echo(args []string) error {
	fs := flag.NewFlagSet("echo", flag.ExitOnError)
	dst := fs.String("dst", "", "the folder of the trimmed copy")
	modfile := fs.String("modfile", "", "the module file to write (FILE.mod, with FILE.sum)")
	fs.Parse(args)
	if *dst == "" || *modfile == "" || fs.NArg() != 0 {
		return errors.New("usage: slim echo -dst DIR -modfile FILE.mod")
	}
	src, err := moduleDir(echotrim.Module)
	if err != nil {
		return err
	}
	rm, err := echotrim.Copy(src, *dst, echotrim.Type, echotrim.Fields, echotrim.Dropped)
	if err != nil {
		return err
	}
	fmt.Printf("%s: %s without %s and %s\n", *dst, echotrim.Module,
		strings.Join(rm.Fields, ", "), strings.Join(append(rm.Funcs, echotrim.Dropped...), ", "))
	return echotrim.Modfile("go.mod", echotrim.Module, *dst, *modfile)
}

// moduleDir is the folder of module, at the version go.mod requires, in
// the module cache (downloaded when missing).
func moduleDir(module string) (string, error) {
	out, err := exec.Command("go", "mod", "download", "-json", module).Output()
	if err != nil {
		var exit *exec.ExitError
		if errors.As(err, &exit) {
			return "", fmt.Errorf("go mod download %s: %v: %s", module, err, exit.Stderr)
		}
		return "", err
	}
	var m struct{ Dir, Error string }
	if err := json.Unmarshal(out, &m); err != nil {
		return "", err
	}
	if m.Error != "" || m.Dir == "" {
		return "", fmt.Errorf("go mod download %s: %s", module, m.Error)
	}
	return m.Dir, nil
}

// pack packs the module's data, writes it back and checks its size.
func pack(args []string) error {
	fs := flag.NewFlagSet("pack", flag.ExitOnError)
	budget := fs.Int("budget", Budget, "the most the module may weigh gzipped, in bytes")
	with := fs.String("with", "", "a module deployed beside it, whose gzipped size counts too")
	fs.Parse(args)
	if fs.NArg() != 1 {
		return errors.New("usage: slim pack [-budget BYTES] [-with OTHER.wasm] FILE.wasm")
	}
	file := fs.Arg(0)
	b, err := os.ReadFile(file)
	if err != nil {
		return err
	}
	packed, before, after, err := wasmdata.Pack(b)
	if err != nil {
		return fmt.Errorf("%s: %w", file, err)
	}
	if err := os.WriteFile(file, packed, 0o644); err != nil {
		return err
	}
	gz, err := gzipped(packed)
	if err != nil {
		return err
	}
	fmt.Printf("%s: %d bytes raw, %d bytes gzip -9 (budget %d; %d data segments joined into %d)\n",
		filepath.ToSlash(file), len(packed), gz, *budget, before, after)
	if *with != "" {
		other, err := os.ReadFile(*with)
		if err != nil {
			return err
		}
		ogz, err := gzipped(other)
		if err != nil {
			return err
		}
		gz += ogz
		fmt.Printf("%s beside it: %d bytes raw, %d bytes gzip -9; both %d\n", filepath.ToSlash(*with), len(other), ogz, gz)
	}
	if gz > *budget {
		return fmt.Errorf("%s weighs %d bytes gzipped, over the budget of %d", file, gz, *budget)
	}
	return nil
}

// gzipped is the size of b as `gzip -9` compresses it (compress/gzip's
// best is about 0.7% larger than gzip's, and the budget is gzip's).
func gzipped(b []byte) (int, error) {
	cmd := exec.Command("gzip", "-9", "-c")
	cmd.Stdin = bytes.NewReader(b)
	out, err := cmd.Output()
	if err != nil {
		return 0, fmt.Errorf("gzip -9: %w", err)
	}
	return len(out), nil
}
