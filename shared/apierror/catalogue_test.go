package apierror

import (
	"bufio"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// specRow is one row of a published error table.
type specRow struct {
	code        string
	status      int // 0 where the table gives none (CRS)
	message     string
	description string // Alibaba only
}

// The row counts of the two tables, so that a parser that finds nothing
// cannot pass.
const (
	alibabaRows = 52
	crsRows     = 19
)

var (
	alibabaCodeLine   = regexp.MustCompile(`^[A-Z][A-Za-z]+$`)
	alibabaStatusLine = regexp.MustCompile(`^[1-5][0-9][0-9]$`)
)

// parseAlibaba reads the Alibaba table: paragraphs separated by blank
// lines, each row a code paragraph, a status paragraph, a message paragraph
// and one or more description paragraphs. The "System-level errors" part
// repeats the header and continues the table.
func parseAlibaba(t *testing.T, path string) []specRow {
	t.Helper()
	text, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("reading Alibaba table: %v", err)
	}
	paras := strings.Split(strings.ReplaceAll(string(text), "\r\n", "\n"), "\n\n")
	for i := range paras {
		paras[i] = strings.TrimSpace(paras[i])
	}
	startsRow := func(i int) bool {
		return i+2 < len(paras) && alibabaCodeLine.MatchString(paras[i]) &&
			alibabaStatusLine.MatchString(paras[i+1])
	}
	var rows []specRow
	for i := 0; i < len(paras); {
		if !startsRow(i) {
			i++
			continue
		}
		status, err := strconv.Atoi(paras[i+1])
		if err != nil {
			t.Fatalf("row %s: status %q: %v", paras[i], paras[i+1], err)
		}
		r := specRow{code: paras[i], status: status, message: paras[i+2]}
		j := i + 3
		var desc []string
		for ; j < len(paras) && !startsRow(j) && paras[j] != "System-level errors"; j++ {
			desc = append(desc, paras[j])
		}
		r.description = strings.Join(desc, " ")
		rows = append(rows, r)
		i = j
	}
	return rows
}

// parseCRS reads the "Business status code list" markdown table of the
// CRS status-code page.
func parseCRS(t *testing.T, path string) []specRow {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatalf("reading CRS table: %v", err)
	}
	defer f.Close()
	var rows []specRow
	inList, inTable := false, false
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		switch {
		case line == "Business status code list":
			inList = true
		case inList && strings.HasPrefix(line, "|"):
			inTable = true
			cells := strings.Split(strings.Trim(line, "|"), "|")
			if len(cells) != 2 {
				t.Fatalf("CRS table line %q: want 2 cells, got %d", line, len(cells))
			}
			code, msg := strings.TrimSpace(cells[0]), strings.TrimSpace(cells[1])
			if _, err := strconv.Atoi(code); err != nil {
				continue // the header and the |---| separator
			}
			rows = append(rows, specRow{code: code, message: msg})
		case inTable:
			return rows
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatalf("reading CRS table: %v", err)
	}
	return rows
}

// hasEntry reports whether the catalogue holds an entry with the row's
// dialect, code and message, and, when the row gives one, its status.
func hasEntry(d Dialect, r specRow) bool {
	for _, e := range Lookup(d, r.code) {
		if e.Message == r.message && (r.status == 0 || e.Status == r.status) {
			return true
		}
	}
	return false
}

// alibabaCommonRows are the Alibaba Cloud common errors the catalogue
// holds besides the Image Search table: gateway errors every Alibaba Cloud
// API answers, which no product table lists. An Alibaba entry must be a
// row of the table or one of these.
var alibabaCommonRows = []specRow{
	{code: "SignatureNonceUsed", status: 400, message: "Specified signature nonce was used already."},
}

func TestCatalogueHoldsAlibabaTable(t *testing.T) {
	rows := parseAlibaba(t, "testdata/alibaba-image-search-error-codes.txt")
	if len(rows) != alibabaRows {
		t.Fatalf("parsed %d Alibaba rows, want %d", len(rows), alibabaRows)
	}
	inTable := make(map[string]specRow, len(rows))
	for _, r := range rows {
		inTable[r.code] = r
		if !hasEntry(Alibaba, r) {
			t.Errorf("no Alibaba entry %s %d %q", r.code, r.status, r.message)
		}
	}
	for _, r := range alibabaCommonRows {
		if _, clash := inTable[r.code]; clash {
			t.Errorf("common error %s is in the Image Search table", r.code)
		}
		inTable[r.code] = r
		if !hasEntry(Alibaba, r) {
			t.Errorf("no Alibaba common entry %s %d %q", r.code, r.status, r.message)
		}
	}
	n := 0
	for _, e := range All() {
		if e.Dialect != Alibaba {
			continue
		}
		n++
		r, ok := inTable[e.Code]
		if !ok {
			t.Errorf("Alibaba entry %s is neither in the table nor a named common error", e.Code)
			continue
		}
		if e.Status != r.status || e.Message != r.message {
			t.Errorf("Alibaba entry %s = %d %q, table says %d %q",
				e.Code, e.Status, e.Message, r.status, r.message)
		}
	}
	if want := alibabaRows + len(alibabaCommonRows); n != want {
		t.Errorf("catalogue has %d Alibaba entries, want %d", n, want)
	}
}

func TestCatalogueHoldsCRSTable(t *testing.T) {
	rows := parseCRS(t, "testdata/crs-error-codes.txt")
	if len(rows) != crsRows {
		t.Fatalf("parsed %d CRS rows, want %d", len(rows), crsRows)
	}
	for _, r := range rows {
		if !hasEntry(CRS, r) {
			t.Errorf("no CRS entry %s %q", r.code, r.message)
		}
	}
}

// TestAlibabaDocComments checks that each Alibaba variable is documented
// with its row's description, as the table words it.
func TestAlibabaDocComments(t *testing.T) {
	rows := parseAlibaba(t, "testdata/alibaba-image-search-error-codes.txt")
	f, err := parser.ParseFile(token.NewFileSet(), "alibaba.go", nil, parser.ParseComments)
	if err != nil {
		t.Fatalf("parsing alibaba.go: %v", err)
	}
	docs := make(map[string]string)
	for _, decl := range f.Decls {
		g, ok := decl.(*ast.GenDecl)
		if !ok || g.Tok != token.VAR {
			continue
		}
		for _, spec := range g.Specs {
			v := spec.(*ast.ValueSpec)
			for _, name := range v.Names {
				docs[name.Name] = strings.Join(strings.Fields(v.Doc.Text()), " ")
			}
		}
	}
	for _, r := range rows {
		doc, ok := docs[r.code]
		if !ok {
			t.Errorf("alibaba.go declares no variable %s", r.code)
			continue
		}
		want := strings.Join(strings.Fields(r.description), " ")
		if want == "" || !strings.Contains(doc, want) {
			t.Errorf("doc of %s = %q, want it to hold %q", r.code, doc, want)
		}
	}
}
