// Package echotrim writes the copy of Echo v4 the Worker is built with:
// the module as go.mod pins it, less the fields of echo.Echo that start
// and stop servers (Fields) and the code that uses them, and less the
// static-file and body-limit middleware (Dropped).
//
// Why: the Worker serves through syumai/workers, never through Echo's
// Start, StartTLS, StartAutoTLS or StartH2CServer, yet Go's linker keeps
// what those fields lead to. Every request's echo.Context holds the
// *echo.Echo, so the Echo type is reachable by reflection, and so are the
// types of its fields: *http.Server, whose TLSNextProto map takes a
// *tls.Conn, whose Read renegotiates, which runs a TLS client's whole
// handshake — crypto/tls, crypto/x509 and the ciphers and curves they
// use, about 0.5 MB of the Worker's 3.9 MB gzip. Without the fields the
// chain breaks and the linker drops it. Nothing the Worker runs changes:
// routing, contexts, binding, middleware and ServeHTTP are Echo's own
// code, untouched.
//
// The trim works on the syntax, not on line numbers, and checks what it
// finds: a field of Fields missing from the Echo struct is an error (Echo
// changed; look again), as is a copy that no longer compiles, which the
// Worker's build reports. In a file of the package, Trim removes
//   - the fields, and the elements of composite literals that set them;
//   - statements that only assign through them (e.Server.Handler = e);
//   - every function or method still using one after that (Start,
//     StartTLS, Close, Shutdown, …), and, repeatedly, every function
//     calling a removed function;
//   - the imports nothing uses any more.
package echotrim

import (
	"bytes"
	"errors"
	"fmt"
	"go/ast"
	"go/format"
	"go/parser"
	"go/token"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
)

// Module is the module the Worker builds with a trimmed copy of.
const Module = "github.com/labstack/echo/v4"

// Type is the struct whose fields are removed.
const Type = "Echo"

// Fields are the fields of echo.Echo that serve HTTP without the Workers
// runtime: its servers, listeners and ACME certificate manager.
var Fields = []string{"Server", "TLSServer", "Listener", "TLSListener", "AutoTLSManager"}

// Dropped are files of the module left out of the copy: the middleware
// that serves a folder of static files (middleware.Static), whose
// directory listing is an html/template, and so text/template's
// initialisation and what it reaches (50 KB gzip), in every program that
// imports the middleware package. A Worker's static files are
// Cloudflare's assets; pixmatch uses no middleware.Static. And the
// middleware that limits a body's size (middleware.BodyLimit), for the
// package it parses sizes with, labstack/gommon/bytes, whose regular
// expressions compile as the program starts — they alone kept package
// regexp in the Worker (about 60 KB gzip); pixmatch limits bodies itself
// (server/budget).
var Dropped = []string{"middleware/static.go", "middleware/static_other.go", "middleware/static_windows.go",
	"middleware/body_limit.go"}

// Removed is what Trim took out of one file.
type Removed struct {
	Fields []string // fields of Type
	Funcs  []string // functions and methods ("(*Echo).Start")
}

// Trim returns src, a Go file of Echo's package, without fields of the
// struct named typ and what uses them (see the package doc). A file
// without that struct or those fields comes back unchanged.
func Trim(filename string, src []byte, typ string, fields []string) ([]byte, Removed, error) {
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, filename, src, parser.ParseComments)
	if err != nil {
		return nil, Removed{}, err
	}
	cmap := ast.NewCommentMap(fset, f, f.Comments)
	gone := setOf(fields)
	var rm Removed
	pkgs := importNames(f)
	rm.Fields = removeFields(f, typ, gone)
	if len(rm.Fields) == 0 && !uses(f, gone, pkgs) {
		return src, Removed{}, nil
	}
	rm.Funcs = removeFuncs(f, gone, pkgs)
	removeUnusedImports(f)
	f.Comments = cmap.Filter(f).Comments()
	var out bytes.Buffer
	if err := format.Node(&out, fset, f); err != nil {
		return nil, Removed{}, err
	}
	return out.Bytes(), rm, nil
}

// removeFields deletes the fields in gone from the struct type typ and
// returns the names it deleted.
func removeFields(f *ast.File, typ string, gone map[string]bool) []string {
	var removed []string
	ast.Inspect(f, func(n ast.Node) bool {
		ts, ok := n.(*ast.TypeSpec)
		if !ok || ts.Name.Name != typ {
			return true
		}
		st, ok := ts.Type.(*ast.StructType)
		if !ok {
			return false
		}
		st.Fields.List = slices.DeleteFunc(st.Fields.List, func(fd *ast.Field) bool {
			for _, name := range fd.Names {
				if gone[name.Name] {
					removed = append(removed, name.Name)
				}
			}
			return len(fd.Names) > 0 && allIn(fd.Names, gone)
		})
		return false
	})
	return removed
}

// removeFuncs drops what sets the fields in gone from every function, then
// every function still using one, then, until none is left, every function
// calling a removed plain function. It returns their names.
func removeFuncs(f *ast.File, gone, pkgs map[string]bool) []string {
	var removed []string
	callsGone := map[string]bool{}
	for {
		n := len(removed)
		f.Decls = slices.DeleteFunc(f.Decls, func(d ast.Decl) bool {
			fd, ok := d.(*ast.FuncDecl)
			if !ok || fd.Body == nil {
				return false
			}
			dropSetters(fd.Body, gone)
			if !uses(fd.Body, gone, pkgs) && !callsAny(fd.Body, callsGone) {
				return false
			}
			removed = append(removed, funcName(fd))
			if fd.Recv == nil {
				callsGone[fd.Name.Name] = true
			}
			return true
		})
		if len(removed) == n {
			return removed
		}
	}
}

// dropSetters removes, anywhere in body, the composite literal elements
// that set a field in gone and the statements that assign only through
// one (x.Field.Sub = v).
func dropSetters(body *ast.BlockStmt, gone map[string]bool) {
	ast.Inspect(body, func(n ast.Node) bool {
		switch n := n.(type) {
		case *ast.CompositeLit:
			n.Elts = slices.DeleteFunc(n.Elts, func(e ast.Expr) bool {
				kv, ok := e.(*ast.KeyValueExpr)
				if !ok {
					return false
				}
				key, ok := kv.Key.(*ast.Ident)
				return ok && gone[key.Name]
			})
		case *ast.BlockStmt:
			n.List = slices.DeleteFunc(n.List, func(s ast.Stmt) bool {
				as, ok := s.(*ast.AssignStmt)
				return ok && as.Tok == token.ASSIGN && allThrough(as.Lhs, gone)
			})
		}
		return true
	})
}

// allThrough tells whether every expression of lhs is a selector chain
// passing through a field in gone.
func allThrough(lhs []ast.Expr, gone map[string]bool) bool {
	for _, e := range lhs {
		through := false
		for sel, ok := e.(*ast.SelectorExpr); ok; sel, ok = e.(*ast.SelectorExpr) {
			through = through || gone[sel.Sel.Name]
			e = sel.X
		}
		if !through {
			return false
		}
	}
	return true
}

// uses tells whether n selects a field (or method) named in gone of
// anything but an imported package (http.Server is no field).
func uses(n ast.Node, gone, pkgs map[string]bool) bool {
	found := false
	ast.Inspect(n, func(n ast.Node) bool {
		if sel, ok := n.(*ast.SelectorExpr); ok && gone[sel.Sel.Name] {
			if id, isIdent := sel.X.(*ast.Ident); !isIdent || !pkgs[id.Name] {
				found = true
			}
		}
		return !found
	})
	return found
}

// callsAny tells whether n calls a plain function named in names.
func callsAny(n ast.Node, names map[string]bool) bool {
	found := false
	ast.Inspect(n, func(n ast.Node) bool {
		if call, ok := n.(*ast.CallExpr); ok {
			if id, ok := call.Fun.(*ast.Ident); ok && names[id.Name] {
				found = true
			}
		}
		return !found
	})
	return found
}

// removeUnusedImports deletes the imports f no longer refers to, but
// blank and dot imports.
func removeUnusedImports(f *ast.File) {
	used := map[string]bool{}
	ast.Inspect(f, func(n ast.Node) bool {
		if sel, ok := n.(*ast.SelectorExpr); ok {
			if id, ok := sel.X.(*ast.Ident); ok {
				used[id.Name] = true
			}
		}
		return true
	})
	keep := func(spec ast.Spec) bool {
		name := importName(spec.(*ast.ImportSpec))
		return name == "_" || name == "." || name == "" || used[name]
	}
	for _, d := range f.Decls {
		if gd, ok := d.(*ast.GenDecl); ok && gd.Tok == token.IMPORT {
			gd.Specs = slices.DeleteFunc(gd.Specs, func(s ast.Spec) bool { return !keep(s) })
		}
	}
	f.Imports = slices.DeleteFunc(f.Imports, func(s *ast.ImportSpec) bool { return !keep(s) })
	f.Decls = slices.DeleteFunc(f.Decls, func(d ast.Decl) bool {
		gd, ok := d.(*ast.GenDecl)
		return ok && gd.Tok == token.IMPORT && len(gd.Specs) == 0
	})
}

// importNames are the names f's imports are referred to by.
func importNames(f *ast.File) map[string]bool {
	names := map[string]bool{}
	for _, s := range f.Imports {
		if name := importName(s); name != "" {
			names[name] = true
		}
	}
	return names
}

// importName is the name an import is referred to by; "" when it cannot
// be told from the path (a package named otherwise than its folder), which
// keeps the import.
func importName(s *ast.ImportSpec) string {
	if s.Name != nil {
		return s.Name.Name
	}
	p, err := strconv.Unquote(s.Path.Value)
	if err != nil {
		return ""
	}
	name := path.Base(p)
	if strings.ContainsAny(name, ".-") || isMajorVersion(name) {
		return ""
	}
	return name
}

// isMajorVersion tells a module path's major version suffix (v2, v4).
func isMajorVersion(s string) bool {
	if len(s) < 2 || s[0] != 'v' {
		return false
	}
	_, err := strconv.Atoi(s[1:])
	return err == nil
}

// funcName names fd as a stack trace does: "New", "(*Echo).Start".
func funcName(fd *ast.FuncDecl) string {
	if fd.Recv == nil || len(fd.Recv.List) == 0 {
		return fd.Name.Name
	}
	recv := fd.Recv.List[0].Type
	if star, ok := recv.(*ast.StarExpr); ok {
		if id, ok := star.X.(*ast.Ident); ok {
			return "(*" + id.Name + ")." + fd.Name.Name
		}
	}
	if id, ok := recv.(*ast.Ident); ok {
		return id.Name + "." + fd.Name.Name
	}
	return fd.Name.Name
}

func setOf(names []string) map[string]bool {
	m := make(map[string]bool, len(names))
	for _, n := range names {
		m[n] = true
	}
	return m
}

func allIn(names []*ast.Ident, set map[string]bool) bool {
	for _, n := range names {
		if !set[n.Name] {
			return false
		}
	}
	return true
}

// Copy writes the module in src (its folder in the module cache) to dst,
// replacing what dst held: every file but tests, testdata, folders Go
// ignores (_x, .x) and the files dropped (paths relative to src, with
// slashes), with the package in src's root trimmed of fields of typ.
// Every field and every dropped file must be found, or Copy fails: the
// module is not the Echo this package was written for.
func Copy(src, dst, typ string, fields, dropped []string) (Removed, error) {
	if err := os.RemoveAll(dst); err != nil {
		return Removed{}, err
	}
	var all Removed
	var found []string
	err := filepath.WalkDir(src, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(src, p)
		if err != nil {
			return err
		}
		out := filepath.Join(dst, rel)
		if d.IsDir() {
			if p != src && (strings.HasPrefix(d.Name(), "_") || strings.HasPrefix(d.Name(), ".") || d.Name() == "testdata") {
				return filepath.SkipDir
			}
			return os.MkdirAll(out, 0o755)
		}
		if slices.Contains(dropped, filepath.ToSlash(rel)) {
			found = append(found, filepath.ToSlash(rel))
			return nil
		}
		if strings.HasSuffix(p, "_test.go") || !d.Type().IsRegular() {
			return nil
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		if filepath.Dir(p) == filepath.Clean(src) && strings.HasSuffix(p, ".go") {
			var rm Removed
			if b, rm, err = Trim(p, b, typ, fields); err != nil {
				return err
			}
			all.Fields = append(all.Fields, rm.Fields...)
			all.Funcs = append(all.Funcs, rm.Funcs...)
		}
		return os.WriteFile(out, b, 0o644)
	})
	if err != nil {
		return Removed{}, err
	}
	for _, f := range fields {
		if !slices.Contains(all.Fields, f) {
			return all, fmt.Errorf("%s: no field %s in type %s: the module is not the one this trim was written for", src, f, typ)
		}
	}
	for _, f := range dropped {
		if !slices.Contains(found, f) {
			return all, fmt.Errorf("%s: no file %s to leave out: the module is not the one this trim was written for", src, f)
		}
	}
	return all, nil
}

// Modfile writes, at out (a name ending in .mod), the go.mod at gomod
// with module replaced by the folder dir, and beside it (its name ending
// in .sum, as `go build -modfile` wants) a copy of the go.sum next to
// gomod. The original go.mod must not replace module itself.
func Modfile(gomod, module, dir, out string) error {
	if !strings.HasSuffix(out, ".mod") {
		return errors.New("the module file's name must end in .mod")
	}
	b, err := os.ReadFile(gomod)
	if err != nil {
		return err
	}
	for _, line := range strings.Split(string(b), "\n") {
		if f := strings.Fields(line); len(f) > 0 && slices.Contains(f, module) && (f[0] == "replace" || slices.Contains(f, "=>")) {
			return fmt.Errorf("%s already replaces %s", gomod, module)
		}
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return err
	}
	b = append(b, fmt.Sprintf("\n// The Worker's build (make worker): Echo without its servers (server/worker/internal/echotrim).\nreplace %s => %s\n", module, abs)...)
	if err := os.WriteFile(out, b, 0o644); err != nil {
		return err
	}
	sum, err := os.ReadFile(filepath.Join(filepath.Dir(gomod), "go.sum"))
	if err != nil {
		return err
	}
	return os.WriteFile(strings.TrimSuffix(out, ".mod")+".sum", sum, 0o644)
}
