package gallery

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/pixmatch/pixmatch/server/config"
	"github.com/pixmatch/pixmatch/server/store"
	"github.com/pixmatch/pixmatch/server/store/sqlite"
	"github.com/pixmatch/pixmatch/shared/fingerprint"
	"github.com/pixmatch/pixmatch/shared/testphoto"
)

// BenchmarkEnrol adds the test photos, decoded, as targets: fingerprint,
// grade with its stable features, feature record, and the SQLite commit.
// The same photos are added again and again, so similar pictures are
// allowed, as a bulk load with allowSimilar "1" does: no similar check,
// and no query fingerprint for it. As the baseline in the same run, the
// target fingerprint alone, what the hash tier needs of a target: the
// ratio is what the feature tier and the rest add.
func BenchmarkEnrol(b *testing.B) {
	ctx := context.Background()
	svc, st, g := benchService(b, b.TempDir()+"/db")
	defer st.Close()
	var pics []*Picture
	for _, n := range testphoto.Names() {
		pic, err := svc.Pictures.Read(ctx, testphoto.File(n), Policy{})
		if err != nil {
			b.Fatal(err)
		}
		pics = append(pics, pic)
	}
	var enrol, base time.Duration
	for i := 0; b.Loop(); i++ {
		pic := pics[i%len(pics)]
		t0 := time.Now()
		if _, err := svc.Targets.Add(ctx, g.ID, Target{Name: fmt.Sprint(i), Active: true}, pic, AddOptions{}); err != nil {
			b.Fatal(err)
		}
		t1 := time.Now()
		if _, err := pic.prints(fingerprint.TargetOf); err != nil {
			b.Fatal(err)
		}
		enrol, base = enrol+t1.Sub(t0), base+time.Since(t1)
	}
	b.ReportMetric(float64(enrol.Microseconds())/1000/float64(b.N), "ms/target")
	b.ReportMetric(float64(enrol)/float64(base), "x-fingerprint")
}

// benchService opens a service on a new SQLite database at path, with a
// gallery called bench. The caller closes the store.
func benchService(b *testing.B, path string) (*Service, *sqlite.Store, store.Gallery) {
	ctx := context.Background()
	st, err := sqlite.Open(ctx, path)
	if err != nil {
		b.Fatal(err)
	}
	svc, err := Open(ctx, st, config.Default())
	if err != nil {
		b.Fatal(err)
	}
	g, err := svc.Galleries.Create(ctx, store.Gallery{Name: "bench", AppID: "bench"})
	if err != nil {
		b.Fatal(err)
	}
	return svc, st, g
}
