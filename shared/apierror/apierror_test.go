package apierror

import (
	"errors"
	"fmt"
	"io"
	"testing"
)

func TestDialectString(t *testing.T) {
	tests := []struct {
		d    Dialect
		want string
	}{
		{CRS, "crs"},
		{Alibaba, "alibaba"},
		{0, "Dialect(0)"},
		{9, "Dialect(9)"},
	}
	for _, tt := range tests {
		if got := tt.d.String(); got != tt.want {
			t.Errorf("Dialect(%d).String() = %q, want %q", uint8(tt.d), got, tt.want)
		}
	}
}

func TestErrorString(t *testing.T) {
	tests := []struct {
		err  *Error
		want string
	}{
		{CRSParameterInvalid, "crs 414: Parameter required not exists or not correct"},
		{CRSTokenExpired, "crs 4001024: Token is expired"},
		{NoPermission, "alibaba NoPermission: You are not authorized to perform this operation."},
		{CRSTargetNotFound.Because(io.EOF), "crs 404: Target not found: EOF"},
		{InternalError.Because(fmt.Errorf("open db: %w", io.ErrUnexpectedEOF)),
			"alibaba InternalError: An internal server error occurred.: open db: unexpected EOF"},
	}
	for _, tt := range tests {
		if got := tt.err.Error(); got != tt.want {
			t.Errorf("Error() = %q, want %q", got, tt.want)
		}
	}
}

func TestIs(t *testing.T) {
	tests := []struct {
		name   string
		err    error
		target error
		want   bool
	}{
		{"entry itself", CRSTargetNotFound, CRSTargetNotFound, true},
		{"wrapped", fmt.Errorf("get target: %w", CRSTargetNotFound), CRSTargetNotFound, true},
		{"wrapped twice", fmt.Errorf("a: %w", fmt.Errorf("b: %w", NoPermission)), NoPermission, true},
		{"with cause", fmt.Errorf("delete: %w", CRSDeleteFailed.Because(io.EOF)), CRSDeleteFailed, true},
		{"cause is reachable", fmt.Errorf("delete: %w", CRSDeleteFailed.Because(io.EOF)), io.EOF, true},
		{"other code", fmt.Errorf("x: %w", CRSTargetNotFound), CRSTargetExists, false},
		{"same code, other message", CRSInvalidToken, CRSInvalidAppKeyToken, false},
		{"same code 21, other message", CRSOutOfQPS, CRSOutOfLimit, false},
		{"other dialect", crsInternalLike(), InternalError, false},
		{"equal value, not the same pointer", &Error{Dialect: CRS, Code: "404", Message: "Target not found"}, CRSTargetNotFound, true},
		{"plain error", io.EOF, CRSTargetNotFound, false},
		{"nil target", CRSTargetNotFound, (*Error)(nil), false},
	}
	for _, tt := range tests {
		if got := errors.Is(tt.err, tt.target); got != tt.want {
			t.Errorf("%s: errors.Is(%v, %v) = %v, want %v", tt.name, tt.err, tt.target, got, tt.want)
		}
	}
}

// crsInternalLike returns a CRS error with the code and message of an Alibaba
// entry, to show that the dialect takes part in Is.
func crsInternalLike() *Error {
	return &Error{Dialect: CRS, Code: InternalError.Code, Status: 500, Message: InternalError.Message}
}

func TestAs(t *testing.T) {
	err := fmt.Errorf("search: %w", CRSNoResult.Because(io.EOF))
	var e *Error
	if !errors.As(err, &e) {
		t.Fatalf("errors.As(%v) found no *Error", err)
	}
	if e.Status != 404 || e.CRSCode() != 17 || e.Message != CRSNoResult.Message {
		t.Errorf("errors.As gave %d %d %q, want 404 17 %q", e.Status, e.CRSCode(), e.Message, CRSNoResult.Message)
	}
}

func TestBecause(t *testing.T) {
	cause := errors.New("disk full")
	before := *CRSAddFailed
	got := CRSAddFailed.Because(cause)

	if got == CRSAddFailed {
		t.Fatal("Because returned the catalogue entry itself")
	}
	if *CRSAddFailed != before {
		t.Errorf("Because changed the catalogue entry: %+v, was %+v", *CRSAddFailed, before)
	}
	if CRSAddFailed.Unwrap() != nil {
		t.Errorf("catalogue entry unwraps to %v, want nil", CRSAddFailed.Unwrap())
	}
	if got.Unwrap() != cause {
		t.Errorf("Unwrap() = %v, want %v", got.Unwrap(), cause)
	}
	if got.Dialect != CRS || got.Code != "417" || got.Status != 500 || got.Message != "fail to add image" {
		t.Errorf("Because copy = %+v, want the fields of CRSAddFailed", *got)
	}
	again := got.Because(io.EOF)
	if again.Unwrap() != io.EOF || got.Unwrap() != cause {
		t.Errorf("Because on a copy: new cause %v (want EOF), old copy's cause %v (want %v)",
			again.Unwrap(), got.Unwrap(), cause)
	}
}

func TestLookup(t *testing.T) {
	tests := []struct {
		d    Dialect
		code string
		want []*Error
	}{
		{CRS, "0", []*Error{CRSOK}},
		{CRS, "6", []*Error{CRSInvalidToken, CRSInvalidAppKeyToken}},
		{CRS, "21", []*Error{CRSOutOfLimit, CRSOutOfQPS, CRSOverloaded}},
		{CRS, "404", []*Error{CRSTargetNotFound, CRSNoSuchPath}},
		{CRS, "4001024", []*Error{CRSTokenExpired}},
		{Alibaba, "InvalidFilterClause", []*Error{InvalidFilterClause}},
		{Alibaba, "InternalError", []*Error{InternalError}},
		{Alibaba, "SignatureNonceUsed", []*Error{SignatureNonceUsed}},
		{Alibaba, "414", nil},
		{CRS, "NoPermission", nil},
		{CRS, "5", nil},
		{0, "0", nil},
	}
	for _, tt := range tests {
		got := Lookup(tt.d, tt.code)
		if len(got) != len(tt.want) {
			t.Errorf("Lookup(%v, %q) = %v, want %v", tt.d, tt.code, got, tt.want)
			continue
		}
		for i := range got {
			if got[i] != tt.want[i] {
				t.Errorf("Lookup(%v, %q)[%d] = %v, want %v", tt.d, tt.code, i, got[i], tt.want[i])
			}
		}
	}
}

func TestLookupAndAllReturnCopies(t *testing.T) {
	Lookup(CRS, "6")[0] = nil
	if Lookup(CRS, "6")[0] != CRSInvalidToken {
		t.Error("changing Lookup's result changed the catalogue")
	}
	All()[0] = nil
	if All()[0] != CRSOK {
		t.Error("changing All's result changed the catalogue")
	}
}

func TestCRSCode(t *testing.T) {
	tests := []struct {
		err  *Error
		want int
	}{
		{CRSOK, 0},
		{CRSInvalidAppKeyToken, 6},
		{CRSTargetNotFound, 404},
		{CRSTooLarge, 422},
		{CRSOtherError, 30},
		{CRSTokenGenerateFail, 4001025},
		{CRSTokenExpired.Because(io.EOF), 4001024},
		{NoPermission, 0},
		{InternalError, 0},
	}
	for _, tt := range tests {
		if got := tt.err.CRSCode(); got != tt.want {
			t.Errorf("%v: CRSCode() = %d, want %d", tt.err, got, tt.want)
		}
	}
}

// TestCRSDecisions holds the HTTP status chosen for every CRS entry, and
// the codes and messages of the search and token-service entries, which
// the copied tables do not list.
func TestCRSDecisions(t *testing.T) {
	tests := []struct {
		err     *Error
		code    string
		status  int
		message string
	}{
		{CRSOK, "0", 200, "ok"},
		{CRSInvalidAppID, "1", 400, "invalid appId (appKey)"},
		{CRSInvalidSignature, "2", 401, "invalid signature"},
		{CRSInvalidDate, "3", 400, "invalid date"},
		{CRSAppIDNotExist, "4", 401, "appId (appKey) not exist"},
		{CRSInvalidToken, "6", 401, "invalid token"},
		{CRSInvalidAppKeyToken, "6", 403, "invalid appkey token"},
		{CRSNonSDKClient, "7", 403, "non-sdk client for dau databases"},
		{CRSDAUIncompatible, "8", 403, "Dau databases are not compatible with sense-4.6+ any more."},
		{CRSTargetNotFound, "404", 404, "Target not found"},
		{CRSNoSuchPath, "404", 404, "Requested URL interface path does not exist"},
		{CRSParameterInvalid, "414", 400, "Parameter required not exists or not correct"},
		{CRSTooLarge, "422", 413, "The image or meta exceeds its maximum permitted size"},
		{CRSAddFailed, "417", 500, "fail to add image"},
		{CRSSimilarExists, "419", 409, "Cannot update target in database because similar target exists."},
		{CRSDeleteFailed, "420", 500, "Target delete failed"},
		{CRSEnableFailed, "424", 500, "Target enable error"},
		{CRSTargetExists, "403", 409, "Target already exists"},
		{CRSTooManyCandidates, "426", 400, "Judge exceeds maxium candidates"},
		{CRSImageNotCorrect, "427", 400, "Image not correct"},
		{CRSNoResult, "17", 404, "No result: there is no matching."},
		{CRSNoTarget, "18", 500, "No target: the database has no active target."},
		{CRSTimeout, "19", 408, "Timeout: the request did not finish in time."},
		{CRSRPCError, "20", 500, "RPC error: the target store could not be read."},
		{CRSOutOfLimit, "21", 402, "Out of limit: the daily search limit is reached."},
		{CRSOutOfQPS, "21", 200, "Out of QPS: too many search requests per second."},
		{CRSOverloaded, "21", 503, "Out of capacity: the server is busy, try again shortly."},
		{CRSOtherError, "30", 501, "Other error."},
		{CRSTokenAPIKeyInvalid, "4001011", 401, "API Key invalid"},
		{CRSTokenTimestampInvalid, "4001012", 400, "Timestamp invalid"},
		{CRSTokenSignatureInvalid, "4001015", 401, "Signature invalid"},
		{CRSTokenAppIDNotAuthorized, "4001017", 403, "AppId not authorized by this API Key"},
		{CRSTokenNotBase64, "4001018", 401, "Authorization header is not valid base64"},
		{CRSTokenDecryptionError, "4001019", 401, "Decryption error"},
		{CRSTokenResourceEmpty, "4001022", 400, "API Key's resource is empty"},
		{CRSTokenExpired, "4001024", 401, "Token is expired"},
		{CRSTokenGenerateFail, "4001025", 500, "Token generate fail"},
	}
	for _, tt := range tests {
		e := tt.err
		if e.Dialect != CRS || e.Code != tt.code || e.Status != tt.status || e.Message != tt.message {
			t.Errorf("entry = %v %s %d %q, want crs %s %d %q",
				e.Dialect, e.Code, e.Status, e.Message, tt.code, tt.status, tt.message)
		}
	}
	n := 0
	for _, e := range All() {
		if e.Dialect == CRS {
			n++
		}
	}
	if n != len(tests) {
		t.Errorf("catalogue has %d CRS entries, want %d", n, len(tests))
	}
}

func TestCatalogueIsWellFormed(t *testing.T) {
	type key struct {
		d             Dialect
		code, message string
	}
	seen := make(map[key]bool)
	for _, e := range All() {
		k := key{e.Dialect, e.Code, e.Message}
		if seen[k] {
			t.Errorf("two entries share %v %s %q", e.Dialect, e.Code, e.Message)
		}
		seen[k] = true
		if e.Dialect != CRS && e.Dialect != Alibaba {
			t.Errorf("%v: unknown dialect %d", e, uint8(e.Dialect))
		}
		if e.Code == "" || e.Message == "" || e.Status < 200 || e.Status > 599 {
			t.Errorf("incomplete entry %+v", *e)
		}
		if e.Unwrap() != nil {
			t.Errorf("catalogue entry %v carries a cause", e)
		}
		if e.Dialect == CRS && fmt.Sprint(e.CRSCode()) != e.Code {
			t.Errorf("CRS entry code %q is not a plain decimal number", e.Code)
		}
	}
}
