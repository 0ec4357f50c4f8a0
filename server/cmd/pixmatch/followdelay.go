package main

import (
	"context"
	"fmt"
	"io"
	"maps"
	"math"
	"net/http"
	"slices"
	"strconv"
	"strings"
)

// delays is a server's pixmatch_follow_delay_seconds histogram: how long
// after their commit the changes other servers made were in its indexes
// by following alone.
type delays struct {
	count   float64
	buckets map[float64]float64 // cumulative count by upper bound in seconds (+Inf left out)
}

// since returns the changes d followed after an earlier reading of the
// same server.
func (d delays) since(earlier delays) delays {
	out := delays{count: d.count - earlier.count, buckets: map[float64]float64{}}
	for le, n := range d.buckets {
		out.buckets[le] = n - earlier.buckets[le]
	}
	return out
}

// quantile returns the upper bound, in seconds, of the bucket holding
// quantile q (+Inf past the last bound, NaN without changes).
func (d delays) quantile(q float64) float64 {
	if d.count == 0 {
		return math.NaN()
	}
	for _, le := range slices.Sorted(maps.Keys(d.buckets)) {
		if d.buckets[le] >= q*d.count {
			return le
		}
	}
	return math.Inf(1)
}

// String describes d for a report.
func (d delays) String() string {
	return fmt.Sprintf("%v changes followed, median within %v s, 99th percentile within %v s", d.count, d.quantile(0.5), d.quantile(0.99))
}

// readDelays reads a server's follow delays from its /metrics.
func readDelays(ctx context.Context, base string) (delays, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, base+"/metrics", nil)
	if err != nil {
		return delays{}, err
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return delays{}, err
	}
	defer res.Body.Close()
	text, err := io.ReadAll(res.Body)
	if err != nil || res.StatusCode != http.StatusOK {
		return delays{}, fmt.Errorf("%s/metrics: HTTP %d %v", base, res.StatusCode, err)
	}
	return parseDelays(string(text)), nil
}

// parseDelays reads the pixmatch_follow_delay_seconds histogram from
// metrics in the Prometheus text format.
func parseDelays(text string) delays {
	d := delays{buckets: map[float64]float64{}}
	for _, line := range strings.Split(text, "\n") {
		if v, ok := strings.CutPrefix(line, "pixmatch_follow_delay_seconds_count "); ok {
			d.count, _ = strconv.ParseFloat(v, 64)
		}
		if rest, ok := strings.CutPrefix(line, `pixmatch_follow_delay_seconds_bucket{le="`); ok {
			le, n, _ := strings.Cut(rest, `"} `)
			bound, err1 := strconv.ParseFloat(le, 64)
			count, err2 := strconv.ParseFloat(n, 64)
			if err1 == nil && err2 == nil && !math.IsInf(bound, 1) {
				d.buckets[bound] = count
			}
		}
	}
	return d
}
