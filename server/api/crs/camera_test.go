package crs_test

import (
	"image"
	"math"
	"net/http"
	"testing"

	"github.com/pixmatch/pixmatch/shared/distort"
	"github.com/pixmatch/pixmatch/shared/feature"
	"github.com/pixmatch/pixmatch/shared/fingerprint"
	"github.com/pixmatch/pixmatch/shared/testphoto"
)

// TestSearchCameraShot searches with a phone-camera-like shot of a target:
// printed, tilted 35°, covering 40 % of a 640×480 frame on a photo no
// target shows. The feature tier finds it and the answer carries where the
// print's corners are in the frame.
func TestSearchCameraShot(t *testing.T) {
	c, id, frame, corners := cameraShot(t)
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

// cameraShot makes a gallery of two targets and a 640×480 camera frame of
// the print of one, tilted 35° and covering 40 % of a scene no target
// shows; it returns the target's ID and where the print's corners are.
func cameraShot(t *testing.T) (*client, string, image.Image, distort.Quad) {
	e := newEnv(t)
	c := e.client()
	id := c.createTarget("coffee", photo("coffee"), nil)
	c.createTarget("rocket", photo("rocket"), nil)
	shoot, _ := distort.CameraCatalogue()[1].Locate(distort.Params{Seed: 5, Scene: distort.Mirror(testphoto.Image("grass"))})
	frame, corners := shoot(testphoto.Image("coffee"))
	return c, id, frame, corners
}

// TestSearchFeatures searches with what a browser sends in place of a
// camera frame: the frame's feature record and query fingerprint, in a
// JSON body and as file parts of a multipart one. The answer is the
// target with the print's corners on the record's plane; a record that
// does not decode is statusCode 414 and finds nothing.
func TestSearchFeatures(t *testing.T) {
	c, id, frame, corners := cameraShot(t)
	plane := feature.Plane(frame, feature.QueryOptions)
	if plane.Rect.Dx() != frame.Bounds().Dx() {
		t.Fatalf("the frame is reduced to %v: corners would need scaling", plane.Rect)
	}
	record, err := feature.Record{Width: plane.Rect.Dx(), Height: plane.Rect.Dy(), Features: feature.Extract(plane, feature.QueryOptions)}.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	fp, err := fingerprint.Query(frame)
	if err != nil {
		t.Fatal(err)
	}
	print, _ := fp.MarshalBinary()

	check := func(how string, r reply) {
		t.Helper()
		want(t, r, 200, 0)
		var res struct {
			Target struct {
				TargetID string
				Corners  []struct{ X, Y float64 }
			}
		}
		r.into(t, &res)
		if res.Target.TargetID != id || len(res.Target.Corners) != 4 {
			t.Fatalf("%s: found %+v", how, res.Target)
		}
		for k, got := range res.Target.Corners {
			if math.Hypot(got.X-corners[k].X, got.Y-corners[k].Y) > 20 {
				t.Errorf("%s: corner %d at (%.1f, %.1f), the print's at (%.1f, %.1f)", how, k, got.X, got.Y, corners[k].X, corners[k].Y)
			}
		}
	}
	check("json", c.json(http.MethodPost, "/search/features", map[string]any{"features": b64(record), "fingerprint": b64(print)}))
	check("features only", c.json(http.MethodPost, "/search/features", map[string]any{"features": b64(record)}))
	check("multipart", c.parts("/search/features", map[string]any{}, map[string][]byte{"features": record, "fingerprint": print}))

	for name, p := range map[string]map[string]any{
		"no features":         {"fingerprint": b64(print)},
		"features not base64": {"features": "%%%"},
		"truncated record":    {"features": b64(record[:len(record)-3])},
		"bad fingerprint":     {"features": b64(record), "fingerprint": b64([]byte{9, 9, 9})},
	} {
		r := c.json(http.MethodPost, "/search/features", p)
		if r.HTTP != 400 || r.StatusCode != 414 {
			t.Errorf("%s: HTTP %d statusCode %d, want 400/414: %s", name, r.HTTP, r.StatusCode, r.raw)
		}
	}
	// More features than a query has would only cost time.
	big := make([]feature.Feature, feature.QueryOptions.Max+1)
	for i := range big {
		big[i] = feature.Feature{Keypoint: feature.Keypoint{X: 1, Y: 1, Size: 8}}
	}
	record, err = feature.Record{Width: 640, Height: 480, Features: big}.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	if r := c.json(http.MethodPost, "/search/features", map[string]any{"features": b64(record)}); r.HTTP != 400 || r.StatusCode != 414 {
		t.Errorf("too many features: HTTP %d statusCode %d: %s", r.HTTP, r.StatusCode, r.raw)
	}
}
