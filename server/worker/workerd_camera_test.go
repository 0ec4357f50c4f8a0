//go:build linux

package worker

import (
	"encoding/base64"
	"encoding/json"
	"math"
	"net/http"
	"time"

	"github.com/pixmatch/pixmatch/shared/feature"
)

// camera enrols two more targets and searches camera frames of one of
// them under workerd — a print tilted 35° on a lawn, sent as a picture
// to /search and as its feature record to /search/features — and finds
// that target by the feature tier (D1's lists, the vocabulary asset,
// the records in R2), with its corners where the print is. It returns
// the camera searches' times.
func (w *workerd) camera() []time.Duration {
	t := w.t
	id := w.create(map[string]string{"image": photo(t, "china", same), "name": "china"})
	w.create(map[string]string{"image": photo(t, "retina", same), "name": "retina"})
	frame, corners := cameraShot("china")
	plane := feature.Plane(frame, feature.QueryOptions)
	record, err := feature.Record{Width: plane.Rect.Dx(), Height: plane.Rect.Dy(), Features: feature.Extract(plane, feature.QueryOptions)}.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	check := func(how string, r reply) {
		t.Helper()
		r.want(t, how, 200, 0)
		var res struct {
			Target struct {
				TargetID string
				Corners  []struct{ X, Y float64 }
			}
		}
		json.Unmarshal(r.Result, &res)
		if res.Target.TargetID != id || len(res.Target.Corners) != 4 {
			t.Errorf("%s: found %s, want %s with its corners", how, r.Result, id)
			return
		}
		for k, got := range res.Target.Corners {
			if math.Hypot(got.X-corners[k].X, got.Y-corners[k].Y) > 20 {
				t.Errorf("%s: corner %d at (%.1f, %.1f), the print's at (%.1f, %.1f)", how, k, got.X, got.Y, corners[k].X, corners[k].Y)
			}
		}
	}
	var took []time.Duration
	for range 2 {
		r := w.crs(http.MethodPost, "/search", map[string]string{"image": base64.StdEncoding.EncodeToString(encodeJPEG(t, frame))})
		check("a camera frame", r)
		took = append(took, r.took)
	}
	r := w.crs(http.MethodPost, "/search/features", map[string]string{"features": base64.StdEncoding.EncodeToString(record)})
	check("a camera frame's features", r)
	t.Logf("a search of a camera frame took %v, of its features %v (D1 lists and R2 records included)", took, r.took)
	return append(took, r.took)
}
