package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/pixmatch/pixmatch/server/loadgen"
	"github.com/pixmatch/pixmatch/server/loadgen/bulk"
)

// bench drives running servers through the CRS API (package loadgen) and
// prints what they answered: requests a second and latencies by
// operation.
func bench(ctx context.Context, args []string, out io.Writer, getenv func(string) string) error {
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	var o loadgen.Options
	fs.Func("url", "a server to drive, e.g. http://127.0.0.1:8080 (repeatable, or comma-separated: requests go to each in turn)", func(v string) error {
		for _, u := range strings.Split(v, ",") {
			if u = strings.TrimRight(strings.TrimSpace(u), "/"); u != "" {
				o.URLs = append(o.URLs, u)
			}
		}
		return nil
	})
	fs.StringVar(&o.AppID, "app-id", getenv("PIXMATCH_APP_ID"), "the gallery's appId (default $PIXMATCH_APP_ID)")
	fs.StringVar(&o.Key, "api-key", getenv("PIXMATCH_API_KEY"), "an API key (default $PIXMATCH_API_KEY)")
	fs.StringVar(&o.Secret, "api-secret", getenv("PIXMATCH_API_SECRET"), "its secret (default $PIXMATCH_API_SECRET)")
	fs.IntVar(&o.Clients, "clients", 4, "concurrent clients")
	fs.DurationVar(&o.Duration, "duration", 30*time.Second, "how long to measure")
	fs.IntVar(&o.Requests, "requests", 0, "or stop after this many requests in all (0: --duration alone)")
	fs.IntVar(&o.Targets, "targets", 1000, "add targets through the API until the gallery holds this many, before measuring")
	mix := fs.String("mix", "search=100", "the operations measured, by weight: search=N,add=N")
	fs.Float64Var(&o.Miss, "miss", 0.1, "the part of searches sent a picture of no target")
	fs.Uint64Var(&o.Seed, "seed", 1, "draws the pictures: runs with one seed search for the targets each other added")
	fs.IntVar(&o.Side, "side", 640, "a query picture's width in pixels")
	fs.IntVar(&o.AddPool, "add-pool", 0, "draw this many pictures for the measured adds before the clock starts, taken in turn (0: each add draws its own during the run)")
	bulk := fs.Bool("bulk", false, "seed the gallery of --app-id in the database of --data (or --db) directly, in bulk, up to --targets, then stop: the server must not be running (see package loadgen/bulk)")
	var where storeFlags
	where.register(fs)
	var follow []string
	fs.Func("follow", "a server whose follow delays to report: the changes its /metrics says it followed during the run and 1.5 s after (repeatable)", func(v string) error {
		follow = append(follow, strings.TrimRight(v, "/"))
		return nil
	})
	if err := fs.Parse(args); err != nil {
		return err
	}
	var err error
	if o.Mix, err = loadgen.ParseMix(*mix); err != nil {
		return err
	}
	if len(o.URLs) == 0 {
		o.URLs = []string{"http://127.0.0.1:8080"}
	}
	if *bulk {
		return bulkSeed(ctx, where, o)
	}
	if o.AppID == "" || o.Key == "" || o.Secret == "" {
		return fmt.Errorf("bench needs the gallery's appId and an API key: --app-id, --api-key, --api-secret (or PIXMATCH_APP_ID, PIXMATCH_API_KEY, PIXMATCH_API_SECRET)")
	}
	o.Progress = func(seeded, of int) { fmt.Fprintf(os.Stderr, "\rseeding: %d of %d targets", seeded, of) }
	before, err := followed(ctx, follow, nil)
	if err != nil {
		return err
	}
	rep, err := loadgen.Run(ctx, o)
	if rep.Seeded > 0 {
		fmt.Fprintln(os.Stderr)
	}
	if err != nil {
		return err
	}
	rep.Write(out)
	if len(follow) > 0 {
		time.Sleep(followEvery + 500*time.Millisecond) // the last changes, followed by a tick at worst
	}
	after, err := followed(ctx, follow, before)
	for i, d := range after {
		fmt.Fprintf(out, "follow delay of %s: %v\n", follow[i], d)
	}
	return err
}

// bulkSeed seeds the gallery of o.AppID in the store where names with
// o.Targets of loadgen's targets, through the store (package bulk).
func bulkSeed(ctx context.Context, where storeFlags, o loadgen.Options) error {
	st, err := where.open(ctx)
	if err != nil {
		return err
	}
	defer st.Close()
	g, err := st.GalleryByAppID(ctx, o.AppID)
	if err != nil {
		return fmt.Errorf("bench --bulk: the gallery of appId %q: %w", o.AppID, err)
	}
	start := time.Now()
	added, err := bulk.Seed(ctx, st, g.ID, bulk.Options{Targets: o.Targets, Seed: o.Seed,
		Progress: func(held, of int) { fmt.Fprintf(os.Stderr, "\rseeding: %d of %d targets", held, of) }})
	fmt.Fprintf(os.Stderr, "\nadded %d targets in %v\n", added, time.Since(start).Round(time.Second))
	return err
}

// followed reads the follow delays of the servers urls, less those of an
// earlier reading when there is one.
func followed(ctx context.Context, urls []string, earlier []delays) ([]delays, error) {
	out := make([]delays, len(urls))
	for i, u := range urls {
		d, err := readDelays(ctx, u)
		if err != nil {
			return nil, fmt.Errorf("bench --follow: %w", err)
		}
		if earlier != nil {
			d = d.since(earlier[i])
		}
		out[i] = d
	}
	return out, nil
}
