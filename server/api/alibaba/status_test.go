package alibaba_test

import (
	"bytes"
	"image"
	"image/jpeg"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	imagesearch "github.com/alibabacloud-go/imagesearch-20201214/v4/client"
	"github.com/alibabacloud-go/tea/dara"

	"github.com/pixmatch/pixmatch/server/api/alibaba/metabody"
	"github.com/pixmatch/pixmatch/server/config"
	"github.com/pixmatch/pixmatch/server/internal/testserver"
	"github.com/pixmatch/pixmatch/server/store"
	"github.com/pixmatch/pixmatch/shared/apierror"
	"github.com/pixmatch/pixmatch/shared/testphoto"
)

// fixture is what a status test works with.
type fixture struct {
	t   *testing.T
	s   *testserver.Server
	sdk *imagesearch.Client
}

// sdkCall runs an SDK call and turns its error into an answer.
func (f *fixture) sdkCall(err error) answer {
	f.t.Helper()
	if err == nil {
		return answer{HTTP: 200}
	}
	code, status := sdkError(f.t, err)
	msg := ""
	if e, ok := errorMessage(err); ok {
		msg = e
	}
	return answer{HTTP: status, Body: map[string]any{"Code": code, "Message": msg}}
}

func (f *fixture) add(product, pic, photo string) {
	f.t.Helper()
	_, err := f.sdk.AddImage(&imagesearch.AddImageRequest{InstanceName: instance, ProductId: dara.String(product),
		PicName: dara.String(pic), PicContent: photoB64(photo)})
	if err != nil {
		f.t.Fatal(err)
	}
}

func (f *fixture) addReq(pic string) *imagesearch.AddImageRequest {
	return &imagesearch.AddImageRequest{InstanceName: instance, ProductId: dara.String("p"),
		PicName: dara.String("x.jpg"), PicContent: dara.String(pic)}
}

func jpegOf(t testing.TB, img image.Image) []byte {
	var b bytes.Buffer
	if err := jpeg.Encode(&b, img, &jpeg.Options{Quality: 85}); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// withOrientation puts an EXIF APP1 segment with the given orientation
// tag into a JPEG file.
func withOrientation(jpg []byte, o uint16) []byte {
	tiff := []byte{'M', 'M', 0, 42, 0, 0, 0, 8, 0, 1, 0x01, 0x12, 0, 3, 0, 0, 0, 1, byte(o >> 8), byte(o), 0, 0, 0, 0, 0, 0}
	seg := append([]byte("Exif\x00\x00"), tiff...)
	out := append([]byte{}, jpg[:2]...)
	out = append(out, 0xff, 0xe1, byte((len(seg)+2)>>8), byte(len(seg)+2))
	return append(append(out, seg...), jpg[2:]...)
}

func legacyAddWith(fields ...metabody.Field) []byte { return metabody.Build(fields) }

// TestStatusCodes sends, for every code of the Alibaba table, the request
// that causes it, and checks the code, message and HTTP status, and that
// a refused request changed nothing.
func TestStatusCodes(t *testing.T) {
	coffee := b64(testphoto.File("coffee"))
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		time.Sleep(time.Second)
		w.Write(testphoto.File("coffee"))
	}))
	defer slow.Close()
	closed, _ := net.Listen("tcp", "127.0.0.1:0")
	closedURL := "http://" + closed.Addr().String() + "/x.jpg"
	closed.Close()
	allowLoopback := func(c *config.Config, _ *store.Gallery) {
		c.Alibaba.FetchAllow = []string{"127.0.0.1/32"}
		c.Alibaba.FetchTimeout = 300 * time.Millisecond
	}
	withCoffee := func(f *fixture) { f.add("p1", "coffee.jpg", "coffee") }
	tests := []struct {
		code  *apierror.Error
		why   string
		tune  testserver.Tune
		setup func(*fixture)
		send  func(*fixture) answer
	}{
		{code: apierror.NoPermission, why: "wrong secret", send: func(f *fixture) answer {
			bad := newSDK(f.t, f.s.Addr(), testserver.Key, "wrong", false)
			_, err := bad.Detail(&imagesearch.DetailRequest{InstanceName: instance})
			return f.sdkCall(err)
		}},
		{code: apierror.SignatureNonceUsed, why: "a captured request sent again", send: func(f *fixture) answer {
			sdk, w := tappedSDK(f.t, f.s.Addr(), false)
			if _, err := sdk.Detail(&imagesearch.DetailRequest{InstanceName: instance}); err != nil {
				f.t.Fatal(err)
			}
			return resend(f.t, f.s.Addr(), w.captured())
		}},
		{code: apierror.BadRequest, why: "Crop neither true nor false", send: func(f *fixture) answer {
			return rpc(f.t, f.s, "SearchImageByPic", map[string]string{"InstanceName": testserver.Instance, "PicContent": coffee, "Crop": "maybe"})
		}},
		{code: apierror.InstanceStatusError, why: "suspended instance", tune: func(_ *config.Config, g *store.Gallery) { g.Suspended = true },
			send: func(f *fixture) answer {
				_, err := f.sdk.Detail(&imagesearch.DetailRequest{InstanceName: instance})
				return f.sdkCall(err)
			}},
		{code: apierror.DeniedRequest, why: "over the instance's QPS", tune: func(_ *config.Config, g *store.Gallery) { g.QPS = 1 }, setup: withCoffee,
			send: func(f *fixture) answer {
				// A cluster counts searches in fixed windows of a second
				// (shared through PostgreSQL): two searches may fall on either
				// side of a window's end, but of five in a row, each well under
				// a second, two share one.
				req := &imagesearch.SearchImageByPicRequest{InstanceName: instance, PicContent: dara.String(coffee)}
				var err error
				for range 5 {
					if _, err = f.sdk.SearchImageByPic(req); err != nil {
						break
					}
				}
				return f.sdkCall(err)
			}},
		{code: apierror.InvalidInstance, why: "unknown instance", send: func(f *fixture) answer {
			_, err := f.sdk.Detail(&imagesearch.DetailRequest{InstanceName: dara.String("nosuch")})
			return f.sdkCall(err)
		}},
		{code: apierror.NoCaretSeperator, why: "legacy body without ^", send: func(f *fixture) answer {
			return legacy(f.t, f.s, "add", []byte("item_id,0,3"))
		}},
		{code: apierror.EmptyMeta, why: "legacy body with nothing before ^", send: func(f *fixture) answer {
			return legacy(f.t, f.s, "add", []byte("^abc"))
		}},
		{code: apierror.InvalidMetaItem, why: "legacy offsets past the content", send: func(f *fixture) answer {
			return legacy(f.t, f.s, "add", []byte("item_id,0,99^abc"))
		}},
		{code: apierror.NoPicList, why: "legacy add without pic_list", send: func(f *fixture) answer {
			return legacy(f.t, f.s, "add", legacyAddWith(metabody.Field{Key: "item_id", Value: "i"}))
		}},
		{code: apierror.InvalidPicList, why: "legacy pic_list not base64", send: func(f *fixture) answer {
			return legacy(f.t, f.s, "add", legacyAddWith(metabody.Field{Key: "item_id", Value: "i"}, metabody.Field{Key: "pic_list", Value: "@@@"}))
		}},
		{code: apierror.NoSpecifiedPic, why: "legacy pic listed but not sent", send: func(f *fixture) answer {
			return legacy(f.t, f.s, "add", legacyAddWith(metabody.Field{Key: "item_id", Value: "i"}, metabody.Field{Key: "pic_list", Value: metabody.PicKey("a.jpg")}))
		}},
		{code: apierror.NoSpecifiedSearchPic, why: "legacy search picture empty", send: func(f *fixture) answer {
			k := metabody.PicKey(metabody.SearchPicName)
			return legacy(f.t, f.s, "search", legacyAddWith(metabody.Field{Key: "pic_list", Value: k}, metabody.Field{Key: k, Value: ""}))
		}},
		{code: apierror.InvalidCategory, why: "CategoryId 50", send: func(f *fixture) answer {
			req := f.addReq(coffee)
			req.CategoryId = dara.Int32(50)
			_, err := f.sdk.AddImage(req)
			return f.sdkCall(err)
		}},
		{code: apierror.OverflowMaxResultNum, why: "Start 450 + Num 100", send: func(f *fixture) answer {
			_, err := f.sdk.SearchImageByPic(&imagesearch.SearchImageByPicRequest{InstanceName: instance, PicContent: dara.String(coffee), Start: dara.Int32(450), Num: dara.Int32(100)})
			return f.sdkCall(err)
		}},
		{code: apierror.OverflowMaxReturnNum, why: "Num 101", send: func(f *fixture) answer {
			_, err := f.sdk.SearchImageByPic(&imagesearch.SearchImageByPicRequest{InstanceName: instance, PicContent: dara.String(coffee), Num: dara.Int32(101)})
			return f.sdkCall(err)
		}},
		{code: apierror.InvalidStartParameter, why: "legacy s=600", send: func(f *fixture) answer {
			return legacy(f.t, f.s, "search", searchBody("coffee", metabody.Field{Key: "s", Value: "600"}))
		}},
		{code: apierror.InvalidNumParameter, why: "legacy n=0", send: func(f *fixture) answer {
			return legacy(f.t, f.s, "search", searchBody("coffee", metabody.Field{Key: "n", Value: "0"}))
		}},
		{code: apierror.NoSpecifiedAddPic, why: "legacy add with an empty picture", send: func(f *fixture) answer {
			k := metabody.PicKey("a.jpg")
			return legacy(f.t, f.s, "add", legacyAddWith(metabody.Field{Key: "item_id", Value: "i"}, metabody.Field{Key: "pic_list", Value: k}, metabody.Field{Key: k, Value: ""}))
		}},
		{code: apierror.NoSpecifiedItemId, why: "legacy add without item_id", send: func(f *fixture) answer {
			k := metabody.PicKey("a.jpg")
			return legacy(f.t, f.s, "add", legacyAddWith(metabody.Field{Key: "pic_list", Value: k}, metabody.Field{Key: k, Value: coffee}))
		}},
		{code: apierror.InvalidIntAttr, why: "IntAttr not an int32", send: func(f *fixture) answer {
			return rpc(f.t, f.s, "AddImage", map[string]string{"InstanceName": testserver.Instance, "ProductId": "p", "PicName": "x", "PicContent": coffee, "IntAttr": "4294967296"})
		}},
		{code: apierror.UnsupportedPicFormat, why: "PicContent is text", send: func(f *fixture) answer {
			_, err := f.sdk.AddImage(f.addReq(b64([]byte("this is not a picture at all"))))
			return f.sdkCall(err)
		}},
		{code: apierror.UnsupportedPicFormat, why: "SearchImageByPic of text, on an empty instance", send: func(f *fixture) answer {
			_, err := f.sdk.SearchImageByPic(&imagesearch.SearchImageByPicRequest{InstanceName: instance, PicContent: dara.String(b64([]byte("this is not a picture at all")))})
			return f.sdkCall(err)
		}},
		{code: apierror.InvalidFilterClause, why: "Filter on an unknown field", send: func(f *fixture) answer {
			_, err := f.sdk.SearchImageByPic(&imagesearch.SearchImageByPicRequest{InstanceName: instance, PicContent: dara.String(coffee), Filter: dara.String("price > 3")})
			return f.sdkCall(err)
		}},
		{code: apierror.InstanceOverQuota, why: "capacity 1, second picture", tune: func(_ *config.Config, g *store.Gallery) { g.Capacity = 1 }, setup: withCoffee,
			send: func(f *fixture) answer {
				_, err := f.sdk.AddImage(f.addReq(b64(testphoto.File("rocket"))))
				return f.sdkCall(err)
			}},
		{code: apierror.IncorrectOrientation, why: "EXIF orientation 9", send: func(f *fixture) answer {
			_, err := f.sdk.AddImage(f.addReq(b64(withOrientation(testphoto.File("coffee"), 9))))
			return f.sdkCall(err)
		}},
		{code: apierror.UnsupportedPicPixels, why: "a 60x60 picture", send: func(f *fixture) answer {
			_, err := f.sdk.AddImage(f.addReq(b64(jpegOf(f.t, image.NewGray(image.Rect(0, 0, 60, 60))))))
			return f.sdkCall(err)
		}},
		{code: apierror.SearchTimeout, why: "search deadline of 1 ns", setup: withCoffee, send: func(f *fixture) answer {
			s := f.s.Reopen(func(c *config.Config) { c.Search.Timeout = time.Nanosecond })
			sdk := newSDK(f.t, s.Addr(), testserver.Key, testserver.Secret, false)
			_, err := sdk.SearchImageByPic(&imagesearch.SearchImageByPicRequest{InstanceName: instance, PicContent: dara.String(coffee)})
			return f.sdkCall(err)
		}},
		{code: apierror.PicNotExist, why: "SearchImageByName of a missing picture", send: func(f *fixture) answer {
			_, err := f.sdk.SearchImageByName(&imagesearch.SearchImageByNameRequest{InstanceName: instance, ProductId: dara.String("p"), PicName: dara.String("x")})
			return f.sdkCall(err)
		}},
		{code: apierror.NoSpecifiedProductId, why: "AddImage without ProductId", send: func(f *fixture) answer {
			req := f.addReq(coffee)
			req.ProductId = nil
			_, err := f.sdk.AddImage(req)
			return f.sdkCall(err)
		}},
		{code: apierror.NoSpecifiedPicName, why: "AddImage without PicName", send: func(f *fixture) answer {
			req := f.addReq(coffee)
			req.PicName = nil
			_, err := f.sdk.AddImage(req)
			return f.sdkCall(err)
		}},
		{code: apierror.NoSpecifiedPicContent, why: "AddImage without PicContent", send: func(f *fixture) answer {
			req := f.addReq(coffee)
			req.PicContent = nil
			_, err := f.sdk.AddImage(req)
			return f.sdkCall(err)
		}},
		{code: apierror.InvalidType, why: "SearchImage of Type SearchByText", send: func(f *fixture) answer {
			return rpc(f.t, f.s, "SearchImage", map[string]string{"InstanceName": testserver.Instance, "Type": "SearchByText", "PicContent": coffee})
		}},
		{code: apierror.InvalidProductId, why: "ProductId of 257 characters", send: func(f *fixture) answer {
			req := f.addReq(coffee)
			req.ProductId = dara.String(strings.Repeat("p", 257))
			_, err := f.sdk.AddImage(req)
			return f.sdkCall(err)
		}},
		{code: apierror.InvalidPicName, why: "PicName of 257 characters", send: func(f *fixture) answer {
			req := f.addReq(coffee)
			req.PicName = dara.String(strings.Repeat("n", 257))
			_, err := f.sdk.AddImage(req)
			return f.sdkCall(err)
		}},
		{code: apierror.InvalidStrAttr, why: "StrAttr with a $", send: func(f *fixture) answer {
			req := f.addReq(coffee)
			req.StrAttr2 = dara.String("US$5")
			_, err := f.sdk.AddImage(req)
			return f.sdkCall(err)
		}},
		{code: apierror.InvalidCustomContent, why: "CustomContent of 4097 characters", send: func(f *fixture) answer {
			req := f.addReq(coffee)
			req.CustomContent = dara.String(strings.Repeat("c", 4097))
			_, err := f.sdk.AddImage(req)
			return f.sdkCall(err)
		}},
		{code: apierror.InvalidPicContent, why: "a picture over 4 MB", send: func(f *fixture) answer {
			big := append(append([]byte{}, testphoto.File("coffee")...), make([]byte, 4<<20)...)
			_, err := f.sdk.AddImage(f.addReq(b64(big)))
			return f.sdkCall(err)
		}},
		{code: apierror.TimeoutForTransferImage, why: "PicContent URL slower than the limit", tune: allowLoopback, send: func(f *fixture) answer {
			_, err := f.sdk.AddImage(f.addReq(slow.URL + "/coffee.jpg"))
			return f.sdkCall(err)
		}},
		{code: apierror.InvalidInstanceName, why: "no InstanceName", send: func(f *fixture) answer {
			_, err := f.sdk.Detail(&imagesearch.DetailRequest{})
			return f.sdkCall(err)
		}},
		{code: apierror.InvalidRequestId, why: "an empty RequestId", send: func(f *fixture) answer {
			return rpc(f.t, f.s, "Detail", map[string]string{"InstanceName": testserver.Instance, "RequestId": ""})
		}},
		{code: apierror.InvalidRequestIdTooLarge, why: "a RequestId of 65 characters", send: func(f *fixture) answer {
			return rpc(f.t, f.s, "Detail", map[string]string{"InstanceName": testserver.Instance, "RequestId": strings.Repeat("r", 65)})
		}},
		{code: apierror.InvalidRegion, why: "Region outside the picture", send: func(f *fixture) answer {
			req := f.addReq(coffee)
			req.Region = dara.String("0,900,0,100")
			_, err := f.sdk.AddImage(req)
			return f.sdkCall(err)
		}},
		{code: apierror.InvalidPicUrl, why: "PicContent URL to a loopback address", send: func(f *fixture) answer {
			_, err := f.sdk.AddImage(f.addReq(slow.URL + "/coffee.jpg"))
			return f.sdkCall(err)
		}},
		{code: apierror.UnsupportedInstanceType, why: "SearchImageByText on a generic instance", send: func(f *fixture) answer {
			_, err := f.sdk.SearchImageByText(&imagesearch.SearchImageByTextRequest{InstanceName: instance, Text: dara.String("cat")})
			return f.sdkCall(err)
		}},
		{code: apierror.UnsupportedOperationType, why: "an unknown action", send: func(f *fixture) answer {
			return rpc(f.t, f.s, "TranslateImage", map[string]string{"InstanceName": testserver.Instance})
		}},
		{code: apierror.NetworkException, why: "PicContent URL to a closed port", tune: allowLoopback, send: func(f *fixture) answer {
			_, err := f.sdk.AddImage(f.addReq(closedURL))
			return f.sdkCall(err)
		}},
		{code: apierror.RequestTimeout, why: "a body sent slower than the limit",
			tune: func(c *config.Config, _ *store.Gallery) { c.Server.BodyTimeout = 200 * time.Millisecond },
			send: func(f *fixture) answer { return slowBody(f.t, f.s) }},
		{code: apierror.ExtractFeatureTimeout, why: "fingerprint deadline of 1 ns",
			tune: func(c *config.Config, _ *store.Gallery) { c.Images.FeatureTimeout = time.Nanosecond },
			send: func(f *fixture) answer {
				_, err := f.sdk.AddImage(f.addReq(coffee))
				return f.sdkCall(err)
			}},
		{code: apierror.AccessEngineFailed, why: "the store cannot read a matched picture", setup: func(f *fixture) {
			withCoffee(f)
			f.s.Exec(`ALTER TABLE targets RENAME TO targets_lost`)
		}, send: func(f *fixture) answer {
			_, err := f.sdk.SearchImageByPic(&imagesearch.SearchImageByPicRequest{InstanceName: instance, PicContent: dara.String(coffee)})
			return f.sdkCall(err)
		}},
		{code: apierror.InternalOssError, why: "the dump folder cannot be made",
			tune: func(c *config.Config, _ *store.Gallery) { c.Alibaba.Files = "/dev/null/files" },
			send: func(f *fixture) answer {
				_, err := f.sdk.DumpMeta(&imagesearch.DumpMetaRequest{InstanceName: instance})
				return f.sdkCall(err)
			}},
		{code: apierror.InternalSwiftError, why: "the change log refuses the write", setup: func(f *fixture) {
			f.s.Refuse("fail_log", "INSERT", "changes")
		}, send: func(f *fixture) answer {
			_, err := f.sdk.AddImage(f.addReq(coffee))
			return f.sdkCall(err)
		}},
		{code: apierror.InternalTableStoreError, why: "the store refuses the write", setup: func(f *fixture) {
			f.s.Refuse("fail_add", "INSERT", "targets")
		}, send: func(f *fixture) answer {
			_, err := f.sdk.AddImage(f.addReq(coffee))
			return f.sdkCall(err)
		}},
		{code: apierror.InternalError, why: "the key store cannot be read", setup: func(f *fixture) {
			f.s.Exec(`ALTER TABLE keys RENAME TO keys_lost`)
		}, send: func(f *fixture) answer {
			_, err := f.sdk.Detail(&imagesearch.DetailRequest{InstanceName: instance})
			return f.sdkCall(err)
		}},
	}
	seen := map[string]bool{}
	for _, tt := range tests {
		seen[tt.code.Code] = true
		t.Run(tt.code.Code+" "+tt.why, func(t *testing.T) {
			var tune []testserver.Tune
			if tt.tune != nil {
				tune = append(tune, tt.tune)
			}
			f := &fixture{t: t, s: testserver.New(t, tune...)}
			f.sdk = newSDK(t, f.s.Addr(), testserver.Key, testserver.Secret, false)
			if tt.setup != nil {
				tt.setup(f)
			}
			before := ""
			if tt.code != apierror.AccessEngineFailed && tt.code != apierror.InternalError {
				before = f.s.Snapshot()
			}
			a := tt.send(f)
			if a.HTTP != tt.code.Status || a.code() != tt.code.Code {
				t.Fatalf("HTTP %d %s, want HTTP %d %s: %s %v", a.HTTP, a.code(), tt.code.Status, tt.code.Code, a.raw, a.Body)
			}
			if msg := a.message(); msg != tt.code.Message && !strings.Contains(msg, tt.code.Message) {
				t.Errorf("message %q, want %q", msg, tt.code.Message)
			}
			if before != "" && f.s.Snapshot() != before {
				t.Errorf("the refused request changed the instance: %s -> %s", before, f.s.Snapshot())
			}
		})
	}
	for _, e := range apierror.All() {
		if e.Dialect == apierror.Alibaba && !seen[e.Code] {
			t.Errorf("no test sends the request that causes %s", e.Code)
		}
	}
}

// slowBody sends the headers of an RPC request and then stalls the body.
func slowBody(t testing.TB, s *testserver.Server) answer {
	conn, err := net.Dial("tcp", s.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.Write([]byte("POST /?Action=Detail HTTP/1.1\r\nHost: " + s.Addr() +
		"\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 1000\r\n\r\nInstanceName="))
	conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	res, err := http.ReadResponse(bufioReader(conn), nil)
	if err != nil {
		t.Fatal(err)
	}
	return decode(t, res)
}
