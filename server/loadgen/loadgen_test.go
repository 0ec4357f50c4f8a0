package loadgen_test

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/pixmatch/pixmatch/server/config"
	"github.com/pixmatch/pixmatch/server/internal/testserver"
	"github.com/pixmatch/pixmatch/server/loadgen"
	"github.com/pixmatch/pixmatch/server/store"
)

// TestRunAgainstTwoServers seeds a real server through the API, then
// measures a mix of searches and adds sent to it under two URLs: every
// copy of a target is found, no picture of no target is, every add that
// succeeded is in the store, and a second run finds the gallery seeded.
func TestRunAgainstTwoServers(t *testing.T) {
	s := testserver.New(t, func(_ *config.Config, g *store.Gallery) { g.QPS = 0 })
	o := loadgen.Options{
		URLs:  []string{s.URL(), strings.Replace(s.URL(), "127.0.0.1", "localhost", 1)}, // two names of one server
		AppID: testserver.AppID, Key: testserver.Key, Secret: testserver.Secret,
		Clients: 2, Duration: 5 * time.Minute, Requests: 16, Targets: 6,
		Mix: loadgen.Mix{Search: 3, Add: 1}, Miss: 0.25, Seed: 7, Side: 480,
	}
	rep, err := loadgen.Run(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Seeded != 6 || rep.Held != 6 || rep.Servers != 2 {
		t.Fatalf("seeded %d, held %d, servers %d; want 6, 6, 2", rep.Seeded, rep.Held, rep.Servers)
	}
	search, add := rep.Ops["search"], rep.Ops["add"]
	known, found := search.Found()
	if known == 0 || found != known || search.Code(0) != found || search.Code(0)+search.Code(17) != search.Answered() {
		t.Errorf("searches: %d answered, %d copies of a target, %d found, %d matched, %d not found",
			search.Answered(), known, found, search.Code(0), search.Code(17))
	}
	if n, err := add.Lost(); n != 0 || add.Answered() != 4 || add.Code(0) != 4 || search.Answered() != 12 {
		t.Errorf("adds: %d answered, %d succeeded, %d lost (%v); searches %d answered; want 4 adds and 12 searches of 16 requests at search=3,add=1",
			add.Answered(), add.Code(0), n, err, search.Answered())
	}
	if p50, p99 := search.Percentile(0.5), search.Percentile(0.99); p50 <= 0 || p99 < p50 || search.Percentile(1) < p99 {
		t.Errorf("search percentiles out of order: p50 %s, p99 %s, max %s", p50, p99, search.Percentile(1))
	}
	stored, err := s.Service.Targets.CountContext(t.Context(), s.Gallery.ID)
	if err != nil || stored != 6+add.Code(0) {
		t.Errorf("the gallery holds %d targets (%v), want 6 seeded + %d added", stored, err, add.Code(0))
	}
	var out bytes.Buffer
	rep.Write(&out)
	if !strings.Contains(out.String(), "search") || !strings.Contains(out.String(), "per second") {
		t.Errorf("report:\n%s", out.String())
	}
	t.Logf("\n%s", out.String())

	o.Requests, o.Mix = 2, loadgen.Mix{Search: 1}
	again, err := loadgen.Run(context.Background(), o)
	if err != nil || again.Seeded != 0 || again.Held != stored {
		t.Errorf("a second run seeded %d (%v) of a gallery of %d; want none, %d held", again.Seeded, err, again.Held, stored)
	}
}

func TestParseMix(t *testing.T) {
	for in, want := range map[string]loadgen.Mix{"search=90,add=10": {90, 10}, "add=1": {0, 1}, " search=5 ": {5, 0}} {
		if got, err := loadgen.ParseMix(in); err != nil || got != want {
			t.Errorf("ParseMix(%q) = %+v, %v; want %+v", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "search", "search=-1", "delete=3", "search=0,add=0", "search=x"} {
		if _, err := loadgen.ParseMix(bad); err == nil {
			t.Errorf("ParseMix(%q) accepted", bad)
		}
	}
}

// TestAddPool measures adds from pictures drawn before the clock: five
// adds from a pool of three are the pool's pictures in turn, the first
// three each its own target's drawing, the fourth the first's again, each
// under its own name.
func TestAddPool(t *testing.T) {
	s := testserver.New(t, func(_ *config.Config, g *store.Gallery) { g.QPS = 0 })
	o := loadgen.Options{
		URLs:  []string{s.URL()},
		AppID: testserver.AppID, Key: testserver.Key, Secret: testserver.Secret,
		Clients: 1, Duration: 5 * time.Minute, Requests: 5,
		Mix: loadgen.Mix{Add: 1}, Seed: 9, AddPool: 3,
	}
	rep, err := loadgen.Run(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	if add := rep.Ops["add"]; add.Code(0) != 5 {
		t.Fatalf("%d of 5 adds succeeded", add.Code(0))
	}
	ctx := t.Context()
	listed, err := s.Service.Targets.List(ctx, s.Gallery.ID, store.Page{Limit: 10})
	if err != nil || len(listed) != 5 {
		t.Fatalf("the gallery lists %d targets (%v), want 5", len(listed), err)
	}
	images := map[string][]byte{}
	for _, tg := range listed {
		full, err := s.Service.Targets.Get(ctx, s.Gallery.ID, tg.ID, true)
		if err != nil {
			t.Fatal(err)
		}
		images[full.Name] = full.Image
	}
	for i, want := range []int{0, 1, 2, 0, 1} {
		drawn, err := loadgen.TargetJPEG(o.Seed, want)
		if err != nil {
			t.Fatal(err)
		}
		if got := images[loadgen.Name(i)]; !bytes.Equal(got, drawn) {
			t.Errorf("%s: %d bytes, want the drawing of target %d (%d bytes)", loadgen.Name(i), len(got), want, len(drawn))
		}
	}
}
