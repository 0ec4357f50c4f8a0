package alibaba_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"io"
	"strconv"
	"strings"
	"time"
)

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

func nowMillis() int64 { return time.Now().UnixMilli() }

func jsonBody(v any) (io.Reader, error) {
	b, err := json.Marshal(v)
	return bytes.NewReader(b), err
}

func bufioReader(r io.Reader) *bufio.Reader { return bufio.NewReader(r) }

// errorMessage digs the server's Message out of an SDK error, whose own
// message wraps it as "code: 400, <Message> request id: <id>".
func errorMessage(err error) (string, bool) {
	s := err.Error()
	i := strings.Index(s, ", ")
	j := strings.LastIndex(s, " request id:")
	if i < 0 || j < i {
		return "", false
	}
	return s[i+2 : j], true
}
