package d1

import (
	"context"
	"encoding/json"
	"reflect"
	"sort"
	"strings"
	"testing"

	"github.com/pixmatch/pixmatch/server/store"
	"github.com/pixmatch/pixmatch/server/store/storetest"
)

// TestTargetsByIDAsRows holds the targets TargetsByID reads by a JSON
// list of IDs equal to those read row by row, field for field, for
// targets whose strings hold what JSON escapes (quotes, backslashes,
// control characters), letters beyond ASCII and outside the Basic
// Multilingual Plane, empty and long values: on a Worker every answer
// crosses as JSON text (d1wire).
func TestTargetsByIDAsRows(t *testing.T) {
	ctx := context.Background()
	s, _ := openTemp(t)
	g, err := s.CreateGallery(ctx, store.Gallery{Name: "g"})
	if err != nil {
		t.Fatal(err)
	}
	odd := []string{"", `"quoted" \back\slash/`, "tab\tnew\nline\r\x01\x1f\x7f", "é ü ß — 漢字", "😀 𝄞", strings.Repeat("\"\\\x02é", InlineMax/8)}
	var ids []string
	for i := range 12 {
		tg := storetest.Target(g.ID, i, 64)
		tg.Name, tg.Meta, tg.CustomContent = odd[i%len(odd)], odd[(i+1)%len(odd)], odd[(i+2)%len(odd)]
		tg.StrAttr[2] = odd[(i+3)%len(odd)]
		tg.Extra = `{"s":` + jsonString(odd[(i+4)%len(odd)]) + `}`
		if i == 5 {
			tg.Grade = []byte{}
		}
		if _, err := s.CreateTarget(ctx, tg); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, tg.ID)
	}
	rows, err := s.targets(ctx, true, `WHERE gallery_id = ? ORDER BY id`, g.ID)
	if err != nil || len(rows) != len(ids) {
		t.Fatalf("read row by row: %d targets, %v", len(rows), err)
	}
	byID, err := s.TargetsByID(ctx, g.ID, ids, true)
	if err != nil {
		t.Fatal(err)
	}
	sort.Slice(byID, func(i, j int) bool { return byID[i].ID < byID[j].ID })
	for i := range rows {
		if i >= len(byID) || !reflect.DeepEqual(byID[i], rows[i]) {
			t.Fatalf("target %s read by ID differs from its row", rows[i].ID)
		}
	}
}

// jsonString returns s as a JSON string.
func jsonString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}
