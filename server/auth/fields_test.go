package auth

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
)

// fieldsCases are bodies of every shape Fields reads itself and of some
// it hands to json.Unmarshal.
var fieldsCases = []string{
	`{}`, ` { } `, `{"image":"aGVsbG8=","appKey":"k","timestamp":1514736000000,"signature":"ab12"}`,
	"{\n\t\"a\" : \"x\" ,\r\n \"b\":-0.5e+3, \"c\":true,\"d\":false,\"e\":null}",
	`{"a":"esc \" \\ \/ \b \f \n \r \t \u00e9 \ud83d\ude00"}`, `{"a":"é€"}`, `{"a":1,"a":2}`,
	`{"a":0}`, `{"a":-0}`, `{"a":1.25E-7}`, `{"a":[1,2]}`, `{"a":{"b":1}}`, `{"\u0061":1}`, `{"é":1}`,
	`{"a":01}`, `{"a":1.}`, `{"a":.5}`, `{"a":-}`, `{"a":1e}`, `{"a":+1}`, `{"a":truex}`, `{"a":tru}`,
	`{"a":"unended}`, "{\"a\":\"raw\ttab\"}", `{"a":"\x"}`, `{"a":"\u12g4"}`, `{"a":1,}`, `{,}`, `{"a"}`,
	`{"a":1}x`, `{"a":1} `, `{"a":1}}`, `{"a" 1}`, `{a:1}`, `[]`, `null`, ``, `{"a":"\ud800"}`,
	"{\"a\":\"\xff\xfe\"}", "{\"\xff\":1}",
}

func TestFieldsAsUnmarshal(t *testing.T) {
	for _, body := range fieldsCases {
		sameAsUnmarshal(t, []byte(body))
	}
}

func TestFieldsReadsThePictureItself(t *testing.T) {
	body := []byte(`{"image":"` + strings.Repeat("QUJD", 20_000) + `","timestamp":1514736000000,"notracking":true}`)
	if _, ok := plainFields(body); !ok {
		t.Fatal("a search's body was handed to json.Unmarshal")
	}
	sameAsUnmarshal(t, body)
}

// FuzzFields holds Fields to json.Unmarshal: the same fields, or an error
// when it errs.
func FuzzFields(f *testing.F) {
	for _, body := range fieldsCases {
		f.Add([]byte(body))
	}
	f.Fuzz(func(t *testing.T, body []byte) { sameAsUnmarshal(t, body) })
}

func sameAsUnmarshal(t *testing.T, body []byte) {
	t.Helper()
	got, err := Fields(body)
	var want map[string]json.RawMessage
	wantErr := json.Unmarshal(body, &want)
	if (err == nil) != (wantErr == nil) {
		t.Fatalf("%q: Fields errs %v, json.Unmarshal %v", body, err, wantErr)
	}
	if err == nil && !reflect.DeepEqual(got, want) {
		t.Fatalf("%q: Fields reads %q, json.Unmarshal %q", body, got, want)
	}
}
