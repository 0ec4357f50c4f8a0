// Package apierror is the catalogue of every error a pixmatch client can
// receive, in both wire dialects: the EasyAR Cloud Recognition (CRS)
// statusCodes and the Alibaba Cloud Image Search error codes, with the few
// Alibaba Cloud common errors (answered by Alibaba's gateway to any API)
// that pixmatch answers too.
//
// Each entry is a package variable holding the code, the HTTP status to
// answer with and the message exactly as the service documents it. Code
// that fails returns an entry, optionally carrying the underlying cause for
// the logs:
//
//	return apierror.CRSTargetNotFound.Because(err)
//
// and a handler turns any error back into the wire form with errors.As,
// while callers test for a particular entry with errors.Is, through any
// amount of fmt.Errorf("...: %w", err) wrapping.
package apierror

import (
	"slices"
	"strconv"
)

// Dialect names the wire protocol an error belongs to.
type Dialect uint8

// The dialects pixmatch speaks. The zero Dialect is none of them.
const (
	// CRS is the EasyAR Cloud Recognition dialect: errors travel as a
	// numeric statusCode with a message.
	CRS Dialect = iota + 1
	// Alibaba is the Alibaba Cloud Image Search dialect: errors travel as a
	// named Code with a Message.
	Alibaba
)

// String returns "crs" or "alibaba".
func (d Dialect) String() string {
	switch d {
	case CRS:
		return "crs"
	case Alibaba:
		return "alibaba"
	}
	return "Dialect(" + strconv.Itoa(int(d)) + ")"
}

// Error is one entry of the catalogue, or a copy of one carrying the cause
// that produced it.
type Error struct {
	// Dialect is the wire protocol the entry belongs to.
	Dialect Dialect
	// Code is the Alibaba error code ("NoPermission") or the CRS
	// statusCode in decimal ("414", "4001024").
	Code string
	// Status is the HTTP status to answer with.
	Status int
	// Message is the error message exactly as the service documents it.
	Message string

	// cause is what went wrong underneath, for logs only: it is never sent
	// to clients.
	cause error
}

// Error returns the dialect, code and message, followed by the cause when
// there is one: "crs 414: Parameter required not exists or not correct".
func (e *Error) Error() string {
	s := e.Dialect.String() + " " + e.Code + ": " + e.Message
	if e.cause != nil {
		s += ": " + e.cause.Error()
	}
	return s
}

// Because returns a copy of e carrying cause. The catalogue entry itself is
// never changed, so it can be returned from many places at once.
func (e *Error) Because(cause error) *Error {
	c := *e
	c.cause = cause
	return &c
}

// Unwrap returns the cause given to Because, or nil.
func (e *Error) Unwrap() error {
	return e.cause
}

// Is reports whether target is an *Error naming the same entry: the same
// Dialect, Code and Message. The cause and Status play no part, so a copy
// made by Because is the entry it was made from.
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	return ok && t != nil &&
		e.Dialect == t.Dialect && e.Code == t.Code && e.Message == t.Message
}

// CRSCode returns the numeric statusCode of a CRS entry, and 0 for an entry
// of any other dialect.
func (e *Error) CRSCode() int {
	if e.Dialect != CRS {
		return 0
	}
	n, err := strconv.Atoi(e.Code)
	if err != nil {
		return 0
	}
	return n
}

// catalogue is every entry, CRS first, each dialect in its table's order,
// the Alibaba common errors last.
var catalogue = slices.Concat(crsCatalogue, alibabaCatalogue, alibabaCommon)

// byCode indexes catalogue by dialect and code.
var byCode = indexByCode(catalogue)

type dialectCode struct {
	dialect Dialect
	code    string
}

func indexByCode(entries []*Error) map[dialectCode][]*Error {
	m := make(map[dialectCode][]*Error, len(entries))
	for _, e := range entries {
		k := dialectCode{e.Dialect, e.Code}
		m[k] = append(m[k], e)
	}
	return m
}

// All returns the whole catalogue: the CRS entries, then the Alibaba ones,
// each in the order of its documentation, then the Alibaba Cloud common
// errors (SignatureNonceUsed), which no product table lists. The slice is
// the caller's own.
func All() []*Error {
	return append([]*Error(nil), catalogue...)
}

// Lookup returns the entries of dialect d with the given code, in catalogue
// order, or nil if there are none. Most codes name one entry; CRS 6 and 21
// name two, told apart by their messages.
func Lookup(d Dialect, code string) []*Error {
	return append([]*Error(nil), byCode[dialectCode{d, code}]...)
}

func crs(code, status int, message string) *Error {
	return &Error{Dialect: CRS, Code: strconv.Itoa(code), Status: status, Message: message}
}

func alibaba(code string, status int, message string) *Error {
	return &Error{Dialect: Alibaba, Code: code, Status: status, Message: message}
}
