package e2e

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"image"
	"math"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/pixmatch/pixmatch/shared/distort"
	"github.com/pixmatch/pixmatch/shared/feature"
	"github.com/pixmatch/pixmatch/shared/fingerprint"
	"github.com/pixmatch/pixmatch/shared/testphoto"
)

// The camera shot the feature tests show: a print of shotTarget tilted
// 35° and covering 40 % of a 640×480 frame, on a photo of grass that no
// target shows (turned, so that it is not the test photo itself).
const (
	shotTarget = "coffee"
	shotScene  = "grass"
	// outlineTolerance is how far, in pixels of the frame, a drawn corner
	// may be from where the print's corner is.
	outlineTolerance = 20
	// outlineWithin is how soon after the camera's first frame the outline
	// must be drawn.
	outlineWithin = time.Second
)

// raceEnabled is set when the tests run with the race detector, which
// makes the server's Go several times slower (the race_test.go file).
var raceEnabled bool

// outlineBound is outlineWithin, twice that under the race detector: there
// the server's search of a frame's features is several times slower, and
// make test runs the other packages' tests beside this one's on the same
// processors (it came 1,090 ms after the first frame once, on two cores).
func outlineBound() time.Duration {
	if raceEnabled {
		return 2 * outlineWithin
	}
	return outlineWithin
}

// cameraShot returns the camera frame and where the print's corners are
// in it, clockwise from its top-left.
func cameraShot() (*image.NRGBA, distort.Quad) {
	shoot, _ := distort.CameraCatalogue()[1].Locate(distort.Params{Seed: 5, Scene: distort.Mirror(testphoto.Image(shotScene))})
	frame, corners := shoot(testphoto.Image(shotTarget))
	return nrgba(frame), corners
}

// offBy returns how far the farthest of four drawn corners, in pixels
// scaled by scale, is from the true ones; +Inf when there are not four.
func offBy(drawn [][2]float64, scale float64, truth distort.Quad) float64 {
	if len(drawn) != 4 {
		return math.Inf(1)
	}
	worst := 0.0
	for k, p := range drawn {
		worst = max(worst, math.Hypot(p[0]*scale-truth[k].X, p[1]*scale-truth[k].Y))
	}
	return worst
}

// cornersJS is a JavaScript function body's test of corners drawn (an
// array of [x, y] in pixels of a picture w wide) against the true ones:
// the farthest is within the tolerance.
func cornersJS(truth distort.Quad, width int) string {
	return fmt.Sprintf(`((drawn, w) => {
		const truth = %s, scale = %d / w;
		return Array.isArray(drawn) && drawn.length === 4 &&
			drawn.every(([x, y], k) => Math.hypot(x * scale - truth[k][0], y * scale - truth[k][1]) <= %d);
	})`, quadJS(truth), width, outlineTolerance)
}

// quadJS writes a Quad as a JavaScript array of [x, y].
func quadJS(q distort.Quad) string {
	return fmt.Sprintf("[[%f,%f],[%f,%f],[%f,%f],[%f,%f]]", q[0].X, q[0].Y, q[1].X, q[1].Y, q[2].X, q[2].Y, q[3].X, q[3].Y)
}

// TestCameraOutline points the fake camera at a print in perspective on
// grass and expects, within a second of the first frame, the print's
// target named over the video and its outline drawn where the print is;
// the frames go to the server as features only.
func TestCameraOutline(t *testing.T) {
	s := newSite(t)
	s.api().addPhotos(shotTarget, "rocket", "chelsea")
	frame, truth := cameraShot()
	b := newBrowser(t, s.URL(), testLimit, fakeCamera(writeClip(t, "shot", frame, clipFrames, clipFPS))...)
	b.open("/")
	b.connect()
	wantOutline(t, b.cameraOutline(frame.Rect.Dx(), truth), frame.Rect.Dx(), truth, "server")
	if n := len(s.requests("/search/features")); n == 0 {
		t.Error("no POST /search/features was made")
	}
	if n := len(s.requests("/search")) - len(s.requests("/search/features")); n != 0 {
		t.Errorf("%d searches sent a picture, want none", n)
	}
	b.click("camera-stop")
	b.waitUntil("the outline cleared", `!('corners' in e2e.el('overlay').dataset)`, 5*time.Second)
}

// fakeCamera returns the flags that make Chromium's camera a clip.
func fakeCamera(clip string) []chromedp.ExecAllocatorOption {
	return []chromedp.ExecAllocatorOption{
		chromedp.Flag("use-fake-ui-for-media-stream", true),
		chromedp.Flag("use-fake-device-for-media-stream", true),
		chromedp.Flag("use-file-for-fake-video-capture", clip),
	}
}

// outline is the first camera answer that named the print's target with
// its outline where the print is.
type outline struct {
	Since   float64      `json:"since"` // ms after the first frame
	Via     string       `json:"via"`   // who answered
	Corners [][2]float64 `json:"corners"`
	Width   int          `json:"width"` // the video's
	Height  int          `json:"height"`
}

// cameraOutline starts the Camera tab on a clip of a camera shot width
// pixels wide and waits for the outline of shotTarget within the
// tolerance of the print's corners, truth.
func (b *browser) cameraOutline(width int, truth distort.Quad) outline {
	b.t.Helper()
	b.click("tab-camera")
	b.click("camera-start")
	b.waitUntil("the outline over the print", fmt.Sprintf(`(() => {
		const last = pixmatchApp.lastCamera, video = e2e.el('video');
		const placed = %s(JSON.parse(e2e.el('overlay').dataset.corners || 'null'), video.videoWidth);
		if (!last || !placed || !e2e.text('camera-match').startsWith(%s)) return false;
		window.e2eOutline = { since: last.since, via: last.via, corners: last.corners, width: video.videoWidth, height: video.videoHeight };
		return true;
	})()`, cornersJS(truth, width), jsString(shotTarget+" · ")), 15*time.Second)
	return eval[outline](b, `window.e2eOutline`)
}

// TestUploadOutline recognises an uploaded camera shot: the server is
// sent the picture's features, not the picture, finds the target and the
// outline is drawn on the picture where the print is.
func TestUploadOutline(t *testing.T) {
	s := newSite(t)
	s.api().addPhotos(shotTarget, "rocket", "chelsea")
	frame, truth := cameraShot()
	b := newBrowser(t, s.URL(), testLimit)
	b.open("/")
	b.connect()

	_, server := b.recognise(writeFile(t, "shot.jpg", encodeJPEG(t, frame, 92)))
	wantMatch(t, "on the server", server, shotTarget)
	b.waitUntil("the outline on the picture", `e2e.shown('picture-outline') && 'corners' in e2e.el('picture-outline').dataset`, 5*time.Second)
	got := eval[struct {
		Corners [][2]float64 `json:"corners"`
		Width   int          `json:"width"`
		Via     string       `json:"via"`
		Sent    int          `json:"sent"`
	}](b, `({ corners: JSON.parse(e2e.el('picture-outline').dataset.corners), width: e2e.el('picture').naturalWidth,
		via: pixmatchApp.lastServer.via, sent: pixmatchApp.lastServer.sent })`)
	off := offBy(got.Corners, float64(frame.Rect.Dx())/float64(got.Width), truth)
	t.Logf("outline %v, %.1f px from the print's corners; sent the %s, %d bytes", got.Corners, off, got.Via, got.Sent)
	if off > outlineTolerance {
		t.Errorf("the outline is %.1f px from the print's corners, want within %d", off, outlineTolerance)
	}
	if got.Via != "features" || got.Sent > 64<<10 {
		t.Errorf("sent the %s, %d bytes; want the features, at most 64 KB", got.Via, got.Sent)
	}
	if n := len(s.requests("/search")) - len(s.requests("/search/features")); n != 0 {
		t.Errorf("%d searches sent the picture, want none", n)
	}

	// Another picture clears the outline; a copy of a target is found
	// with the features too.
	_, server = b.recognise(editedFile(t, "chelsea"))
	wantMatch(t, "on the server", server, "chelsea")
	if eval[bool](b, `e2e.shown('picture-outline') && JSON.parse(e2e.el('picture-outline').dataset.corners).length !== 4`) {
		t.Error("the outline shown is not four corners")
	}
}

// TestFeatureParity hands the module the pixels of pictures decoded by
// Go and checks that its feature record and query fingerprint are the
// server's (amd64) for the same pixels, byte for byte.
func TestFeatureParity(t *testing.T) {
	s := newSite(t)
	b := newBrowser(t, s.URL(), testLimit)
	b.open("/")
	b.openModule("")
	shot, _ := cameraShot()
	for name, img := range map[string]*image.NRGBA{
		"camera shot": shot,
		"astronaut":   nrgba(testphoto.Image("astronaut")),
		"coins 1000":  nrgba(distort.Scale(1000.0 / float64(testphoto.Image("coins").Bounds().Dx()))(testphoto.Image("coins"))),
	} {
		plane := feature.Plane(img, feature.QueryOptions)
		record, err := feature.Record{Width: plane.Rect.Dx(), Height: plane.Rect.Dy(), Features: feature.Extract(plane, feature.QueryOptions)}.MarshalBinary()
		if err != nil {
			t.Fatal(err)
		}
		fp, err := fingerprint.Query(img)
		if err != nil {
			t.Fatal(err)
		}
		print, _ := fp.MarshalBinary()
		b.putFrame(img)
		got := eval[struct {
			Features    string `json:"features"`
			Fingerprint string `json:"fingerprint"`
			Width       int    `json:"width"`
			Height      int    `json:"height"`
		}](b, `(async () => {
			const q = await benchPM.features(benchFrame);
			const b64 = (a) => btoa(Array.from(a, (c) => String.fromCharCode(c)).join(''));
			return { features: b64(q.features), fingerprint: b64(q.fingerprint), width: q.width, height: q.height };
		})()`)
		for _, part := range []struct {
			what      string
			got, want []byte
		}{{"feature record", decode64(t, got.Features), record}, {"query fingerprint", decode64(t, got.Fingerprint), print}} {
			if !bytes.Equal(part.got, part.want) {
				t.Errorf("%s: the browser's %s (%d bytes) differs from the server's (%d bytes) from byte %d",
					name, part.what, len(part.got), len(part.want), firstDifference(part.got, part.want))
			}
		}
		if got.Width != plane.Rect.Dx() || got.Height != plane.Rect.Dy() {
			t.Errorf("%s: the browser's plane is %d×%d, the server's %v", name, got.Width, got.Height, plane.Rect.Size())
		}
	}
}

// decode64 decodes standard base64.
func decode64(t *testing.T, s string) []byte {
	t.Helper()
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// firstDifference returns the index of the first byte where a and b
// differ, or the shorter length.
func firstDifference(a, b []byte) int {
	for i := range min(len(a), len(b)) {
		if a[i] != b[i] {
			return i
		}
	}
	return min(len(a), len(b))
}
