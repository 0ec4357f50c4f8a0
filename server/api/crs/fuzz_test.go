package crs_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/pixmatch/pixmatch/shared/apierror"
)

// FuzzRequests sends arbitrary bodies to every writing and reading
// endpoint, signed and unsigned, and checks that each answer is a CRS
// envelope carrying a catalogue code with its HTTP status, never a server
// failure of the request parsing.
func FuzzRequests(f *testing.F) {
	for _, seed := range []string{
		`{}`, `{"image": "", "name": ""}`, `{"image": 5}`, `{"image": "////", "name": "x"}`,
		`{"name": {"a": [1, 2]}, "size": -1}`, `[1,2,3]`, `null`, `{"expectNumber": "abc"}`,
		`{"active": true, "allowSimilar": 7}`, `{"targetId": ",,,"}`, "\x00\xff", `{"image": "aGVsbG8="}`,
	} {
		for path := range 6 {
			f.Add(path, seed, true)
			f.Add(path, seed, false)
		}
	}
	e := newEnv(f)
	c := e.client()
	paths := []struct{ method, path string }{
		{http.MethodPost, "/targets"}, {http.MethodPut, "/target/x"}, {http.MethodPost, "/search"},
		{http.MethodPost, "/similar"}, {http.MethodPost, "/grade/detail"}, {http.MethodDelete, "/targets"},
	}
	f.Fuzz(func(t *testing.T, which int, body string, signed bool) {
		p := paths[(which%len(paths)+len(paths))%len(paths)]
		payload := []byte(body)
		var fields map[string]any
		if signed && json.Unmarshal(payload, &fields) == nil && fields != nil {
			payload, _ = json.Marshal(c.sign(fields))
		}
		req := httptest.NewRequest(p.method, e.srv.URL+p.path, bytes.NewReader(payload))
		req.RequestURI = ""
		req.Header.Set("Content-Type", "application/json")
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		var r reply
		if err := json.NewDecoder(res.Body).Decode(&r); err != nil {
			t.Fatalf("%s %s %q: HTTP %d, not an envelope: %v", p.method, p.path, body, res.StatusCode, err)
		}
		entries := apierror.Lookup(apierror.CRS, itoa(r.StatusCode))
		if len(entries) == 0 {
			t.Fatalf("%s %s %q: statusCode %d is not in the catalogue", p.method, p.path, body, r.StatusCode)
		}
		statusOK := false
		for _, en := range entries {
			statusOK = statusOK || en.Status == res.StatusCode
		}
		if !statusOK {
			t.Fatalf("%s %s %q: statusCode %d with HTTP %d", p.method, p.path, body, r.StatusCode, res.StatusCode)
		}
		if res.StatusCode >= 500 && r.StatusCode != 18 {
			t.Fatalf("%s %s %q: server failure %d (statusCode %d)", p.method, p.path, body, res.StatusCode, r.StatusCode)
		}
	})
}
