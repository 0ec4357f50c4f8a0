package loadgen

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"runtime"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pixmatch/pixmatch/server/internal/crsclient"
)

// client speaks the CRS API for every worker of a run.
type client struct {
	o    Options
	crs  crsclient.Client
	next atomic.Int64 // the seed of the next target to add
	sent atomic.Int64 // requests sent in the measured phase

	once    sync.Once
	queries [][]byte // JPEG queries of known targets, made once
	queryOf []int    // the target each query is a copy of
	misses  [][]byte // JPEG pictures of no target
	pool    [][]byte // the adds' pictures in turn, drawn before the clock (Options.AddPool)
	pooled  int      // the target the pool's first picture is drawn for
}

// outcome is an answer: its CRS statusCode, and for a search whether it
// was for a copy of a target and named that target.
type outcome struct {
	code         int
	known, found bool // a copy of a target was sent; it was named
}

// addNext adds the next target of the sequence.
func (c *client) addNext(ctx context.Context, url string, _ *rand.Rand) (outcome, time.Duration, error) {
	i := int(c.next.Add(1) - 1)
	return c.add(ctx, url, i)
}

// add adds target i (its picture drawn from seed i) as active, similar
// pictures allowed: the server is asked for no similarity check, as a
// bulk loader asks.
func (c *client) add(ctx context.Context, url string, i int) (outcome, time.Duration, error) {
	var pic []byte
	if k := i - c.pooled; len(c.pool) > 0 && k >= 0 {
		pic = c.pool[k%len(c.pool)]
	} else {
		var err error
		if pic, err = TargetJPEG(c.o.Seed, i); err != nil {
			return outcome{}, 0, err
		}
	}
	p := map[string]string{
		"image": base64.StdEncoding.EncodeToString(pic), "name": Name(i), "size": "20", "meta": strconv.Itoa(i),
		"type": "ImageTarget", "active": "1", "allowSimilar": "1",
	}
	var res struct{}
	return c.call(ctx, http.MethodPost, url+"/targets/", p, &res)
}

// search sends a copy of a known target, or a picture of no target.
func (c *client) search(ctx context.Context, url string, rnd *rand.Rand) (outcome, time.Duration, error) {
	c.once.Do(c.makeQueries)
	var pic []byte
	want := ""
	if len(c.queries) == 0 || rnd.Float64() < c.o.Miss {
		pic = c.misses[rnd.IntN(len(c.misses))]
	} else {
		k := rnd.IntN(len(c.queries))
		pic, want = c.queries[k], Name(c.queryOf[k])
	}
	p := map[string]string{"image": base64.StdEncoding.EncodeToString(pic), "notracking": "true"}
	var res struct {
		Target struct {
			Name string `json:"name"`
		} `json:"target"`
	}
	out, d, err := c.call(ctx, http.MethodPost, url+"/search/", p, &res)
	out.known = want != ""
	out.found = out.known && out.code == 0 && res.Target.Name == want
	return out, d, err
}

// count asks a server how many targets the gallery holds.
func (c *client) count(ctx context.Context, url string) (int, error) {
	var res struct {
		Count int `json:"count"`
	}
	out, _, err := c.call(ctx, http.MethodGet, url+"/targets/count", nil, &res)
	if err == nil && out.code != 0 {
		err = fmt.Errorf("loadgen: %s/targets/count: statusCode %d", url, out.code)
	}
	return res.Count, err
}

// call sends one signed request and decodes the result of its envelope
// into res. The duration is the request's alone, from sending it to
// reading the whole answer.
func (c *client) call(ctx context.Context, method, target string, p map[string]string, res any) (outcome, time.Duration, error) {
	a, err := c.crs.Do(ctx, method, target, p)
	if err != nil {
		return outcome{}, a.Took, fmt.Errorf("loadgen: %w", err)
	}
	if a.StatusCode == 0 && len(a.Result) > 0 {
		if err := json.Unmarshal(a.Result, res); err != nil {
			return outcome{}, a.Took, fmt.Errorf("loadgen: %s: result: %w", target, err)
		}
	}
	return outcome{code: a.StatusCode}, a.Took, nil
}

// makeAddPool draws the pictures of the targets from, from+1, … for the
// measured phase's adds, Options.AddPool of them, on every core.
func (c *client) makeAddPool(ctx context.Context, from int) error {
	c.pool, c.pooled = make([][]byte, c.o.AddPool), from
	var next atomic.Int64
	errs := make(chan error, 1)
	var wg sync.WaitGroup
	for range runtime.GOMAXPROCS(0) {
		wg.Go(func() {
			for k := int(next.Add(1) - 1); k < len(c.pool) && ctx.Err() == nil; k = int(next.Add(1) - 1) {
				pic, err := TargetJPEG(c.o.Seed, from+k)
				if err != nil {
					select {
					case errs <- err:
					default:
					}
					return
				}
				c.pool[k] = pic
			}
		})
	}
	wg.Wait()
	select {
	case err := <-errs:
		return err
	default:
		return ctx.Err()
	}
}
