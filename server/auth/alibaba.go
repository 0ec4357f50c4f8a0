package auth

// Alibaba Cloud request signatures, as the official SDKs compute them
// (darabonba-openapi for the 2020-12-14 API, the older core SDKs for the
// 2018 ROA API). Every failure is the catalogue entry NoPermission carrying
// the precise cause.

import (
	"context"
	"crypto/hmac"
	"crypto/md5"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/pixmatch/pixmatch/shared/apierror"
)

// DefaultAlibabaSkew is how far an Alibaba request's date may be from the
// server's clock, either way, when an AlibabaVerifier sets no Skew: the 15
// minutes Alibaba Cloud allows.
const DefaultAlibabaSkew = 15 * time.Minute

// The names and formats of the three signature schemes.
const (
	v3Algorithm = "ACS3-HMAC-SHA256"
	roaPrefix   = "acs "
	hmacSHA1    = "HMAC-SHA1"
	rpcVersion  = "1.0"
	// isoDate is the form of x-acs-date (V3) and Timestamp (RPC).
	isoDate = "2006-01-02T15:04:05Z"
)

// AlibabaRequest is what verifying an Alibaba signature needs from an HTTP
// request.
type AlibabaRequest struct {
	// Method is the HTTP method, e.g. "POST".
	Method string
	// Path is the URL path as sent (r.URL.EscapedPath()), e.g. "/" or
	// "/item/add"; empty means "/".
	Path string
	// Query is the decoded query string.
	Query url.Values
	// Header holds the request's headers. Go's server keeps Host out of
	// it, hence the Host field.
	Header http.Header
	// Host is the Host header (r.Host); when empty, Header's Host is used.
	Host string
	// Body is the raw request body.
	Body []byte
	// Form is the parsed form body alone, not merged with the query
	// (r.PostForm). When nil, the classic RPC scheme parses Body as a
	// form.
	Form url.Values
}

// AlibabaVerifier authenticates requests signed as Alibaba Cloud's SDKs
// sign them.
type AlibabaVerifier struct {
	// Keys holds the AccessKey pairs: a Credential's ID is the AccessKeyId,
	// its Secret the AccessKeySecret.
	Keys Keys
	// Now tells the time; time.Now when nil.
	Now func() time.Time
	// Skew is how far a request's date may be from Now, either way;
	// DefaultAlibabaSkew when zero or negative.
	Skew time.Duration
	// Replays remembers the nonces of the requests verified. With none,
	// nonces are still required but not remembered, and a captured request
	// is accepted again for as long as its date is within Skew.
	Replays Replays
}

// Verify authenticates r and returns the credential that signed it. The
// scheme follows from the request:
//
//   - Authorization "ACS3-HMAC-SHA256 Credential=…,SignedHeaders=…,
//     Signature=…" is signature V3, the SDK's default. The signed headers
//     must include host, content-type when sent and every x-acs-* header;
//     x-acs-content-sha256 must be the SHA-256 of the body, x-acs-date
//     within Skew of Now, and x-acs-signature-nonce present.
//   - Authorization "acs <AccessKeyId>:<signature>" is the ROA scheme of
//     the 2018 API. Date must be within Skew of Now, and a body must be
//     covered by a Content-MD5 header that matches it.
//   - A Signature parameter in the query or the form body is the classic
//     RPC scheme (SDK option SignatureAlgorithm "v2"), over every query
//     and form parameter. Timestamp must be within Skew of Now, and
//     SignatureNonce present.
//
// Any failure to authenticate, including a request signed by none of these
// schemes, is apierror.NoPermission carrying the cause.
//
// Once the signature has verified, and only then, the request's nonce
// (its x-acs-signature-nonce header or SignatureNonce parameter) is spent
// in Replays, scoped by AccessKeyId, until the request's date is more than
// Skew in the past; an ROA request without a nonce spends its signature
// instead. A nonce used already is apierror.SignatureNonceUsed, and a full
// Replays is apierror.DeniedRequest. An error that is not a catalogue entry
// is a failure of Keys or Replays, for the caller to answer as an internal
// error.
func (v *AlibabaVerifier) Verify(ctx context.Context, r AlibabaRequest) (Credential, error) {
	authz := r.Header.Values("Authorization")
	if len(authz) > 1 {
		return Credential{}, denied("%d Authorization headers", len(authz))
	}
	if len(authz) == 1 && authz[0] != "" {
		switch a := authz[0]; {
		case strings.HasPrefix(a, v3Algorithm+" "):
			return v.verifyV3(ctx, r, a[len(v3Algorithm)+1:])
		case strings.HasPrefix(a, roaPrefix):
			return v.verifyROA(ctx, r, a[len(roaPrefix):])
		default:
			scheme, _, _ := strings.Cut(a, " ")
			return Credential{}, denied("unsupported Authorization scheme %.40q", scheme)
		}
	}
	form, err := r.form()
	if err != nil {
		return Credential{}, apierror.NoPermission.Because(err)
	}
	if r.Query.Has("Signature") || form.Has("Signature") {
		return v.verifyRPC(ctx, r, form)
	}
	return Credential{}, denied("no Authorization header and no Signature parameter")
}

// verifyV3 checks a request signed with ACS3-HMAC-SHA256; fields is the
// Authorization header after the algorithm name.
func (v *AlibabaVerifier) verifyV3(ctx context.Context, r AlibabaRequest, fields string) (Credential, error) {
	a, err := parseV3Authorization(fields)
	if err != nil {
		return Credential{}, apierror.NoPermission.Because(err)
	}
	if err := checkSignedHeaders(r, a.signedHeaders); err != nil {
		return Credential{}, apierror.NoPermission.Because(err)
	}
	payload := r.Header.Get("x-acs-content-sha256")
	if err := checkContentSHA256(payload, r.Body); err != nil {
		return Credential{}, apierror.NoPermission.Because(err)
	}
	nonce, _ := r.headerValue("x-acs-signature-nonce")
	if nonce == "" {
		return Credential{}, denied("no x-acs-signature-nonce header")
	}
	date, err := v.checkDate("x-acs-date", r.Header.Get("x-acs-date"), isoDate)
	if err != nil {
		return Credential{}, apierror.NoPermission.Because(err)
	}
	cred, err := lookUp(ctx, v.Keys, a.keyID, apierror.NoPermission)
	if err != nil {
		return Credential{}, err
	}
	canonical, err := v3CanonicalRequest(r, a.signedHeaders, payload)
	if err != nil {
		return Credential{}, apierror.NoPermission.Because(err)
	}
	digest := sha256.Sum256([]byte(canonical))
	mac := hmac.New(sha256.New, []byte(cred.Secret))
	mac.Write([]byte(v3Algorithm + "\n" + hex.EncodeToString(digest[:])))
	if !hmac.Equal(a.signature, mac.Sum(nil)) {
		return Credential{}, denied("%s signature of key %q does not match", v3Algorithm, a.keyID)
	}
	return v.spend(ctx, cred, onceNonce, nonce, date)
}

// v3Authorization is the parsed value of a V3 Authorization header.
type v3Authorization struct {
	keyID         string
	signedHeaders []string
	signature     []byte
}

// parseV3Authorization parses "Credential=<id>,SignedHeaders=<a;b>,
// Signature=<hex>". Each field must appear exactly once; the header names
// must be lowercase, distinct and non-empty.
func parseV3Authorization(fields string) (v3Authorization, error) {
	seen := make(map[string]string, 3)
	for field := range strings.SplitSeq(fields, ",") {
		name, value, ok := strings.Cut(strings.TrimSpace(field), "=")
		switch {
		case !ok:
			return v3Authorization{}, fmt.Errorf("%s Authorization field %.40q is not name=value", v3Algorithm, field)
		case name != "Credential" && name != "SignedHeaders" && name != "Signature":
			return v3Authorization{}, fmt.Errorf("%s Authorization has unknown field %.40q", v3Algorithm, name)
		}
		if _, dup := seen[name]; dup {
			return v3Authorization{}, fmt.Errorf("%s Authorization repeats %s", v3Algorithm, name)
		}
		seen[name] = value
	}
	var a v3Authorization
	if a.keyID = seen["Credential"]; a.keyID == "" {
		return a, fmt.Errorf("%s Authorization has no Credential", v3Algorithm)
	}
	sig, err := hex.DecodeString(seen["Signature"])
	if err != nil || len(sig) != sha256.Size {
		return a, fmt.Errorf("%s Signature %.80q is not %d hex bytes", v3Algorithm, seen["Signature"], sha256.Size)
	}
	a.signature = sig
	list := seen["SignedHeaders"]
	if list == "" {
		return a, fmt.Errorf("%s Authorization has no SignedHeaders", v3Algorithm)
	}
	a.signedHeaders = strings.Split(list, ";")
	for i, name := range a.signedHeaders {
		switch {
		case name == "" || name != strings.ToLower(name):
			return a, fmt.Errorf("SignedHeaders %.200q: %.40q is not a lowercase header name", list, name)
		case slices.Contains(a.signedHeaders[:i], name):
			return a, fmt.Errorf("SignedHeaders %.200q repeats %q", list, name)
		}
	}
	return a, nil
}

// checkSignedHeaders reports whether signed names host, content-type when
// the request has one, and every x-acs-* header of the request, and
// whether the request has every header signed.
func checkSignedHeaders(r AlibabaRequest, signed []string) error {
	must := []string{"host"}
	if len(r.Header.Values("Content-Type")) > 0 {
		must = append(must, "content-type")
	}
	for name := range r.Header {
		if name = strings.ToLower(name); strings.HasPrefix(name, "x-acs-") {
			must = append(must, name)
		}
	}
	for _, name := range must {
		if !slices.Contains(signed, name) {
			return fmt.Errorf("header %s is not among the SignedHeaders", name)
		}
	}
	for _, name := range signed {
		if _, ok := r.headerValue(name); !ok {
			return fmt.Errorf("signed header %s is not in the request", name)
		}
	}
	return nil
}

// checkContentSHA256 reports whether sent, the x-acs-content-sha256
// header, is the hex SHA-256 of body.
func checkContentSHA256(sent string, body []byte) error {
	if sent == "" {
		return errors.New("no x-acs-content-sha256 header")
	}
	got, err := hex.DecodeString(sent)
	if err != nil || len(got) != sha256.Size {
		return fmt.Errorf("x-acs-content-sha256 %.80q is not %d hex bytes", sent, sha256.Size)
	}
	want := sum256(body)
	if !hmac.Equal(got, want[:]) {
		return fmt.Errorf("x-acs-content-sha256 %s is not the SHA-256 of the %d-byte body", sent, len(body))
	}
	return nil
}

// v3CanonicalRequest returns the canonical request of signature V3: method,
// canonical URI, canonical query, the signed headers' "name:value" lines,
// the signed header list and the hashed payload, separated by newlines.
func v3CanonicalRequest(r AlibabaRequest, signed []string, payload string) (string, error) {
	query, err := canonicalQuery(r.Query)
	if err != nil {
		return "", err
	}
	var b strings.Builder
	b.WriteString(r.Method + "\n" + canonicalURI(r.Path) + "\n" + query + "\n")
	for _, name := range signed {
		value, _ := r.headerValue(name)
		b.WriteString(name + ":" + value + "\n")
	}
	b.WriteString("\n" + strings.Join(signed, ";") + "\n" + payload)
	return b.String(), nil
}

// canonicalURI returns the path of signature V3, re-encoded as the SDK
// does: "+" and "*" escaped, "~" literal.
func canonicalURI(path string) string {
	if path == "" {
		return "/"
	}
	return strings.NewReplacer("+", "%20", "*", "%2A", "%7E", "~").Replace(path)
}

// canonicalQuery returns the query of signature V3: parameters sorted by
// name, names and values percent-encoded (RFC 3986), joined as k=v&k=v; an
// empty value gives "k=".
func canonicalQuery(query url.Values) (string, error) {
	var b []byte
	for _, k := range slices.Sorted(maps.Keys(query)) {
		if len(query[k]) != 1 {
			return "", fmt.Errorf("query parameter %.40q is given %d times", k, len(query[k]))
		}
		if len(b) > 0 {
			b = append(b, '&')
		}
		b = appendPercent(b, k)
		b = append(b, '=')
		b = appendPercent(b, query[k][0])
	}
	return string(b), nil
}

// verifyRPC checks a request signed with the classic RPC scheme; form is
// its parsed form body.
func (v *AlibabaVerifier) verifyRPC(ctx context.Context, r AlibabaRequest, form url.Values) (Credential, error) {
	params, err := rpcParams(r.Query, form)
	if err != nil {
		return Credential{}, apierror.NoPermission.Because(err)
	}
	switch {
	case params["SignatureMethod"] != hmacSHA1:
		return Credential{}, denied("SignatureMethod %.40q is not %s", params["SignatureMethod"], hmacSHA1)
	case params["SignatureVersion"] != rpcVersion:
		return Credential{}, denied("SignatureVersion %.40q is not %s", params["SignatureVersion"], rpcVersion)
	case params["SignatureNonce"] == "":
		return Credential{}, denied("no SignatureNonce")
	case params["AccessKeyId"] == "":
		return Credential{}, denied("no AccessKeyId")
	}
	sig, err := base64.StdEncoding.DecodeString(params["Signature"])
	if err != nil || len(sig) != sha1.Size {
		return Credential{}, denied("Signature %.80q is not %d base64 bytes", params["Signature"], sha1.Size)
	}
	date, err := v.checkDate("Timestamp", params["Timestamp"], isoDate)
	if err != nil {
		return Credential{}, apierror.NoPermission.Because(err)
	}
	id := params["AccessKeyId"]
	cred, err := lookUp(ctx, v.Keys, id, apierror.NoPermission)
	if err != nil {
		return Credential{}, err
	}
	mac := hmac.New(sha1.New, []byte(cred.Secret+"&"))
	mac.Write(rpcStringToSign(r.Method, params))
	if !hmac.Equal(sig, mac.Sum(nil)) {
		return Credential{}, denied("%s signature of AccessKeyId %q does not match", hmacSHA1, id)
	}
	return v.spend(ctx, cred, onceNonce, params["SignatureNonce"], date)
}

// rpcParams merges the query and form parameters. A parameter given twice,
// in one or across both, is refused: the signature would cover one value
// and the handler might read the other.
func rpcParams(query, form url.Values) (map[string]string, error) {
	params := make(map[string]string, len(query)+len(form))
	for _, values := range []url.Values{query, form} {
		for k, vs := range values {
			if _, dup := params[k]; dup || len(vs) != 1 {
				return nil, fmt.Errorf("parameter %.40q is given more than once", k)
			}
			params[k] = vs[0]
		}
	}
	return params, nil
}

// rpcStringToSign returns METHOD&%2F&pct(k=v&…) over every parameter but
// Signature, sorted by name, names and values percent-encoded.
func rpcStringToSign(method string, params map[string]string) []byte {
	var canonical []byte
	for _, k := range slices.Sorted(maps.Keys(params)) {
		if k == "Signature" {
			continue
		}
		if len(canonical) > 0 {
			canonical = append(canonical, '&')
		}
		canonical = appendPercent(canonical, k)
		canonical = append(canonical, '=')
		canonical = appendPercent(canonical, params[k])
	}
	return appendPercent([]byte(method+"&%2F&"), string(canonical))
}

// verifyROA checks a request signed with the ROA scheme; credential is the
// Authorization header after "acs ".
func (v *AlibabaVerifier) verifyROA(ctx context.Context, r AlibabaRequest, credential string) (Credential, error) {
	id, encoded, ok := strings.Cut(strings.TrimSpace(credential), ":")
	if !ok || id == "" {
		return Credential{}, denied("ROA Authorization %.80q is not acs <AccessKeyId>:<signature>", credential)
	}
	sig, err := base64.StdEncoding.DecodeString(encoded)
	if err != nil || len(sig) != sha1.Size {
		return Credential{}, denied("ROA signature %.80q is not %d base64 bytes", encoded, sha1.Size)
	}
	if m := r.Header.Get("x-acs-signature-method"); m != "" && m != hmacSHA1 {
		return Credential{}, denied("x-acs-signature-method %.40q is not %s", m, hmacSHA1)
	}
	if err := checkContentMD5(r.Header.Values("Content-MD5"), r.Body); err != nil {
		return Credential{}, apierror.NoPermission.Because(err)
	}
	date, err := v.checkDate("Date", r.Header.Get("Date"), http.TimeFormat)
	if err != nil {
		return Credential{}, apierror.NoPermission.Because(err)
	}
	cred, err := lookUp(ctx, v.Keys, id, apierror.NoPermission)
	if err != nil {
		return Credential{}, err
	}
	resources, err := roaResources(r.Path, r.Query)
	if err != nil {
		return Credential{}, apierror.NoPermission.Because(err)
	}
	head := roaHeaders(r.Method, r.Header)
	for _, resource := range resources {
		mac := hmac.New(sha1.New, []byte(cred.Secret))
		mac.Write([]byte(head + resource))
		if hmac.Equal(sig, mac.Sum(nil)) {
			return v.spendROA(ctx, cred, r.Header, sig, date)
		}
	}
	return Credential{}, denied("ROA signature of AccessKeyId %q does not match", id)
}

// checkContentMD5 reports whether the Content-MD5 header, the base64 MD5 of
// the body, matches body. A body without one is refused: the ROA signature
// covers the body only through it.
func checkContentMD5(sent []string, body []byte) error {
	switch {
	case len(sent) > 1:
		return fmt.Errorf("%d Content-MD5 headers", len(sent))
	case len(sent) == 0 && len(body) == 0:
		return nil
	case len(sent) == 0:
		return fmt.Errorf("no Content-MD5 header to sign the %d-byte body", len(body))
	}
	want := md5.Sum(body)
	if got, err := base64.StdEncoding.DecodeString(sent[0]); err != nil || !hmac.Equal(got, want[:]) {
		return fmt.Errorf("Content-MD5 %.40q is not the MD5 of the %d-byte body", sent[0], len(body))
	}
	return nil
}

// roaHeaders returns the part of an ROA string to sign before the
// resource: the method, Accept, Content-MD5, Content-Type and Date, each
// followed by a newline, then every x-acs-* header as "name:value\n",
// names lowercased and sorted.
func roaHeaders(method string, header http.Header) string {
	var b strings.Builder
	b.WriteString(method + "\n")
	for _, name := range []string{"Accept", "Content-MD5", "Content-Type", "Date"} {
		b.WriteString(header.Get(name) + "\n")
	}
	acs := make(map[string]string)
	for name, values := range header {
		if name = strings.ToLower(name); strings.HasPrefix(name, "x-acs-") {
			acs[name] = strings.Join(values, ",")
		}
	}
	for _, name := range slices.Sorted(maps.Keys(acs)) {
		b.WriteString(name + ":" + acs[name] + "\n")
	}
	return b.String()
}

// roaResources returns the resource an ROA signature ends with: the path,
// then "?" and the query sorted by name as k=v, or k alone for an empty
// value, joined by "&", names and values as decoded. Without a query the
// darabonba SDK signs the path alone and the older core SDK the path and
// "?"; both are returned.
func roaResources(path string, query url.Values) ([]string, error) {
	if path == "" {
		path = "/"
	}
	if len(query) == 0 {
		return []string{path, path + "?"}, nil
	}
	var b strings.Builder
	b.WriteString(path)
	sep := "?"
	for _, k := range slices.Sorted(maps.Keys(query)) {
		if len(query[k]) != 1 {
			return nil, fmt.Errorf("query parameter %.40q is given %d times", k, len(query[k]))
		}
		b.WriteString(sep + k)
		sep = "&"
		if v := query[k][0]; v != "" {
			b.WriteString("=" + v)
		}
	}
	return []string{b.String()}, nil
}

// checkDate reports whether text, the value of the header or parameter
// name, is a date in the given layout no more than Skew from Now, and
// returns it.
func (v *AlibabaVerifier) checkDate(name, text, layout string) (time.Time, error) {
	if text == "" {
		return time.Time{}, fmt.Errorf("no %s", name)
	}
	t, err := time.Parse(layout, text)
	if err != nil {
		return time.Time{}, fmt.Errorf("%s %.60q is not of the form %q", name, text, layout)
	}
	now := time.Now()
	if v.Now != nil {
		now = v.Now()
	}
	if off := t.Sub(now); off > v.skew() || off < -v.skew() {
		return time.Time{}, fmt.Errorf("%s %s is %v from now, more than %v", name, text, off.Round(time.Second), v.skew())
	}
	return t, nil
}

// skew returns Skew, or DefaultAlibabaSkew when Skew is not positive.
func (v *AlibabaVerifier) skew() time.Duration {
	if v.Skew <= 0 {
		return DefaultAlibabaSkew
	}
	return v.Skew
}

// headerValue returns the value of the header name as signature V3 signs
// it: its values trimmed, sorted and joined by commas; ok is false when
// the request has no such header.
func (r AlibabaRequest) headerValue(name string) (value string, ok bool) {
	values := r.Header.Values(name)
	if name == "host" {
		if r.Host != "" {
			values = []string{r.Host}
		}
	}
	if len(values) == 0 {
		return "", false
	}
	trimmed := make([]string, len(values))
	for i, v := range values {
		trimmed[i] = strings.TrimSpace(v)
	}
	slices.Sort(trimmed)
	return strings.Join(trimmed, ","), true
}

// form returns the parsed form body: Form, or else Body parsed as a form.
func (r AlibabaRequest) form() (url.Values, error) {
	if r.Form != nil || len(r.Body) == 0 {
		return r.Form, nil
	}
	form, err := url.ParseQuery(string(r.Body))
	if err != nil {
		return nil, fmt.Errorf("body is not a form: %w", err)
	}
	return form, nil
}

// appendPercent appends s to dst percent-encoded as RFC 3986 and Alibaba
// require: every byte but the unreserved A-Z a-z 0-9 - _ . ~ as %XX, in
// upper case, so that a space is %20 and "*" is %2A.
func appendPercent(dst []byte, s string) []byte {
	const hexDigits = "0123456789ABCDEF"
	escapes := 0
	for i := 0; i < len(s); i++ {
		if !unreserved[s[i]] {
			escapes++
		}
	}
	dst = slices.Grow(dst, len(s)+2*escapes)
	for i := 0; i < len(s); i++ {
		if c := s[i]; unreserved[c] {
			dst = append(dst, c)
		} else {
			dst = append(dst, '%', hexDigits[c>>4], hexDigits[c&15])
		}
	}
	return dst
}

// unreserved holds the bytes RFC 3986 leaves unencoded.
var unreserved = func() (set [256]bool) {
	for _, c := range []byte("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.~") {
		set[c] = true
	}
	return set
}()

// denied returns NoPermission carrying the formatted cause.
func denied(format string, args ...any) error {
	return apierror.NoPermission.Because(fmt.Errorf(format, args...))
}
