//go:build linux

package worker

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	imagesearch "github.com/alibabacloud-go/imagesearch-20201214/v4/client"
	"github.com/alibabacloud-go/tea/dara"

	"github.com/pixmatch/pixmatch/server/store/d1"
	"github.com/pixmatch/pixmatch/server/store/d1/d1test"
	"github.com/pixmatch/pixmatch/server/worker/workerdtest"
	"github.com/pixmatch/pixmatch/shared/apierror"
)

// splitAsWorkers splits every request header value at its commas, as
// syumai/workers v0.33.0 hands requests to Go.
func splitAsWorkers(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		for k, vs := range r.Header {
			var parts []string
			for _, v := range vs {
				parts = append(parts, strings.Split(v, ",")...)
			}
			r.Header[k] = parts
		}
		h.ServeHTTP(w, r)
	})
}

// TestRejoinedHeaders: the official Alibaba SDK's AddImage, signed with
// ACS3-HMAC-SHA256 (an Authorization header with commas), is refused
// (NoPermission) by a Worker whose headers arrive split as syumai/workers
// splits them, and accepted once they are rejoined.
func TestRejoinedHeaders(t *testing.T) {
	env := map[string]string{EnvAPIKey: workerdKey, EnvAPISecret: workerdSecret, EnvAppID: workerdAppID}
	db, blobs := d1test.Open(t), &d1.MemoryBlobs{}
	isolate := NewIsolate(func(ctx context.Context) (*d1.Store, error) { return d1.Open(ctx, db, blobs) },
		func(k string) string { return env[k] }, quiet)
	for _, c := range []struct {
		name string
		h    http.Handler
		want string
	}{
		{"split", splitAsWorkers(isolate), apierror.NoPermission.Code},
		{"rejoined", splitAsWorkers(Rejoined(isolate)), ""},
	} {
		srv := httptest.NewServer(c.h)
		w := &workerd{&workerdtest.Workerd{URL: srv.URL}, t}
		sdk, _ := w.sdk(workerdSecret)
		_, err := sdk.AddImage(&imagesearch.AddImageRequest{InstanceName: instance, ProductId: dara.String("p"),
			PicName: dara.String(c.name + ".jpg"), PicContent: w.b64("rocket", 1)})
		if code, _ := sdkCode(err); code != c.want {
			t.Errorf("AddImage with the headers %s: %q, want %q", c.name, code, c.want)
		}
		srv.Close()
	}
}
