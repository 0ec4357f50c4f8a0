package alibaba

import (
	"errors"
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/pixmatch/pixmatch/server/api/dialect"

	"github.com/pixmatch/pixmatch/shared/apierror"
)

// errorBody is the gateway-style body of every failed request.
type errorBody struct {
	Code      string `json:"Code"`
	Message   string `json:"Message"`
	RequestID string `json:"RequestId"`
	HostID    string `json:"HostId"`
	Recommend string `json:"Recommend"`
}

// fail answers with the Alibaba catalogue entry err carries; any other
// error is an InternalError. Failures are logged.
func (h *Handler) fail(k *call, err error) error {
	e, ok := errors.AsType[*apierror.Error](err)
	if !ok || e.Dialect != apierror.Alibaba {
		e = apierror.InternalError.Because(err)
	}
	dialect.Failed(h.log, k.c, e, err, "action", k.action, "requestId", k.requestID)
	return k.c.JSON(e.Status, errorBody{
		Code: e.Code, Message: e.Message, RequestID: k.requestID, HostID: k.c.Request().Host,
	})
}

// Unrouted answers a request to an Alibaba path that no route serves (HTTP
// status 404 or 405 from the router) as an unsupported operation, or one
// whose handler failed without answering (500) as an InternalError.
func (h *Handler) Unrouted(c echo.Context, status int, cause error) error {
	k := &call{c: c, requestID: newRequestID(), action: c.Request().Method + " " + c.Request().URL.Path}
	if status >= 500 {
		return h.fail(k, apierror.InternalError.Because(cause))
	}
	return h.fail(k, apierror.UnsupportedOperationType.Because(cause))
}

// result is the common head of the search-style success bodies (Msg).
type result struct {
	RequestID string `json:"RequestId"`
	Success   bool   `json:"Success"`
	Code      int    `json:"Code"`
	Msg       string `json:"Msg"`
}

// writeResult is the common head of the write actions' bodies (Message).
type writeResult struct {
	RequestID string `json:"RequestId"`
	Success   bool   `json:"Success"`
	Code      int    `json:"Code"`
	Message   string `json:"Message"`
}

func (k *call) result() result { return result{RequestID: k.requestID, Success: true, Msg: "success"} }
func (k *call) writeResult() writeResult {
	return writeResult{RequestID: k.requestID, Success: true, Message: "success"}
}

// ok answers a successful request with body.
func (k *call) ok(body any) error { return k.c.JSON(http.StatusOK, body) }
