package gallery

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"time"

	"github.com/pixmatch/pixmatch/server/store"
	"github.com/pixmatch/pixmatch/shared/fingerprint"
	"github.com/pixmatch/pixmatch/shared/index"
)

// A server can start a gallery from a snapshot of its hash index instead
// of indexing every stored target again (WithSnapshots): a file beside
// the database, one a gallery (SNAPSHOTS/<gallery ID>.snap, 0600),
// written at Close and in the background after many changes.
//
// A snapshot is only a starting point that the change log corrects. It
// is labelled with the gallery (ID and creation time), the version of
// the change log its index holds every change up to, and that change
// itself (its target and time); at Open it is used only when all of
// these match the store, when the log still holds every change after it,
// when it was made by this build's fingerprint version and index
// encoding, and when its checksum holds. Otherwise it is ignored, logged,
// and the gallery's rows are read as without one. A used snapshot is then
// brought up to the end of the log by the catch-up followers use
// (follow.go), which puts each target a later change touched as it is
// now: so a crash at any point, a snapshot older than the last writes,
// or a server sharing the store with others (each with snapshots of its
// own), never makes a wrong index.
//
// The feature tier is in the snapshot too, after the hash index: its
// bags of words as the tier holds them (camera's WriteTo), labelled with
// what gives its words their meaning — the vocabulary's checksum, the
// feature version, the bag size, the index's turns — so that a start
// reads them instead of quantising every target's features through the
// vocabulary again. It follows the hash index's lifecycle: the same
// label, the same checks, the same catch-up (which brings the tier's
// targets up to the log's end with the index's). A snapshot whose tier
// does not match this build (another vocabulary, say) gives the hash
// index alone: the tier is read from the feature records as without a
// snapshot, logged, and the snapshot written anew. Targets the index
// holds without a bag in the tier, when they are few, are looked up in
// the store once more at start (loadindex.go's loadPending): a record
// remade in the background is saved without a change in a large
// gallery, so the log does not name it.
//
// File layout, little-endian:
//
//	magic "PXSNAP\r\n", format uint32, fingerprint.Version uint32,
//	gallery ID int64, created int64, version int64, the change at version
//	(at int64, target ID length uint32 and bytes), the index
//	(index.WriteTo), the feature tier (camera's WriteTo; none in format
//	1), the index's length in bytes (uint64; not in format 1), CRC-32C of
//	everything before it (uint32).

// snapshotFormat is the layout this build writes; it reads it and
// oldSnapshotFormat, the hash index alone.
const (
	snapshotFormat    = 2
	oldSnapshotFormat = 1
)

// snapshotMagic starts a snapshot file.
var snapshotMagic = [8]byte{'P', 'X', 'S', 'N', 'A', 'P', '\r', '\n'}

// snapshotTable is the checksum's polynomial: Castagnoli, which the CPU
// computes.
var snapshotTable = crc32.MakeTable(crc32.Castagnoli)

// errSnapshot marks a snapshot that cannot be used; the rows are read.
var errSnapshot = errors.New("snapshot not usable")

// label is what a snapshot says it is a copy of.
type label struct {
	gallery, created int64
	version          int64  // the index holds every change up to it
	at               int64  // the change at version: its time
	target           string // and its target
}

// snapshots keeps the snapshot files of a service's galleries.
type snapshots struct {
	dir   string
	log   *slog.Logger
	every time.Duration // how often the background writer looks

	writing sync.Mutex      // serialises writes
	mu      sync.Mutex      // guards written
	written map[int64]int64 // by gallery, the version of its newest snapshot

	stop context.CancelFunc // ends the background writer
	done chan struct{}      // closed when it has ended
}

// WithSnapshots makes the service start galleries from snapshots kept in
// dir (made if missing, 0700) and write them there, logging to log the
// snapshots it ignores and the writes that fail. Close writes the last
// ones; call it when the service stops.
func WithSnapshots(dir string, log *slog.Logger) Option {
	return func(s *Service) {
		s.snaps = &snapshots{dir: dir, log: log, every: snapshotEvery, written: map[int64]int64{}}
	}
}

// path is the file of a gallery's snapshot.
func (sn *snapshots) path(gallery int64) string {
	return filepath.Join(sn.dir, strconv.FormatInt(gallery, 10)+".snap")
}

// noted records that the snapshot of a gallery holds version.
func (sn *snapshots) noted(gallery, version int64) {
	sn.mu.Lock()
	sn.written[gallery] = version
	sn.mu.Unlock()
}

// lastWritten returns the version of a gallery's newest snapshot, or -1.
func (sn *snapshots) lastWritten(gallery int64) int64 {
	sn.mu.Lock()
	defer sn.mu.Unlock()
	if v, ok := sn.written[gallery]; ok {
		return v
	}
	return -1
}

// drop deletes the snapshot of a gallery that no longer exists. It does
// nothing without snapshots (sn nil).
func (sn *snapshots) drop(gallery int64) {
	if sn == nil {
		return
	}
	sn.writing.Lock()
	defer sn.writing.Unlock()
	if err := os.Remove(sn.path(gallery)); err != nil && !errors.Is(err, fs.ErrNotExist) {
		sn.logger().Warn("remove the snapshot of a deleted gallery", "gallery", gallery, "err", err)
	}
	sn.mu.Lock()
	delete(sn.written, gallery)
	sn.mu.Unlock()
}

// encodeSnapshot writes the snapshot of x and tier, labelled l, to w.
func encodeSnapshot(w io.Writer, l label, x *index.Index, tier io.WriterTo) error {
	sum := crc32.New(snapshotTable)
	out := io.MultiWriter(w, sum)
	h := append([]byte(nil), snapshotMagic[:]...)
	h = binary.LittleEndian.AppendUint32(h, snapshotFormat)
	h = binary.LittleEndian.AppendUint32(h, fingerprint.Version)
	for _, v := range []int64{l.gallery, l.created, l.version, l.at} {
		h = binary.LittleEndian.AppendUint64(h, uint64(v))
	}
	h = binary.LittleEndian.AppendUint32(h, uint32(len(l.target)))
	h = append(h, l.target...)
	if _, err := out.Write(h); err != nil {
		return err
	}
	n, err := x.WriteTo(out)
	if err != nil {
		return err
	}
	if _, err := tier.WriteTo(out); err != nil {
		return err
	}
	if _, err := out.Write(binary.LittleEndian.AppendUint64(nil, uint64(n))); err != nil {
		return err
	}
	_, err = w.Write(binary.LittleEndian.AppendUint32(nil, sum.Sum32()))
	return err
}

// decodeSnapshot reads a snapshot file's bytes: its label and index, or
// an error wrapping errSnapshot that says why it cannot be used, and its
// feature tier over vocab, or why the tier cannot be used (empty in a
// snapshot of the old format; the index is still usable then). The index
// and the tier are decoded side by side: the tier's reading takes the
// longer.
func decodeSnapshot(b []byte, vocab *vocabulary) (label, *index.Index, readTier, error) {
	var t readTier
	l, xb, tb, err := splitSnapshot(b)
	if err != nil {
		return l, nil, t, err
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		t.tier, t.err = decodeTier(tb, vocab)
	}()
	x, err := index.Decode(xb)
	<-done
	if err != nil {
		return l, nil, t, fmt.Errorf("%w: %w", errSnapshot, err)
	}
	return l, x, t, nil
}

// readTier is a snapshot's feature tier as read: the tier, or why this
// build cannot use it.
type readTier struct {
	tier *featureTier
	err  error
}

// splitSnapshot is decodeSnapshot up to its index: the label, and the
// encodings of the index and the tier.
func splitSnapshot(b []byte) (label, []byte, []byte, error) {
	var l label
	const fixed = len(snapshotMagic) + 4 + 4 + 4*8 + 4
	if len(b) < fixed+4 || !bytes.Equal(b[:len(snapshotMagic)], snapshotMagic[:]) {
		return l, nil, nil, fmt.Errorf("%w: not a snapshot", errSnapshot)
	}
	body, sum := b[:len(b)-4], binary.LittleEndian.Uint32(b[len(b)-4:])
	if crc32.Checksum(body, snapshotTable) != sum {
		return l, nil, nil, fmt.Errorf("%w: checksum does not match: damaged", errSnapshot)
	}
	at := len(snapshotMagic)
	u32 := func() uint32 { at += 4; return binary.LittleEndian.Uint32(body[at-4:]) }
	i64 := func() int64 { at += 8; return int64(binary.LittleEndian.Uint64(body[at-8:])) }
	f, v := u32(), u32()
	if f != snapshotFormat && f != oldSnapshotFormat || v != fingerprint.Version {
		return l, nil, nil, fmt.Errorf("%w: format %d of fingerprint version %d, this build reads formats %d and %d of version %d",
			errSnapshot, f, v, oldSnapshotFormat, snapshotFormat, fingerprint.Version)
	}
	l.gallery, l.created, l.version, l.at = i64(), i64(), i64(), i64()
	n := u32()
	if uint64(n) > uint64(len(body)-at) {
		return l, nil, nil, fmt.Errorf("%w: target ID of %d bytes", errSnapshot, n)
	}
	l.target = string(body[at : at+int(n)])
	rest, tier := body[at+int(n):], []byte(nil)
	if f == snapshotFormat {
		if len(rest) < 8 {
			return l, nil, nil, fmt.Errorf("%w: cut short", errSnapshot)
		}
		size := binary.LittleEndian.Uint64(rest[len(rest)-8:])
		if rest = rest[:len(rest)-8]; size > uint64(len(rest)) {
			return l, nil, nil, fmt.Errorf("%w: an index of %d bytes in %d", errSnapshot, size, len(rest))
		}
		rest, tier = rest[:size], rest[size:]
	}
	return l, rest, tier, nil
}

// writeFile writes the snapshot of x and tier labelled l as the gallery's
// file: to a temporary file first, synced, then renamed over the old one,
// so that the file is always a whole snapshot, old or new.
func (sn *snapshots) writeFile(l label, x *index.Index, tier io.WriterTo) error {
	if err := os.MkdirAll(sn.dir, 0o700); err != nil {
		return err
	}
	path := sn.path(l.gallery)
	f, err := os.CreateTemp(sn.dir, filepath.Base(path)+".*.tmp") // 0600; its own, should servers share dir
	if err != nil {
		return err
	}
	tmp := f.Name()
	err = encodeSnapshot(f, l, x, tier)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		os.Remove(tmp)
		return err
	}
	if d, err := os.Open(sn.dir); err == nil { // the rename itself, durable
		d.Sync()
		d.Close()
	}
	return nil
}

// changeAt returns the change of a gallery's log at version, or false if
// the log does not hold it.
func changeAt(ctx context.Context, st store.Store, gallery, version int64) (store.Change, bool, error) {
	cs, err := st.Changes(ctx, gallery, version-1, 1)
	if err != nil || len(cs) == 0 || cs[0].Version != version {
		return store.Change{}, false, err
	}
	return cs[0], true, nil
}
