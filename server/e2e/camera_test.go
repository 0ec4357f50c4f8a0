package e2e

import (
	"bufio"
	"bytes"
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	xdraw "golang.org/x/image/draw"

	"github.com/pixmatch/pixmatch/shared/testphoto"
)

// The fake camera's picture.
const (
	clipWidth, clipHeight = 640, 480
	clipFrames, clipFPS   = 10, 10
)

// frameOf returns a camera frame showing img scaled to fit, centred on
// a grey background.
func frameOf(img image.Image, w, h int) *image.NRGBA {
	frame := image.NewNRGBA(image.Rect(0, 0, w, h))
	draw.Draw(frame, frame.Rect, image.NewUniform(color.Gray{Y: 128}), image.Point{}, draw.Src)
	b := img.Bounds()
	scale := min(float64(w)/float64(b.Dx()), float64(h)/float64(b.Dy()))
	fw, fh := int(float64(b.Dx())*scale+0.5), int(float64(b.Dy())*scale+0.5)
	at := image.Rect((w-fw)/2, (h-fh)/2, (w-fw)/2+fw, (h-fh)/2+fh)
	xdraw.CatmullRom.Scale(frame, at, img, b, xdraw.Src, nil)
	return frame
}

// ycbcr601 converts a gamma-encoded RGB colour to studio-range Y'CbCr
// with the BT.601 coefficients (Y' 16–235, Cb and Cr 16–240).
func ycbcr601(r, g, b uint8) (y, cb, cr uint8) {
	R, G, B := float64(r)/255, float64(g)/255, float64(b)/255
	clamp := func(v float64) uint8 { return uint8(min(255, max(0, v+0.5))) }
	return clamp(16 + 65.481*R + 128.553*G + 24.966*B),
		clamp(128 - 37.797*R - 74.203*G + 112.0*B),
		clamp(128 + 112.0*R - 93.786*G - 18.214*B)
}

// writeY4M writes frames copies of img as a YUV4MPEG2 stream at fps
// frames a second: 4:2:0 (C420), each chroma sample the mean of its 2×2
// block. The picture's width and height must be even.
func writeY4M(w io.Writer, img *image.NRGBA, frames, fps int) error {
	width, height := img.Rect.Dx(), img.Rect.Dy()
	if width%2 != 0 || height%2 != 0 {
		return fmt.Errorf("y4m: %d×%d is not even", width, height)
	}
	luma := make([]byte, width*height)
	cb := make([]byte, width*height/4)
	cr := make([]byte, width*height/4)
	for y := 0; y < height; y += 2 {
		for x := 0; x < width; x += 2 {
			var sumB, sumR int
			for _, d := range [4][2]int{{0, 0}, {1, 0}, {0, 1}, {1, 1}} {
				px, py := x+d[0], y+d[1]
				p := img.Pix[img.PixOffset(px, py):]
				l, u, v := ycbcr601(p[0], p[1], p[2])
				luma[py*width+px] = l
				sumB += int(u)
				sumR += int(v)
			}
			i := (y/2)*(width/2) + x/2
			cb[i], cr[i] = uint8((sumB+2)/4), uint8((sumR+2)/4)
		}
	}
	bw := bufio.NewWriter(w)
	fmt.Fprintf(bw, "YUV4MPEG2 W%d H%d F%d:1 Ip A1:1 C420\n", width, height, fps)
	for range frames {
		bw.WriteString("FRAME\n")
		bw.Write(luma)
		bw.Write(cb)
		bw.Write(cr)
	}
	return bw.Flush()
}

// clipOf writes a fake camera clip of a test photograph and returns its
// path.
func clipOf(t testing.TB, name string) string {
	t.Helper()
	return writeClip(t, name, frameOf(testphoto.Image(name), clipWidth, clipHeight), clipFrames, clipFPS)
}

// writeClip writes a fake camera clip of frames copies of a picture at
// fps frames a second, and returns its path.
func writeClip(t testing.TB, name string, img *image.NRGBA, frames, fps int) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name+".y4m")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	err = writeY4M(f, img, frames, fps)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		t.Fatal(err)
	}
	return path
}

// TestYCbCr601 checks the fake camera's colour conversion on the
// primaries, black, white and grey.
func TestYCbCr601(t *testing.T) {
	tests := []struct {
		name      string
		r, g, b   uint8
		y, cb, cr uint8
	}{
		{"black", 0, 0, 0, 16, 128, 128},
		{"white", 255, 255, 255, 235, 128, 128},
		{"grey", 128, 128, 128, 126, 128, 128},
		{"red", 255, 0, 0, 81, 90, 240},
		{"green", 0, 255, 0, 145, 54, 34},
		{"blue", 0, 0, 255, 41, 240, 110},
	}
	for _, tt := range tests {
		y, cb, cr := ycbcr601(tt.r, tt.g, tt.b)
		if y != tt.y || cb != tt.cb || cr != tt.cr {
			t.Errorf("%s: Y'CbCr %d %d %d, want %d %d %d", tt.name, y, cb, cr, tt.y, tt.cb, tt.cr)
		}
	}
}

// TestWriteY4M checks a tiny stream byte for byte: the header, and the
// planes of a picture half red, half blue.
func TestWriteY4M(t *testing.T) {
	img := image.NewNRGBA(image.Rect(0, 0, 4, 2))
	draw.Draw(img, image.Rect(0, 0, 2, 2), image.NewUniform(color.NRGBA{255, 0, 0, 255}), image.Point{}, draw.Src)
	draw.Draw(img, image.Rect(2, 0, 4, 2), image.NewUniform(color.NRGBA{0, 0, 255, 255}), image.Point{}, draw.Src)
	var b bytes.Buffer
	if err := writeY4M(&b, img, 2, 10); err != nil {
		t.Fatal(err)
	}
	frame := "FRAME\n" + "\x51\x51\x29\x29\x51\x51\x29\x29" + "\x5a\xf0" + "\xf0\x6e"
	want := "YUV4MPEG2 W4 H2 F10:1 Ip A1:1 C420\n" + frame + frame
	if got := b.String(); got != want {
		t.Errorf("stream\n%q, want\n%q", got, want)
	}
	if err := writeY4M(&b, image.NewNRGBA(image.Rect(0, 0, 3, 2)), 1, 10); err == nil {
		t.Error("an odd width was accepted")
	}
}

// TestCamera points the fake camera at a gallery photo and expects the
// Camera tab to name it over the video, and shows its frame rate (how high
// is BenchmarkBrowserCamera's to measure).
func TestCamera(t *testing.T) {
	s := newSite(t)
	s.api().addPhotos("chelsea", "coffee", "astronaut")
	b := newBrowser(t, s.URL(), testLimit,
		chromedp.Flag("use-fake-ui-for-media-stream", true),
		chromedp.Flag("use-fake-device-for-media-stream", true),
		chromedp.Flag("use-file-for-fake-video-capture", clipOf(t, "chelsea")))
	b.open("/")
	b.connect()
	b.click("tab-camera")

	started := time.Now()
	b.click("camera-start")
	b.waitUntil("chelsea named over the video", `e2e.shown('camera-match') && /^chelsea · /.test(e2e.text('camera-match'))`, 10*time.Second)
	t.Logf("chelsea named %v after pressing Start", time.Since(started).Round(time.Millisecond))
	b.matchInView()
	// A match also outlines the picture in green (the server places it, the
	// letterboxed photo's left side on the frame's): look at the left edge.
	if !eval[bool](b, `(() => { const c = e2e.el('overlay');
		const [r, g, , a] = c.getContext('2d').getImageData(1, c.height >> 1, 1, 1).data;
		return a > 200 && g > 150 && r < 100; })()`) {
		t.Error("the overlay shows no green frame around the match")
	}
	// The frame rate is shown as frames go by; how high it is, is measured
	// by BenchmarkBrowserCamera, not here on a machine shared with other
	// tests (a timed test fails under load, and proves nothing).
	b.waitUntil("a frame rate shown", `parseFloat(e2e.text('fps')) > 0`, 10*time.Second)
	shown := eval[string](b, `e2e.text('fps')`)
	number, _, _ := strings.Cut(shown, " ")
	if fps, err := strconv.ParseFloat(number, 64); err != nil || fps <= 0 || !strings.HasSuffix(shown, " fps") {
		t.Errorf("#fps shows %q, want a rate in frames a second", shown)
	}
	t.Logf("#fps shows %q", shown)

	b.click("camera-stop")
	b.waitUntil("the camera released", `e2e.el('video').srcObject === null && !e2e.el('camera-start').disabled && e2e.el('camera-stop').disabled`, 5*time.Second)
	if !eval[bool](b, `(async () => {
		const last = pixmatchApp.lastCamera;
		await new Promise((r) => setTimeout(r, 500));
		const c = e2e.el('overlay');
		const blank = c.getContext('2d').getImageData(0, 0, c.width, c.height).data.every((v) => v === 0);
		return pixmatchApp.lastCamera === last && blank && !e2e.shown('camera-match');
	})()`) {
		t.Error("after Stop, recognition went on or the overlay was not cleared")
	}
}

// desktops are the browser windows of common laptop screens: the screen's
// size, and what a maximised window leaves the page below its tabs and
// address bar.
var desktops = [][2]int64{{1280, 720}, {1366, 768}, {1280, 600}, {1366, 650}}

// matchInView checks, on each desktop window, that the camera's match is
// shown inside the window with the page scrolled to the top: no scrolling
// is needed to read it.
func (b *browser) matchInView() {
	b.t.Helper()
	defer b.do("restore the window", chromedp.EmulateViewport(1280, 900))
	for _, size := range desktops {
		b.do(fmt.Sprintf("a %d×%d window", size[0], size[1]), chromedp.EmulateViewport(size[0], size[1]))
		box := eval[struct {
			Top, Bottom, Left, Right, Width, Height float64
			Text                                    string
		}](b, `(async () => {
			scrollTo(0, 0);
			await new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)));
			const r = e2e.el('camera-match').getBoundingClientRect();
			return { top: r.top, bottom: r.bottom, left: r.left, right: r.right, width: innerWidth, height: innerHeight, text: e2e.text('camera-match') };
		})()`)
		inside := box.Top >= 0 && box.Left >= 0 && box.Bottom <= box.Height && box.Right <= box.Width && box.Bottom > box.Top
		if !inside || !strings.HasPrefix(box.Text, "chelsea · ") {
			b.t.Errorf("%d×%d: the match %q is at %.0f–%.0f × %.0f–%.0f, want it inside the %.0f×%.0f window",
				size[0], size[1], box.Text, box.Left, box.Right, box.Top, box.Bottom, box.Width, box.Height)
		}
		viewer := eval[float64](b, `e2e.el('viewer').getBoundingClientRect().bottom`)
		b.t.Logf("%d×%d: match at y %.0f–%.0f, the picture's bottom at %.0f", size[0], size[1], box.Top, box.Bottom, viewer)
	}
}
