package crs

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/pixmatch/pixmatch/server/api/body"
	"github.com/pixmatch/pixmatch/server/auth"
	"github.com/pixmatch/pixmatch/server/store"
	"github.com/pixmatch/pixmatch/shared/apierror"
)

// request is a CRS request read off the wire and authenticated.
type request struct {
	// params are every non-file parameter as the signature sees them:
	// the query string, then the body's fields on top.
	params map[string]string
	// json holds the body's fields with their JSON types, when the body
	// was a JSON object.
	json map[string]json.RawMessage
	// file is the image file part of a multipart body.
	file []byte
	// parts are the other file parts of a multipart body, by field name
	// (a browser's features and fingerprint).
	parts map[string][]byte

	principal auth.Principal
	gallery   store.Gallery
}

// read parses the query string and the body: a JSON object, a multipart
// form (fields and an image file) or a URL-encoded form.
func (h *Handler) read(c echo.Context) (*request, error) {
	r := &request{params: auth.ParamsFromValues(c.QueryParams())}
	req := c.Request()
	body, err := readBody(c, h.cfg.MaxBodyBytes(), h.bodyTimeout)
	if err != nil {
		return nil, err
	}
	if len(bytes.TrimSpace(body)) == 0 {
		return r, nil
	}
	media, mparams, _ := mime.ParseMediaType(req.Header.Get(echo.HeaderContentType))
	switch {
	case media == "multipart/form-data":
		err = r.readMultipart(body, mparams["boundary"])
	case media == "application/x-www-form-urlencoded":
		err = r.readForm(body)
	default: // JSON, whatever the client called it
		err = r.readJSON(body)
	}
	if err != nil {
		return nil, apierror.CRSParameterInvalid.Because(err)
	}
	return r, nil
}

func (r *request) readJSON(body []byte) error {
	if b := bytes.TrimSpace(body); len(b) == 0 || b[0] != '{' {
		return errors.New("body is not a JSON object")
	}
	fields, err := auth.Fields(body)
	if err != nil {
		return fmt.Errorf("body is not a JSON object: %w", err)
	}
	flat, err := auth.ParamsFromFields(fields)
	if err != nil {
		return err
	}
	r.json = fields
	for k, v := range flat {
		r.params[k] = v
	}
	return nil
}

func (r *request) readForm(body []byte) error {
	values, err := url.ParseQuery(string(body))
	if err != nil {
		return fmt.Errorf("form body: %w", err)
	}
	for k, v := range auth.ParamsFromValues(values) {
		r.params[k] = v
	}
	return nil
}

func (r *request) readMultipart(body []byte, boundary string) error {
	if boundary == "" {
		return errors.New("multipart body without boundary")
	}
	mr := multipart.NewReader(bytes.NewReader(body), boundary)
	for {
		part, err := mr.NextPart()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return fmt.Errorf("multipart body: %w", err)
		}
		data, err := io.ReadAll(part)
		if err != nil {
			return fmt.Errorf("multipart part %q: %w", part.FormName(), err)
		}
		if part.FileName() != "" {
			if part.FormName() == "image" {
				r.file = data
			} else if part.FormName() == "features" || part.FormName() == "fingerprint" {
				if r.parts == nil {
					r.parts = map[string][]byte{}
				}
				r.parts[part.FormName()] = data
			}
			continue // file parts are not signed
		}
		r.params[part.FormName()] = string(data)
	}
}

// readBody reads a request body of at most limit bytes within timeout.
// Errors: CRSTooLarge over the limit, CRSTimeout for a client too slow to
// send it, CRSOverloaded when the process holds all the body bytes it
// allows, CRSParameterInvalid for a body that breaks off.
func readBody(c echo.Context, limit int64, timeout time.Duration) ([]byte, error) {
	b, err := body.Read(c, limit, timeout)
	switch {
	case err == nil:
		return b, nil
	case errors.Is(err, body.ErrTooLarge):
		return nil, apierror.CRSTooLarge.Because(err)
	case errors.Is(err, body.ErrTimeout):
		return nil, apierror.CRSTimeout.Because(err)
	case errors.Is(err, body.ErrBusy):
		return nil, apierror.CRSOverloaded.Because(err)
	}
	return nil, apierror.CRSParameterInvalid.Because(err)
}

// has reports whether the request carries a field.
func (r *request) has(name string) bool {
	_, ok := r.params[name]
	return ok
}

// text returns a field that must be text: a JSON string or a form value.
// A JSON number is accepted as its literal text when numeric is true.
func (r *request) text(name string, numeric bool) (string, bool, error) {
	v, ok := r.params[name]
	if !ok {
		return "", false, nil
	}
	raw, isJSON := r.json[name]
	if !isJSON {
		return v, true, nil
	}
	switch {
	case len(raw) > 0 && raw[0] == '"':
		return v, true, nil
	case numeric && len(raw) > 0 && (raw[0] == '-' || (raw[0] >= '0' && raw[0] <= '9')):
		return v, true, nil
	}
	return "", true, fmt.Errorf("%s must be a string, not %s", name, raw)
}

// flag reads a 0/1 field: "1", "0", 1, 0, true or false.
func (r *request) flag(name string) (value, present bool, err error) {
	s, ok, err := r.text(name, true)
	if raw, isJSON := r.json[name]; isJSON && (string(raw) == "true" || string(raw) == "false") {
		return string(raw) == "true", true, nil
	}
	if err != nil || !ok {
		return false, ok, err
	}
	switch strings.ToLower(s) {
	case "1", "true":
		return true, true, nil
	case "0", "false":
		return false, true, nil
	}
	return false, true, fmt.Errorf("%s must be 0 or 1, not %q", name, s)
}

// integer reads a whole-number field.
func (r *request) integer(name string) (int, bool, error) {
	s, ok, err := r.text(name, true)
	if err != nil || !ok {
		return 0, ok, err
	}
	n, err := strconv.Atoi(strings.TrimSpace(s))
	if err != nil {
		return 0, true, fmt.Errorf("%s must be an integer, not %q", name, s)
	}
	return n, true, nil
}

// image returns the image file: the multipart file part, or the base64
// `image` field. Errors: CRSParameterInvalid for a missing field or bad
// base64, CRSTooLarge above the size limit.
func (h *Handler) image(r *request) ([]byte, error) {
	if r.file != nil {
		return h.checkImageSize(r.file)
	}
	s, ok, err := r.text("image", false)
	if err != nil {
		return nil, apierror.CRSParameterInvalid.Because(err)
	}
	if !ok || s == "" {
		return nil, apierror.CRSParameterInvalid.Because(errors.New("no image"))
	}
	if strings.HasPrefix(s, "data:") { // a data URL, as a browser canvas gives
		if i := strings.Index(s, ";base64,"); i > 0 {
			s = s[i+len(";base64,"):]
		}
	}
	if base64.StdEncoding.DecodedLen(len(s)) > h.cfg.MaxImageBytes+3 {
		return nil, apierror.CRSTooLarge.Because(fmt.Errorf("image of %d base64 characters", len(s)))
	}
	data, err := decodeBase64(s)
	if err != nil {
		return nil, apierror.CRSParameterInvalid.Because(fmt.Errorf("image is not base64: %w", err))
	}
	return h.checkImageSize(data)
}

func (h *Handler) checkImageSize(data []byte) ([]byte, error) {
	if len(data) > h.cfg.MaxImageBytes {
		return nil, apierror.CRSTooLarge.Because(fmt.Errorf("image of %d bytes, over %d", len(data), h.cfg.MaxImageBytes))
	}
	return data, nil
}

// binary returns the binary field name: a file part of a multipart body,
// or a base64 field. A missing field is nil.
func (r *request) binary(name string) ([]byte, error) {
	if b, ok := r.parts[name]; ok {
		return b, nil
	}
	s, ok, err := r.text(name, false)
	if err != nil || !ok || s == "" {
		return nil, err
	}
	b, err := decodeBase64(s)
	if err != nil {
		return nil, fmt.Errorf("%s is not base64: %w", name, err)
	}
	return b, nil
}

// decodeBase64 reads standard or URL-safe base64, padded or not, ignoring
// line breaks and spaces. What clients send, standard base64 padded and
// perhaps broken into lines, is decoded at once (the decoder skips \r and
// \n itself): scanning a picture's base64 for the other forms first cost
// the Worker's build (WebAssembly) more than decoding it, up to 3 ms a search.
// Whatever the standard decoder refuses is read as decodeLoose reads it.
func decodeBase64(s string) ([]byte, error) {
	if b, err := base64.StdEncoding.DecodeString(s); err == nil {
		return b, nil
	}
	return decodeLoose(s)
}

// decodeLoose is decodeBase64 for every form: spaces and line breaks
// dropped, the padding too, then the URL-safe alphabet if it has one of
// its own characters, else the standard one.
func decodeLoose(s string) ([]byte, error) {
	if strings.ContainsAny(s, "\n\r ") { // Map goes rune by rune even when it keeps them all
		s = strings.Map(func(r rune) rune {
			if r == '\n' || r == '\r' || r == ' ' {
				return -1
			}
			return r
		}, s)
	}
	if strings.ContainsAny(s, "-_") {
		return base64.RawURLEncoding.DecodeString(strings.TrimRight(s, "="))
	}
	return base64.RawStdEncoding.DecodeString(strings.TrimRight(s, "="))
}

// authorization returns the raw Authorization header.
func authorization(req *http.Request) string { return req.Header.Get(echo.HeaderAuthorization) }
