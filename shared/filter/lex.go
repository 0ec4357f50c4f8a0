package filter

import (
	"strconv"
	"strings"
	"unicode/utf8"
)

// tokKind is the class of a token.
type tokKind uint8

const (
	tokEOF    tokKind = iota
	tokIdent          // a field name or a keyword
	tokInt            // an optionally signed run of decimal digits
	tokStr            // a quoted string
	tokOp             // a comparison operator: = != < <= > >=
	tokLParen         // (
	tokRParen         // )
	tokComma          // ,
)

// token is one lexical element of a filter.
type token struct {
	kind tokKind
	pos  int    // byte offset in the source
	text string // the source text
	str  string // tokStr: the string with escapes resolved
	op   op     // tokOp: the operator
}

// describe names t for an error message.
func (t token) describe() string {
	if t.kind == tokEOF {
		return "the end of the filter"
	}
	const max = 32
	text := t.text
	if len(text) > max {
		text = text[:max] + "..."
	}
	if t.kind == tokStr {
		return text // already quoted
	}
	return strconv.Quote(text)
}

// lexer splits a filter into tokens.
type lexer struct {
	src string
	pos int
}

// next returns the token after any blanks.
func (l *lexer) next() (token, error) {
	for l.pos < len(l.src) && isBlank(l.src[l.pos]) {
		l.pos++
	}
	start := l.pos
	if start == len(l.src) {
		return token{kind: tokEOF, pos: start}, nil
	}
	c := l.src[start]
	switch {
	case isLetter(c):
		l.pos++
		for l.pos < len(l.src) && (isLetter(l.src[l.pos]) || isDigit(l.src[l.pos])) {
			l.pos++
		}
		return l.token(tokIdent, start), nil
	case isDigit(c) || (c == '+' || c == '-') && start+1 < len(l.src) && isDigit(l.src[start+1]):
		l.pos++
		for l.pos < len(l.src) && isDigit(l.src[l.pos]) {
			l.pos++
		}
		if l.pos < len(l.src) && isLetter(l.src[l.pos]) {
			return token{}, syntaxError(l.pos, "expected a blank between a number and a word")
		}
		return l.token(tokInt, start), nil
	case c == '"' || c == '\'':
		return l.quoted()
	case c == '(':
		l.pos++
		return l.token(tokLParen, start), nil
	case c == ')':
		l.pos++
		return l.token(tokRParen, start), nil
	case c == ',':
		l.pos++
		return l.token(tokComma, start), nil
	}
	return l.operator()
}

// token returns the token of kind k from start to the current position.
func (l *lexer) token(k tokKind, start int) token {
	return token{kind: k, pos: start, text: l.src[start:l.pos]}
}

// operator lexes a comparison operator, the only tokens left.
func (l *lexer) operator() (token, error) {
	start := l.pos
	two := ""
	if start+2 <= len(l.src) {
		two = l.src[start : start+2]
	}
	var o op
	switch {
	case two == "!=":
		o = opNe
	case two == "<=":
		o = opLe
	case two == ">=":
		o = opGe
	case l.src[start] == '=':
		o = opEq
	case l.src[start] == '<':
		o = opLt
	case l.src[start] == '>':
		o = opGt
	default:
		r, _ := utf8.DecodeRuneInString(l.src[start:])
		return token{}, syntaxError(start, "unexpected character %q", r)
	}
	l.pos += len(opText[o])
	t := l.token(tokOp, start)
	t.op = o
	return t, nil
}

// quoted lexes a string in double or single quotes, in which a backslash
// escapes a quote of either kind or a backslash.
func (l *lexer) quoted() (token, error) {
	start := l.pos
	quote := l.src[start]
	var b strings.Builder
	for i := start + 1; i < len(l.src); i++ {
		switch c := l.src[i]; c {
		case quote:
			l.pos = i + 1
			t := l.token(tokStr, start)
			t.str = b.String()
			return t, nil
		case '\\':
			if i+1 == len(l.src) {
				return token{}, syntaxError(start, "unterminated string")
			}
			i++
			if e := l.src[i]; e != '"' && e != '\'' && e != '\\' {
				return token{}, syntaxError(i-1, `unknown escape; only \", \' and \\ are allowed`)
			}
			b.WriteByte(l.src[i])
		default:
			b.WriteByte(c)
		}
	}
	return token{}, syntaxError(start, "unterminated string")
}

func isBlank(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'
}

func isLetter(c byte) bool { return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || c == '_' }

func isDigit(c byte) bool { return '0' <= c && c <= '9' }
