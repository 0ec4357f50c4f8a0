package gallery

import (
	"bytes"
	"context"
	"fmt"
	"maps"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/pixmatch/pixmatch/server/store"
	"github.com/pixmatch/pixmatch/shared/fingerprint"
)

// TestSnapshotOnPostgres runs the snapshot's round on a store several
// servers share: server B writes its snapshot and stops; server A then
// deletes, changes and adds targets; B started again from its snapshot
// holds and answers what a server reading the rows does.
func TestSnapshotOnPostgres(t *testing.T) {
	ctx := context.Background()
	st := pgStore(t, "snapshots")
	var err error
	sg := &snapGallery{st: st, snaps: t.TempDir(), cfg: snapConfig(), prints: map[string]fingerprint.Fingerprint{}}
	if sg.g, err = st.CreateGallery(ctx, store.Gallery{Name: "g", AppID: "app"}); err != nil {
		t.Fatal(err)
	}
	rnd := rand.New(rand.NewPCG(5, 6))
	centres := []uint64{rnd.Uint64(), rnd.Uint64()}
	made := 0
	add := func(n int) {
		for range n {
			made++
			fp := shapedPrint(rnd, centres, nil)
			b, _ := fp.MarshalBinary()
			id := fmt.Sprintf("t%04d", made)
			tg := store.Target{Gallery: sg.g.ID, ID: id, Name: id, ProductID: id, PicName: id, Active: rnd.IntN(8) != 0,
				Image: []byte(id), Fingerprint: b, Grade: []byte{1}, StrAttr: [4]string{[]string{"", "red"}[rnd.IntN(2)]}}
			copy(tg.ImageSHA256[:], id)
			if _, err := st.CreateTarget(ctx, tg); err != nil {
				t.Fatal(err)
			}
			sg.prints[id] = fp
		}
	}
	add(300)
	b := sg.open(t, true, new(bytes.Buffer))
	if err := b.Close(ctx); err != nil {
		t.Fatal(err)
	}
	ids := slices.Sorted(maps.Keys(sg.prints))
	a := sg.open(t, false, nil)
	if _, err := a.Targets.Delete(ctx, sg.g.ID, ids[:20]...); err != nil {
		t.Fatal(err)
	}
	off := false
	for _, id := range ids[20:40] {
		if _, err := a.Targets.Update(ctx, sg.g.ID, id, Patch{Active: &off}); err != nil {
			t.Fatal(err)
		}
	}
	for _, id := range ids[:20] {
		delete(sg.prints, id)
	}
	add(50)
	var log bytes.Buffer
	again := sg.open(t, true, &log)
	if !fromSnapshot(again, sg.g.ID) {
		t.Fatalf("B did not start from its snapshot: %s", log.String())
	}
	sameIndex(t, again, sg.open(t, false, nil), sg.g.ID, sg.prints)
	again.snaps.stop()
}
