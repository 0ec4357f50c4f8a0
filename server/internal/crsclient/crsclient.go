// Package crsclient sends requests to a server's CRS API as the
// server-end SDKs do — parameters signed with an API key (auth.Sign), in
// a JSON body, or in the query of a GET — and reads the CRS envelope of
// the answer. The load generator and the catalogue importer speak
// through it.
package crsclient

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/pixmatch/pixmatch/server/auth"
)

// Client signs requests for one gallery with one API key.
type Client struct {
	AppID, Key, Secret string
	HTTP               *http.Client // http.DefaultClient when nil
	// MaxAnswer is the most bytes of an answer read; 1 MB when zero.
	MaxAnswer int64
}

// Answer is a CRS envelope: its statusCode and result.
type Answer struct {
	StatusCode int
	Result     json.RawMessage
	// Took is the request's own time: from sending it to having read the
	// whole answer (not the signing before).
	Took time.Duration
}

// Do sends method to target (the server's URL and the path) with params
// and the signature's parameters. An error means there was no CRS
// answer; its Took is then as far as the request got.
func (c *Client) Do(ctx context.Context, method, target string, params map[string]string) (Answer, error) {
	signed := map[string]string{"apiKey": c.Key, "appId": c.AppID, "timestamp": strconv.FormatInt(time.Now().UnixMilli(), 10)}
	for k, v := range params {
		signed[k] = v
	}
	signed[auth.SignatureParam] = auth.Sign(signed, c.Secret)
	req, err := request(ctx, method, target, signed)
	if err != nil {
		return Answer{}, err
	}
	hc := c.HTTP
	if hc == nil {
		hc = http.DefaultClient
	}
	limit := c.MaxAnswer
	if limit <= 0 {
		limit = 1 << 20
	}
	began := time.Now()
	resp, err := hc.Do(req)
	if err != nil {
		return Answer{Took: time.Since(began)}, err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, limit))
	a := Answer{Took: time.Since(began)}
	if err != nil {
		return a, err
	}
	var env struct {
		StatusCode *int            `json:"statusCode"`
		Result     json.RawMessage `json:"result"`
	}
	if json.Unmarshal(data, &env) != nil || env.StatusCode == nil {
		return a, fmt.Errorf("%s answered HTTP %d without a CRS envelope: %.120q", target, resp.StatusCode, strings.TrimSpace(string(data)))
	}
	a.StatusCode, a.Result = *env.StatusCode, env.Result
	return a, nil
}

// request is a request of method to target carrying the signed params:
// in the query of a GET, else as a JSON body.
func request(ctx context.Context, method, target string, signed map[string]string) (*http.Request, error) {
	if method == http.MethodGet {
		q := url.Values{}
		for k, v := range signed {
			q.Set(k, v)
		}
		return http.NewRequestWithContext(ctx, method, target+"?"+q.Encode(), nil)
	}
	body, err := json.Marshal(signed)
	if err != nil {
		return nil, err
	}
	req, err := http.NewRequestWithContext(ctx, method, target, bytes.NewReader(body))
	if err == nil {
		req.Header.Set("Content-Type", "application/json")
	}
	return req, err
}
