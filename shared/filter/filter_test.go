package filter

import (
	"errors"
	"fmt"
	"math"
	"strings"
	"testing"

	"github.com/pixmatch/pixmatch/shared/index"
)

// validCases are filters Parse accepts, with their canonical forms.
var validCases = []struct {
	in, want string
}{
	// The examples of Alibaba's documentation.
	{`int_attr>=100`, `int_attr >= 100`},
	{`str_attr!="value1"`, `str_attr != "value1"`},
	{`int_attr=1000 AND str_attr="value1"`, `int_attr = 1000 AND str_attr = "value1"`},
	{`intAttr = 1000 AND intAttr2 = 200 AND strAttr = "str2345"`,
		`int_attr = 1000 AND int_attr2 = 200 AND str_attr = "str2345"`},
	// Every operator and field.
	{`int_attr<5 AND int_attr2<=5 AND int_attr3>5 AND int_attr4>=5`,
		`int_attr < 5 AND int_attr2 <= 5 AND int_attr3 > 5 AND int_attr4 >= 5`},
	{`intAttr3 != -7`, `int_attr3 != -7`},
	{`str_attr2 = "a" or str_attr3 != "b" OR strAttr4 = "c"`,
		`str_attr2 = "a" OR str_attr3 != "b" OR str_attr4 = "c"`},
	{`int_attr in (3, 1, 2, 1)`, `int_attr in (1, 2, 3)`},
	{`int_attr2 NOT IN(5)`, `int_attr2 not in (5)`},
	{`int_attr2 Not In (-1,+1)`, `int_attr2 not in (-1, 1)`},
	{`strAttr in ("b", 'a', "b")`, `str_attr in ("a", "b")`},
	{`str_attr3 not in ('x')`, `str_attr3 not in ("x")`},
	// Literals.
	{`int_attr4 = -2147483648`, `int_attr4 = -2147483648`},
	{`int_attr4 = +2147483647`, `int_attr4 = 2147483647`},
	{`int_attr = 007`, `int_attr = 7`},
	{`int_attr = -0`, `int_attr = 0`},
	{`str_attr = ""`, `str_attr = ""`},
	{`str_attr = 'it\'s "x"'`, `str_attr = "it's \"x\""`},
	{`str_attr = "back\\slash \' \""`, `str_attr = "back\\slash ' \""`},
	{`str_attr = "中文 AND (x)"`, `str_attr = "中文 AND (x)"`},
	// Blanks, keywords and grouping.
	{"\t int_attr\n>=\r\n-5 \v", `int_attr >= -5`},
	{`str_attr="a"AND(int_attr=1)`, `str_attr = "a" AND int_attr = 1`},
	{`int_attr = 1 or int_attr = 2 and str_attr = "x"`,
		`int_attr = 1 OR int_attr = 2 AND str_attr = "x"`},
	{`int_attr = 1 OR (int_attr = 2 AND str_attr = "x")`,
		`int_attr = 1 OR int_attr = 2 AND str_attr = "x"`},
	{`(int_attr = 1 OR int_attr = 2) AND str_attr = "x"`,
		`(int_attr = 1 OR int_attr = 2) AND str_attr = "x"`},
	{`((int_attr = 1))`, `int_attr = 1`},
	{`(int_attr = 1 AND int_attr2 = 2) AND (int_attr3 = 3 AND (int_attr4 = 4))`,
		`int_attr = 1 AND int_attr2 = 2 AND int_attr3 = 3 AND int_attr4 = 4`},
	{`((int_attr = 1 OR int_attr = 2) OR int_attr = 3) AND (int_attr2 = 1 OR (int_attr3 = 1 AND int_attr4 = 1))`,
		`(int_attr = 1 OR int_attr = 2 OR int_attr = 3) AND (int_attr2 = 1 OR int_attr3 = 1 AND int_attr4 = 1)`},
	{strings.Repeat("(", MaxDepth) + "int_attr=1" + strings.Repeat(")", MaxDepth), `int_attr = 1`},
}

func TestParseValid(t *testing.T) {
	for _, c := range validCases {
		e, err := Parse(c.in)
		if err != nil {
			t.Errorf("Parse(%q): %v", c.in, err)
			continue
		}
		if got := e.String(); got != c.want {
			t.Errorf("Parse(%q).String() = %q, want %q", c.in, got, c.want)
		}
		again, err := Parse(c.want)
		if err != nil {
			t.Errorf("Parse(%q) of the canonical form: %v", c.want, err)
		} else if got := again.String(); got != c.want {
			t.Errorf("canonical form %q is not stable: String gives %q", c.want, got)
		}
	}
}

// invalidCases are filters Parse rejects, with the byte offset the error
// must name and a fragment of its message.
var invalidCases = []struct {
	in   string
	at   int
	what string
}{
	{``, 0, "empty filter"},
	{" \t\n ", 4, "empty filter"},
	{`foo = 1`, 0, `unknown field "foo"`},
	{`INT_ATTR = 1`, 0, `unknown field`},
	{`int_attr1 = 1`, 0, `unknown field`},
	{`int_attr5 = 1`, 0, `unknown field`},
	{`int_attr =`, 10, `expected a value after "=", found the end`},
	{`int_attr = AND int_attr2 = 1`, 11, `expected a value after "="`},
	{`int_attr 5`, 9, `expected a comparison operator after "int_attr"`},
	{`int_attr`, 8, `expected a comparison operator`},
	{`int_attr = 1 AND`, 16, `expected a field name or "(", found the end`},
	{`int_attr = 1 OR`, 15, `expected a field name or "("`},
	{`AND int_attr = 1`, 0, `expected a field name or "(", found "AND"`},
	{`int_attr = 1 OR OR int_attr = 2`, 16, `found "OR"`},
	{`(int_attr = 1`, 13, `expected AND, OR or ")"`},
	{`((int_attr = 1)`, 15, `expected AND, OR or ")"`},
	{`int_attr = 1)`, 12, `expected AND, OR or the end of the filter, found ")"`},
	{`()`, 1, `expected a field name or "("`},
	{`int_attr = 1 int_attr2 = 2`, 13, `found "int_attr2"`},
	{`int_attr = 1 str_attr`, 13, `found "str_attr"`},
	{`int_attr = 12abc`, 13, `blank between a number and a word`},
	{`int_attr = 1AND int_attr2 = 1`, 12, `blank between a number and a word`},
	{`str_attr > "a"`, 9, `operator ">" does not apply to string field str_attr`},
	{`strAttr2 >= "a"`, 9, `operator ">=" does not apply to string field strAttr2`},
	{`str_attr < "a"`, 9, `does not apply`},
	{`str_attr <= "a"`, 9, `does not apply`},
	{`int_attr = "1"`, 11, `int_attr takes integers, found the string "1"`},
	{`str_attr = 1`, 11, `str_attr takes quoted strings, found the number "1"`},
	{`str_attr = value1`, 11, `expected a value after "="`},
	{`int_attr = 2147483648`, 11, `integer "2147483648" is outside the int32 range`},
	{`int_attr = -2147483649`, 11, `outside the int32 range`},
	{`int_attr in (1, 99999999999999999999999)`, 16, `outside the int32 range`},
	{`int_attr in ()`, 13, `empty list`},
	{`int_attr in (1,)`, 15, `expected a value after ","`},
	{`int_attr in (1 2)`, 15, `expected "," or ")" in the list`},
	{`int_attr in (1`, 14, `expected "," or ")"`},
	{`int_attr in 1`, 12, `expected "(" after "in"`},
	{`int_attr in (1, "a")`, 16, `int_attr takes integers, found the string "a"`},
	{`str_attr in ("a", 1)`, 18, `str_attr takes quoted strings`},
	{`int_attr not (1)`, 13, `expected "in" after "not"`},
	{`int_attr not = 1`, 13, `expected "in" after "not"`},
	{`NOT int_attr = 1`, 0, `expected a field name or "("`},
	{`int_attr == 1`, 10, `expected a value after "=", found "="`},
	{`int_attr <> 1`, 10, `expected a value after "<", found ">"`},
	{`int_attr = 1 && int_attr2 = 2`, 13, `unexpected character '&'`},
	{`int_attr = - 1`, 11, `unexpected character '-'`},
	{`int_attr ≥ 1`, 9, `unexpected character '≥'`},
	{`str_attr = "abc`, 11, `unterminated string`},
	{`str_attr = 'abc\'`, 11, `unterminated string`},
	{`str_attr = "abc\`, 11, `unterminated string`},
	{`str_attr = "a\nb"`, 13, `unknown escape`},
	{strings.Repeat(" ", MaxLen-12) + "int_attr = 1 ", MaxLen, `more than 4096`},
	{`str_attr = "` + strings.Repeat("中", MaxLen) + `"`, 12 + (MaxLen-12)*3, `4109 characters, more than 4096`},
	{strings.Repeat("(", MaxDepth+1) + "int_attr=1" + strings.Repeat(")", MaxDepth+1), MaxDepth, `deeper than 64`},
	{strings.Repeat("(", 100) + "int_attr=1" + strings.Repeat(")", 100), MaxDepth, `deeper than 64`},
	{`int_attr = 1 AND ` + strings.Repeat("(", 100), 17 + MaxDepth, `deeper than 64`},
}

func TestParseInvalid(t *testing.T) {
	for _, c := range invalidCases {
		e, err := Parse(c.in)
		if err == nil {
			t.Errorf("Parse(%.40q) = %q, want an error", c.in, e)
			continue
		}
		if !errors.Is(err, ErrSyntax) {
			t.Errorf("Parse(%.40q) error %v does not wrap ErrSyntax", c.in, err)
		}
		if e != nil {
			t.Errorf("Parse(%.40q) returned an Expr with its error", c.in)
		}
		msg := err.Error()
		if at := fmt.Sprintf("filter: at %d: ", c.at); !strings.HasPrefix(msg, at) {
			t.Errorf("Parse(%.40q) error %q, want it to start %q", c.in, msg, at)
		}
		if !strings.Contains(msg, c.what) {
			t.Errorf("Parse(%.40q) error %q, want it to say %q", c.in, msg, c.what)
		}
	}
}

func TestMaxLen(t *testing.T) {
	// Exactly MaxLen characters, many of them more than one byte.
	s := `str_attr = "` + strings.Repeat("中", MaxLen-13) + `"`
	if _, err := Parse(s); err != nil {
		t.Errorf("Parse of %d characters: %v", MaxLen, err)
	}
	if _, err := Parse(s + " "); !errors.Is(err, ErrSyntax) {
		t.Errorf("Parse of %d characters: err = %v, want ErrSyntax", MaxLen+1, err)
	}
}

// TestStringCompact checks that a filter whose readable form would be too
// long is written compactly, within MaxLen and equivalent.
func TestStringCompact(t *testing.T) {
	var b strings.Builder
	for i := 0; b.Len() < MaxLen-40; i++ {
		fmt.Fprintf(&b, `intAttr=%d AND strAttr2!='a"b'AND(intAttr2 in(%d)OR intAttr3<1)AND `, i, i)
	}
	b.WriteString("intAttr4=0")
	in := b.String()
	e, err := Parse(in)
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	out := e.String()
	if len(out) > len(in) {
		t.Errorf("compact form has %d bytes, input %d", len(out), len(in))
	}
	if !strings.HasPrefix(out, `intAttr=0 AND strAttr2!='a"b'AND(intAttr2 in(0)OR intAttr3<1)AND intAttr=1 `) {
		t.Errorf("String() = %.100q..., want the compact form", out)
	}
	again, err := Parse(out)
	if err != nil {
		t.Fatalf("Parse(String()): %v", err)
	}
	if again.String() != out {
		t.Errorf("compact form is not stable")
	}
	for _, a := range sampleAttributes(e, 1, 64) {
		if e.Match(&a) != again.Match(&a) {
			t.Errorf("compact form matches %+v differently", a)
		}
	}
}

// testAttrs are the attributes the evaluation cases are computed for.
var testAttrs = index.Attributes{
	Category: 3,
	Int:      [4]int32{100, -5, math.MaxInt32, math.MinInt32},
	Str:      [4]string{"value1", "", `a"b`, "中文"},
	Group:    "p1",
}

func TestMatch(t *testing.T) {
	cases := []struct {
		filter string
		want   bool
	}{
		{`int_attr >= 100`, true},
		{`int_attr >= 101`, false},
		{`int_attr > 99`, true},
		{`int_attr > 100`, false},
		{`int_attr <= 100`, true},
		{`int_attr <= 99`, false},
		{`int_attr < 101`, true},
		{`int_attr < 100`, false},
		{`int_attr = 100`, true},
		{`int_attr = 101`, false},
		{`int_attr != 100`, false},
		{`int_attr != -100`, true},
		{`int_attr2 = -5`, true},
		{`int_attr2 < 0`, true},
		{`int_attr3 = 2147483647`, true},
		{`int_attr3 >= 2147483647`, true},
		{`int_attr3 > 2147483646`, true},
		{`int_attr3 < 2147483647`, false},
		{`int_attr3 > -2147483648`, true},
		{`int_attr4 = -2147483648`, true},
		{`int_attr4 <= -2147483648`, true},
		{`int_attr4 < -2147483647`, true},
		{`int_attr4 > -2147483648`, false},
		{`int_attr4 < 2147483647`, true},
		{`int_attr2 in (-5, 7)`, true},
		{`int_attr2 in (5, 7)`, false},
		{`int_attr2 not in (-5)`, false},
		{`int_attr in (1, 2, 3)`, false},
		{`int_attr not in (1, 2, 3)`, true},
		{`int_attr4 in (2147483647, -2147483648)`, true},
		{`str_attr = "value1"`, true},
		{`str_attr = "Value1"`, false},
		{`str_attr = "value"`, false},
		{`str_attr != "value1"`, false},
		{`str_attr != "value2"`, true},
		{`str_attr2 = ""`, true},
		{`str_attr2 != ""`, false},
		{`str_attr3 = 'a"b'`, true},
		{`str_attr3 = "a\"b"`, true},
		{`str_attr4 = "中文"`, true},
		{`str_attr in ("x", "value1")`, true},
		{`str_attr not in ("x", "value1")`, false},
		{`str_attr2 not in ("x")`, true},
		{`str_attr2 in ("x", "")`, true},
		{`int_attr=1000 AND str_attr="value1"`, false},
		{`int_attr=100 AND str_attr="value1"`, true},
		{`int_attr=1000 OR str_attr="value1"`, true},
		{`int_attr=1000 OR str_attr="value2"`, false},
		{`int_attr = 1 OR int_attr = 100 AND str_attr = "no"`, false},
		{`(int_attr = 1 OR int_attr = 100) AND str_attr = "value1"`, true},
		{`int_attr = 100 AND str_attr = "no" OR int_attr2 = -5`, true},
		{`int_attr = 100 AND (str_attr = "no" OR int_attr2 = 5)`, false},
	}
	for _, c := range cases {
		e, err := Parse(c.filter)
		if err != nil {
			t.Errorf("Parse(%q): %v", c.filter, err)
			continue
		}
		if got := e.Match(&testAttrs); got != c.want {
			t.Errorf("Parse(%q).Match = %v, want %v", c.filter, got, c.want)
		}
	}
}

func TestNilMatchesEverything(t *testing.T) {
	var e *Expr
	if !e.Match(&testAttrs) || !e.Match(&index.Attributes{}) {
		t.Error("nil Expr does not match")
	}
	if e.String() != "" {
		t.Errorf("nil Expr String() = %q", e.String())
	}
	var _ index.Filter = e
}

// TestPrecedence checks on every assignment of three booleans that AND
// binds tighter than OR.
func TestPrecedence(t *testing.T) {
	const (
		a = `int_attr = 1`
		b = `int_attr2 = 1`
		c = `int_attr3 = 1`
	)
	cases := []struct {
		filter string
		eval   func(a, b, c bool) bool
	}{
		{a + " OR " + b + " AND " + c, func(a, b, c bool) bool { return a || b && c }},
		{a + " AND " + b + " OR " + c, func(a, b, c bool) bool { return a && b || c }},
		{"(" + a + " OR " + b + ") AND " + c, func(a, b, c bool) bool { return (a || b) && c }},
		{a + " AND (" + b + " OR " + c + ")", func(a, b, c bool) bool { return a && (b || c) }},
		{a + " or " + b + " and " + c + " or " + a + " and " + c,
			func(a, b, c bool) bool { return a || b && c || a && c }},
	}
	for _, tc := range cases {
		e, err := Parse(tc.filter)
		if err != nil {
			t.Fatalf("Parse(%q): %v", tc.filter, err)
		}
		for bits := range 8 {
			var attrs index.Attributes
			for i := range 3 {
				attrs.Int[i] = int32(bits >> i & 1)
			}
			want := tc.eval(bits&1 == 1, bits&2 == 2, bits&4 == 4)
			if got := e.Match(&attrs); got != want {
				t.Errorf("Parse(%q).Match(%v) = %v, want %v", tc.filter, attrs.Int[:3], got, want)
			}
		}
	}
}

// benchFilter is a typical three-clause filter.
const benchFilter = `int_attr >= 100 AND str_attr = "value1" AND int_attr2 in (-5, 3, 9)`

func TestMatchDoesNotAllocate(t *testing.T) {
	e, err := Parse(benchFilter + ` OR str_attr3 not in ("x", "y")`)
	if err != nil {
		t.Fatal(err)
	}
	if n := testing.AllocsPerRun(100, func() { e.Match(&testAttrs) }); n != 0 {
		t.Errorf("Match allocates %v times per call", n)
	}
}

func BenchmarkMatch(b *testing.B) {
	e, err := Parse(benchFilter)
	if err != nil {
		b.Fatal(err)
	}
	if !e.Match(&testAttrs) {
		b.Fatal("benchmark filter does not match")
	}
	b.ReportAllocs()
	for b.Loop() {
		e.Match(&testAttrs)
	}
}

func BenchmarkParse(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Parse(benchFilter); err != nil {
			b.Fatal(err)
		}
	}
}
