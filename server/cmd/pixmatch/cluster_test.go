package main

import (
	"bytes"
	"fmt"
	"image/jpeg"
	"testing"
	"time"

	"github.com/pixmatch/pixmatch/server/loadgen"
)

// raceEnabled is set in builds with the race detector (race_test.go).
var raceEnabled bool

// TestReadYourWritesAcrossServers is a client behind a load balancer: it
// adds a target through one of two servers on one PostgreSQL and at once
// searches through the other, 100 times in a row, each server in turn
// the writer. Every search finds the target just added, the first time:
// a search reads the gallery's stored version and catches up before it
// reads the indexes, without waiting for a notification. Under the race
// detector, where an add takes ten times as long, 20 times (`make
// test-cluster` runs the 100 without it).
func TestReadYourWritesAcrossServers(t *testing.T) {
	rounds := 100
	if raceEnabled {
		rounds = 20
	}
	one, two := twoServers(t)
	servers := []*server{one, two}
	var slowest time.Duration
	for i := range rounds {
		var b bytes.Buffer
		if err := jpeg.Encode(&b, loadgen.Picture(13, i, 240), &jpeg.Options{Quality: 85}); err != nil {
			t.Fatal(err)
		}
		from, to := servers[i%2], servers[(i+1)%2]
		id, err := createTarget(from.url, "app1", "key1", "secret1", fmt.Sprintf("ryw-%d", i), b.Bytes())
		if err != nil {
			t.Fatal(err)
		}
		start := time.Now()
		code, found := search(t, to.url, b.Bytes())
		slowest = max(slowest, time.Since(start))
		if code != 0 || found != id {
			t.Fatalf("round %d: a search through the other server right after the add answered statusCode %d, target %q; want %s", i, code, found, id)
		}
	}
	t.Logf("%d targets, each found by the other server at once; the slowest search took %v", rounds, slowest)
}
