package main

import (
	"context"
	"testing"

	"github.com/pixmatch/pixmatch/shared/camera"
	"github.com/pixmatch/pixmatch/shared/distort"
	"github.com/pixmatch/pixmatch/shared/feature"
	"github.com/pixmatch/pixmatch/shared/testphoto"
)

// TestParseVocabulariesShipped reads "shipped" beside a shape to train,
// and names both as a tuning table does.
func TestParseVocabulariesShipped(t *testing.T) {
	vs, err := parseVocabularies("shipped,16x2+1")
	if err != nil {
		t.Fatal(err)
	}
	if len(vs) != 2 || !vs[0].Shipped || vs[1].Shipped || vs[1].K != 16 || vs[1].Levels != 2 || vs[1].Views != 1 {
		t.Fatalf("parsed %+v", vs)
	}
	if a, b := vs[0].String(), vs[1].String(); a != "shipped" || b != "16x2+1" {
		t.Errorf("named %q and %q", a, b)
	}
}

// TestSweepVerifiesAsTheTierDoes holds a tuning sweep's verification to
// what it stands for: at guide level 0 feature.Verify's verdict, at
// camera.GuideLevel camera.Verify's, on test photos shot tilted 35° and
// checked against themselves and another photo.
func TestSweepVerifiesAsTheTierDoes(t *testing.T) {
	v, err := camera.Vocabulary()
	if err != nil {
		t.Fatal(err)
	}
	names := testphoto.Names()[:4]
	s := &sweep{vocab: v}
	records := map[string]feature.Record{}
	for _, n := range names {
		p := feature.Plane(testphoto.Image(n), feature.TargetOptions)
		r := feature.Record{Width: p.Rect.Dx(), Height: p.Rect.Dy(), Features: feature.Extract(p, feature.TargetOptions)}
		s.recs, records[n] = append(s.recs, r), r
	}
	vo := feature.DefaultVerifyOptions
	found := 0
	for i, n := range names {
		shoot, _ := distort.CameraCatalogue()[1].Locate(distort.Params{Seed: uint64(i), Scene: distort.Mirror(testphoto.Image(names[(i+1)%len(names)]))})
		frame, _ := shoot(testphoto.Image(n))
		p := feature.Plane(frame, feature.QueryOptions)
		q := &tuneQuery{q: feature.Extract(p, feature.QueryOptions), w: p.Rect.Dx(), h: p.Rect.Dy()}
		qwords := quantise(v, q.q)
		for _, e := range []int{i, (i + 1) % len(names)} {
			r := s.recs[e]
			all := s.verify(q, s.cells(qwords, 0), e, 0, vo)
			want, ok := feature.Verify(q.q, q.w, q.h, r.Features, r.Width, r.Height, vo)
			if all.ok != ok || all.inliers != want.Inliers {
				t.Errorf("%s in a shot of %s, every pair: sweep %+v, feature.Verify %v with %d inliers", names[e], n, all, ok, want.Inliers)
			}
			guided := s.verify(q, s.cells(qwords, camera.GuideLevel), e, camera.GuideLevel, vo)
			got, err := camera.Verify(context.Background(), q.q, q.w, q.h, []string{names[e]}, records, vo)
			if err != nil {
				t.Fatal(err)
			}
			if guided.ok != (len(got) == 1) || len(got) == 1 && guided.inliers != got[0].Verdict.Inliers {
				t.Errorf("%s in a shot of %s, guided: sweep %+v, camera.Verify %+v", names[e], n, guided, got)
			}
			found += b2i(e == i && guided.ok)
		}
	}
	if found < len(names)-1 {
		t.Errorf("the guided sweep found %d of %d shots", found, len(names))
	}
}
