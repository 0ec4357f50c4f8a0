package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/pixmatch/pixmatch/server/app"
	"github.com/pixmatch/pixmatch/server/config"
	"github.com/pixmatch/pixmatch/server/gallery"
	"github.com/pixmatch/pixmatch/server/jobs"
)

// serveFlags reads the command line of serve into the configuration.
func serveFlags(args []string, more ...func(*flag.FlagSet)) (addr string, where storeFlags, cfg config.Config, err error) {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	for _, register := range more {
		register(fs)
	}
	fs.StringVar(&addr, "addr", "127.0.0.1:8080", "address to listen on")
	where.register(fs)
	cfg = config.Default()
	fs.Func("bucket", "NAME=DIR: a local folder Alibaba batch imports may read as BucketName NAME (repeatable)", func(v string) error {
		name, folder, ok := strings.Cut(v, "=")
		if !ok || name == "" || folder == "" {
			return fmt.Errorf("want NAME=DIR, not %q", v)
		}
		if cfg.Alibaba.Buckets == nil {
			cfg.Alibaba.Buckets = map[string]string{}
		}
		cfg.Alibaba.Buckets[name] = folder
		return nil
	})
	fs.DurationVar(&cfg.Server.RequestTimeout, "request-timeout", cfg.Server.RequestTimeout, "how long a request may work once its headers are in before it is answered with an error (0: no bound)")
	fs.Func("fetch-allow", "CIDR: a private network picture URLs may point into (repeatable)", func(v string) error {
		if _, err := netip.ParsePrefix(v); err != nil {
			return err
		}
		cfg.Alibaba.FetchAllow = append(cfg.Alibaba.FetchAllow, v)
		return nil
	})
	if err = fs.Parse(args); err == nil {
		err = where.check()
	}
	cfg.Alibaba.Files = filepath.Join(where.dir, filesFolder)
	return addr, where, cfg, err
}

// serve runs the server until ctx ends, then stops it in order: no new
// connections, the requests in flight drained (within ShutdownTimeout),
// the background jobs stopped, and the store closed last.
func serve(ctx context.Context, args []string, out io.Writer, getenv func(string) string, log *slog.Logger) error {
	var ops opsFlags
	var tf tlsFiles
	addr, where, cfg, err := serveFlags(args, ops.register, tf.register)
	if err != nil {
		return err
	}
	if log, err = ops.logger(os.Stderr); err != nil {
		return err
	}
	tlsConfig, err := tf.config(log) // like a port in use, fails before anything is created
	if err != nil {
		return err
	}
	scheme := tf.scheme()
	// Listen before anything is created: a port in use fails the first
	// start before it makes a database and prints a secret it would lose.
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	defer ln.Close()
	mx, err := ops.listenMetrics()
	if err != nil {
		return err
	}
	defer mx.close()
	st, err := where.open(ctx)
	if err != nil {
		return err
	}
	defer st.Close() // last: after the requests and the jobs that use it
	first, err := firstStart(ctx, st, out, getenv)
	if err != nil {
		return err
	}
	shared, replays := sharedThroughDB(st)
	snaps := gallery.WithSnapshots(filepath.Join(where.dir, snapshotsFolder), log)
	shared = append(shared, gallery.WithRecordMaker(log))
	svc, err := gallery.Open(ctx, mx.observe(st), cfg, append(append(shared, snaps), mx.following()...)...)
	if err != nil {
		return err
	}
	runner := jobs.New(context.WithoutCancel(ctx), log)
	handler, err := app.New(ctx, svc, log, append(append(ops.options(mx), replays...), app.WithJobs(runner))...)
	if err != nil {
		return err
	}
	srv := newHTTPServer(ln, handler, cfg.Server, log)
	srv.srv.TLSConfig = tlsConfig
	limitMemory(cfg.Server, log)

	background, stopBackground := context.WithCancel(ctx) // ends refresh and following
	defer stopBackground()
	var owned sync.WaitGroup
	owned.Go(func() { refresh(background, svc, log) })
	followOthers(background, &owned, st, svc, log)
	mx.start(out, log)
	fmt.Fprintf(out, "pixmatch serving %s://%s (%s)\n", scheme, ln.Addr(), where.describe())
	if first != nil {
		fmt.Fprintf(out, "open the web app connected to it: %s://%s/#connect?%s\n", scheme, ln.Addr(), first.Encode())
	}
	served := make(chan error, 1)
	go func() { served <- srv.serve() }()
	select {
	case err = <-served: // the listener failed
	case <-ctx.Done():
		log.Info("stopping: draining requests", "timeout", cfg.Server.ShutdownTimeout)
		err = srv.shutdown(cfg.Server.ShutdownTimeout)
		<-served
	}
	stopping, cancel := context.WithTimeout(context.Background(), cfg.Server.ShutdownTimeout)
	defer cancel()
	if jerr := runner.Stop(stopping); jerr != nil {
		err = errors.Join(err, fmt.Errorf("stop jobs: %w", jerr))
	}
	stopBackground() // also when the listener failed and ctx goes on
	owned.Wait()
	if serr := svc.Close(stopping); serr != nil { // the snapshots the next start reads
		err = errors.Join(err, fmt.Errorf("write snapshots: %w", serr))
	}
	log.Info("stopped")
	return err
}

// refresh picks up galleries changed by the admin commands while the
// server runs.
func refresh(ctx context.Context, svc *gallery.Service, log *slog.Logger) {
	tick := time.NewTicker(2 * time.Second)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
			if err := svc.Refresh(ctx); err != nil && ctx.Err() == nil {
				log.Error("refresh galleries", "err", err)
			}
		}
	}
}
