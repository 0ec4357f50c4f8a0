package gallery

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"log/slog"
	"maps"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/pixmatch/pixmatch/server/config"
	"github.com/pixmatch/pixmatch/server/store"
	"github.com/pixmatch/pixmatch/server/store/sqlite"
	"github.com/pixmatch/pixmatch/shared/camera"
	"github.com/pixmatch/pixmatch/shared/feature"
	"github.com/pixmatch/pixmatch/shared/fingerprint"
	"github.com/pixmatch/pixmatch/shared/index"
	"github.com/pixmatch/pixmatch/shared/match"
)

// snapGallery is a SQLite database with one gallery of n shaped targets,
// and where its snapshots go.
type snapGallery struct {
	st     store.Store
	path   string // the SQLite database
	snaps  string // the snapshots' folder
	g      store.Gallery
	prints map[string]fingerprint.Fingerprint
	cfg    config.Config
}

func newSnapGallery(t testing.TB, n int) *snapGallery {
	t.Helper()
	ctx := context.Background()
	dir := t.TempDir()
	sg := &snapGallery{path: filepath.Join(dir, "db"), snaps: filepath.Join(dir, "snapshots"), cfg: snapConfig()}
	st, err := sqlite.Open(ctx, sg.path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	sg.st = st
	if sg.g, err = sg.st.CreateGallery(ctx, store.Gallery{Name: "g", AppID: "app"}); err != nil {
		t.Fatal(err)
	}
	sg.prints = populate(t, sg.path, sg.g.ID, n, 1)
	return sg
}

// snapConfig is the configuration the snapshot tests open services
// with: multi-indexes from 500 rows, so that they are searched too.
func snapConfig() config.Config {
	cfg := config.Default()
	cfg.Search.MultiIndexRows = 500
	return cfg
}

// open opens a service on the gallery's store, with snapshots when
// snaps, logging to log.
func (sg *snapGallery) open(t *testing.T, snaps bool, log *bytes.Buffer) *Service {
	t.Helper()
	var opts []Option
	if snaps {
		opts = append(opts, WithSnapshots(sg.snaps, slog.New(slog.NewTextHandler(log, nil))))
	}
	svc, err := Open(context.Background(), sg.st, sg.cfg, opts...)
	if err != nil {
		t.Fatal(err)
	}
	return svc
}

// snapshot opens a service from the rows and closes it, which writes the
// snapshot; it returns the snapshot file's bytes.
func (sg *snapGallery) snapshot(t *testing.T) []byte {
	t.Helper()
	svc := sg.open(t, true, new(bytes.Buffer))
	if err := svc.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(sg.snaps, "1.snap"))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// fromSnapshot reports whether svc started the gallery from a snapshot.
func fromSnapshot(svc *Service, g int64) bool { return svc.snaps.lastWritten(g) >= 0 }

// sameIndex fails unless the two services hold the same entries for the
// gallery and answer the same searches: each query a stored target's
// codes with a few bits flipped, with and without filters, inactive
// entries, groups and near neighbours.
func sameIndex(t *testing.T, got, want *Service, g int64, prints map[string]fingerprint.Fingerprint) {
	t.Helper()
	a, _ := got.shelf(g)
	b, _ := want.shelf(g)
	if !reflect.DeepEqual(entriesOf(a.index), entriesOf(b.index)) {
		t.Fatalf("the indexes hold different entries: %d and %d", a.index.Len(), b.index.Len())
	}
	if a.index.ActiveLen() != b.index.ActiveLen() || a.index.Codes() != b.index.Codes() {
		t.Fatal("the indexes count different active entries or codes")
	}
	rnd := rand.New(rand.NewPCG(3, 4))
	ids := slices.Sorted(maps.Keys(prints))
	red := index.FilterFunc(func(a *index.Attributes) bool { return a.Str[0] == "red" || a.Int[0] > 1 })
	options := []match.Options{{Limit: 10}, {Limit: 5, Near: true}, {Limit: 20, IncludeInactive: true},
		{Limit: 10, DistinctGroups: true, Near: true}, {Limit: 10, Filter: red}}
	for i := range 300 {
		q := prints[ids[rnd.IntN(len(ids))]]
		q.Codes = slices.Clone(q.Codes)
		for k := range q.Codes {
			for range rnd.IntN(5) {
				q.Codes[k].Hash ^= 1 << rnd.IntN(64)
			}
		}
		o := options[i%len(options)]
		x, err1 := match.Search(context.Background(), a.index, q, o)
		y, err2 := match.Search(context.Background(), b.index, q, o)
		if err1 != nil || err2 != nil || !reflect.DeepEqual(x, y) {
			t.Fatalf("query %d: from the snapshot %v (%v), from the rows %v (%v)", i, x, err1, y, err2)
		}
	}
}

// entriesOf returns every entry of x by ID.
func entriesOf(x *index.Index) map[string]index.Entry {
	out := map[string]index.Entry{}
	x.Each(func(e index.Entry) bool { out[e.ID] = e; return true })
	return out
}

// TestSnapshotAnswersAsRows opens a gallery from a snapshot that later
// writes have overtaken — targets deleted, deactivated, given other
// attributes and another picture, added — and from its rows: the two
// hold the same entries and answer every search alike.
func TestSnapshotAnswersAsRows(t *testing.T) {
	ctx := context.Background()
	sg := newSnapGallery(t, 3000)
	sg.snapshot(t)
	ids := slices.Sorted(maps.Keys(sg.prints))
	if _, err := sg.st.DeleteTargets(ctx, sg.g.ID, ids[:40]); err != nil {
		t.Fatal(err)
	}
	for i, id := range ids[40:100] {
		tg, err := sg.st.Target(ctx, sg.g.ID, id, false)
		if err != nil {
			t.Fatal(err)
		}
		tg.Active, tg.StrAttr[0], tg.IntAttr[0] = !tg.Active, "red", int32(i)
		if i%3 == 0 { // another picture: the codes of a deleted one
			fp := sg.prints[ids[i]]
			tg.Fingerprint, _ = fp.MarshalBinary()
			sg.prints[id] = fp
		}
		if _, err := sg.st.UpdateTarget(ctx, tg); err != nil {
			t.Fatal(err)
		}
	}
	maps.Copy(sg.prints, populate(t, sg.path, sg.g.ID, 200, 2))
	for _, id := range ids[:40] {
		delete(sg.prints, id)
	}
	var log bytes.Buffer
	snap, rows := sg.open(t, true, &log), sg.open(t, false, nil)
	if !fromSnapshot(snap, sg.g.ID) {
		t.Fatalf("the snapshot was not used: %s", log.String())
	}
	sameIndex(t, snap, rows, sg.g.ID, sg.prints)
	if sh, _ := snap.shelf(sg.g.ID); sh.index.Len() != 3160 || sh.settings().Version != sg.g.Version+3000+40+60+200 {
		t.Fatalf("from the snapshot: %d targets at version %d", sh.index.Len(), sh.settings().Version)
	}
	if err := snap.Close(ctx); err != nil {
		t.Fatal(err)
	}
}

// relabel sets the little-endian number at off of a snapshot file to v
// (of size bytes) and makes its checksum right again: a snapshot that is
// whole but not this one.
func relabel(b []byte, off, size int, v uint64) []byte {
	b = bytes.Clone(b)
	var n [8]byte
	binary.LittleEndian.PutUint64(n[:], v)
	copy(b[off:off+size], n[:size])
	binary.LittleEndian.PutUint32(b[len(b)-4:], crc32.Checksum(b[:len(b)-4], snapshotTable))
	return b
}

// TestSnapshotIgnored gives Open snapshots it must not use — damaged,
// cut short, of another format, fingerprint version, gallery or history,
// newer than the store, older than what the log holds, too far behind —
// and checks that each is ignored, said so in the log, and the gallery
// read from its rows, exactly.
func TestSnapshotIgnored(t *testing.T) {
	ctx := context.Background()
	cases := []struct {
		name   string
		damage func(t *testing.T, sg *snapGallery, b []byte) []byte
	}{
		{"a byte changed", func(_ *testing.T, _ *snapGallery, b []byte) []byte { b[len(b)/2] ^= 4; return b }},
		{"cut short", func(_ *testing.T, _ *snapGallery, b []byte) []byte { return b[:len(b)-100] }},
		{"empty", func(*testing.T, *snapGallery, []byte) []byte { return nil }},
		{"another format", func(_ *testing.T, _ *snapGallery, b []byte) []byte { return relabel(b, 8, 4, snapshotFormat+1) }},
		{"another fingerprint version", func(_ *testing.T, _ *snapGallery, b []byte) []byte {
			return relabel(b, 12, 4, fingerprint.Version+1)
		}},
		{"another gallery", func(_ *testing.T, _ *snapGallery, b []byte) []byte { return relabel(b, 16, 8, 12345) }},
		{"newer than the store", func(_ *testing.T, sg *snapGallery, b []byte) []byte {
			return relabel(b, 32, 8, uint64(sg.g.Version)+9999)
		}},
		{"another history", func(_ *testing.T, _ *snapGallery, b []byte) []byte { return relabel(b, 40, 8, 7) }},
		{"older than the log", func(t *testing.T, sg *snapGallery, b []byte) []byte {
			db, err := sql.Open("sqlite", sg.path+"?_pragma=busy_timeout(5000)")
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			if _, err := db.ExecContext(ctx, `DELETE FROM changes WHERE version <= 400`); err != nil {
				t.Fatal(err)
			}
			return b
		}},
		{"too far behind", func(t *testing.T, sg *snapGallery, b []byte) []byte {
			maps.Copy(sg.prints, populate(t, sg.path, sg.g.ID, 1500, 2))
			return b
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			sg := newSnapGallery(t, 400)
			b := c.damage(t, sg, sg.snapshot(t))
			if err := os.WriteFile(filepath.Join(sg.snaps, "1.snap"), b, 0o600); err != nil {
				t.Fatal(err)
			}
			var log bytes.Buffer
			snap, rows := sg.open(t, true, &log), sg.open(t, false, nil)
			if fromSnapshot(snap, sg.g.ID) || !strings.Contains(log.String(), "snapshot ignored") {
				t.Fatalf("the snapshot was used, or its refusal not logged: %q", log.String())
			}
			sameIndex(t, snap, rows, sg.g.ID, sg.prints)
			snap.snaps.stop()
		})
	}
}

// TestSnapshotKeptInBackground has the background writer write a
// gallery's first snapshot, then another after a tenth of its targets
// changed, each file readable by its owner alone; a service opened from
// the last holds what the store holds.
func TestSnapshotKeptInBackground(t *testing.T) {
	ctx := context.Background()
	sg := newSnapGallery(t, 100)
	often := func(s *Service) { s.snaps.every = 5 * time.Millisecond }
	svc, err := Open(ctx, sg.st, sg.cfg, WithSnapshots(sg.snaps, nil), often)
	if err != nil {
		t.Fatal(err)
	}
	defer svc.Close(ctx)
	written := func(version int64) {
		t.Helper()
		for deadline := time.Now().Add(10 * time.Second); svc.snaps.lastWritten(sg.g.ID) != version; {
			if time.Now().After(deadline) {
				t.Fatalf("no snapshot of version %d written: %d", version, svc.snaps.lastWritten(sg.g.ID))
			}
			time.Sleep(5 * time.Millisecond)
		}
	}
	written(sg.g.Version + 100)
	ids := slices.Sorted(maps.Keys(sg.prints))
	if _, err := svc.Targets.Delete(ctx, sg.g.ID, ids[:10]...); err != nil {
		t.Fatal(err)
	}
	written(sg.g.Version + 110)
	info, err := os.Stat(filepath.Join(sg.snaps, "1.snap"))
	if err != nil || info.Mode().Perm() != 0o600 {
		t.Fatalf("snapshot file: %v, %v", info, err)
	}
	if dir, err := os.Stat(sg.snaps); err != nil || dir.Mode().Perm() != 0o700 {
		t.Fatalf("snapshots folder: %v, %v", dir, err)
	}
	var log bytes.Buffer
	again := sg.open(t, true, &log)
	if !fromSnapshot(again, sg.g.ID) {
		t.Fatalf("the snapshot was not used: %s", log.String())
	}
	for _, id := range ids[:10] {
		delete(sg.prints, id)
	}
	sameIndex(t, again, sg.open(t, false, nil), sg.g.ID, sg.prints)
	again.snaps.stop()
}

// TestSnapshotDroppedWithGallery deletes a gallery, as the admin command
// does, from under a server that keeps its snapshot: the server's
// Refresh deletes the snapshot, and Close writes none again.
func TestSnapshotDroppedWithGallery(t *testing.T) {
	ctx := context.Background()
	sg := newSnapGallery(t, 20)
	often := func(s *Service) { s.snaps.every = 5 * time.Millisecond }
	svc, err := Open(ctx, sg.st, sg.cfg, WithSnapshots(sg.snaps, nil), often)
	if err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(sg.snaps, "1.snap")
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(5 * time.Millisecond) {
		if _, err := os.Stat(file); err == nil {
			break
		} else if time.Now().After(deadline) {
			t.Fatalf("no snapshot written: %v", err)
		}
	}
	if err := sg.st.DeleteGallery(ctx, sg.g.ID); err != nil {
		t.Fatal(err)
	}
	if err := svc.Refresh(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(file); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("the deleted gallery's snapshot is still there: %v", err)
	}
	if err := svc.Close(ctx); err != nil {
		t.Fatal(err)
	}
	if entries, _ := os.ReadDir(sg.snaps); len(entries) != 0 {
		t.Fatalf("after Close the snapshots folder holds %v", entries)
	}
}

// FuzzDecodeSnapshot reads arbitrary snapshot files, their checksum
// made right so that the fuzzer gets past it: a file is used, or refused
// with errSnapshot, and so is its feature tier (camera.ErrEncoding);
// nothing panics.
func FuzzDecodeSnapshot(f *testing.F) {
	x := match.NewIndex()
	rnd := rand.New(rand.NewPCG(1, 2))
	fp := shapedPrint(rnd, []uint64{1}, nil)
	if err := x.Put(entry(store.Target{ID: "a", ProductID: "p", Active: true}, fp)); err != nil {
		f.Fatal(err)
	}
	vocab, err := loadVocabulary()
	if err != nil {
		f.Fatal(err)
	}
	tier := newTier(vocab)
	tier.Put("a", decoyRecord(rnd, []feature.Feature{{Keypoint: feature.Keypoint{Angle: 1}}, {Desc: feature.Descriptor{1, 2, 3, 4}}}).Features)
	var b bytes.Buffer
	if err := encodeSnapshot(&b, label{gallery: 1, version: 3, target: "a"}, x, tierWriter(tier)); err != nil {
		f.Fatal(err)
	}
	f.Add(b.Bytes())
	if _, err := decodeTier(nil, vocab); !errors.Is(err, camera.ErrEncoding) { // a snapshot of the old format
		f.Fatalf("decodeTier of no tier: %v, want camera.ErrEncoding", err)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		if len(b) >= 4 {
			binary.LittleEndian.PutUint32(b[len(b)-4:], crc32.Checksum(b[:len(b)-4], snapshotTable))
		}
		_, _, tier, err := decodeSnapshot(b, vocab)
		if err != nil && !errors.Is(err, errSnapshot) {
			t.Fatalf("decodeSnapshot: %v, want errSnapshot", err)
		}
		if tier.err != nil && !errors.Is(tier.err, camera.ErrEncoding) {
			t.Fatalf("the tier: %v, want camera.ErrEncoding", tier.err)
		}
	})
}
