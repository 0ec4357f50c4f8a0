package testserver

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
)

// failures is a testing.TB that keeps what the validator reports.
type failures struct {
	testing.TB
	mu  sync.Mutex
	got []string
}

func (f *failures) Errorf(format string, args ...any) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.got = append(f.got, fmt.Sprintf(format, args...))
}

// TestValidatorCatchesDrift checks that the validator reports each kind
// of response the description does not allow, and lets through those it
// does.
func TestValidatorCatchesDrift(t *testing.T) {
	doc, err := Description()
	if err != nil {
		t.Fatal(err)
	}
	const crsOK = `{"statusCode":0,"result":{"count":3},"timestamp":1,"date":"1970-01-01T00:00:00.001Z"}`
	const graded = `{"statusCode":0,"result":{"grade":2},"timestamp":1,"date":"1970-01-01T00:00:00.001Z"}`
	cases := []struct {
		name, method, path, header, body string
		status                           int
		fails                            bool
	}{
		{"a count", "GET", "/targets/count", "", crsOK, 200, false},
		{"trailing slash", "GET", "/targets/count/", "", crsOK, 200, false},
		{"a count as a string", "GET", "/targets/count", "", strings.Replace(crsOK, "3", `"3"`, 1), 200, true},
		{"an undescribed field", "GET", "/targets/count", "", strings.Replace(crsOK, `"count":3`, `"count":3,"total":3`, 1), 200, true},
		{"no date in the envelope", "GET", "/targets/count", "", strings.Replace(crsOK, `,"date":"1970-01-01T00:00:00.001Z"`, "", 1), 200, true},
		{"a CRS failure", "GET", "/target/x", "", `{"statusCode":404,"result":{"message":"Target not found"},"timestamp":1,"date":"d"}`, 404, false},
		{"an Alibaba action", "POST", "/", "Detail", `{"RequestId":"r","Success":true,"Instance":{"Name":"n","Region":"r","ServiceType":1,"Capacity":0,"Qps":0,"TotalCount":0,"UtcCreate":"1","UtcExpireTime":""}}`, 200, false},
		{"an Alibaba action without its field", "POST", "/", "Detail", `{"RequestId":"r","Success":true}`, 200, true},
		{"another action's body", "POST", "/", "Detail", `{"RequestId":"r","Success":true,"Code":0,"Message":"success"}`, 200, true},
		{"an Alibaba failure", "POST", "/", "Nope", `{"Code":"UnsupportedOperationType","Message":"m","RequestId":"r","HostId":"h","Recommend":""}`, 400, false},
		{"a path the description lacks", "GET", "/targets/all", "", crsOK, 200, true},
		{"an unrouted path", "GET", "/targets/all", "", `{"statusCode":404}`, 404, false},
		{"an accepted request", "POST", "/grade/detection", "", graded, 200, false},
		{"an accepted request the description refuses", "POST", "/grade/detection", "", graded, 200, true},
		{"a refused request", "POST", "/grade/detection", "", `{"statusCode":414,"result":{"message":"m"},"timestamp":1,"date":"d"}`, 400, false},
	}
	sent := map[string]string{ // request bodies; image must be a string
		"an accepted request":                         `{"image":"aGk=","timestamp":1}`,
		"an accepted request the description refuses": `{"image":5}`,
		"a refused request":                           `{"image":5}`,
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := &failures{TB: t}
			v := &validator{t: f, doc: doc, next: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				io.Copy(io.Discard, r.Body) // as the API handlers read it
				w.Header().Set("Content-Type", "application/json")
				w.WriteHeader(c.status)
				w.Write([]byte(c.body))
			})}
			req := httptest.NewRequest(c.method, c.path, strings.NewReader(sent[c.name]))
			if sent[c.name] != "" {
				req.Header.Set("Content-Type", "application/json")
			}
			if c.header != "" {
				req.Header.Set("x-acs-action", c.header)
			}
			v.ServeHTTP(httptest.NewRecorder(), req)
			v.checks.Wait()
			if failed := len(f.got) > 0; failed != c.fails {
				t.Fatalf("reported %v, want a failure: %v", f.got, c.fails)
			}
		})
	}
}
