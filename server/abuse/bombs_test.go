//go:build abuse

package abuse

import (
	"bytes"
	"crypto/rand"
	"fmt"
	"image"
	"image/jpeg"
	"math"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pixmatch/pixmatch/server/api/alibaba/metabody"
	"github.com/pixmatch/pixmatch/server/auth"
	"github.com/pixmatch/pixmatch/shared/imagefile/imagefiletest"
	"github.com/pixmatch/pixmatch/shared/testphoto"
)

// The bounds the attacks must stay within.
const (
	peakLimit     = 1 << 30 // the server's resident memory
	ordinaryLimit = 2 * time.Second
	bombClients   = 16
	bombTime      = 30 * time.Second
)

// attack is one kind of request the bomb clients send.
type attack struct {
	name string
	send func(client *http.Client) crsAnswer
}

// bombs returns the attacks measured against the old main: decompression
// bombs to every API, through a gallery throttled to 1 search a second
// too, sixteen pictures in one legacy body, and unsigned 16 MB bodies.
func bombs(t *testing.T, s *server) []attack {
	pngHeader := b64(imagefiletest.PNGHeader(8192, 8192, 16, imagefiletest.RGBA, false))
	pngBlack := b64(imagefiletest.PNGBlack(8192, 8192, 16, imagefiletest.RGBA))
	progressive := b64(imagefiletest.JPEGHeader(8192, 8192, 3, 2, 2, true))
	t.Logf("bombs: a %d-byte PNG header and a %d-byte valid PNG of 8192×8192 16-bit pixels, a %d-byte progressive JPEG of 8192×8192",
		len(imagefiletest.PNGHeader(8192, 8192, 16, imagefiletest.RGBA, false)), len(pngBlack)*3/4,
		len(imagefiletest.JPEGHeader(8192, 8192, 3, 2, 2, true)))
	legacyBody := legacyAdd(16, imagefiletest.PNGBlack(4096, 4096, 16, imagefiletest.RGBA))
	t.Logf("bombs: a legacy /item/add of 16 pictures of 4096×4096 16-bit pixels in %d bytes", len(legacyBody))
	junk := make([]byte, 11<<20) // 15.6 MB as a form value: just under the 16 MB body limit
	rand.Read(junk)
	unsigned := []byte("InstanceName=" + instance + "&ProductId=p&PicName=q&PicContent=" + url.QueryEscape(b64(junk)))
	var sent atomic.Int64
	crsSend := func(path, app, image string) func(*http.Client) crsAnswer {
		return func(c *http.Client) crsAnswer {
			// A name of its own: the same signed request twice would be a replay.
			name := fmt.Sprintf("bomb%d", sent.Add(1))
			return crs(c, s.base, http.MethodPost, path, app, map[string]string{"image": image, "name": name})
		}
	}
	return []attack{
		{"CRS create, PNG header bomb", crsSend("/targets", appID, pngHeader)},
		{"CRS search, PNG header bomb", crsSend("/search", appID, pngHeader)},
		{"CRS create, valid 8192² 16-bit PNG", crsSend("/targets", appID, pngBlack)},
		{"CRS search, progressive JPEG bomb", crsSend("/search", appID, progressive)},
		{"CRS create, progressive JPEG bomb", crsSend("/targets", appID, progressive)},
		{"CRS search at 1 QPS, progressive JPEG bomb", crsSend("/search", "limited0app", progressive)},
		{"CRS search at 1 QPS, valid 8192² PNG", crsSend("/search", "limited0app", pngBlack)},
		{"legacy /item/add, 16 pictures", func(c *http.Client) crsAnswer {
			req, _ := http.NewRequest(http.MethodPost, s.base+"/item/add?instanceName="+instance, bytes.NewReader(legacyBody))
			req.Header.Set("Accept", "application/json")
			req.Header.Set("Content-Type", "application/octet-stream")
			auth.SignROA(req, legacyBody, "2018-01-20", apiKey, secret)
			return do(c, req)
		}},
		{"unsigned 16 MB Alibaba body", func(c *http.Client) crsAnswer {
			req, _ := http.NewRequest(http.MethodPost, s.base+"/", bytes.NewReader(unsigned))
			req.Header.Set("x-acs-action", "AddImage")
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			return do(c, req)
		}},
		{"unsigned 4 MB CRS body", func(c *http.Client) crsAnswer {
			req, _ := http.NewRequest(http.MethodPost, s.base+"/targets", bytes.NewReader(junk[:4<<20]))
			req.Header.Set("Content-Type", "application/json")
			return do(c, req)
		}},
	}
}

// legacyAdd is a legacy /item/add body holding n copies of a picture.
func legacyAdd(n int, pic []byte) []byte {
	fields := []metabody.Field{{Key: metabody.KeyItemID, Value: "bombs"}}
	var names []string
	for i := range n {
		names = append(names, metabody.PicKey(fmt.Sprintf("p%d.png", i)))
	}
	fields = append(fields, metabody.Field{Key: metabody.KeyPicList, Value: strings.Join(names, ",")})
	for _, name := range names {
		fields = append(fields, metabody.Field{Key: name, Value: b64(pic)})
	}
	return metabody.Build(fields)
}

// TestBombs sends the bombs from 16 clients for 30 s while an ordinary
// client searches four times a second. The server's peak memory stays
// under 1 GB, every ordinary search is answered, found, within 2 s, and
// afterwards a legitimate 8192×8192 JPEG under the size limit is added.
func TestBombs(t *testing.T) {
	s := start(t)
	s.admin("galleries", "create", "limited", "--app-id", "limited0app", "--qps", "1")
	client := &http.Client{Timeout: time.Minute, Transport: &http.Transport{MaxIdleConnsPerHost: 64}}
	coffee := b64(testphoto.File("coffee"))
	for _, app := range []string{appID, "limited0app"} {
		deadline := time.Now().Add(10 * time.Second) // the server picks up the new gallery within 2 s
		for {
			a := crs(client, s.base, http.MethodPost, "/targets", app, map[string]string{"image": coffee, "name": "coffee"})
			if a.StatusCode == 0 {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("add the ordinary target to %s: %v", app, a)
			}
			time.Sleep(200 * time.Millisecond)
		}
	}
	attacks := bombs(t, s)
	base := s.peak()
	t.Logf("peak memory before the attack: %d MB", base>>20)

	watching := make(chan struct{})
	killed := s.watch(4*peakLimit, watching)
	stop := time.Now().Add(bombTime)
	var mu sync.Mutex
	answers := map[string]map[string]int{} // attack → answer → count
	var wg sync.WaitGroup
	for i := range bombClients {
		wg.Go(func() {
			for n := i; time.Now().Before(stop); n++ {
				a := attacks[n%len(attacks)]
				got := a.send(client)
				key, _, _ := strings.Cut(got.String(), " in ") // without the time
				if got.Err != nil {
					key = "error: " + got.Err.Error()
				}
				mu.Lock()
				if answers[a.name] == nil {
					answers[a.name] = map[string]int{}
				}
				answers[a.name][key]++
				mu.Unlock()
			}
		})
	}
	var waits []time.Duration
	for time.Now().Before(stop) {
		a := crs(client, s.base, http.MethodPost, "/search", appID, map[string]string{"image": coffee})
		if a.Err != nil || a.StatusCode != 0 {
			t.Errorf("an ordinary search during the attack: %v", a)
		}
		waits = append(waits, a.Took)
		time.Sleep(250 * time.Millisecond)
	}
	wg.Wait()
	close(watching)
	if k, ok := <-killed; ok {
		t.Fatalf("the server was killed at %d MB resident, over 4 GB, %v into the attack", k.rss>>20, k.at.Sub(stop.Add(-bombTime)).Round(100*time.Millisecond))
	}
	s.alive()
	for _, a := range attacks {
		t.Logf("%-45s %v", a.name, answers[a.name])
	}
	sort.Slice(waits, func(i, j int) bool { return waits[i] < waits[j] })
	median, worst := waits[len(waits)/2], waits[len(waits)-1]
	peak := s.peak()
	t.Logf("peak memory %d MB (%.2f of the 1 GB bound), before the attack %d MB", peak>>20, float64(peak)/peakLimit, base>>20)
	t.Logf("ordinary searches: %d, median %v, slowest %v (bound %v)", len(waits), median.Round(time.Millisecond), worst.Round(time.Millisecond), ordinaryLimit)
	if peak > peakLimit {
		t.Errorf("peak memory %d MB, over 1 GB", peak>>20)
	}
	if worst > ordinaryLimit {
		t.Errorf("an ordinary search took %v, over %v", worst, ordinaryLimit)
	}

	big := bigJPEG(t)
	a := crs(client, s.base, http.MethodPost, "/targets", appID, map[string]string{"image": b64(big), "name": "big"})
	t.Logf("a legitimate 8192×8192 JPEG of %d bytes on the idle server: %v", len(big), a)
	if a.StatusCode != 0 {
		t.Errorf("the legitimate 8192×8192 JPEG was refused: %v", a)
	}
}

// bigJPEG is a legitimate 8192×8192 photo-like JPEG under 2 MB.
func bigJPEG(t *testing.T) []byte {
	const side = 8192
	img := image.NewYCbCr(image.Rect(0, 0, side, side), image.YCbCrSubsampleRatio420)
	for y := range side {
		for x := range side {
			v := 128 + 60*math.Sin(float64(x)/300)*math.Cos(float64(y)/500) + 50*math.Sin(float64(x+y)/90)
			if (x/1024+y/1024)%2 == 0 {
				v = 255 - v
			}
			img.Y[y*img.YStride+x] = uint8(v)
		}
	}
	for i := range img.Cb {
		img.Cb[i], img.Cr[i] = 128, 128
	}
	var b bytes.Buffer
	if err := jpeg.Encode(&b, img, &jpeg.Options{Quality: 60}); err != nil {
		t.Fatal(err)
	}
	if b.Len() > 2<<20 {
		t.Fatalf("the 8192×8192 JPEG is %d bytes, over the 2 MB limit", b.Len())
	}
	return b.Bytes()
}
