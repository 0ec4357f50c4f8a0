package importer

import (
	"context"
	"encoding/json"
	"net/http"

	"github.com/pixmatch/pixmatch/server/internal/crsclient"
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
	url string // the server, without a trailing slash
	crs crsclient.Client
}

// create sends POST /targets/ with fields (image, name, …) signed with the
// API key. An error means there was no CRS answer.
func (c *client) create(ctx context.Context, fields map[string]string) (answer, error) {
	a, err := c.crs.Do(ctx, http.MethodPost, c.url+"/targets/", fields)
	if err != nil {
		return answer{}, err
	}
	var result struct {
		Message  string `json:"message"`
		TargetID string `json:"targetId"`
	}
	json.Unmarshal(a.Result, &result) // a result of another shape leaves both empty
	return answer{code: a.StatusCode, message: result.Message, targetID: result.TargetID}, nil
}
