package crsclient_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/pixmatch/pixmatch/server/internal/crsclient"
	"github.com/pixmatch/pixmatch/server/internal/testserver"
)

// TestSignedRequests: a GET (signed in its query) and a POST (in its
// body) are accepted by a real server, and their envelopes read.
func TestSignedRequests(t *testing.T) {
	s := testserver.New(t)
	c := crsclient.Client{AppID: testserver.AppID, Key: testserver.Key, Secret: testserver.Secret}
	a, err := c.Do(context.Background(), http.MethodGet, s.URL()+"/targets/count", nil)
	if err != nil || a.StatusCode != 0 || !strings.Contains(string(a.Result), `"count":0`) || a.Took <= 0 {
		t.Errorf("GET /targets/count: %+v, %v", a, err)
	}
	a, err = c.Do(context.Background(), http.MethodPost, s.URL()+"/search/", map[string]string{"image": "not base64"})
	if err != nil || a.StatusCode == 0 {
		t.Errorf("a search of a broken image: %+v, %v; want a refusal's statusCode", a, err)
	}
	c.Secret = "wrong"
	if a, err = c.Do(context.Background(), http.MethodGet, s.URL()+"/targets/count", nil); err != nil || a.StatusCode != 2 {
		t.Errorf("a wrong secret: %+v, %v; want statusCode 2", a, err)
	}
}

// TestNoEnvelope: an answer that is not a CRS envelope (a proxy's error
// page) is an error, not a statusCode.
func TestNoEnvelope(t *testing.T) {
	proxy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "<html>bad gateway</html>", http.StatusBadGateway)
	}))
	defer proxy.Close()
	c := crsclient.Client{AppID: "a", Key: "k", Secret: "s"}
	if a, err := c.Do(context.Background(), http.MethodPost, proxy.URL+"/targets/", nil); err == nil || !strings.Contains(err.Error(), "HTTP 502") {
		t.Errorf("a proxy's error page: %+v, %v; want an error naming HTTP 502", a, err)
	}
}
