package crs_test

import (
	"bytes"
	"encoding/binary"
	"hash/crc32"
	"image"
	"image/gif"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/pixmatch/pixmatch/server/config"
	"github.com/pixmatch/pixmatch/server/store"
	"github.com/pixmatch/pixmatch/shared/distort"
)

// TestStatusCodes sends, for every CRS status code, the request that
// causes it, and checks the code, the HTTP status and that a refused write
// changed nothing.
func TestStatusCodes(t *testing.T) {
	tests := []struct {
		name       string
		tune       func(*config.Config, *store.Gallery)
		setup      func(*env) string // returns a target ID to use
		send       func(*env, *client, string) reply
		http, code int
		message    string
	}{
		{name: "1 no credentials", http: 400, code: 1,
			send: func(e *env, c *client, _ string) reply {
				return c.raw(http.MethodGet, "/targets/count", "", nil)
			}},
		{name: "1 apiKey without appId", http: 400, code: 1,
			send: func(e *env, c *client, _ string) reply {
				c.appID = ""
				return c.query(http.MethodGet, "/targets/count", nil)
			}},
		{name: "2 wrong secret", http: 401, code: 2, message: "invalid signature",
			send: func(e *env, c *client, _ string) reply {
				c.secret = "not the secret"
				return c.query(http.MethodGet, "/targets/count", nil)
			}},
		{name: "2 parameter changed after signing", http: 401, code: 2,
			send: func(e *env, c *client, _ string) reply {
				r := c.sign(map[string]any{"pageSize": 5})
				r["pageSize"] = 6
				return c.rawJSON(http.MethodGet, "/targets/infos", r)
			}},
		{name: "3 timestamp 6 minutes old", http: 400, code: 3, message: "invalid date",
			send: func(e *env, c *client, _ string) reply {
				c.clock = time.Now().Add(-6 * time.Minute)
				return c.query(http.MethodGet, "/targets/count", nil)
			}},
		{name: "4 unknown apiKey", http: 401, code: 4, message: "appId (appKey) not exist",
			send: func(e *env, c *client, _ string) reply {
				c.key = "no-such-key"
				return c.query(http.MethodGet, "/targets/count", nil)
			}},
		{name: "4 unknown appId", http: 401, code: 4,
			send: func(e *env, c *client, _ string) reply {
				c.appID = "ffffffffffffffffffffffffffffffff"
				return c.query(http.MethodGet, "/targets/count", nil)
			}},
		{name: "6 garbage token", http: 401, code: 6, message: "invalid token",
			send: func(e *env, c *client, _ string) reply {
				c.token = "bm90IGEgdG9rZW4="
				return c.query(http.MethodGet, "/targets/count", nil)
			}},
		{name: "6 read-only token writes", http: 403, code: 6, message: "invalid appkey token",
			send: func(e *env, c *client, _ string) reply {
				c.token = issueToken(e, c, "READ")
				return c.json(http.MethodPost, "/targets", map[string]any{"image": b64(photo("coffee")), "name": "x"})
			}},
		{name: "7 JSON search on a DAU database", http: 403, code: 7, message: "non-sdk client for dau databases",
			tune: func(_ *config.Config, g *store.Gallery) { g.DAU = true },
			send: func(e *env, c *client, _ string) reply {
				return c.json(http.MethodPost, "/search", map[string]any{"image": b64(photo("coffee"))})
			}},
		{name: "8 Sense 4.6 on a DAU database", http: 403, code: 8, message: "Dau databases are not compatible with sense-4.6+ any more.",
			tune: func(_ *config.Config, g *store.Gallery) { g.DAU = true },
			send: func(e *env, c *client, _ string) reply {
				c.userAgent = "EasyAR Sense/4.6.2 (Android)"
				return c.multipart("/v2/search", nil, photo("coffee"))
			}},
		{name: "404 get unknown target", http: 404, code: 404, message: "Target not found",
			send: func(e *env, c *client, _ string) reply {
				return c.query(http.MethodGet, "/target/00000000-0000-0000-0000-000000000000", nil)
			}},
		{name: "404 update unknown target", http: 404, code: 404,
			send: func(e *env, c *client, _ string) reply {
				return c.json(http.MethodPut, "/target/nope", map[string]any{"name": "x"})
			}},
		{name: "404 delete unknown target", http: 404, code: 404,
			send: func(e *env, c *client, _ string) reply {
				return c.query(http.MethodDelete, "/target/nope", nil)
			}},
		{name: "404 bulk delete with one unknown", http: 404, code: 404, setup: withTarget,
			send: func(e *env, c *client, id string) reply {
				return c.json(http.MethodDelete, "/targets", map[string]any{"targetId": id + ",nope"})
			}},
		{name: "414 create without name", http: 400, code: 414, message: "Parameter required not exists or not correct",
			send: func(e *env, c *client, _ string) reply {
				return c.json(http.MethodPost, "/targets", map[string]any{"image": b64(photo("coffee"))})
			}},
		{name: "414 name of 65 characters", http: 400, code: 414,
			send: func(e *env, c *client, _ string) reply {
				return c.json(http.MethodPost, "/targets", map[string]any{"image": b64(photo("coffee")), "name": strings.Repeat("n", 65)})
			}},
		{name: "414 name not ASCII", http: 400, code: 414,
			send: func(e *env, c *client, _ string) reply {
				return c.json(http.MethodPost, "/targets", map[string]any{"image": b64(photo("coffee")), "name": "咖啡"})
			}},
		{name: "414 name is a number", http: 400, code: 414,
			send: func(e *env, c *client, _ string) reply {
				return c.json(http.MethodPost, "/targets", map[string]any{"image": b64(photo("coffee")), "name": 42})
			}},
		{name: "414 type other than ImageTarget", http: 400, code: 414,
			send: func(e *env, c *client, _ string) reply {
				return c.json(http.MethodPost, "/targets", map[string]any{"image": b64(photo("coffee")), "name": "x", "type": "ObjectTarget"})
			}},
		{name: "414 active neither 0 nor 1", http: 400, code: 414, setup: withTarget,
			send: func(e *env, c *client, id string) reply {
				return c.json(http.MethodPut, "/target/"+id, map[string]any{"active": "2"})
			}},
		{name: "414 truncated base64", http: 400, code: 414,
			send: func(e *env, c *client, _ string) reply {
				s := b64(photo("coffee"))
				return c.json(http.MethodPost, "/targets", map[string]any{"image": s[:len(s)-3], "name": "x"})
			}},
		{name: "414 image is an object", http: 400, code: 414,
			send: func(e *env, c *client, _ string) reply {
				return c.json(http.MethodPost, "/targets", map[string]any{"image": map[string]any{"a": 1}, "name": "x"})
			}},
		{name: "414 body not JSON", http: 400, code: 414,
			send: func(e *env, c *client, _ string) reply {
				return c.raw(http.MethodPost, "/targets", "application/json", []byte(`{"image": "abc", "name": `))
			}},
		{name: "414 pageSize 101", http: 400, code: 414,
			send: func(e *env, c *client, _ string) reply {
				return c.query(http.MethodGet, "/targets/infos", map[string]any{"pageSize": 101})
			}},
		{name: "414 size not a number", http: 400, code: 414,
			send: func(e *env, c *client, _ string) reply {
				return c.json(http.MethodPost, "/targets", map[string]any{"image": b64(photo("coffee")), "name": "x", "size": "wide"})
			}},
		{name: "414 size NaN", http: 400, code: 414,
			send: func(e *env, c *client, _ string) reply {
				return c.json(http.MethodPost, "/targets", map[string]any{"image": b64(photo("coffee")), "name": "x", "size": "NaN"})
			}},
		{name: "422 image over 2 MB", http: 413, code: 422, message: "The image or meta exceeds its maximum permitted size",
			send: func(e *env, c *client, _ string) reply {
				big := append(append([]byte{}, photo("coffee")...), make([]byte, 2<<20)...)
				return c.json(http.MethodPost, "/targets", map[string]any{"image": b64(big), "name": "x"})
			}},
		{name: "422 meta over 2 MB", http: 413, code: 422,
			send: func(e *env, c *client, _ string) reply {
				return c.json(http.MethodPost, "/targets", map[string]any{"image": b64(photo("coffee")), "name": "x", "meta": strings.Repeat("m", 2<<20+1)})
			}},
		{name: "422 a 50000x50000 PNG header", http: 413, code: 422,
			send: func(e *env, c *client, _ string) reply {
				return c.json(http.MethodPost, "/targets", map[string]any{"image": b64(pngHeader(50000, 50000)), "name": "x"})
			}},
		{name: "417 store refuses the write", http: 500, code: 417, message: "fail to add image",
			setup: func(e *env) string {
				e.Refuse("fail_add", "INSERT", "targets")
				return ""
			},
			send: func(e *env, c *client, _ string) reply {
				return c.json(http.MethodPost, "/targets", map[string]any{"image": b64(photo("coffee")), "name": "x"})
			}},
		{name: "417 database at capacity", http: 500, code: 417, setup: withTarget,
			tune: func(_ *config.Config, g *store.Gallery) { g.Capacity = 1 },
			send: func(e *env, c *client, _ string) reply {
				return c.json(http.MethodPost, "/targets", map[string]any{"image": b64(photo("rocket")), "name": "x"})
			}},
		{name: "419 similar target exists", http: 409, code: 419, message: "Cannot update target in database because similar target exists.",
			setup: withTarget,
			send: func(e *env, c *client, _ string) reply {
				return c.json(http.MethodPost, "/targets", map[string]any{"image": b64(edited(e.t, "coffee", distort.Scale(0.5))), "name": "again"})
			}},
		{name: "419 the same image under another name", http: 409, code: 419, setup: withTarget,
			send: func(e *env, c *client, _ string) reply {
				return c.json(http.MethodPost, "/targets", map[string]any{"image": b64(photo("coffee")), "name": "again"})
			}},
		{name: "419 image update to another target's file", http: 409, code: 419, setup: withTwoTargets,
			send: func(e *env, c *client, id string) reply {
				return c.json(http.MethodPut, "/target/"+id, map[string]any{"image": b64(photo("coffee"))})
			}},
		{name: "420 store refuses the delete", http: 500, code: 420, message: "Target delete failed",
			setup: func(e *env) string {
				id := withTarget(e)
				e.Refuse("fail_delete", "DELETE", "targets")
				return id
			},
			send: func(e *env, c *client, id string) reply {
				return c.query(http.MethodDelete, "/target/"+id, nil)
			}},
		{name: "424 store refuses to deactivate", http: 500, code: 424, message: "Target enable error",
			setup: func(e *env) string {
				id := withTarget(e)
				e.Refuse("fail_enable", "UPDATE OF active", "targets")
				return id
			},
			send: func(e *env, c *client, id string) reply {
				return c.json(http.MethodPut, "/target/"+id, map[string]any{"active": "0"})
			}},
		{name: "403 the same image and name, allowSimilar 1", http: 409, code: 403, message: "Target already exists",
			setup: withTarget,
			send: func(e *env, c *client, _ string) reply {
				return c.json(http.MethodPost, "/targets", map[string]any{"image": b64(photo("coffee")), "name": "coffee", "allowSimilar": "1"})
			}},
		{name: "403 the same image and name, no allowSimilar", http: 409, code: 403, setup: withTarget,
			send: func(e *env, c *client, _ string) reply {
				return c.json(http.MethodPost, "/targets", map[string]any{"image": b64(photo("coffee")), "name": "coffee"})
			}},
		{name: "403 image update to another target's file and name", http: 409, code: 403, setup: withTwoTargets,
			send: func(e *env, c *client, id string) reply {
				return c.json(http.MethodPut, "/target/"+id, map[string]any{"image": b64(photo("coffee")), "name": "coffee", "allowSimilar": "1"})
			}},
		{name: "426 expectNumber 11", http: 400, code: 426, message: "Judge exceeds maxium candidates", setup: withTarget,
			send: func(e *env, c *client, _ string) reply {
				return c.json(http.MethodPost, "/search", map[string]any{"image": b64(photo("coffee")), "expectNumber": 11})
			}},
		{name: "427 not an image", http: 400, code: 427, message: "Image not correct",
			send: func(e *env, c *client, _ string) reply {
				return c.json(http.MethodPost, "/targets", map[string]any{"image": b64([]byte("hello, I am text")), "name": "x"})
			}},
		{name: "427 a 1x1 image", http: 400, code: 427,
			send: func(e *env, c *client, _ string) reply {
				return c.json(http.MethodPost, "/targets", map[string]any{"image": b64(encodePNG(e.t, image.NewGray(image.Rect(0, 0, 1, 1)))), "name": "x"})
			}},
		{name: "427 a GIF", http: 400, code: 427,
			send: func(e *env, c *client, _ string) reply {
				return c.json(http.MethodPost, "/targets", map[string]any{"image": b64(encodeGIF(e.t)), "name": "x"})
			}},
		{name: "427 a blank image", http: 400, code: 427,
			send: func(e *env, c *client, _ string) reply {
				return c.json(http.MethodPost, "/targets", map[string]any{"image": b64(encodePNG(e.t, blank(200, 150))), "name": "x"})
			}},
		{name: "427 truncated JPEG", http: 400, code: 427,
			send: func(e *env, c *client, _ string) reply {
				p := photo("coffee")
				return c.json(http.MethodPost, "/targets", map[string]any{"image": b64(p[:len(p)/2]), "name": "x"})
			}},
		{name: "17 no match", http: 404, code: 17, message: "No result: there is no matching.", setup: withTarget,
			send: func(e *env, c *client, _ string) reply {
				return c.json(http.MethodPost, "/search", map[string]any{"image": b64(photo("rocket"))})
			}},
		{name: "18 no active target", http: 500, code: 18,
			send: func(e *env, c *client, _ string) reply {
				return c.json(http.MethodPost, "/search", map[string]any{"image": b64(photo("rocket"))})
			}},
		{name: "19 search times out", http: 408, code: 19, setup: withTarget,
			send: func(e *env, c *client, _ string) reply {
				slow := reopen(e.t, e, func(c *config.Config) { c.Search.Timeout = time.Nanosecond })
				return slow.client().json(http.MethodPost, "/search", map[string]any{"image": b64(photo("coffee"))})
			}},
		{name: "20 store cannot be read", http: 500, code: 20,
			setup: func(e *env) string {
				id := withTarget(e)
				e.Exec(`ALTER TABLE targets RENAME TO targets_lost`)
				return id
			},
			send: func(e *env, c *client, _ string) reply {
				return c.json(http.MethodPost, "/search", map[string]any{"image": b64(photo("coffee"))})
			}},
		{name: "21 daily limit", http: 402, code: 21, setup: withTarget,
			tune: func(_ *config.Config, g *store.Gallery) { g.DailySearches = 1 },
			send: func(e *env, c *client, _ string) reply {
				want(e.t, c.json(http.MethodPost, "/search", map[string]any{"image": b64(photo("coffee"))}), 200, 0)
				return c.json(http.MethodPost, "/search", map[string]any{"image": b64(photo("coffee"))})
			}},
		{name: "21 QPS limit", http: 200, code: 21, setup: withTarget,
			tune: func(_ *config.Config, g *store.Gallery) { g.QPS = 1 },
			send: func(e *env, c *client, _ string) reply {
				// Three searches at once: the limit admits one a second, so
				// at least two are refused however long each takes (sent one
				// after the other, a search slower than a second on a busy
				// machine would let the next in).
				replies := make(chan reply, 3)
				for range 3 {
					go func() {
						var r reply
						defer func() { replies <- r }() // also when a failed request ends the goroutine
						r = c.json(http.MethodPost, "/search", map[string]any{"image": b64(photo("coffee"))})
					}()
				}
				var got reply
				for range 3 {
					if r := <-replies; got.StatusCode != 21 {
						got = r
					}
				}
				return got
			}},
		{name: "30 legacy tunnel", http: 501, code: 30,
			send: func(e *env, c *client, _ string) reply {
				return c.json(http.MethodPost, "/tunnels/", nil)
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var tune []func(*config.Config, *store.Gallery)
			if tt.tune != nil {
				tune = append(tune, tt.tune)
			}
			e := newEnv(t, tune...)
			var id string
			if tt.setup != nil {
				id = tt.setup(e)
			}
			before := e.Snapshot()
			r := tt.send(e, e.client(), id)
			want(t, r, tt.http, tt.code)
			if tt.message != "" && r.message() != tt.message {
				t.Errorf("message %q, want %q", r.message(), tt.message)
			}
			if tt.code != 0 && tt.code != 20 {
				if after := e.Snapshot(); after != before {
					t.Errorf("refused request changed the gallery: %s -> %s", before, after)
				}
			}
		})
	}
}

// withTarget adds the coffee photo as a target.
func withTarget(e *env) string { return e.client().createTarget("coffee", photo("coffee"), nil) }

// withTwoTargets adds the coffee and rocket photos as targets and returns
// the rocket's ID.
func withTwoTargets(e *env) string {
	withTarget(e)
	return e.client().createTarget("rocket", photo("rocket"), nil)
}

// rawJSON sends an already signed body.
func (c *client) rawJSON(method, path string, body map[string]any) reply {
	c.e.t.Helper()
	b, _ := jsonMarshal(body)
	return c.raw(method, path, "application/json", b)
}

// pngHeader returns a PNG file whose header claims w×h pixels.
func pngHeader(w, h uint32) []byte {
	var b bytes.Buffer
	b.WriteString("\x89PNG\r\n\x1a\n")
	ihdr := make([]byte, 13)
	binary.BigEndian.PutUint32(ihdr[0:], w)
	binary.BigEndian.PutUint32(ihdr[4:], h)
	ihdr[8], ihdr[9] = 8, 2
	binary.Write(&b, binary.BigEndian, uint32(len(ihdr)))
	b.WriteString("IHDR")
	b.Write(ihdr)
	binary.Write(&b, binary.BigEndian, crc32.ChecksumIEEE(append([]byte("IHDR"), ihdr...)))
	return b.Bytes()
}

func encodeGIF(t testing.TB) []byte {
	var b bytes.Buffer
	if err := gif.Encode(&b, distort.Scale(1)(testphotoImage("coffee")), nil); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// blank returns a white picture.
func blank(w, h int) image.Image {
	img := image.NewGray(image.Rect(0, 0, w, h))
	for i := range img.Pix {
		img.Pix[i] = 0xff
	}
	return img
}
