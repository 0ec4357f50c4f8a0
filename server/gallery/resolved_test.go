package gallery

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/pixmatch/pixmatch/server/store"
)

// TestResolvedRowsFollowWrites searches a gallery's target again and
// again: the second answer comes from the rows the gallery keeps — a row
// changed in the store behind the service's back is not read — and
// every write through the service (a rename, a delete) is in the next
// answer. A search asking for the pictures reads the store.
func TestResolvedRowsFollowWrites(t *testing.T) {
	ctx := context.Background()
	svc, st, g := open(t)
	unhurried(svc)
	tg, err := svc.Targets.Add(ctx, g.ID, Target{Name: "coffee", Meta: "one", Active: true}, picture(t, "coffee"), AddOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Targets.Add(ctx, g.ID, Target{Name: "chelsea", Active: true}, picture(t, "chelsea"), AddOptions{}); err != nil {
		t.Fatal(err)
	}
	search := func(images bool) []Match {
		t.Helper()
		ms, err := svc.Recognition.Search(ctx, g.ID, given(picture(t, "coffee")), SearchOptions{Limit: 1, Images: images})
		if err != nil {
			t.Fatal(err)
		}
		return ms
	}
	if ms := search(false); len(ms) != 1 || ms[0].Target.Meta != "one" {
		t.Fatalf("first search: %+v", ms)
	}
	row, err := st.Target(ctx, g.ID, tg.ID, false)
	if err != nil {
		t.Fatal(err)
	}
	row.Meta = "behind"
	if _, err := st.UpdateTarget(ctx, row); err != nil {
		t.Fatal(err)
	}
	if ms := search(false); len(ms) != 1 || ms[0].Target.Meta != "one" {
		t.Fatalf("the kept row was not used: %+v", ms)
	}
	if ms := search(true); len(ms) != 1 || ms[0].Target.Meta != "behind" || ms[0].Target.Image == nil {
		t.Fatalf("a search with pictures did not read the store: %+v", ms)
	}
	meta := "two"
	if _, err := svc.Targets.Update(ctx, g.ID, tg.ID, Patch{Meta: &meta}); err != nil {
		t.Fatal(err)
	}
	if ms := search(false); len(ms) != 1 || ms[0].Target.Meta != "two" {
		t.Fatalf("after an update: %+v", ms)
	}
	if _, err := svc.Targets.Delete(ctx, g.ID, tg.ID); err != nil {
		t.Fatal(err)
	}
	if ms := search(false); len(ms) != 0 {
		t.Fatalf("after the delete: %+v", ms)
	}
}

// TestRowCacheBoundedByBytes: rows whose metas are large are kept up to
// maxResolvedBytes in all, and a row of more than a 64th of that is not
// kept at all, so that a gallery of megabyte metas cannot make the kept
// rows take gigabytes.
func TestRowCacheBoundedByBytes(t *testing.T) {
	var c rowCache
	stamp := [2]int64{1, 0}
	big := store.Target{ID: "big", Meta: strings.Repeat("m", maxResolvedBytes/64)}
	c.put(stamp, []store.Target{big})
	if _, missing := c.get(stamp, []string{"big"}); len(missing) != 1 {
		t.Fatal("a row of more than a 64th of the bound was kept")
	}
	meta := strings.Repeat("m", maxResolvedBytes/100)
	for i := range 1000 {
		c.put(stamp, []store.Target{{ID: fmt.Sprint(i), Meta: meta}})
		if c.bytes > maxResolvedBytes {
			t.Fatalf("after %d rows the kept rows hold %d bytes, over %d", i+1, c.bytes, maxResolvedBytes)
		}
	}
	if found, _ := c.get(stamp, []string{"999"}); len(found) != 1 {
		t.Fatal("the last row put is not kept")
	}
}
