package auth

import (
	"context"
	"encoding/base64"
	"fmt"
	"math/rand/v2"
	"net/url"
	"reflect"
	"strings"
	"testing"
)

// keyMap is an in-memory Keys.
type keyMap map[string]Credential

func (m keyMap) Credential(_ context.Context, id string) (Credential, error) {
	c, ok := m[id]
	if !ok {
		return Credential{}, fmt.Errorf("key %q: %w", id, ErrUnknownKey)
	}
	return c, nil
}

func TestSign(t *testing.T) {
	tests := []struct {
		name   string
		params map[string]string
		secret string
		want   string
	}{
		{
			name: "official vector 1",
			params: map[string]string{
				"foo": "bar", "egg": "spam", "timestamp": "1514736000000", "apiKey": "test_api_key",
			},
			secret: "test_api_secret",
			want:   "bf67314ff91f39952a267fb4bf3f9ed2b53f813cdcfba610f9d8643038a17326",
		},
		{
			name: "vector 2, create-style",
			params: map[string]string{
				"image": "aGVsbG8=", "name": "demo", "size": "20", "meta": "", "type": "ImageTarget",
				"allowSimilar": "0", "active": "1", "timestamp": "1514736000000",
				"appId": "test_app_id", "apiKey": "test_api_key",
			},
			secret: "test_api_secret",
			want:   "99a29142a48e1028ff7c93cfcbd3e6919e2dc82a1ec7828a49987ee77458a81a",
		},
		{
			name: "legacy appKey vector",
			params: map[string]string{
				"image": "aGVsbG8=", "timestamp": "1514736000000", "appKey": "test_app_key",
			},
			secret: "test_app_secret",
			want:   "0e49b50d9d1aeaed978c02ae0f6c8a7fda9737e1910058fc34a5279e83a360d7",
		},
		{
			name: "the signature parameter is not signed",
			params: map[string]string{
				"foo": "bar", "egg": "spam", "timestamp": "1514736000000", "apiKey": "test_api_key",
				"signature": "anything at all",
			},
			secret: "test_api_secret",
			want:   "bf67314ff91f39952a267fb4bf3f9ed2b53f813cdcfba610f9d8643038a17326",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Sign(tt.params, tt.secret); got != tt.want {
				t.Errorf("Sign = %s, want %s", got, tt.want)
			}
		})
	}
}

func TestSignIsSensitive(t *testing.T) {
	base := map[string]string{"foo": "bar", "egg": "spam", "timestamp": "1514736000000", "apiKey": "test_api_key"}
	want := Sign(base, "test_api_secret")
	tests := []struct {
		name   string
		change func(map[string]string)
		secret string
	}{
		{"other secret", func(map[string]string) {}, "test_api_secret2"},
		{"changed value", func(p map[string]string) { p["foo"] = "baz" }, "test_api_secret"},
		{"extra empty param", func(p map[string]string) { p["meta"] = "" }, "test_api_secret"},
		{"missing param", func(p map[string]string) { delete(p, "egg") }, "test_api_secret"},
		{"moved to another key", func(p map[string]string) { delete(p, "foo"); p["zfoo"] = "bar" }, "test_api_secret"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := make(map[string]string)
			for k, v := range base {
				p[k] = v
			}
			tt.change(p)
			if got := Sign(p, tt.secret); got == want {
				t.Errorf("Sign unchanged (%s)", got)
			}
		})
	}
}

func TestParamsFromJSON(t *testing.T) {
	tests := []struct {
		name    string
		body    string
		want    map[string]string
		wantErr bool
	}{
		{
			name: "timestamp as number",
			body: `{"apiKey":"k","timestamp":1514736000000}`,
			want: map[string]string{"apiKey": "k", "timestamp": "1514736000000"},
		},
		{
			name: "timestamp as string",
			body: `{"apiKey":"k","timestamp":"1514736000000"}`,
			want: map[string]string{"apiKey": "k", "timestamp": "1514736000000"},
		},
		{
			name: "numbers keep their literal text",
			body: `{"a":1.50,"b":-0,"c":1e3,"d":12345678901234567890}`,
			want: map[string]string{"a": "1.50", "b": "-0", "c": "1e3", "d": "12345678901234567890"},
		},
		{
			name: "booleans and null",
			body: `{"t":true,"f":false,"n":null}`,
			want: map[string]string{"t": "true", "f": "false", "n": ""},
		},
		{
			name: "strings unescaped",
			body: `{"meta":"line\nbreak \u00e9 \"q\"","empty":""}`,
			want: map[string]string{"meta": "line\nbreak é \"q\"", "empty": ""},
		},
		{
			name: "nested values as compact JSON",
			body: "{\"acl\": [ {\"service\" : \"ecs:crs\", \"resource\": [\"a\", \"b\"]} ],\n \"o\": { \"x\" : 1.0 }}",
			want: map[string]string{"acl": `[{"service":"ecs:crs","resource":["a","b"]}]`, "o": `{"x":1.0}`},
		},
		{
			name: "surrounding white space",
			body: " \n{\"a\":\"b\"}\n ",
			want: map[string]string{"a": "b"},
		},
		{name: "empty object", body: `{}`, want: map[string]string{}},
		{name: "empty body", body: ``, wantErr: true},
		{name: "array", body: `[{"a":"b"}]`, wantErr: true},
		{name: "string", body: `"a"`, wantErr: true},
		{name: "null", body: `null`, wantErr: true},
		{name: "truncated", body: `{"a":"b"`, wantErr: true},
		{name: "two objects", body: `{"a":"b"}{"c":"d"}`, wantErr: true},
		{name: "not JSON", body: `a=b&c=d`, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParamsFromJSON([]byte(tt.body))
			if tt.wantErr {
				if err == nil {
					t.Fatalf("ParamsFromJSON = %v, want an error", got)
				}
				return
			}
			if err != nil {
				t.Fatalf("ParamsFromJSON: %v", err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("ParamsFromJSON = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestParamsFromValues(t *testing.T) {
	tests := []struct {
		name  string
		query string
		want  map[string]string
	}{
		{
			name:  "repeated keys keep the first value",
			query: "pageNum=1&pageSize=5&appId=x&pageNum=2&pageSize=10",
			want:  map[string]string{"pageNum": "1", "pageSize": "5", "appId": "x"},
		},
		{
			name:  "escapes decoded, empty values kept",
			query: "name=a+b%26c&meta=&flag",
			want:  map[string]string{"name": "a b&c", "meta": "", "flag": ""},
		},
		{name: "empty", query: "", want: map[string]string{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v, err := url.ParseQuery(tt.query)
			if err != nil {
				t.Fatal(err)
			}
			if got := ParamsFromValues(v); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("ParamsFromValues = %q, want %q", got, tt.want)
			}
		})
	}
	if got := ParamsFromValues(url.Values{"k": nil}); got["k"] != "" || len(got) != 1 {
		t.Errorf("a key with no value: got %q", got)
	}
}

// createBody returns the fields of a create request with an image of n
// pseudo-random bytes.
func createBody(n int) map[string]string {
	r := rand.New(rand.NewPCG(1, 2))
	img := make([]byte, n)
	for i := range img {
		img[i] = byte(r.Uint32())
	}
	return map[string]string{
		"image": base64.StdEncoding.EncodeToString(img), "name": "demo", "size": "20",
		"meta": strings.Repeat("m", 100), "type": "ImageTarget", "allowSimilar": "0", "active": "1",
		"timestamp": "1514736000000", "appId": "test_app_id", "apiKey": "test_api_key",
	}
}

func BenchmarkSign(b *testing.B) {
	for _, n := range []int{0, 1 << 20} {
		params := createBody(n)
		b.Run(fmt.Sprintf("image=%dB", n), func(b *testing.B) {
			b.SetBytes(int64(len(params["image"])))
			for b.Loop() {
				Sign(params, "test_api_secret")
			}
		})
	}
}
