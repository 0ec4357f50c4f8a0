package gallery

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/pixmatch/pixmatch/server/store"
	"github.com/pixmatch/pixmatch/server/store/sqlite"
	"github.com/pixmatch/pixmatch/shared/fingerprint"
	"github.com/pixmatch/pixmatch/shared/testphoto"
)

// benchGallery returns a store holding n targets of one gallery, and their
// IDs, oldest first.
func benchGallery(b *testing.B, n int) (*sqlite.Store, store.Gallery, []string) {
	b.Helper()
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(b.TempDir(), "db"))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { st.Close() })
	g, err := st.CreateGallery(ctx, store.Gallery{Name: "bench", AppID: "bench"})
	if err != nil {
		b.Fatal(err)
	}
	pic, err := testService.Pictures.Read(ctx, testphoto.File("coffee"), Policy{})
	if err != nil {
		b.Fatal(err)
	}
	fp, err := pic.prints(fingerprint.TargetOf)
	if err != nil {
		b.Fatal(err)
	}
	code, _ := fp.MarshalBinary()
	ids := make([]string, n)
	for i := range n {
		ids[i] = fmt.Sprintf("target-%06d", i)
		t := store.Target{Gallery: g.ID, ID: ids[i], Name: ids[i], ProductID: ids[i], PicName: ids[i],
			Active: true, Image: []byte{byte(i), byte(i >> 8), byte(i >> 16)}, Fingerprint: code, Grade: []byte{1}}
		t.ImageSHA256[0], t.ImageSHA256[1], t.ImageSHA256[2] = byte(i), byte(i>>8), byte(i>>16)
		if _, err := st.CreateTarget(ctx, t); err != nil {
			b.Fatal(err)
		}
	}
	return st, g, ids
}

// BenchmarkReadMatches reads the 100 matches of a search (an Alibaba
// search with Num 100) in one query, and, as the baseline in the same
// run, one query each as before: the ratio is how much faster.
func BenchmarkReadMatches(b *testing.B) {
	st, g, ids := benchGallery(b, 2000)
	ctx := context.Background()
	hits := ids[500:600]
	var each, batch time.Duration
	for b.Loop() {
		t0 := time.Now()
		for _, id := range hits {
			if _, err := st.Target(ctx, g.ID, id, false); err != nil {
				b.Fatal(err)
			}
		}
		t1 := time.Now()
		if ts, err := st.TargetsByID(ctx, g.ID, hits, false); err != nil || len(ts) != len(hits) {
			b.Fatal(len(ts), err)
		}
		each += t1.Sub(t0)
		batch += time.Since(t1)
	}
	b.ReportMetric(float64(each)/float64(batch), "x-faster-than-one-query-each")
}

// BenchmarkDelta reads a sync delta of 10,000 changes through Changed,
// and, as the baseline in the same run, the same targets one query each.
func BenchmarkDelta(b *testing.B) {
	st, g, ids := benchGallery(b, 10000)
	ctx := context.Background()
	svc, err := Open(ctx, st, testService.cfg)
	if err != nil {
		b.Fatal(err)
	}
	var each, batch time.Duration
	for b.Loop() {
		t0 := time.Now()
		for _, id := range ids {
			if _, err := st.Target(ctx, g.ID, id, false); err != nil {
				b.Fatal(err)
			}
		}
		t1 := time.Now()
		d, err := svc.Sync.Changed(ctx, g.ID, 0, 20000)
		if err != nil || len(d.Put) != len(ids) {
			b.Fatal(len(d.Put), err)
		}
		each += t1.Sub(t0)
		batch += time.Since(t1)
	}
	b.ReportMetric(float64(each)/float64(batch), "x-faster-than-one-query-each")
	b.ReportMetric(float64(batch.Milliseconds())/float64(b.N), "ms/delta")
}
