package importer

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/pixmatch/pixmatch/server/auth"
)

// answer is what the server said of a create: its CRS statusCode, and the
// new target's ID or the failure's message.
type answer struct {
	code     int
	message  string
	targetID string
}

// client sends signed CRS creates to one server.
type client struct {
	url                string // the server, without a trailing slash
	appID, key, secret string
	http               *http.Client
}

// create sends POST /targets/ with fields (image, name, …) signed with the
// API key. An error means there was no CRS answer.
func (c *client) create(ctx context.Context, fields map[string]string) (answer, error) {
	signed := map[string]string{"apiKey": c.key, "appId": c.appID, "timestamp": strconv.FormatInt(time.Now().UnixMilli(), 10)}
	for k, v := range fields {
		signed[k] = v
	}
	signed[auth.SignatureParam] = auth.Sign(signed, c.secret)
	body, err := json.Marshal(signed)
	if err != nil {
		return answer{}, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.url+"/targets/", bytes.NewReader(body))
	if err != nil {
		return answer{}, err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := c.http.Do(req)
	if err != nil {
		return answer{}, err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return answer{}, err
	}
	var env struct {
		StatusCode *int `json:"statusCode"`
		Result     struct {
			Message  string `json:"message"`
			TargetID string `json:"targetId"`
		} `json:"result"`
	}
	if json.Unmarshal(data, &env) != nil || env.StatusCode == nil {
		return answer{}, fmt.Errorf("HTTP %d without a CRS answer: %.120q", resp.StatusCode, strings.TrimSpace(string(data)))
	}
	return answer{code: *env.StatusCode, message: env.Result.Message, targetID: env.Result.TargetID}, nil
}
