package postgres

import (
	"bytes"
	"context"
	"fmt"
	"image/jpeg"
	"slices"
	"testing"
	"time"

	"github.com/pixmatch/pixmatch/server/config"
	"github.com/pixmatch/pixmatch/server/gallery"
	"github.com/pixmatch/pixmatch/server/loadgen"
	"github.com/pixmatch/pixmatch/server/store"
)

// BenchmarkSearchReadYourWrites measures what read-your-writes costs a
// search on PostgreSQL: two services on one database and gallery of 40
// targets, one plain, one WithFollowing (each search first reads the
// gallery's version), search the same decoded copy of a target in turn,
// b.N times each. It reports the median of each, the difference, and
// the ratio of the medians (x-following). Decoding the picture is left
// out, so the ratio is the most the read can add to a search; over HTTP
// the decoding and the answer make it smaller.
func BenchmarkSearchReadYourWrites(b *testing.B) {
	ctx := context.Background()
	st := openTemp(b)
	plain, err := gallery.Open(ctx, st, config.Default(), gallery.WithCounter(st))
	if err != nil {
		b.Fatal(err)
	}
	g, err := plain.Galleries.Create(ctx, store.Gallery{Name: "bench", AppID: "bench"})
	if err != nil {
		b.Fatal(err)
	}
	var last *gallery.Picture
	for i := range 40 {
		var buf bytes.Buffer
		if err := jpeg.Encode(&buf, loadgen.Picture(3, i, 480), &jpeg.Options{Quality: 85}); err != nil {
			b.Fatal(err)
		}
		if last, err = plain.Pictures.Read(ctx, buf.Bytes(), gallery.Policy{}); err != nil {
			b.Fatal(err)
		}
		nt := gallery.NewTarget()
		nt.Name, nt.Active = fmt.Sprint("t", i), true
		if _, err := plain.Targets.Add(ctx, g.ID, nt, last, gallery.AddOptions{}); err != nil {
			b.Fatal(err)
		}
	}
	following, err := gallery.Open(ctx, st, config.Default(), gallery.WithCounter(st), gallery.WithFollowing())
	if err != nil {
		b.Fatal(err)
	}
	search := func(svc *gallery.Service) time.Duration {
		start := time.Now()
		ms, err := svc.Recognition.Search(ctx, g.ID, func(context.Context) (*gallery.Picture, error) { return last, nil }, gallery.SearchOptions{Limit: 1})
		if err != nil || len(ms) != 1 {
			b.Fatalf("search: %v, %v; want the last target", ms, err)
		}
		return time.Since(start)
	}
	var base, took []time.Duration
	b.ResetTimer()
	for range b.N {
		base = append(base, search(plain))
		took = append(took, search(following))
	}
	b.StopTimer()
	median := func(ds []time.Duration) float64 {
		slices.Sort(ds)
		return float64(ds[len(ds)/2].Microseconds())
	}
	b.ReportMetric(median(base), "µs-plain")
	b.ReportMetric(median(took), "µs-following")
	b.ReportMetric(median(took)-median(base), "µs-added")
	b.ReportMetric(median(took)/median(base), "x-following")
}
