package alibaba_test

import (
	"testing"

	"github.com/pixmatch/pixmatch/server/config"
	"github.com/pixmatch/pixmatch/server/internal/testserver"
	"github.com/pixmatch/pixmatch/server/store"
	"github.com/pixmatch/pixmatch/shared/apierror"
	"github.com/pixmatch/pixmatch/shared/imagefile/imagefiletest"
)

// TestServerLimits sends the requests that meet the server's own bounds
// and the paths no route serves, and checks each answer's code and HTTP
// status, and that nothing changed.
func TestServerLimits(t *testing.T) {
	tests := []struct {
		why  string
		code *apierror.Error
		tune testserver.Tune
		send func(*fixture) answer
	}{
		{why: "no room for the body in the process", code: apierror.DeniedRequest,
			tune: func(c *config.Config, _ *store.Gallery) { c.Server.BodyBytes = 16 << 10 },
			send: func(f *fixture) answer {
				_, err := f.sdk.AddImage(f.addReq(*photoB64("coffee")))
				return f.sdkCall(err)
			}},
		{why: "no room for the body while another request holds it", code: apierror.DeniedRequest,
			tune: func(c *config.Config, _ *store.Gallery) { c.Server.BodyBytes = 1 << 20 },
			send: func(f *fixture) answer {
				defer f.s.HoldBody(1<<20 - 4<<10).Close() // its share taken, its body still to come
				_, err := f.sdk.AddImage(f.addReq(*photoB64("coffee")))
				return f.sdkCall(err)
			}},
		{why: "a 4096×4096 16-bit PNG bomb under a 64 MB decode budget", code: apierror.UnsupportedPicPixels,
			tune: func(c *config.Config, _ *store.Gallery) { c.Server.DecodeBytes = 64 << 20 },
			send: func(f *fixture) answer {
				bomb := imagefiletest.PNGHeader(4096, 4096, 16, imagefiletest.RGBA, false)
				_, err := f.sdk.AddImage(f.addReq(b64(bomb)))
				return f.sdkCall(err)
			}},
		{why: "a legacy path no route serves", code: apierror.UnsupportedOperationType,
			send: func(f *fixture) answer { return legacy(f.t, f.s, "update", []byte("x")) }},
	}
	for _, tt := range tests {
		t.Run(tt.code.Code+" "+tt.why, func(t *testing.T) {
			var tune []testserver.Tune
			if tt.tune != nil {
				tune = append(tune, tt.tune)
			}
			f := &fixture{t: t, s: testserver.New(t, tune...)}
			f.sdk = newSDK(t, f.s.Addr(), testserver.Key, testserver.Secret, false)
			before := f.s.Snapshot()
			a := tt.send(f)
			if a.HTTP != tt.code.Status || a.code() != tt.code.Code {
				t.Fatalf("HTTP %d %s, want HTTP %d %s: %s %v", a.HTTP, a.code(), tt.code.Status, tt.code.Code, a.raw, a.Body)
			}
			if f.s.Snapshot() != before {
				t.Errorf("the refused request changed the instance: %s -> %s", before, f.s.Snapshot())
			}
		})
	}
}
