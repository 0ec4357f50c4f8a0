package e2e

import (
	"context"
	"fmt"
	"image"
	"io"
	"net/http"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/pixmatch/pixmatch/server/internal/testserver"
	"github.com/pixmatch/pixmatch/shared/camera"
	"github.com/pixmatch/pixmatch/shared/distort"
	"github.com/pixmatch/pixmatch/shared/feature"
	"github.com/pixmatch/pixmatch/shared/fingerprint"
	"github.com/pixmatch/pixmatch/shared/syncwire"
	"github.com/pixmatch/pixmatch/shared/testphoto"
)

// TestOfflineCameraOutline syncs a small gallery, lets the service worker
// take the page, stops the server and points the fake camera at a print
// in perspective on grass: within a second of the first frame the page
// names the print's target over the video and draws its outline where
// the print is, found in the browser by the frame's features against the
// synced feature records.
func TestOfflineCameraOutline(t *testing.T) {
	s := newSite(t)
	s.api().addPhotos(shotTarget, "rocket", "chelsea")
	frame, truth := cameraShot()
	b := newBrowser(t, s.URL(), testLimit, fakeCamera(writeClip(t, "shot", frame, clipFrames, clipFPS))...)
	b.open("/")
	b.connect()
	if n := eval[int](b, `pixmatchApp.session.pm.info().then((i) => i.records)`); n != 3 {
		t.Fatalf("the browser holds %d feature records after the first sync, want 3", n)
	}
	b.exec(`navigator.serviceWorker.ready.then(() => undefined)`)
	b.reload()
	b.waitUntil("the service worker to control the page", `navigator.serviceWorker.controller !== null`, 10*time.Second)

	s.stop()
	b.reload()
	wantOutline(t, b.cameraOutline(frame.Rect.Dx(), truth), frame.Rect.Dx(), truth, "browser")
	b.click("camera-stop")
	b.waitUntil("the outline cleared", `!('corners' in e2e.el('overlay').dataset)`, 5*time.Second)
}

// wantOutline logs the camera's outline of the print, got, in a video
// of frames width pixels wide whose print's corners are truth, and checks
// that it came within outlineBound of the first frame from via.
func wantOutline(t *testing.T, got outline, width int, truth distort.Quad, via string) {
	t.Helper()
	scale := float64(width) / float64(got.Width)
	t.Logf("outline %v in a %d×%d video, %.1f px from the print's corners %v, %.0f ms after the first frame, by the %s",
		got.Corners, got.Width, got.Height, offBy(got.Corners, scale, truth), truth, got.Since, got.Via)
	if bound := outlineBound(); got.Since > float64(bound.Milliseconds()) {
		t.Errorf("the outline came %.0f ms after the first frame, want within %v", got.Since, bound)
	}
	if got.Via != via {
		t.Errorf("the answer came from the %q, want the %s's", got.Via, via)
	}
}

// TestOfflineUploadOutline recognises an uploaded camera shot with the
// server gone: the browser's match, found by the features, is named and
// outlined on the picture where the print is.
func TestOfflineUploadOutline(t *testing.T) {
	s := newSite(t)
	s.api().addPhotos(shotTarget, "rocket", "chelsea")
	frame, truth := cameraShot()
	file := writeFile(t, "shot.jpg", encodeJPEG(t, frame, 92))
	b := newBrowser(t, s.URL(), testLimit)
	b.open("/")
	b.connect()
	s.stop()

	local, server := b.recognise(file)
	wantMatch(t, "offline, in the browser", local, shotTarget)
	wantState(t, "offline, on the server", server, "offline", "error")
	b.waitUntil("the outline on the picture", `e2e.shown('picture-outline') && 'corners' in e2e.el('picture-outline').dataset`, 5*time.Second)
	got := eval[struct {
		Corners [][2]float64 `json:"corners"`
		Width   int          `json:"width"`
	}](b, `({ corners: JSON.parse(e2e.el('picture-outline').dataset.corners), width: e2e.el('picture').naturalWidth })`)
	off := offBy(got.Corners, float64(frame.Rect.Dx())/float64(got.Width), truth)
	t.Logf("offline: outline %v, %.1f px from the print's corners", got.Corners, off)
	if off > outlineTolerance {
		t.Errorf("the outline is %.1f px from the print's corners, want within %d", off, outlineTolerance)
	}
}

// syncedRecords fetches a first sync of the site's gallery as the
// browser does and returns the feature records it carries, by index ID,
// and the IDs of the active targets that have one, sorted.
func syncedRecords(t *testing.T, s *site, token string) (map[string]feature.Record, []string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, s.URL()+"/sync/"+testserver.AppID+"?since=0", nil)
	req.Header.Set("Authorization", token)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	data, err := io.ReadAll(res.Body)
	if err != nil || res.StatusCode != http.StatusOK {
		t.Fatalf("first sync: HTTP %d, %v", res.StatusCode, err)
	}
	b, err := syncwire.Decode(data)
	if err != nil {
		t.Fatal(err)
	}
	state := syncwire.NewState(int(fingerprint.Windows))
	if err := state.Apply(b); err != nil {
		t.Fatal(err)
	}
	records := state.Records()
	var active []string
	for id := range records {
		if e, ok := state.Index().Get(id); ok && e.Active {
			active = append(active, id)
		}
	}
	slices.Sort(active)
	return records, active
}

// localMatch is a match of pm.query with features.
type localMatch struct {
	Seq      int                      `json:"seq"`
	Name     string                   `json:"name"`
	Distance int                      `json:"distance"`
	Score    float64                  `json:"score"`
	Corners  []struct{ X, Y float64 } `json:"corners"`
}

// TestLocalFeatureParity hands the module camera shots decoded by Go and
// checks that the browser's local search with features places the same
// targets at the same corners as the server's Go (amd64) camera.Verify
// of the same frame's features against the records the sync sent.
func TestLocalFeatureParity(t *testing.T) {
	s := newSite(t)
	s.api().addPhotos(shotTarget, "rocket", "chelsea", "astronaut")
	token := s.api().token()
	b := newBrowser(t, s.URL(), testLimit)
	b.open("/")
	b.openModule(token)
	b.exec(`benchPM.sync().then(() => undefined)`)
	records, active := syncedRecords(t, s, token)
	if len(active) != 4 {
		t.Fatalf("the sync carries records of %d active targets, want 4", len(active))
	}
	scene := distort.Mirror(testphoto.Image("grass"))
	shots := map[string]*image.NRGBA{}
	for _, c := range []struct {
		recipe int // in distort.CameraCatalogue
		photo  string
	}{{1, shotTarget}, {3, "chelsea"}, {5, "astronaut"}, {7, "rocket"}, {4, "brick"}} {
		take, _ := distort.CameraCatalogue()[c.recipe].Locate(distort.Params{Seed: 7, Scene: scene})
		frame, _ := take(testphoto.Image(c.photo))
		shots[distort.CameraCatalogue()[c.recipe].Name+" of "+c.photo] = nrgba(frame)
	}
	for name, img := range shots {
		plane := feature.Plane(img, feature.QueryOptions)
		q := feature.Extract(plane, feature.QueryOptions)
		want, err := camera.Verify(context.Background(), q, plane.Rect.Dx(), plane.Rect.Dy(), active, records, feature.DefaultVerifyOptions)
		if err != nil {
			t.Fatal(err)
		}
		b.putFrame(img)
		got := eval[[]localMatch](b, `benchPM.query(benchFrame, { limit: 5, features: true }).then((r) => r.matches)`)
		var placed []localMatch
		for _, m := range got {
			if len(m.Corners) > 0 {
				placed = append(placed, m)
			}
		}
		t.Logf("%s: the server's Go verifies %d targets, the browser placed %d of its %d matches", name, len(want), len(placed), len(got))
		if len(placed) != len(want) {
			t.Errorf("%s: the browser placed %+v, Go found %+v", name, placed, want)
			continue
		}
		for _, w := range want {
			i := slices.IndexFunc(placed, func(m localMatch) bool { return strconv.Itoa(m.Seq) == w.ID })
			if i < 0 {
				t.Errorf("%s: Go found seq %s, the browser did not place it: %+v", name, w.ID, placed)
				continue
			}
			for k, c := range w.Verdict.Corners {
				if g := placed[i].Corners[k]; g.X != c.X || g.Y != c.Y {
					t.Errorf("%s: seq %s corner %d at (%v, %v) in the browser, (%v, %v) in Go", name, w.ID, k, g.X, g.Y, c.X, c.Y)
				}
			}
			if placed[i].Score < w.Verdict.Score {
				t.Errorf("%s: seq %s scored %v in the browser, the verdict %v", name, w.ID, placed[i].Score, w.Verdict.Score)
			}
		}
	}
}

// formatMatches writes matches for a log line.
func formatMatches(ms []localMatch) string {
	out := ""
	for _, m := range ms {
		out += fmt.Sprintf(" %s(%d, %.3f, %d corners)", m.Name, m.Distance, m.Score, len(m.Corners))
	}
	return out
}
