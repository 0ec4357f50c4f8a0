package gallery

import (
	"context"
	"database/sql"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/pixmatch/pixmatch/server/config"
	"github.com/pixmatch/pixmatch/shared/fingerprint"
)

var openSizes = flag.String("opensizes", "100000", "comma-separated gallery sizes for BenchmarkOpenFromSnapshot, e.g. 1000000")

// shapedPrint returns a made-up target fingerprint whose codes are shaped
// as a real gallery's: 70 % random, 20 % near one of centres (up to 6
// bits flipped: pictures alike), 10 % near an earlier one of recent (up
// to 3 bits: the same picture enrolled twice).
func shapedPrint(rnd *rand.Rand, centres []uint64, recent []fingerprint.Fingerprint) fingerprint.Fingerprint {
	flip := func(w uint64, most int) uint64 {
		for range rnd.IntN(most + 1) {
			w ^= 1 << rnd.IntN(64)
		}
		return w
	}
	fp := fingerprint.Fingerprint{Version: fingerprint.Version}
	kind := rnd.IntN(10)
	var twin fingerprint.Fingerprint
	if kind == 9 && len(recent) > 0 {
		twin = recent[rnd.IntN(len(recent))]
	}
	for w := fingerprint.Whole; w < fingerprint.Windows; w++ {
		if w == fingerprint.Trimmed {
			continue
		}
		c := fingerprint.Code{Window: w, Hash: rnd.Uint64()}
		for i := range c.Checks {
			c.Checks[i] = rnd.Uint64()
		}
		switch {
		case kind >= 7 && kind < 9:
			c.Hash = flip(centres[rnd.IntN(len(centres))], 6)
		case len(twin.Codes) > len(fp.Codes):
			c = twin.Codes[len(fp.Codes)]
			c.Hash = flip(c.Hash, 3)
		}
		fp.Codes = append(fp.Codes, c)
	}
	return fp
}

// populate writes n active-or-not targets of shaped codes and varied
// attributes (products of several pictures, filterable attributes) into
// the gallery of the SQLite database at path, in one transaction, as n
// creations through the store would: each a new gallery version, its
// seq, its change in the log. A service must be opened afterwards to see
// them. It returns the targets' fingerprints by ID.
func populate(tb testing.TB, path string, gallery int64, n int, seed uint64) map[string]fingerprint.Fingerprint {
	tb.Helper()
	ctx := context.Background()
	db, err := sql.Open("sqlite", path+"?_pragma=busy_timeout(5000)")
	if err != nil {
		tb.Fatal(err)
	}
	defer db.Close()
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		tb.Fatal(err)
	}
	defer tx.Rollback()
	var version int64
	if err := tx.QueryRowContext(ctx, `SELECT version FROM galleries WHERE id = ?`, gallery).Scan(&version); err != nil {
		tb.Fatal(err)
	}
	add, err := tx.PrepareContext(ctx, `INSERT INTO targets (gallery_id, id, seq, created, modified,
		name, size, type, active, allow_similar, product_id, pic_name, category,
		int_attr1, int_attr2, int_attr3, int_attr4, str_attr1, str_attr2, str_attr3, str_attr4,
		region, width, height, image_sha256, fingerprint, grade, extra, custom_content, meta, image)
		VALUES (?1, ?2, ?3, ?4, ?4, ?2, '20', 'ImageTarget', ?5, 1, ?6, ?2, ?7, ?8, 0, 0, 0, ?9, '', '', '',
		'', 640, 480, ?10, ?11, x'01', '', '', '', x'')`)
	if err != nil {
		tb.Fatal(err)
	}
	logChange, err := tx.PrepareContext(ctx, `INSERT INTO changes (gallery_id, version, target_id, seq, op, at) VALUES (?, ?, ?, ?, 1, ?)`)
	if err != nil {
		tb.Fatal(err)
	}
	rnd := rand.New(rand.NewPCG(seed, 11))
	centres := make([]uint64, 2000)
	for i := range centres {
		centres[i] = rnd.Uint64()
	}
	prints := make(map[string]fingerprint.Fingerprint, min(n, 100_000))
	var recent []fingerprint.Fingerprint
	at, product := time.Now().UnixMilli(), ""
	for i := range n {
		seq := version + int64(i) + 1
		id := fmt.Sprintf("%08x-0000-4000-8000-%012x", rnd.Uint32(), seq)
		fp := shapedPrint(rnd, centres, recent)
		if len(recent) < 1000 {
			recent = append(recent, fp)
		} else {
			recent[rnd.IntN(len(recent))] = fp
		}
		if n <= 100_000 {
			prints[id] = fp
		}
		b, err := fp.MarshalBinary()
		if err != nil {
			tb.Fatal(err)
		}
		if product == "" || rnd.IntN(4) != 0 { // a quarter are another picture of the last product
			product = id
		}
		sha := fmt.Sprintf("%032d", seq)
		_, err = add.ExecContext(ctx, gallery, id, seq, at, rnd.IntN(10) != 0, product, rnd.IntN(3),
			rnd.IntN(4), []string{"", "", "red", "blue"}[rnd.IntN(4)], []byte(sha), b)
		if err != nil {
			tb.Fatalf("target %d: %v", i, err)
		}
		if _, err := logChange.ExecContext(ctx, gallery, seq, id, seq, at); err != nil {
			tb.Fatalf("change %d: %v", seq, err)
		}
	}
	if _, err := tx.ExecContext(ctx, `UPDATE galleries SET version = ? WHERE id = ?`, version+int64(n), gallery); err != nil {
		tb.Fatal(err)
	}
	if err := tx.Commit(); err != nil {
		tb.Fatal(err)
	}
	return prints
}

// BenchmarkOpenFromSnapshot opens a gallery of -opensizes targets (shaped
// codes, no feature records) from its rows and, in the same run, from its
// snapshot, and reports both, their ratio and the heap a target costs
// opened each way. 1M: -args -opensizes 1000000 (about 4 minutes, most of
// it writing the database).
func BenchmarkOpenFromSnapshot(b *testing.B) {
	for _, field := range strings.Split(*openSizes, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(field))
		if err != nil || n <= 0 {
			b.Fatalf("bad -opensizes entry %q", field)
		}
		b.Run(fmt.Sprintf("targets=%d", n), func(b *testing.B) { benchOpen(b, n) })
	}
}

func benchOpen(b *testing.B, n int) {
	ctx := context.Background()
	sg := newSnapGallery(b, n)
	sg.prints, sg.cfg = nil, config.Default()
	st, g := sg.st, sg.g
	snaps := WithSnapshots(sg.snaps, nil)
	open := func(opts ...Option) (*Service, time.Duration, float64) {
		runtime.GC()
		before := heapAfterGC()
		t0 := time.Now()
		svc, err := Open(ctx, st, sg.cfg, opts...)
		if err != nil {
			b.Fatal(err)
		}
		took := time.Since(t0)
		return svc, took, float64(heapAfterGC()-before) / float64(n)
	}
	first, _, _ := open(snaps) // from the rows; Close writes the snapshot
	if err := first.Close(ctx); err != nil {
		b.Fatal(err)
	}
	first = nil
	file, err := os.Stat(filepath.Join(sg.snaps, strconv.FormatInt(g.ID, 10)+".snap"))
	if err != nil {
		b.Fatal(err)
	}
	var rows, snap time.Duration
	var rowsHeap, snapHeap float64
	for b.Loop() {
		svc, took, heap := open()
		rows, rowsHeap = rows+took, heap
		svc = nil
		svc, took, heap = open(snaps)
		snap, snapHeap = snap+took, heap
		if sh, _ := svc.shelf(g.ID); svc.snaps.lastWritten(g.ID) != g.Version+int64(n) || sh.index.Len() != n {
			b.Fatal("the snapshot was not used")
		}
		svc.snaps.stop()
		svc = nil
	}
	b.ReportMetric(float64(rows.Milliseconds())/float64(b.N), "ms/open-rows")
	b.ReportMetric(float64(snap.Milliseconds())/float64(b.N), "ms/open-snapshot")
	b.ReportMetric(float64(rows)/float64(snap), "x-faster-than-rows")
	b.ReportMetric(rowsHeap, "B/target-rows")
	b.ReportMetric(snapHeap, "B/target-snapshot")
	b.ReportMetric(float64(file.Size())/float64(n), "B/target-file")
}
