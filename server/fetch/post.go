package fetch

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
)

// Post sends body to rawURL, under the same address rules and time limit
// as Fetch: the server tells a client's callback address that a task has
// ended. Any answer other than 2xx is ErrNotFound.
func (f *Fetcher) Post(ctx context.Context, rawURL, contentType string, body []byte) error {
	u, err := parseURL(rawURL)
	if err != nil {
		return err
	}
	where := describe(u)
	timeout := f.timeout()
	ctx, cancel := context.WithTimeoutCause(ctx, timeout, errOwnDeadline)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u.String(), bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("post %s: %w: %v", where, ErrURL, err)
	}
	req.Header.Set("User-Agent", userAgent)
	req.Header.Set("Content-Type", contentType)
	resp, err := f.do(req)
	if err != nil {
		return fmt.Errorf("post %s: %w", where, classify(ctx, timeout, err))
	}
	defer resp.Body.Close()
	io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return fmt.Errorf("post %s: %w: HTTP status %s", where, ErrNotFound, resp.Status)
	}
	return nil
}
