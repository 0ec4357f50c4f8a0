// Package loadgen drives one or several pixmatch servers through the CRS
// API, as many clients at once would, and reports what they got:
// requests a second and the latency percentiles of each operation, and
// the failures by catalogue code.
//
// A run has two phases. Seeding adds targets, through the same API and
// with the same clients, until the gallery holds Options.Targets of them
// (a gallery that already holds them is left as it is: a second run
// against the same servers starts at once). The measured phase then
// sends, for Options.Duration, a mix of searches and adds, each client
// picking its next operation by the mix's weights and its server in
// turn from Options.URLs — a load balancer's round robin.
//
// The pictures are made here, not read from disk: target i is a picture
// drawn from seed i (Picture), so that any run can search for a target
// another run added. An ingest run can draw its adds' pictures before
// the clock starts (Options.AddPool), so that the load generator's own
// drawing does not take the cores the server is measured on. A search sends a copy of a known target, rescaled
// and recompressed as a phone's upload is, or, for Options.Miss of them,
// a picture of no target. Every request is signed with the API key as
// the CRS server-end SDKs sign theirs.
package loadgen

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pixmatch/pixmatch/server/internal/crsclient"
)

// Options is a run.
type Options struct {
	URLs                  []string      // the servers, e.g. http://127.0.0.1:8080
	AppID, Key, Secret    string        // the gallery's appId and an API key
	Clients               int           // concurrent clients (default 4)
	Duration              time.Duration // how long to measure (default 30 s)
	Requests              int           // or until this many requests were sent in all (0: Duration alone)
	Targets               int           // the gallery size to seed up to before measuring
	Mix                   Mix
	Miss                  float64 // the part of searches for a picture of no target (0–1)
	Seed                  uint64  // picks the pictures and the operations
	Side                  int     // the long side of a query picture in pixels (default 640)
	Client                *http.Client
	Progress              func(seeded, of int) // called as seeding goes (nil: not)
	ProgressEvery         time.Duration        // how often (default 2 s)
	MaxSeedFailuresInARow int                  // seeding stops after so many (default 20)
	// AddPool, when above 0, is how many distinct target pictures the
	// measured phase's adds take in turn, drawn and encoded before the
	// clock starts (0: each add draws its own, the load generator
	// spending as much CPU on it as a server on the add). Past the pool an
	// add sends a picture of the pool again, under its own name.
	AddPool int
}

// Mix weighs the operations of the measured phase.
type Mix struct{ Search, Add int }

// ParseMix reads "search=90,add=10" (a missing operation weighs 0).
func ParseMix(s string) (Mix, error) {
	var m Mix
	for _, part := range strings.Split(s, ",") {
		name, weight, ok := strings.Cut(strings.TrimSpace(part), "=")
		var w int
		if _, err := fmt.Sscanf(weight, "%d", &w); !ok || err != nil || w < 0 {
			return Mix{}, fmt.Errorf("loadgen: mix %q: want op=weight, e.g. search=90,add=10", s)
		}
		switch name {
		case "search":
			m.Search = w
		case "add":
			m.Add = w
		default:
			return Mix{}, fmt.Errorf("loadgen: mix %q: unknown operation %q (search, add)", s, name)
		}
	}
	if m.Search+m.Add == 0 {
		return Mix{}, fmt.Errorf("loadgen: mix %q weighs nothing", s)
	}
	return m, nil
}

// Report is what a run measured.
type Report struct {
	Servers, Clients int
	Seeded           int           // targets added by seeding
	SeedTime         time.Duration // how long seeding took
	Held             int           // targets in the gallery when measuring began
	Elapsed          time.Duration // the measured phase
	Ops              map[string]*Stats
}

// ErrSeeding is returned when the servers refuse to be seeded.
var ErrSeeding = errors.New("loadgen: seeding failed")

// Run seeds the gallery and measures, until o.Duration has passed or ctx
// ends (then it reports what it measured so far).
func Run(ctx context.Context, o Options) (Report, error) {
	o = o.withDefaults()
	if len(o.URLs) == 0 {
		return Report{}, errors.New("loadgen: no server URL")
	}
	c := &client{o: o, crs: crsclient.Client{AppID: o.AppID, Key: o.Key, Secret: o.Secret, HTTP: o.Client, MaxAnswer: 16 << 20}}
	rep := Report{Servers: len(o.URLs), Clients: o.Clients, Ops: map[string]*Stats{}}
	held, err := c.count(ctx, o.URLs[0])
	if err != nil {
		return rep, err
	}
	start := time.Now()
	added, err := c.seed(ctx, held)
	rep.Seeded, rep.SeedTime, rep.Held = added, time.Since(start), held+added
	if err != nil || ctx.Err() != nil {
		return rep, err
	}
	c.next.Store(int64(rep.Held))
	if o.Mix.Search > 0 {
		c.once.Do(c.makeQueries) // before the clock starts
	}
	if o.Mix.Add > 0 && o.AddPool > 0 {
		if err := c.makeAddPool(ctx, rep.Held); err != nil {
			return rep, err
		}
	}
	rep.Ops["search"], rep.Ops["add"] = &Stats{}, &Stats{}
	mctx, cancel := context.WithTimeout(ctx, o.Duration)
	defer cancel()
	start = time.Now()
	var wg sync.WaitGroup
	for w := range o.Clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c.measure(mctx, w, rep.Ops)
		}()
	}
	wg.Wait()
	rep.Elapsed = time.Since(start)
	return rep, nil
}

func (o Options) withDefaults() Options {
	if o.Clients <= 0 {
		o.Clients = 4
	}
	if o.Duration <= 0 {
		o.Duration = 30 * time.Second
	}
	if o.Mix == (Mix{}) {
		o.Mix = Mix{Search: 1}
	}
	if o.Side <= 0 {
		o.Side = 640
	}
	if o.Client == nil {
		o.Client = &http.Client{Timeout: time.Minute}
	}
	if o.ProgressEvery <= 0 {
		o.ProgressEvery = 2 * time.Second
	}
	if o.MaxSeedFailuresInARow <= 0 {
		o.MaxSeedFailuresInARow = 20
	}
	return o
}

// measure is one client of the measured phase: it sends operations until
// ctx ends or the run's Requests are sent, each to the next server. The
// operations follow the mix's weights in turn (search=3,add=1: three
// searches, then an add), each client starting at another place of the
// turn, so that any stretch of a run holds them in their proportions.
func (c *client) measure(ctx context.Context, w int, ops map[string]*Stats) {
	rnd := rand.New(rand.NewPCG(c.o.Seed, uint64(w)+1))
	total := c.o.Mix.Search + c.o.Mix.Add
	for i := 0; ctx.Err() == nil; i++ {
		if c.o.Requests > 0 && c.sent.Add(1) > int64(c.o.Requests) {
			return
		}
		url := c.o.URLs[(w+i)%len(c.o.URLs)]
		op, send := "search", c.search
		if (w+i)%total >= c.o.Mix.Search {
			op, send = "add", c.addNext
		}
		out, took, err := send(ctx, url, rnd)
		if ctx.Err() != nil {
			return // cut off by the end of the run: not a measurement
		}
		ops[op].add(took, out, err)
	}
}

// seed adds targets, held onwards, until the gallery holds o.Targets.
func (c *client) seed(ctx context.Context, held int) (int, error) {
	if held >= c.o.Targets {
		return 0, nil
	}
	c.next.Store(int64(held))
	var added, inARow atomic.Int64
	var failure atomic.Value
	sctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var wg sync.WaitGroup
	for w := range c.o.Clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for sctx.Err() == nil {
				i := int(c.next.Add(1) - 1)
				if i >= c.o.Targets {
					return
				}
				out, _, err := c.add(sctx, c.o.URLs[(w+i)%len(c.o.URLs)], i)
				switch {
				case sctx.Err() != nil:
					return
				case err == nil && out.code == 0:
					added.Add(1)
					inARow.Store(0)
				default:
					failure.Store(fmt.Errorf("target %d: statusCode %d: %v", i, out.code, err))
					if inARow.Add(1) >= int64(c.o.MaxSeedFailuresInARow) {
						cancel()
					}
				}
			}
		}()
	}
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	tick := time.NewTicker(c.o.ProgressEvery)
	defer tick.Stop()
	for {
		select {
		case <-done:
			n := int(added.Load())
			if c.o.Progress != nil {
				c.o.Progress(held+n, c.o.Targets)
			}
			if inARow.Load() >= int64(c.o.MaxSeedFailuresInARow) {
				return n, fmt.Errorf("%w: %d failures in a row, the last %v", ErrSeeding, inARow.Load(), failure.Load())
			}
			return n, nil
		case <-tick.C:
			if c.o.Progress != nil {
				c.o.Progress(held+int(added.Load()), c.o.Targets)
			}
		}
	}
}
