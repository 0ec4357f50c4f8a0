// Package filter reads and evaluates the filter clauses of Alibaba Cloud
// Image Search, such as
//
//	int_attr >= 100 AND str_attr in ("red", "blue")
//
// A clause compares one of the integer fields int_attr .. int_attr4 or the
// string fields str_attr .. str_attr4 (camelCase spellings intAttr ..
// strAttr4 are accepted too) with a literal: integers with > >= < <= = !=,
// in (…) and not in (…); strings with = != in (…) and not in (…). Clauses
// are joined with AND and OR, AND binding tighter, and grouped with
// parentheses. Keywords are case-insensitive, field names are not.
//
// Parse compiles a filter into an Expr, whose Match is an index.Filter that
// allocates nothing, so it can run for every candidate of an index scan.
// The package uses only the standard library and the index package and
// builds for js/wasm, so the browser filters its local search the same way.
package filter

import (
	"errors"
	"slices"
	"unicode/utf8"

	"github.com/pixmatch/pixmatch/shared/index"
)

// ErrSyntax is wrapped by every error Parse returns.
var ErrSyntax = errors.New("invalid filter clause")

// Limits on what Parse accepts, so that a hostile filter cannot take much
// memory or stack.
const (
	// MaxLen is the most characters (runes) a filter may have.
	MaxLen = 4096
	// MaxDepth is the deepest parentheses may nest.
	MaxDepth = 64
)

// Expr is a compiled filter. Its methods are safe for concurrent use.
type Expr struct {
	root node
}

// Match reports whether attrs satisfy e. A nil Expr matches everything.
// Match implements index.Filter.
func (e *Expr) Match(attrs *index.Attributes) bool {
	if e == nil {
		return true
	}
	return e.root.match(attrs)
}

// String returns e in canonical form, which Parse reads back to an
// equivalent Expr; a nil Expr gives "". The form has snake_case field
// names, upper-case keywords, spaces around operators, double-quoted
// strings, in-lists sorted without duplicates, and only the parentheses
// precedence needs:
//
//	int_attr in (1, 2) AND (str_attr = "a" OR str_attr2 != "b")
//
// Should that be longer than MaxLen, String writes the compact form
// instead, which is never longer than the text e was parsed from:
// camelCase names, only the spaces that separate words, and each string
// in the quotes that need fewer escapes:
//
//	intAttr in(1,2)AND(strAttr="a"OR strAttr2!="b")
func (e *Expr) String() string {
	if e == nil {
		return ""
	}
	if s := e.format(false); utf8.RuneCountInString(s) <= MaxLen {
		return s
	}
	return e.format(true)
}

// format writes e in the readable or the compact form.
func (e *Expr) format(compact bool) string {
	w := writer{compact: compact}
	w.node(&e.root, false)
	return w.b.String()
}

// kind is what a node does.
type kind uint8

const (
	kindAnd kind = iota // all kids match
	kindOr              // some kid matches
	kindInt             // an integer field compared with ints
	kindStr             // a string field compared with strs
)

// op is a comparison operator.
type op uint8

const (
	opEq op = iota
	opNe
	opLt
	opLe
	opGt
	opGe
	opIn
	opNotIn
)

// opText spells each operator as String writes it.
var opText = [...]string{
	opEq:    "=",
	opNe:    "!=",
	opLt:    "<",
	opLe:    "<=",
	opGt:    ">",
	opGe:    ">=",
	opIn:    "in",
	opNotIn: "not in",
}

// node is one operation of a compiled filter: an AND or OR of its kids, or
// a comparison of one field. AND and OR nodes have at least two kids, and
// a kid is never of its parent's kind.
type node struct {
	kind  kind
	op    op
	field uint8    // index into Attributes.Int or Attributes.Str
	ints  []int32  // kindInt: the value, or the sorted distinct list
	strs  []string // kindStr: the value, or the sorted distinct list
	kids  []node   // kindAnd, kindOr
}

func (n *node) match(a *index.Attributes) bool {
	switch n.kind {
	case kindAnd:
		for i := range n.kids {
			if !n.kids[i].match(a) {
				return false
			}
		}
		return true
	case kindOr:
		for i := range n.kids {
			if n.kids[i].match(a) {
				return true
			}
		}
		return false
	case kindInt:
		return compareInt(n.op, a.Int[n.field], n.ints)
	default:
		return compareStr(n.op, a.Str[n.field], n.strs)
	}
}

// compareInt applies o to v and the node's values: the single operand of
// a comparison, or the sorted list of in and not in.
func compareInt(o op, v int32, ints []int32) bool {
	switch o {
	case opEq:
		return v == ints[0]
	case opNe:
		return v != ints[0]
	case opLt:
		return v < ints[0]
	case opLe:
		return v <= ints[0]
	case opGt:
		return v > ints[0]
	case opGe:
		return v >= ints[0]
	case opIn:
		_, found := slices.BinarySearch(ints, v)
		return found
	default:
		_, found := slices.BinarySearch(ints, v)
		return !found
	}
}

// compareStr applies o, which is =, !=, in or not in, to v and strs.
func compareStr(o op, v string, strs []string) bool {
	switch o {
	case opEq:
		return v == strs[0]
	case opNe:
		return v != strs[0]
	case opIn:
		_, found := slices.BinarySearch(strs, v)
		return found
	default:
		_, found := slices.BinarySearch(strs, v)
		return !found
	}
}
