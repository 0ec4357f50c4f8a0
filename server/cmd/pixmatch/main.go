// Command pixmatch runs the pixmatch image recognition server and
// administers its galleries and API keys.
//
//	pixmatch serve     [--addr 127.0.0.1:8080] [--data ./data] [--db postgres://USER@HOST:PORT/DB]
//	pixmatch galleries [list | create NAME | update NAME | delete NAME] [flags]
//	pixmatch keys      [list | create | delete ID] [flags]
//	pixmatch bench     [--url URL]… [--clients N] [--duration D] [--targets N] [--mix search=N,add=N]
//	pixmatch bench     --bulk [--data ./data | --db URL] --app-id ID --targets N
//	pixmatch import    DIR [--url URL] [--app-id ID] [--meta FILE] [--clients N] [--allow-similar]
//	pixmatch backup    FILE [--data ./data]
//	pixmatch restore   FILE [--data ./data]
//	pixmatch version   (or --version)
//
// Galleries, keys and targets live in the embedded SQLite database in the
// data folder, or, with --db, in a PostgreSQL database that several
// servers may share; the admin commands take the same --data and --db.
//
// On its first start with an empty database, serve creates a gallery
// and an API key from PIXMATCH_INSTANCE (the gallery name, "default" when
// unset), PIXMATCH_APP_ID, PIXMATCH_API_KEY and PIXMATCH_API_SECRET;
// values left unset are generated, printed once, and kept in the database.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := untilSignal()
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout, os.Getenv); err != nil {
		if !errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(os.Stderr, "pixmatch:", err)
		}
		os.Exit(2)
	}
}

// untilSignal returns a context that ends on SIGINT or SIGTERM: serve then
// stops in order (see serve).
func untilSignal() (context.Context, context.CancelFunc) {
	return signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
}

const usage = `usage:
  pixmatch serve     [--addr HOST:PORT] [--data DIR] [--db postgres://USER@HOST:PORT/DB]
  pixmatch galleries [list | create NAME | update NAME | delete NAME] [--data DIR] [--db URL] [flags]
  pixmatch keys      [list | create | delete ID] [--data DIR] [--db URL] [flags]
  pixmatch bench     [--url URL]… [--clients N] [--duration D] [--targets N] [--mix search=N,add=N]
  pixmatch bench     --bulk [--data DIR | --db URL] --app-id ID --targets N
  pixmatch import    DIR [--url URL] [--app-id ID] [--meta FILE] [--clients N] [--allow-similar]
  pixmatch backup    FILE [--data DIR]
  pixmatch restore   FILE [--data DIR]
  pixmatch version
Run a command with -h for its flags.`

// run executes one command line. getenv reads the environment.
func run(ctx context.Context, args []string, out io.Writer, getenv func(string) string) error {
	if len(args) == 0 {
		return fmt.Errorf("no command\n%s", usage)
	}
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))
	switch args[0] {
	case "serve":
		return serve(ctx, args[1:], out, getenv, log)
	case "galleries", "gallery":
		return galleries(ctx, args[1:], out)
	case "keys", "key":
		return keys(ctx, args[1:], out)
	case "bench":
		return bench(ctx, args[1:], out, getenv)
	case "import":
		return importPictures(ctx, args[1:], out, getenv)
	case "backup":
		return backup(ctx, args[1:], out)
	case "restore":
		return restore(ctx, args[1:], out)
	case "version", "--version", "-version":
		fmt.Fprintln(out, versionText())
		return nil
	case "help", "-h", "--help":
		fmt.Fprintln(out, usage)
		return nil
	}
	return fmt.Errorf("unknown command %q\n%s", args[0], usage)
}
