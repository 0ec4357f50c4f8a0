package filter

import (
	"strconv"
	"strings"
)

// writer writes a node in one of the two forms described at Expr.String.
type writer struct {
	b       strings.Builder
	compact bool
}

// node writes n, in parentheses if grouped is set. An OR inside an AND is
// the only operand that needs them; since every such OR came from a
// parenthesised group of the input, the output nests no deeper than the
// input did.
func (w *writer) node(n *node, grouped bool) {
	if grouped {
		w.b.WriteByte('(')
		defer w.b.WriteByte(')')
	}
	switch n.kind {
	case kindAnd, kindOr:
		kw := "AND"
		if n.kind == kindOr {
			kw = "OR"
		}
		for i := range n.kids {
			kid := &n.kids[i]
			group := n.kind == kindAnd && kid.kind == kindOr
			if i > 0 {
				w.keyword(kw, !group)
			}
			w.node(kid, group)
		}
	case kindInt:
		w.field("int_attr", "intAttr", n)
		w.values(n, len(n.ints), func(i int) {
			w.b.WriteString(strconv.FormatInt(int64(n.ints[i]), 10))
		})
	default:
		w.field("str_attr", "strAttr", n)
		w.values(n, len(n.strs), func(i int) { w.quoted(n.strs[i]) })
	}
}

// keyword writes AND or OR between two operands; wordNext tells whether the
// next operand starts with a field name rather than "(".
func (w *writer) keyword(kw string, wordNext bool) {
	if !w.compact || endsWord(w.b.String()) {
		w.b.WriteByte(' ')
	}
	w.b.WriteString(kw)
	if !w.compact || wordNext {
		w.b.WriteByte(' ')
	}
}

// endsWord reports whether s ends in a letter or digit, which a following
// word must be separated from.
func endsWord(s string) bool {
	c := s[len(s)-1]
	return isLetter(c) || isDigit(c)
}

// field writes the field's name, snake or camel, and the operator.
func (w *writer) field(snake, camel string, n *node) {
	if w.compact {
		w.b.WriteString(camel)
	} else {
		w.b.WriteString(snake)
	}
	if n.field > 0 {
		w.b.WriteByte('1' + n.field)
	}
	list := n.op == opIn || n.op == opNotIn
	if list || !w.compact {
		w.b.WriteByte(' ')
	}
	w.b.WriteString(opText[n.op])
	if !list && !w.compact {
		w.b.WriteByte(' ')
	}
}

// values writes the operand: a bare value, or a parenthesised list for in
// and not in.
func (w *writer) values(n *node, count int, value func(i int)) {
	if n.op != opIn && n.op != opNotIn {
		value(0)
		return
	}
	if !w.compact {
		w.b.WriteByte(' ')
	}
	w.b.WriteByte('(')
	for i := range count {
		if i > 0 {
			w.b.WriteByte(',')
			if !w.compact {
				w.b.WriteByte(' ')
			}
		}
		value(i)
	}
	w.b.WriteByte(')')
}

// quoted writes s quoted, escaping the quote and backslashes. The readable
// form always uses double quotes; the compact one uses single quotes when
// s has more double quotes than single ones.
func (w *writer) quoted(s string) {
	quote := byte('"')
	if w.compact && strings.Count(s, `"`) > strings.Count(s, "'") {
		quote = '\''
	}
	w.b.WriteByte(quote)
	for i := 0; i < len(s); i++ {
		if c := s[i]; c == quote || c == '\\' {
			w.b.WriteByte('\\')
		}
		w.b.WriteByte(s[i])
	}
	w.b.WriteByte(quote)
}
