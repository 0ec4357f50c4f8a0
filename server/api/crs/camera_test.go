package crs_test

import (
	"image"
	"math"
	"net/http"
	"testing"

	"github.com/pixmatch/pixmatch/shared/distort"
	"github.com/pixmatch/pixmatch/shared/testphoto"
)

// TestSearchCameraShot searches with a phone-camera-like shot of a target:
// printed, tilted 35°, covering 40 % of a 640×480 frame on a photo no
// target shows. The feature tier finds it and the answer carries where the
// print's corners are in the frame.
func TestSearchCameraShot(t *testing.T) {
	e := newEnv(t)
	c := e.client()
	id := c.createTarget("coffee", photo("coffee"), nil)
	c.createTarget("rocket", photo("rocket"), nil)
	shoot, _ := distort.CameraCatalogue()[1].Locate(distort.Params{Seed: 5, Scene: distort.Mirror(testphoto.Image("grass"))})
	frame, corners := shoot(testphoto.Image("coffee"))
	r := c.json(http.MethodPost, "/search", map[string]any{"image": b64(edited(t, "coffee", func(image.Image) image.Image { return frame }))})
	want(t, r, 200, 0)
	var res struct {
		Target struct {
			TargetID string
			Score    float64
			Corners  []struct{ X, Y float64 }
		}
	}
	r.into(t, &res)
	if res.Target.TargetID != id || res.Target.Score < 0.5 || len(res.Target.Corners) != 4 {
		t.Fatalf("search with a camera shot found %+v", res.Target)
	}
	for k, got := range res.Target.Corners {
		if math.Hypot(got.X-corners[k].X, got.Y-corners[k].Y) > 20 {
			t.Errorf("corner %d at (%.1f, %.1f), the print's at (%.1f, %.1f)", k, got.X, got.Y, corners[k].X, corners[k].Y)
		}
	}
	// A copy of the picture is found by the hash tier too, with its corners.
	r = c.json(http.MethodPost, "/search", map[string]any{"image": b64(photo("coffee"))})
	want(t, r, 200, 0)
	r.into(t, &res)
	if res.Target.TargetID != id || len(res.Target.Corners) != 4 {
		t.Errorf("a copy of the picture: %+v", res.Target)
	}
}
