package filter

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Parse compiles the filter s. An empty or all-blank s is an error, as is
// one longer than MaxLen characters or nesting parentheses deeper than
// MaxDepth. Every error wraps ErrSyntax and gives the byte offset where
// parsing failed.
func Parse(s string) (*Expr, error) {
	if n := utf8.RuneCountInString(s); n > MaxLen {
		return nil, syntaxError(runeOffset(s, MaxLen),
			"filter has %d characters, more than %d", n, MaxLen)
	}
	p := &parser{lex: lexer{src: s}}
	if err := p.advance(); err != nil {
		return nil, err
	}
	if p.tok.kind == tokEOF {
		return nil, syntaxError(p.tok.pos, "empty filter")
	}
	root, err := p.parseOr(0)
	if err != nil {
		return nil, err
	}
	if p.tok.kind != tokEOF {
		return nil, p.unexpected("AND, OR or the end of the filter")
	}
	return &Expr{root: root}, nil
}

// runeOffset returns the byte offset of the rune numbered n in s.
func runeOffset(s string, n int) int {
	for off := range s {
		if n == 0 {
			return off
		}
		n--
	}
	return len(s)
}

// syntaxError returns an error at byte offset pos wrapping ErrSyntax.
func syntaxError(pos int, format string, args ...any) error {
	return fmt.Errorf("filter: at %d: %s: %w", pos, fmt.Sprintf(format, args...), ErrSyntax)
}

// field is where a field name points in index.Attributes.
type field struct {
	isInt bool
	index uint8
}

// fields maps every accepted field name to its attribute.
var fields = map[string]field{
	"int_attr": {true, 0}, "int_attr2": {true, 1}, "int_attr3": {true, 2}, "int_attr4": {true, 3},
	"intAttr": {true, 0}, "intAttr2": {true, 1}, "intAttr3": {true, 2}, "intAttr4": {true, 3},
	"str_attr": {false, 0}, "str_attr2": {false, 1}, "str_attr3": {false, 2}, "str_attr4": {false, 3},
	"strAttr": {false, 0}, "strAttr2": {false, 1}, "strAttr3": {false, 2}, "strAttr4": {false, 3},
}

// parser is a recursive-descent parser with one token of lookahead.
//
//	or      = and { "OR" and }
//	and     = primary { "AND" primary }
//	primary = "(" or ")" | field compare
//	compare = relop value | [ "NOT" ] "IN" "(" value { "," value } ")"
type parser struct {
	lex lexer
	tok token // the lookahead
}

// advance reads the next token into p.tok.
func (p *parser) advance() error {
	t, err := p.lex.next()
	if err != nil {
		return err
	}
	p.tok = t
	return nil
}

// unexpected reports that the lookahead is not what was expected.
func (p *parser) unexpected(expected string) error {
	return syntaxError(p.tok.pos, "expected %s, found %s", expected, p.tok.describe())
}

// isKeyword reports whether the lookahead is the keyword kw, in any case.
func (p *parser) isKeyword(kw string) bool {
	return p.tok.kind == tokIdent && strings.EqualFold(p.tok.text, kw)
}

func (p *parser) parseOr(depth int) (node, error) {
	return p.parseJoined(depth, kindOr, "OR", p.parseAnd)
}

func (p *parser) parseAnd(depth int) (node, error) {
	return p.parseJoined(depth, kindAnd, "AND", p.parsePrimary)
}

// parseJoined parses operands joined by the keyword kw into a node of kind
// k, merging operands of the same kind (from parentheses) into it.
func (p *parser) parseJoined(depth int, k kind, kw string, operand func(int) (node, error)) (node, error) {
	var kids []node
	for {
		n, err := operand(depth)
		if err != nil {
			return node{}, err
		}
		if n.kind == k {
			kids = append(kids, n.kids...)
		} else {
			kids = append(kids, n)
		}
		if !p.isKeyword(kw) {
			break
		}
		if err := p.advance(); err != nil {
			return node{}, err
		}
	}
	if len(kids) == 1 {
		return kids[0], nil
	}
	return node{kind: k, kids: kids}, nil
}

func (p *parser) parsePrimary(depth int) (node, error) {
	if p.tok.kind == tokLParen {
		if depth == MaxDepth {
			return node{}, syntaxError(p.tok.pos, "parentheses nest deeper than %d", MaxDepth)
		}
		if err := p.advance(); err != nil {
			return node{}, err
		}
		n, err := p.parseOr(depth + 1)
		if err != nil {
			return node{}, err
		}
		if p.tok.kind != tokRParen {
			return node{}, p.unexpected(`AND, OR or ")"`)
		}
		return n, p.advance()
	}
	if p.tok.kind != tokIdent || isReserved(p.tok.text) {
		return node{}, p.unexpected(`a field name or "("`)
	}
	f, ok := fields[p.tok.text]
	if !ok {
		return node{}, syntaxError(p.tok.pos, "unknown field %q", p.tok.text)
	}
	name := p.tok.text
	if err := p.advance(); err != nil {
		return node{}, err
	}
	return p.parseCompare(f, name)
}

// isReserved reports whether s is a keyword of the language.
func isReserved(s string) bool {
	for _, kw := range [...]string{"and", "or", "not", "in"} {
		if strings.EqualFold(s, kw) {
			return true
		}
	}
	return false
}

// parseCompare parses the operator and operand after the field f, spelled
// name.
func (p *parser) parseCompare(f field, name string) (node, error) {
	n := node{kind: kindStr, field: f.index}
	if f.isInt {
		n.kind = kindInt
	}
	switch {
	case p.tok.kind == tokOp:
		n.op = p.tok.op
		if !f.isInt && n.op != opEq && n.op != opNe {
			return node{}, syntaxError(p.tok.pos, "operator %q does not apply to string field %s", p.tok.text, name)
		}
		after := p.tok.text
		if err := p.advance(); err != nil {
			return node{}, err
		}
		return n, p.parseValue(&n, f, name, after)
	case p.isKeyword("not"):
		if err := p.advance(); err != nil {
			return node{}, err
		}
		if !p.isKeyword("in") {
			return node{}, p.unexpected(`"in" after "not"`)
		}
		n.op = opNotIn
	case p.isKeyword("in"):
		n.op = opIn
	default:
		return node{}, p.unexpected(fmt.Sprintf("a comparison operator after %q", name))
	}
	if err := p.advance(); err != nil { // past "in"
		return node{}, err
	}
	return n, p.parseList(&n, f, name)
}

// parseList parses the parenthesised operand of in and not in, then sorts
// it and drops duplicates so Match can search it.
func (p *parser) parseList(n *node, f field, name string) error {
	if p.tok.kind != tokLParen {
		return p.unexpected(`"(" after "in"`)
	}
	if err := p.advance(); err != nil {
		return err
	}
	if p.tok.kind == tokRParen {
		return syntaxError(p.tok.pos, "empty list after \"in\"")
	}
	after := "("
	for {
		if err := p.parseValue(n, f, name, after); err != nil {
			return err
		}
		if p.tok.kind == tokRParen {
			break
		}
		if p.tok.kind != tokComma {
			return p.unexpected(`"," or ")" in the list`)
		}
		after = ","
		if err := p.advance(); err != nil {
			return err
		}
	}
	slices.Sort(n.ints)
	n.ints = slices.Clip(slices.Compact(n.ints))
	slices.Sort(n.strs)
	n.strs = slices.Clip(slices.Compact(n.strs))
	return p.advance()
}

// parseValue parses one literal of the type of f, spelled name, which
// follows the token spelled after, and appends it to n's values.
func (p *parser) parseValue(n *node, f field, name, after string) error {
	t := p.tok
	switch {
	case f.isInt && t.kind == tokInt:
		v, err := strconv.ParseInt(t.text, 10, 32)
		if err != nil {
			return syntaxError(t.pos, "integer %s is outside the int32 range", t.describe())
		}
		n.ints = append(n.ints, int32(v))
	case !f.isInt && t.kind == tokStr:
		n.strs = append(n.strs, t.str)
	case f.isInt && t.kind == tokStr:
		return syntaxError(t.pos, "%s takes integers, found the string %s", name, t.describe())
	case !f.isInt && t.kind == tokInt:
		return syntaxError(t.pos, "%s takes quoted strings, found the number %s", name, t.describe())
	default:
		return p.unexpected(fmt.Sprintf("a value after %q", after))
	}
	return p.advance()
}
