package importer

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"strings"
)

// Entry is what the meta file says of one picture; an empty field is not
// sent (the server's default applies: active "1", size "20", no meta, no
// attributes) and an empty Name keeps the name made by Name.
type Entry struct {
	Name, Meta, Active, Size string
	// Attrs are the picture's Alibaba identity and attributes, by their
	// CRS field names (productId, intAttr, …; see attrFields); nil when
	// the meta file gives none.
	Attrs map[string]string
}

// metaFields are the columns (CSV) or keys (JSON lines) a meta file may
// use, by their lower-case spelling: either may be written in any case.
var metaFields = map[string]string{"file": "file", "name": "name", "meta": "meta", "active": "active", "size": "size"}

func init() {
	for _, f := range attrFields {
		metaFields[strings.ToLower(f)] = f
	}
}

// ReadMeta reads a meta file: CSV when its name ends in .csv, JSON lines
// otherwise. Both give per picture "file" (its path under the folder,
// slash-separated, as List makes Rel: "shoes/red.jpg"), and optionally
// "name", "meta", "active" ("1" or "0"), "size" (cm) and the attributes
// of attrFields (productId, picName, categoryId, intAttr…intAttr4,
// strAttr…strAttr4), which Alibaba's Filter searches by. Column and key
// names are read in any case. A CSV file's first row names its columns,
// in any order. A JSON line is an object; a "meta" that is not a string is
// sent as its JSON text, and active, size, categoryId and intAttr… may be
// numbers. A file named twice, a line without "file", an unknown column
// or key, a line that does not parse, an attribute the server would
// refuse, or two pictures given the same productId and picName is an
// error, and nothing is imported.
func ReadMeta(name string) (map[string]Entry, error) {
	data, err := os.ReadFile(name)
	if err != nil {
		return nil, err
	}
	var rows []map[string]string
	if strings.EqualFold(path.Ext(name), ".csv") {
		rows, err = csvRows(data)
	} else {
		rows, err = jsonRows(data)
	}
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	out := make(map[string]Entry, len(rows))
	for i, r := range rows {
		file := strings.TrimPrefix(r["file"], "./")
		if file == "" {
			return nil, fmt.Errorf("%s: entry %d names no file", name, i+1)
		}
		if _, twice := out[file]; twice {
			return nil, fmt.Errorf("%s: %q is named twice", name, file)
		}
		e := Entry{Name: r["name"], Meta: r["meta"], Active: r["active"], Size: r["size"]}
		if e.Attrs, err = attributes(r); err != nil {
			return nil, fmt.Errorf("%s: %q: %w", name, file, err)
		}
		out[file] = e
	}
	if err := distinctIdentities(out); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return out, nil
}

func csvRows(data []byte) ([]map[string]string, error) {
	r := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(data, []byte("\ufeff"))))
	head, err := r.Read()
	if err != nil {
		return nil, fmt.Errorf("the header row: %w", err)
	}
	for i, h := range head {
		head[i] = metaFields[strings.ToLower(strings.TrimSpace(h))]
		if head[i] == "" {
			return nil, fmt.Errorf("unknown column %q (known: %s)", h, known())
		}
	}
	var rows []map[string]string
	for {
		rec, err := r.Read()
		if errors.Is(err, io.EOF) {
			return rows, nil
		}
		if err != nil {
			return nil, err
		}
		row := make(map[string]string, len(head))
		for i, h := range head {
			row[h] = rec[i]
		}
		rows = append(rows, row)
	}
}

func jsonRows(data []byte) ([]map[string]string, error) {
	var rows []map[string]string
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(nil, 8<<20)
	for n := 1; sc.Scan(); n++ {
		line := bytes.TrimSpace(sc.Bytes())
		if len(line) == 0 {
			continue
		}
		var obj map[string]json.RawMessage
		if err := json.Unmarshal(line, &obj); err != nil {
			return nil, fmt.Errorf("line %d: %w", n, err)
		}
		row := make(map[string]string, len(obj))
		for key, v := range obj {
			k := metaFields[strings.ToLower(key)]
			if _, twice := row[k]; k == "" || twice {
				return nil, fmt.Errorf("line %d: unknown or repeated key %q (known: %s)", n, key, known())
			}
			var s string
			if json.Unmarshal(v, &s) != nil {
				s = string(v) // a number, or a meta that is JSON
			}
			row[k] = s
		}
		rows = append(rows, row)
	}
	return rows, sc.Err()
}
