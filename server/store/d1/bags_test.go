package d1

import (
	"context"
	"errors"
	"reflect"
	"slices"
	"testing"

	"github.com/pixmatch/pixmatch/server/store"
	"github.com/pixmatch/pixmatch/server/store/storetest"
	"github.com/pixmatch/pixmatch/shared/bow"
	"github.com/pixmatch/pixmatch/shared/camera"
	"github.com/pixmatch/pixmatch/shared/feature"
	"github.com/pixmatch/pixmatch/shared/testphoto"
)

// bagOf is the feature tier's Bagger (server/worker's, which this
// package cannot import): a record's bag as a camera.Tier keeps it.
func bagOf(_ context.Context, record []byte) (*Bag, error) {
	var r feature.Record
	if r.UnmarshalBinary(record) != nil {
		return nil, nil
	}
	v, err := camera.Vocabulary()
	if err != nil {
		return nil, err
	}
	bag := camera.TargetBag(v, r.Features)
	return &Bag{Size: len(bag), Words: bow.Group(bag, v.Words())}, nil
}

// record returns the feature record of a test photo.
func record(t *testing.T, name string) []byte {
	t.Helper()
	img := testphoto.Image(name)
	g := feature.Plane(img, feature.TargetOptions)
	b, err := feature.Record{Width: g.Rect.Dx(), Height: g.Rect.Dy(), Features: feature.Extract(g, feature.TargetOptions)}.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// listedNow returns every listing of a gallery, by word, sorted, and how
// many targets it lists, as Lists reads them.
func listedNow(t *testing.T, s *Store, gallery int64) (map[uint32][]bow.Listing, int) {
	t.Helper()
	all := make([]uint32, 1<<15) // every word of the vocabulary
	for i := range all {
		all[i] = uint32(i)
	}
	l, err := s.Lists(context.Background(), gallery, all)
	if err != nil {
		t.Fatal(err)
	}
	for _, ls := range l.ByWord {
		slices.SortFunc(ls, func(a, b bow.Listing) int { return int(a.Doc) - int(b.Doc) })
	}
	return l.ByWord, l.Docs
}

// expected returns the listings of targets with the given Seqs and
// records, as the server's tier holds them.
func expected(t *testing.T, seqs []int64, records [][]byte) (map[uint32][]bow.Listing, int) {
	t.Helper()
	out := map[uint32][]bow.Listing{}
	for i, r := range records {
		b, err := bagOf(context.Background(), r)
		if err != nil || b == nil {
			t.Fatalf("bag of record %d: %v, %v", i, b, err)
		}
		for _, w := range b.Words {
			out[w.Word] = append(out[w.Word], bow.Listing{Doc: uint32(seqs[i]), Size: b.Size, Turns: w.Turns})
		}
	}
	return out, len(records)
}

// TestBagsListedWithTheirRows: a target's bag is listed by the statement
// that writes its record and unlisted by the one that removes it — a
// create, an update with a new record, SetFeatures, a delete, the
// gallery's deletion — and kept by an update without a record; a record
// the tier leaves out (another version) and a target without one are not
// listed. What Lists reads is the server's tier's bag, word for word.
func TestBagsListedWithTheirRows(t *testing.T) {
	ctx := context.Background()
	s, _ := openTemp(t)
	s.SetBagger(bagOf)
	g, err := s.CreateGallery(ctx, store.Gallery{Name: "g"})
	if err != nil {
		t.Fatal(err)
	}
	names := testphoto.Names()
	recs := [][]byte{record(t, names[0]), record(t, names[1]), record(t, names[2])}
	seqs := make([]int64, 4)
	for i := range 4 {
		tg := storetest.Target(g.ID, i, 100)
		tg.Features = []byte("a record of another version")
		if i < 2 {
			tg.Features = recs[i]
		}
		if seqs[i], err = s.CreateTarget(ctx, tg); err != nil {
			t.Fatal(err)
		}
	}
	check := func(step string, seqs []int64, recs [][]byte) {
		t.Helper()
		got, n := listedNow(t, s, g.ID)
		want, wn := expected(t, seqs, recs)
		if n != wn || !equalListings(got, want) {
			t.Errorf("%s: %d targets listed on %d words, want %d on %d", step, n, len(got), wn, len(want))
		}
	}
	check("created", seqs[:2], recs[:2])
	meta := storetest.Target(g.ID, 0, 100)
	meta.Image, meta.Features, meta.Name = nil, nil, "renamed"
	if _, err := s.UpdateTarget(ctx, meta); err != nil {
		t.Fatal(err)
	}
	check("updated without a record", seqs[:2], recs[:2])
	changed := storetest.Target(g.ID, 0, 100)
	changed.Features = recs[2]
	if _, err := s.UpdateTarget(ctx, changed); err != nil {
		t.Fatal(err)
	}
	check("updated with a new record", seqs[:2], [][]byte{recs[2], recs[1]})
	if err := s.SetFeatures(ctx, g.ID, storetest.TargetID(2), recs[0]); err != nil {
		t.Fatal(err)
	}
	check("a record set", []int64{seqs[0], seqs[1], seqs[2]}, [][]byte{recs[2], recs[1], recs[0]})
	if _, err := s.DeleteTargets(ctx, g.ID, []string{storetest.TargetID(1), storetest.TargetID(3)}); err != nil {
		t.Fatal(err)
	}
	check("deleted", []int64{seqs[0], seqs[2]}, [][]byte{recs[2], recs[0]})
	if err := s.DeleteGallery(ctx, g.ID); err != nil {
		t.Fatal(err)
	}
	var rows int
	if err := s.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM bag_words`).Scan(&rows); err != nil || rows != 0 {
		t.Errorf("%d rows of bag_words left after the gallery's deletion (%v)", rows, err)
	}
}

func equalListings(a, b map[uint32][]bow.Listing) bool {
	if len(a) != len(b) {
		return false
	}
	for w, la := range a {
		if !slices.EqualFunc(la, b[w], func(x, y bow.Listing) bool {
			return x.Doc == y.Doc && x.Size == y.Size && slices.Equal(x.Turns, y.Turns)
		}) {
			return false
		}
	}
	return true
}

// TestRefusedBagChangesNothing: a record the Bagger cannot bag (its
// vocabulary did not load) refuses the write before anything is written.
func TestRefusedBagChangesNothing(t *testing.T) {
	ctx := context.Background()
	s, blobs, g := newStore(t)
	if _, err := s.CreateTarget(ctx, withBlobs(g, 1)); err != nil {
		t.Fatal(err)
	}
	before := take(t, s, blobs.MemoryBlobs, g)
	down := errors.New("vocabulary unreachable")
	s.SetBagger(func(context.Context, []byte) (*Bag, error) { return nil, down })
	if _, err := s.CreateTarget(ctx, withBlobs(g, 2)); !errors.Is(err, down) {
		t.Errorf("create: %v, want the bagger's error", err)
	}
	if err := s.SetFeatures(ctx, g, storetest.TargetID(1), []byte("x")); !errors.Is(err, down) {
		t.Errorf("set features: %v, want the bagger's error", err)
	}
	if after := take(t, s, blobs.MemoryBlobs, g); !after.equal(before) {
		t.Errorf("a refused bag changed the store:\nbefore %+v\nafter  %+v", before, after)
	}
}

// racingBlobs replaces a target's record (through the store) when the
// record is first read: a write that lands while Rebag bags it.
type racingBlobs struct {
	*MemoryBlobs
	race func()
}

func (r *racingBlobs) Get(ctx context.Context, key string) ([]byte, error) {
	if f := r.race; f != nil {
		r.race = nil
		f()
	}
	return r.MemoryBlobs.Get(ctx, key)
}

// TestRebagRepairs: targets written without a Bagger (before the tier
// was there) are listed by Rebag, a few at a time, idempotently; a record
// replaced while Rebag read the old one keeps the new one's bag; and the
// migration that added the bag column runs again harmlessly when it was
// cut short after its ALTER TABLE.
func TestRebagRepairs(t *testing.T) {
	ctx := context.Background()
	blobs := &racingBlobs{MemoryBlobs: &MemoryBlobs{}}
	s, err := Open(ctx, openD1Mode(t), blobs)
	if err != nil {
		t.Fatal(err)
	}
	g, err := s.CreateGallery(ctx, store.Gallery{Name: "g"})
	if err != nil {
		t.Fatal(err)
	}
	names := testphoto.Names()
	recs := [][]byte{record(t, names[0]), record(t, names[1]), record(t, names[2])}
	seqs := make([]int64, 3)
	for i := range 3 {
		tg := storetest.Target(g.ID, i, 100)
		tg.Features = recs[i]
		if seqs[i], err = s.CreateTarget(ctx, tg); err != nil {
			t.Fatal(err)
		}
	}
	if _, n := listedNow(t, s, g.ID); n != 0 {
		t.Fatalf("%d targets listed without a Bagger", n)
	}
	if _, err := s.db.ExecContext(ctx, `DELETE FROM schema_migrations WHERE name = 'bags of words'`); err != nil {
		t.Fatal(err)
	}
	if err := migrate(ctx, s.db); err != nil {
		t.Fatalf("the bags' migration run again: %v", err)
	}
	s.SetBagger(bagOf)
	blobs.race = func() { // the first target gets the third's record meanwhile
		if err := s.SetFeatures(ctx, g.ID, storetest.TargetID(0), recs[2]); err != nil {
			t.Error(err)
		}
	}
	for _, want := range []int{0, 1, 1, 0} { // the first read found the record replaced
		if n, err := s.Rebag(ctx, g.ID, 1); err != nil || n != want {
			t.Fatalf("Rebag: %d, %v; want %d", n, err, want)
		}
	}
	got, n := listedNow(t, s, g.ID)
	want, wn := expected(t, seqs, [][]byte{recs[2], recs[1], recs[2]})
	if n != wn || !equalListings(got, want) {
		t.Errorf("after Rebag: %d targets listed on %d words, want %d on %d", n, len(got), wn, len(want))
	}
}

// TestListingsParse: a word's listings as Lists reads them parse to their
// Seqs, sizes and turns, the turns sharing one array without one
// listing's reaching into the next; malformed text is refused.
func TestListingsParse(t *testing.T) {
	got, err := listings("7 500 0a3,4294967295 12 f,0 1 0123456789abcdef")
	if err != nil {
		t.Fatal(err)
	}
	want := []bow.Listing{
		{Doc: 7, Size: 500, Turns: []uint8{0, 10, 3}},
		{Doc: 4294967295, Size: 12, Turns: []uint8{15}},
		{Doc: 0, Size: 1, Turns: []uint8{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15}},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("parsed %+v, want %+v", got, want)
	}
	if got[0].Turns = append(got[0].Turns, 9); got[1].Turns[0] != 15 {
		t.Error("a listing's turns reach into the next's")
	}
	for _, bad := range []string{"", "7 500 0a3,", "7 500", "7 500 ", "7  500 1", "x 5 1", "7 x 1", "7 5 1g", "7 5 A",
		"4294967296 5 1", "-1 5 1", "7 -5 1", "1234567890123456 5 1", "7 5 1,,8 5 1"} {
		if ls, err := listings(bad); err == nil {
			t.Errorf("%q parsed as %+v", bad, ls)
		}
	}
}

// TestWordListsParse: the picked lists' text of several words parses to
// each word's listings, all sharing two arrays without one word's
// reaching into the next's; malformed text is refused.
func TestWordListsParse(t *testing.T) {
	by := map[uint32][]bow.Listing{}
	if err := wordLists("5:7 500 0a,8 3 f;32767:9 1 01", by); err != nil {
		t.Fatal(err)
	}
	want := map[uint32][]bow.Listing{
		5:     {{Doc: 7, Size: 500, Turns: []uint8{0, 10}}, {Doc: 8, Size: 3, Turns: []uint8{15}}},
		32767: {{Doc: 9, Size: 1, Turns: []uint8{0, 1}}},
	}
	if !reflect.DeepEqual(by, want) {
		t.Fatalf("parsed %+v, want %+v", by, want)
	}
	if by[5] = append(by[5], bow.Listing{Doc: 1}); by[32767][0].Doc != 9 {
		t.Error("a word's listings reach into the next word's")
	}
	for _, bad := range []string{"", "5", "5:", "x:7 5 1", "5:7 5 1;", "5:7 5 1;;6:8 5 1", "5:7 5 g", "4294967296:7 5 1"} {
		if err := wordLists(bad, map[uint32][]bow.Listing{}); err == nil {
			t.Errorf("%q parsed", bad)
		}
	}
}

// TestTargetsBySeq: a gallery's rows by Seq are its rows by ID, keyed by
// Seq; SeqIDs names the same; a Seq no target of the gallery has (one of
// another gallery, one deleted, one never given) is left out of both.
func TestTargetsBySeq(t *testing.T) {
	ctx := context.Background()
	s, _ := openTemp(t)
	g, err := s.CreateGallery(ctx, store.Gallery{Name: "g"})
	if err != nil {
		t.Fatal(err)
	}
	other, err := s.CreateGallery(ctx, store.Gallery{Name: "other"})
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for n := range 5 {
		if _, err := s.CreateTarget(ctx, storetest.Target(g.ID, n, 100)); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, storetest.TargetID(n))
	}
	if _, err := s.CreateTarget(ctx, storetest.Target(other.ID, 5, 100)); err != nil {
		t.Fatal(err)
	}
	if _, err := s.DeleteTargets(ctx, g.ID, ids[4:]); err != nil {
		t.Fatal(err)
	}
	want, err := s.TargetsByID(ctx, g.ID, ids, false)
	if err != nil || len(want) != 4 {
		t.Fatalf("rows by ID: %d, %v", len(want), err)
	}
	elsewhere, err := s.TargetsByID(ctx, other.ID, []string{storetest.TargetID(5)}, false)
	if err != nil || len(elsewhere) != 1 {
		t.Fatalf("the other gallery's row: %d, %v", len(elsewhere), err)
	}
	seqs := []uint32{uint32(elsewhere[0].Seq), 1 << 30}
	for _, w := range want {
		seqs = append(seqs, uint32(w.Seq))
	}
	seqs = append(seqs, seqs[len(seqs)-1]+1) // the deleted target's, or none
	got, err := s.TargetsBySeq(ctx, g.ID, seqs)
	if err != nil {
		t.Fatal(err)
	}
	named, err := s.SeqIDs(ctx, g.ID, seqs)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(want) || len(named) != len(want) {
		t.Errorf("%d rows and %d names by Seq, want %d", len(got), len(named), len(want))
	}
	for _, w := range want {
		if !reflect.DeepEqual(got[uint32(w.Seq)], w) || named[uint32(w.Seq)] != w.ID {
			t.Errorf("Seq %d: row %+v, name %q; want %+v", w.Seq, got[uint32(w.Seq)], named[uint32(w.Seq)], w)
		}
	}
}
