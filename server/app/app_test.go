package app_test

import (
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/pixmatch/pixmatch/server/internal/testserver"
)

// TestRootIsShared checks that GET / shows the web app to a browser and
// answers an Alibaba API call that names an action.
func TestRootIsShared(t *testing.T) {
	s := testserver.New(t)
	get := func(path string, header map[string]string) (int, string, string) {
		req, _ := http.NewRequest(http.MethodGet, s.URL()+path, nil)
		for k, v := range header {
			req.Header.Set(k, v)
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return res.StatusCode, res.Header.Get("Content-Type"), string(b)
	}
	if code, ctype, body := get("/", nil); code != 200 || !strings.HasPrefix(ctype, "text/html") || !strings.Contains(body, "/app/app.js") {
		t.Fatalf("GET /: %d %s %.80q", code, ctype, body)
	}
	// An unsigned API call: the Alibaba dialect answers, refusing it.
	if code, _, body := get("/?Action=Detail&InstanceName=default", nil); code != 403 || !strings.Contains(body, `"Code":"NoPermission"`) {
		t.Fatalf("GET /?Action=Detail: %d %s", code, body)
	}
	if code, _, body := get("/", map[string]string{"x-acs-action": "Detail"}); code != 403 || !strings.Contains(body, "NoPermission") {
		t.Fatalf("GET / with x-acs-action: %d %s", code, body)
	}
	if code, _, _ := get("/ping", nil); code != 200 {
		t.Fatalf("GET /ping: %d", code)
	}
}
