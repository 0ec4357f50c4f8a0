package match

import (
	"context"
	"image"
	"image/color"
	"math"
	"testing"

	"github.com/pixmatch/pixmatch/shared/camera"
	"github.com/pixmatch/pixmatch/shared/distort"
	"github.com/pixmatch/pixmatch/shared/feature"
	"github.com/pixmatch/pixmatch/shared/fingerprint"
	"github.com/pixmatch/pixmatch/shared/index"
)

// blob is a smooth picture: a shaded disc on white, as a planet or a
// fruit cut out of its background.
func blob(side int) *image.NRGBA {
	img := image.NewNRGBA(image.Rect(0, 0, side, side))
	cx, cy, r := float64(side)*0.55, float64(side)*0.5, float64(side)*0.42
	for y := range side {
		for x := range side {
			dx, dy := float64(x)-cx, float64(y)-cy
			c := color.NRGBA{255, 255, 255, 255}
			if d := math.Hypot(dx, dy); d < r {
				v := uint8(90 + 120*(1-d/r)*(0.5+0.5*dx/r))
				c = color.NRGBA{v / 2, v, v, 255}
			}
			img.SetNRGBA(x, y, c)
		}
	}
	return img
}

// bottomLeft returns the bottom-left keep of each side of img.
func bottomLeft(img image.Image, keep float64) image.Image {
	b := img.Bounds()
	r := image.Rect(b.Min.X, b.Max.Y-int(float64(b.Dy())*keep), b.Min.X+int(float64(b.Dx())*keep), b.Max.Y)
	return img.(interface {
		SubImage(image.Rectangle) image.Image
	}).SubImage(r)
}

// record is a target's feature record, as a server enrols it.
func record(img image.Image) feature.Record {
	p := feature.Plane(img, feature.TargetOptions)
	return feature.Record{Width: p.Rect.Dx(), Height: p.Rect.Dy(), Features: feature.Enrol(p, feature.DefaultEnrolOptions).Features}
}

// confirmCase searches a one-target index with query and confirms the
// hit with the target's record, as a server does.
func confirmCase(t *testing.T, query, target image.Image, rec feature.Record, has bool) (before, after Hit) {
	t.Helper()
	qfp, err := fingerprint.Query(query)
	if err != nil {
		t.Fatal(err)
	}
	tfp, err := fingerprint.Target(target)
	if err != nil {
		t.Fatal(err)
	}
	x := NewIndex()
	if err := x.Put(index.Entry{ID: "t", Codes: Full.Codes(tfp), Active: true}); err != nil {
		t.Fatal(err)
	}
	hits, err := Search(context.Background(), x, qfp, Options{Limit: 1})
	if err != nil || len(hits) != 1 {
		t.Fatalf("the hash tier finds %v (%v), want the target", hits, err)
	}
	plane := feature.Plane(query, feature.QueryOptions)
	q := feature.Extract(plane, feature.QueryOptions)
	records := map[string]feature.Record{}
	if has {
		records["t"] = rec
	}
	o := Confirmation
	got, err := Confirm(context.Background(), hits, len(q), records, func(ctx context.Context, id string, r feature.Record) (bool, error) {
		found, err := camera.Verify(ctx, q, plane.Rect.Dx(), plane.Rect.Dy(), []string{id}, map[string]feature.Record{id: r}, o.Verify())
		return len(found) > 0, err
	}, o)
	if err != nil {
		t.Fatal(err)
	}
	return hits[0], got[0]
}

// TestConfirmPartialMatches reproduces the false matches of the quality
// harness's non-members (a smooth crop whose hash is within the
// threshold of a corner window of another picture) and shows the feature
// tier refusing them, while a true crop of a textured picture is still
// found and matches it cannot judge stand.
func TestConfirmPartialMatches(t *testing.T) {
	base := blob(400)
	other, target := distort.Noise(25, 1)(base), distort.Noise(25, 2)(base)
	rec := record(target)
	for _, c := range []struct {
		name    string
		query   image.Image
		rec     feature.Record
		has     bool
		refuted bool
	}{
		// The same shading, another texture: the hashes agree, the
		// features do not.
		{"a crop of another textured picture", bottomLeft(other, 0.75), rec, true, true},
		// Uranus and the lemon: a smooth crop with a few features.
		{"a smooth crop", bottomLeft(base, 0.75), rec, true, true},
		{"a crop of the target", bottomLeft(target, 0.75), rec, true, false},
		{"a target without a record", bottomLeft(other, 0.75), feature.Record{}, false, false},
		{"a record of too few features", bottomLeft(other, 0.75), feature.Record{Width: rec.Width, Height: rec.Height, Features: rec.Features[:Confirmation.MinInliers-1]}, true, false},
	} {
		before, after := confirmCase(t, c.query, target, c.rec, c.has)
		if before.Score < 0.5 || !before.Partial() {
			t.Fatalf("%s: the hash tier finds %+v, want a match on part of the picture", c.name, before)
		}
		if after.Refuted != c.refuted || (after.Score < 0.5) != c.refuted {
			t.Errorf("%s: confirmed as %+v, want refuted %v", c.name, after, c.refuted)
		}
	}
}

// TestConfirmLeavesWholeMatches: a match of Whole or Trimmed windows on
// both sides is never judged, nor an exact one, nor a near hit, and a
// query with too few features judges nothing; Candidates names what
// Confirm may judge.
func TestConfirmLeavesWholeMatches(t *testing.T) {
	at := func(id string, d int, q, target fingerprint.Window) Hit {
		return Hit{ID: id, Distance: d, Score: fingerprint.Score(d), Query: q, Target: target}
	}
	hits := []Hit{
		at("copy", 2, fingerprint.Whole, fingerprint.Trimmed),
		at("corner", 3, fingerprint.Whole, fingerprint.BottomLeft80),
		at("exact", 0, fingerprint.Centre90, fingerprint.Centre90),
		at("near", fingerprint.Threshold+1, fingerprint.Centre90, fingerprint.Centre60),
	}
	rec := feature.Record{Width: 10, Height: 10, Features: make([]feature.Feature, Confirmation.MinInliers)}
	records := map[string]feature.Record{"copy": rec, "corner": rec, "exact": rec, "near": rec}
	var asked []string
	refuse := func(_ context.Context, id string, _ feature.Record) (bool, error) {
		asked = append(asked, id)
		return false, nil
	}
	got, err := Confirm(context.Background(), hits, Confirmation.MinInliers, records, refuse, Confirmation)
	if err != nil {
		t.Fatal(err)
	}
	if len(asked) != 1 || asked[0] != "corner" || !got[1].Refuted || got[1].Score >= 0.5 || got[0] != hits[0] || got[2] != hits[2] || got[3] != hits[3] {
		t.Errorf("asked %v, got %+v", asked, got)
	}
	if c := Confirmation.Candidates(hits, Confirmation.MinInliers); len(c) != 1 || c[0] != "corner" {
		t.Errorf("candidates %v", c)
	}
	asked = nil
	got, _ = Confirm(context.Background(), hits, Confirmation.MinInliers-1, records, refuse, Confirmation)
	if len(asked) != 0 || got[1] != hits[1] || len(Confirmation.Candidates(hits, Confirmation.MinInliers-1)) != 0 {
		t.Errorf("a query of too few features: asked %v, got %+v", asked, got)
	}
}
