package alibaba_test

import (
	"bytes"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha1"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/pixmatch/pixmatch/server/auth"
	"github.com/pixmatch/pixmatch/server/internal/testserver"
)

// answer is a decoded reply: the HTTP status and the JSON body.
type answer struct {
	HTTP int
	Body map[string]any
	raw  string
}

func (a answer) code() string    { s, _ := a.Body["Code"].(string); return s }
func (a answer) message() string { s, _ := a.Body["Message"].(string); return s }

func decode(t testing.TB, res *http.Response) answer {
	t.Helper()
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	a := answer{HTTP: res.StatusCode, raw: string(b)}
	if err := json.Unmarshal(b, &a.Body); err != nil {
		t.Fatalf("HTTP %d, body %q is not JSON: %v", res.StatusCode, b, err)
	}
	return a
}

// percent encodes the way Alibaba's RPC signature does (RFC 3986).
func percent(s string) string {
	return strings.NewReplacer("+", "%20", "*", "%2A", "%7E", "~").Replace(url.QueryEscape(s))
}

func nonce() string {
	b := make([]byte, 8)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// rpc sends an action signed with the classic RPC signature, for what the
// SDK cannot express (unknown actions, malformed values, extra parameters).
// The common parameters go in the query, params in the form body.
func rpc(t testing.TB, s *testserver.Server, action string, params map[string]string) answer {
	t.Helper()
	query := map[string]string{
		"AccessKeyId": testserver.Key, "Action": action, "Format": "JSON", "SignatureMethod": "HMAC-SHA1",
		"SignatureNonce": nonce(), "SignatureVersion": "1.0", "Version": "2020-12-14",
		"Timestamp": time.Now().UTC().Format("2006-01-02T15:04:05Z"),
	}
	all := map[string]string{}
	for k, v := range query {
		all[k] = v
	}
	for k, v := range params {
		all[k] = v
	}
	keys := make([]string, 0, len(all))
	for k := range all {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var pairs []string
	for _, k := range keys {
		pairs = append(pairs, percent(k)+"="+percent(all[k]))
	}
	mac := hmac.New(sha1.New, []byte(testserver.Secret+"&"))
	mac.Write([]byte("POST&%2F&" + percent(strings.Join(pairs, "&"))))
	query["Signature"] = base64.StdEncoding.EncodeToString(mac.Sum(nil))
	q, form := url.Values{}, url.Values{}
	for k, v := range query {
		q.Set(k, v)
	}
	for k, v := range params {
		form.Set(k, v)
	}
	req, _ := http.NewRequest(http.MethodPost, s.URL()+"/?"+q.Encode(), strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	return decode(t, res)
}

// legacy sends a meta^content body to /item/{op}, signed ROA-style.
func legacy(t testing.TB, s *testserver.Server, op string, body []byte) answer {
	t.Helper()
	res, err := http.DefaultClient.Do(legacyRequest(s, op, body))
	if err != nil {
		t.Fatal(err)
	}
	return decode(t, res)
}

// legacyRequest returns the request legacy sends.
func legacyRequest(s *testserver.Server, op string, body []byte) *http.Request {
	req, _ := http.NewRequest(http.MethodPost, s.URL()+"/item/"+op+"?instanceName="+testserver.Instance, bytes.NewReader(body))
	req.Header.Set("Accept", "application/json")
	req.Header.Set("Content-Type", "application/octet-stream")
	auth.SignROA(req, body, "2018-01-20", testserver.Key, testserver.Secret)
	return req
}
