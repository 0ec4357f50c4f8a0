package camera

import (
	"context"
	"testing"

	"github.com/pixmatch/pixmatch/shared/distort"
	"github.com/pixmatch/pixmatch/shared/feature"
	"github.com/pixmatch/pixmatch/shared/testphoto"
)

// BenchmarkQueryBag times quantising a camera frame's features (the test
// photos shot as in guideFixture, up to 1,000 features each) to the words
// and turns Shortlist looks up, in the shipped Vocabulary: the part of a
// search a Worker spends descending the tree.
func BenchmarkQueryBag(b *testing.B) {
	v, err := Vocabulary()
	if err != nil {
		b.Fatal(err)
	}
	_, _, qs, _ := guideFixture(b)
	i, n := 0, 0
	for b.Loop() {
		q := qs[i%len(qs)]
		n += len(QueryBag(v, q))
		i++
	}
	b.ReportMetric(float64(n)/float64(b.N), "features/op")
}

// BenchmarkVerifyWith40 times what a search verifies: one camera frame
// against a shortlist of Shortlist (40) records through the shipped
// Vocabulary. The records are the test photos' own, mirrored and squeezed
// to 480×640: the print shot is among them (and its squeezed copy may be
// found too), the others are not in the frame.
func BenchmarkVerifyWith40(b *testing.B) {
	v, err := Vocabulary()
	if err != nil {
		b.Fatal(err)
	}
	records, names, qs, sizes := guideFixture(b)
	ids := append([]string(nil), names...)
	for _, n := range names {
		for _, edit := range []string{"/mirror", "/squeeze"} {
			if len(ids) == Shortlist {
				break
			}
			img := distort.Mirror(testphoto.Image(n))
			if edit == "/squeeze" {
				img = testphoto.Decoded(n, 480, 640)
			}
			plane := feature.Plane(img, feature.TargetOptions)
			id := n + edit
			records[id] = feature.Record{Width: plane.Rect.Dx(), Height: plane.Rect.Dy(), Features: feature.Extract(plane, feature.TargetOptions)}
			ids = append(ids, id)
		}
	}
	i, found := 0, 0
	for b.Loop() {
		k := i % len(qs)
		got, err := VerifyWith(context.Background(), v, qs[k], sizes[k][0], sizes[k][1], ids, records, feature.DefaultVerifyOptions)
		if err != nil {
			b.Fatal(err)
		}
		found += len(got)
		i++
	}
	b.ReportMetric(float64(found)/float64(b.N), "found/op")
}
