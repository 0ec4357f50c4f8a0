package gallery

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"time"

	"github.com/pixmatch/pixmatch/server/store"
	"github.com/pixmatch/pixmatch/shared/index"
)

// When snapshots are written: the background writer looks every
// snapshotEvery, and writes a gallery's snapshot when it has none yet or
// when a tenth of its targets, or snapshotChanges, have changed since
// the last (whichever is fewer). A gallery whose snapshot lags the log
// by more than half its targets and snapshotLag is read from its rows
// instead: catching up on most of a gallery costs more than reading it.
const (
	snapshotEvery   = time.Minute
	snapshotChanges = 10_000
	snapshotLag     = 1_000
)

// restore starts sh's hash index and feature tier from the gallery's
// snapshot and brings them up to the end of the change log. It reports
// whether the snapshot gave the index, and whether it gave the tier too;
// with neither, sh is untouched: there is no usable snapshot (none, or
// one it ignores, logged with the reason). A snapshot whose tier this
// build cannot use gives the index alone (logged), and is not noted as
// written, so that it is written anew with the tier the caller loads.
func (s *Service) restore(ctx context.Context, sh *shelf, g store.Gallery) (hash, tier bool, err error) {
	l, x, t, err := s.readSnapshot(ctx, sh, g)
	if err != nil {
		if !errors.Is(err, fs.ErrNotExist) {
			s.snaps.logger().Warn("snapshot ignored: reading the gallery's targets instead",
				"gallery", g.Name, "err", err)
		}
		return false, false, nil
	}
	sh.index = x
	if t.err != nil {
		s.snaps.logger().Warn("feature tier of the snapshot ignored: reading the gallery's feature records instead",
			"gallery", g.Name, "err", t.err)
	} else {
		sh.tier, tier = t.tier, true
	}
	sh.followed.Store(l.version)
	if err := s.catchUp(ctx, sh, 0); err != nil {
		return true, tier, fmt.Errorf("from its snapshot: %w", err)
	}
	if tier {
		s.snaps.noted(g.ID, l.version)
	}
	return true, tier, nil
}

// readSnapshot reads the gallery's snapshot file and checks it against
// the store: the same gallery, a version the store has reached, the same
// change at that version (not a database restored and written since),
// the log holding every change after it, not too far behind. It returns
// the snapshot's label, its index, and its tier or why the tier cannot be
// used (the index is still usable then), as decodeSnapshot reads them.
func (s *Service) readSnapshot(ctx context.Context, sh *shelf, g store.Gallery) (label, *index.Index, readTier, error) {
	b, err := os.ReadFile(s.snaps.path(g.ID))
	if err != nil {
		return label{}, nil, readTier{}, err
	}
	l, x, t, err := decodeSnapshot(b, s.vocab)
	switch {
	case err != nil:
		return l, nil, t, err
	case l.gallery != g.ID || l.created != g.Created:
		err = fmt.Errorf("%w: of another gallery (ID %d, created %d)", errSnapshot, l.gallery, l.created)
	case l.version > g.Version:
		err = fmt.Errorf("%w: of version %d, the gallery is at %d", errSnapshot, l.version, g.Version)
	case x.Tables() != sh.index.Tables():
		err = fmt.Errorf("%w: %d tables, this build has %d", errSnapshot, x.Tables(), sh.index.Tables())
	case g.Version-l.version > int64(x.Len()/2+snapshotLag):
		err = fmt.Errorf("%w: %d changes behind", errSnapshot, g.Version-l.version)
	}
	if err != nil {
		return l, nil, t, err
	}
	if l.version > 0 {
		c, ok, err := changeAt(ctx, s.store, g.ID, l.version)
		if err != nil {
			return l, nil, t, err
		}
		if !ok || c.TargetID != l.target || c.At != l.at {
			return l, nil, t, fmt.Errorf("%w: the change log no longer holds its version %d as it was", errSnapshot, l.version)
		}
	}
	return l, x, t, nil
}

// writeSnapshot writes the snapshot of a gallery's hash index and feature
// tier, caught up with the change log first so that they hold the log's
// end, unless the newest snapshot holds that version already.
func (s *Service) writeSnapshot(ctx context.Context, sh *shelf) error {
	if err := s.catchUp(ctx, sh, 0); err != nil {
		return err
	}
	sh.write.Lock()
	version := sh.followed.Load() // the index holds every change up to it, and maybe later ones
	sh.write.Unlock()
	sn := s.snaps
	sn.writing.Lock()
	defer sn.writing.Unlock()
	if cur, err := s.shelf(sh.id); err != nil || cur != sh || sn.lastWritten(sh.id) == version {
		return nil // deleted meanwhile (and its snapshot with it), or written already
	}
	l := label{gallery: sh.id, created: sh.settings().Created, version: version}
	if version > 0 {
		c, ok, err := changeAt(ctx, s.store, sh.id, version)
		if err != nil {
			return err
		}
		if !ok {
			return fmt.Errorf("the change log does not hold version %d", version)
		}
		l.at, l.target = c.At, c.TargetID
	}
	tier := tierWriter(sh.tier)
	if sh.remaking() {
		// Targets wait for RemakeFeatures, which a start finds by reading
		// the records: the next start reads them again (no tier here).
		tier = emptyTier{}
	}
	if err := sn.writeFile(l, sh.index, tier); err != nil {
		return fmt.Errorf("gallery %d: write snapshot: %w", sh.id, err)
	}
	sn.noted(sh.id, version)
	return nil
}

// snapshotDue reports whether a gallery's snapshot should be written
// anew: it has none, or enough has changed since.
func (s *Service) snapshotDue(sh *shelf) bool {
	last := s.snaps.lastWritten(sh.id)
	changes := sh.settings().Version - last
	return last < 0 || changes >= min(snapshotChanges, max(int64(sh.index.Len()/10), 1))
}

// startSnapshots starts the background writer of snapshots, which Close
// stops.
func (s *Service) startSnapshots(ctx context.Context) {
	sn := s.snaps
	ctx, sn.stop = context.WithCancel(context.WithoutCancel(ctx))
	sn.done = make(chan struct{})
	go func() {
		defer close(sn.done)
		tick := time.NewTicker(sn.every)
		defer tick.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
			}
			for _, sh := range s.shelfList() {
				if !s.snapshotDue(sh) {
					continue
				}
				if err := s.writeSnapshot(ctx, sh); err != nil && ctx.Err() == nil {
					sn.logger().Error("write snapshot", "gallery", sh.id, "err", err)
				}
			}
		}
	}()
}

// Close stops the record maker (WithRecordMaker: the records it has not
// made are made at the next start) and the background writing of
// snapshots, and writes the snapshot of every gallery changed since its
// last, so that the next start reads them. Without WithSnapshots it
// writes nothing. The service must not be used afterwards.
func (s *Service) Close(ctx context.Context) error {
	s.stopMaker()
	sn := s.snaps
	if sn == nil || sn.stop == nil {
		return nil
	}
	sn.stop()
	<-sn.done
	var errs []error
	for _, sh := range s.shelfList() {
		errs = append(errs, s.writeSnapshot(ctx, sh))
	}
	return errors.Join(errs...)
}

// logger returns where the snapshots' troubles are logged.
func (sn *snapshots) logger() *slog.Logger {
	if sn.log == nil {
		return slog.Default()
	}
	return sn.log
}

// emptyTier writes no feature tier into a snapshot.
type emptyTier struct{}

func (emptyTier) WriteTo(io.Writer) (int64, error) { return 0, nil }
