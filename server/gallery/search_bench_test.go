package gallery

import (
	"context"
	"testing"
	"time"

	"github.com/pixmatch/pixmatch/shared/testphoto"
)

// BenchmarkCopySearch is the server's work for a search of a copy: a
// 640×480 JPEG of quality 85 of a target, read as a search reads it
// (Pictures.Read: decoded to its luma) and searched for one target (the
// hash tier finds it; the feature tier is not asked), in
// a gallery of the real photos. Each search is followed by the same
// search of the picture read as before (image/jpeg's whole decode), so
// the machine's load weighs on both alike: ns/search is the search now,
// x-vs-whole how many times faster than before, µs-saved the difference.
//
//	go test -run '^$' -bench CopySearch ./server/gallery
func BenchmarkCopySearch(b *testing.B) {
	ctx := context.Background()
	svc, _, g := open(b)
	for _, name := range testphoto.Names() {
		pic := wholePicture(b, svc, testphoto.File(name), Policy{})
		if _, err := svc.Targets.Add(ctx, g.ID, Target{Name: name, Active: true}, pic, AddOptions{}); err != nil {
			b.Fatal(err)
		}
	}
	data := jpegOf(b, testphoto.Decoded("chelsea", 640, 480))
	search := func(pic *Picture) {
		ms, err := svc.Recognition.Search(ctx, g.ID, given(pic), SearchOptions{Limit: 1})
		if err != nil || len(ms) == 0 {
			b.Fatalf("search: %v, %d matches", err, len(ms))
		}
	}
	var now, before time.Duration
	for b.Loop() {
		t0 := time.Now()
		pic, err := svc.Pictures.Read(ctx, data, Policy{Search: true})
		if err != nil {
			b.Fatal(err)
		}
		search(pic)
		t1 := time.Now()
		search(wholePicture(b, svc, data, Policy{Search: true}))
		now, before = now+t1.Sub(t0), before+time.Since(t1)
	}
	b.ReportMetric(float64(now.Nanoseconds())/float64(b.N), "ns/search")
	b.ReportMetric(float64(before)/float64(now), "x-vs-whole")
	b.ReportMetric(float64((before-now).Microseconds())/float64(b.N), "µs-saved")
}
