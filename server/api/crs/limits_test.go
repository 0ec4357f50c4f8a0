package crs_test

import (
	"bufio"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/pixmatch/pixmatch/server/config"
	"github.com/pixmatch/pixmatch/server/store"
	"github.com/pixmatch/pixmatch/shared/imagefile/imagefiletest"
)

// TestServerLimits sends the requests that meet the server's own bounds —
// memory for decoding, memory for bodies, time for a body, an invalid
// orientation, paths no route serves — and checks each answer's
// statusCode, HTTP status and message, and that nothing changed.
func TestServerLimits(t *testing.T) {
	tests := []struct {
		name       string
		tune       func(*config.Config, *store.Gallery)
		send       func(*env, *client) reply
		http, code int
		message    string
	}{
		{name: "422 a 65-byte PNG whose decode needs more than the whole decode budget", http: 413, code: 422,
			send: func(e *env, c *client) reply {
				bomb := imagefiletest.PNGHeader(8192, 8192, 16, imagefiletest.RGBA, false) // 512 MB of pixels
				return c.json(http.MethodPost, "/targets", map[string]any{"image": b64(bomb), "name": "bomb"})
			}},
		{name: "422 the same bomb as a search", http: 413, code: 422,
			send: func(e *env, c *client) reply {
				withTarget(e)
				bomb := imagefiletest.PNGHeader(8192, 8192, 16, imagefiletest.RGBA, false)
				return c.json(http.MethodPost, "/search", map[string]any{"image": b64(bomb)})
			}},
		{name: "427 an EXIF orientation of 9", http: 400, code: 427, message: "Image not correct",
			send: func(e *env, c *client) reply {
				return c.json(http.MethodPost, "/targets", map[string]any{"image": b64(imagefiletest.JPEGWithOrientation(photo("coffee"), 9)), "name": "x"})
			}},
		{name: "21 no room for the body in the process", http: 503, code: 21,
			message: "Out of capacity: the server is busy, try again shortly.",
			tune:    func(c *config.Config, _ *store.Gallery) { c.Server.BodyBytes = 16 << 10 },
			send: func(e *env, c *client) reply {
				return c.json(http.MethodPost, "/targets", map[string]any{"image": b64(photo("coffee")), "name": "x"})
			}},
		{name: "21 no room for the body while another request holds it", http: 503, code: 21,
			message: "Out of capacity: the server is busy, try again shortly.",
			tune:    func(c *config.Config, _ *store.Gallery) { c.Server.BodyBytes = 64 << 10 },
			send: func(e *env, c *client) reply {
				defer e.HoldBody(60 << 10).Close() // its share taken, its body still to come
				return c.json(http.MethodPost, "/targets", map[string]any{"image": strings.Repeat("A", 8<<10), "name": "x"})
			}},
		{name: "19 a body sent too slowly", http: 408, code: 19,
			tune: func(c *config.Config, _ *store.Gallery) { c.Server.BodyTimeout = 200 * time.Millisecond },
			send: func(e *env, c *client) reply { return slowBody(e) }},
		{name: "404 a path no route serves", http: 404, code: 404, message: "Requested URL interface path does not exist",
			send: func(e *env, c *client) reply { return c.query(http.MethodGet, "/targets/everything", nil) }},
		{name: "404 a method no route serves", http: 404, code: 404, message: "Requested URL interface path does not exist",
			send: func(e *env, c *client) reply { return c.query(http.MethodPatch, "/targets", nil) }},
		{name: "404 a sync path no route serves", http: 404, code: 404,
			send: func(e *env, c *client) reply {
				return c.query(http.MethodGet, "/sync/"+e.gallery.AppID+"/nothing/here/at/all", nil)
			}},
		{name: "4 a sync request for an unknown appId", http: 401, code: 4,
			send: func(e *env, c *client) reply {
				c.appID = "ffffffffffffffffffffffffffffffff"
				return c.query(http.MethodGet, "/sync/ffffffffffffffffffffffffffffffff", nil)
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var tune []func(*config.Config, *store.Gallery)
			if tt.tune != nil {
				tune = append(tune, tt.tune)
			}
			e := newEnv(t, tune...)
			before := e.Snapshot()
			r := tt.send(e, e.client())
			want(t, r, tt.http, tt.code)
			if tt.message != "" && r.message() != tt.message {
				t.Errorf("message %q, want %q", r.message(), tt.message)
			}
			if r.Timestamp == 0 || r.Date == "" {
				t.Errorf("answer %s is not the full CRS envelope", r.raw)
			}
			if after := e.Snapshot(); after != before && tt.name != "422 the same bomb as a search" {
				t.Errorf("refused request changed the gallery: %s -> %s", before, after)
			}
		})
	}
}

// slowBody sends a create whose body stops short of its Content-Length.
func slowBody(e *env) reply {
	conn, err := net.Dial("tcp", e.Addr())
	if err != nil {
		e.t.Fatal(err)
	}
	defer conn.Close()
	conn.Write([]byte("POST /targets HTTP/1.1\r\nHost: " + e.Addr() +
		"\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{\"name\":"))
	conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	res, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		e.t.Fatal(err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	r := reply{HTTP: res.StatusCode, raw: body}
	if err := json.Unmarshal(body, &r); err != nil {
		e.t.Fatalf("HTTP %d, body %q: %v", res.StatusCode, body, err)
	}
	return r
}
