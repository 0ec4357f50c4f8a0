package feature

import (
	"testing"
	"time"

	"github.com/pixmatch/pixmatch/shared/fingerprint"
	"github.com/pixmatch/pixmatch/shared/testphoto"
)

// BenchmarkExtract times, on the same decoded 640×480 frame, the hash
// tier's query fingerprint (the baseline) and the features of a query
// and of a target, each from the decoded picture: the plane, then
// Extract (and for the target its record, whose size it reports).
func BenchmarkExtract(b *testing.B) {
	for _, name := range []string{"china", "chelsea", "grass"} {
		img := testphoto.Decoded(name, 640, 480)
		b.Run(name+"/baseline=fingerprint.Query", func(b *testing.B) {
			for b.Loop() {
				if _, err := fingerprint.Query(img); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(name+"/Query", func(b *testing.B) {
			n := 0
			for b.Loop() {
				n = len(Extract(Plane(img, QueryOptions), QueryOptions))
			}
			b.ReportMetric(float64(n), "features")
		})
		b.Run(name+"/Target", func(b *testing.B) {
			var rec []byte
			for b.Loop() {
				g := Plane(img, TargetOptions)
				r := Record{Width: g.Rect.Dx(), Height: g.Rect.Dy(), Features: Extract(g, TargetOptions)}
				var err error
				if rec, err = r.MarshalBinary(); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(len(rec)), "record-B")
		})
	}
}

// BenchmarkQueryVsFingerprint times the query fingerprint and the query
// features of the same decoded 640×480 frame in alternation, so both see
// the same machine load, and reports how many times the fingerprint's
// time the features take.
func BenchmarkQueryVsFingerprint(b *testing.B) {
	img := testphoto.Decoded("china", 640, 480)
	var base, ours time.Duration
	for b.Loop() {
		t0 := time.Now()
		if _, err := fingerprint.Query(img); err != nil {
			b.Fatal(err)
		}
		t1 := time.Now()
		Extract(Plane(img, QueryOptions), QueryOptions)
		base += t1.Sub(t0)
		ours += time.Since(t1)
	}
	b.ReportMetric(float64(ours)/float64(base), "x-fingerprint.Query")
	b.ReportMetric(float64(ours.Microseconds())/1000/float64(b.N), "ms-features")
}
