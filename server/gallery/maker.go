package gallery

import (
	"context"
	"fmt"
	"log/slog"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pixmatch/pixmatch/shared/feature"
)

// # Records made after the add
//
// A target's feature record (its features and those of the views
// synthesised at enrolment, feature.Enrol) costs about 35 ms of CPU, four
// times the rest of an add. A service made WithRecordMaker does not make
// it while the client waits: an add stores the target with an empty
// record — the mark of a record to be made, which survives a crash, since
// a start (Open) takes every target without a usable record for one to
// make (RemakeFeatures) — and puts the target into the hash tier at once,
// which finds copies of it from then on. The record maker, goroutines the
// service owns (one a core, started by Open, stopped by Close), makes the
// record from the stored picture afterwards, with the target's grade,
// which counts the record's stable features (so a target has no grade
// until then: Target.Grade is nil), and saves both as a change of the
// target, which other servers of the same database follow (follow.go). A
// picture replaced meanwhile is not given the old picture's record: the
// save checks the stored picture's hash under the gallery's writes. A
// server following another's add (follow.go) queues its record too, so
// that its camera searches find the target as the adding server's do;
// the first to save the record saves it, and the other takes it.
//
// The maker yields to requests: a goroutine starts a record only while
// fewer requests are at work in the service (decoding, adding,
// searching) than there are cores and none has started for idleQuiet, or
// once it has waited idleMost, so a burst of adds keeps the cores and the
// backlog waits for a lull.
//
// Searches do not wait for the backlog, except in the feature tier: a
// search that reaches the feature tier first has the records of every add
// acknowledged before it made (by itself, if the maker has not taken
// them), within the first half of its time (madeBeforeWithin), so a
// camera frame of a target finds it right after its add. A start from
// Open finds the records still to make as RemakeFeatures' work, not the
// backlog's: searches do not wait for those.

// WithRecordMaker makes the service make feature records after the add
// is acknowledged (see above); what it cannot make (a stored picture that
// no longer decodes) goes to log. Without it an add makes its record
// before it answers. A service WithLookup (the Worker) has no maker.
func WithRecordMaker(log *slog.Logger) Option {
	return func(s *Service) { s.maker = &maker{wake: make(chan struct{}, 1), log: log} }
}

// maker is the record maker's state.
type maker struct {
	wake chan struct{} // a record was queued
	log  *slog.Logger
	// busy counts the requests at work in the service now, and last is
	// when the latest of them started, in Unix nanoseconds (working).
	busy, last atomic.Int64
	stop       context.CancelFunc
	done       chan struct{}
}

// idlePoll is how often a maker that found requests at work looks
// again; idleQuiet how long no request may have started before it starts
// a record. Between the requests of clients that keep the server busy
// there is less, so a burst keeps the cores (a record holds one for
// tens of milliseconds once started). A maker that has waited idleMost
// starts one all the same, so that a steady stream of requests leaves it
// a record a second (a twentieth of a core) rather than none.
const (
	idlePoll  = 5 * time.Millisecond
	idleQuiet = 100 * time.Millisecond
	idleMost  = time.Second
)

// working notes a request at work in the service until the function it
// returns is called; the maker yields to it.
func (s *Service) working() func() {
	m := s.maker
	if m == nil {
		return func() {}
	}
	m.busy.Add(1)
	m.last.Store(time.Now().UnixNano())
	return func() { m.busy.Add(-1) }
}

// followedAdd queues the record of a target another server added (its
// stored record is empty: to be made), for a service WithRecordMaker:
// a camera search through this server waits for it as for its own adds.
// The server that took the add makes it too; whichever saves first
// saves it, and the other takes the saved record (makeRecord).
func (s *Service) followedAdd(sh *shelf, id string) {
	if s.maker == nil {
		return
	}
	sh.backlog.push(id)
	s.maker.poke()
}

// startMaker starts the record maker, which Close stops: a goroutine a
// core, so that an idle server drains the backlog on every core, each
// starting a record only when idle says so.
func (s *Service) startMaker(ctx context.Context) {
	m := s.maker
	ctx, m.stop = context.WithCancel(context.WithoutCancel(ctx))
	m.done = make(chan struct{})
	var workers sync.WaitGroup
	for range runtime.GOMAXPROCS(0) {
		workers.Go(func() { s.makeRecords(ctx) })
	}
	go func() {
		workers.Wait()
		close(m.done)
	}()
}

// makeRecords is a goroutine of the record maker: it makes queued
// records, one at a time when idle lets it, until ctx ends.
func (s *Service) makeRecords(ctx context.Context) {
	m := s.maker
	for m.idle(ctx) {
		sh, q, ok := s.nextQueued()
		if !ok {
			select {
			case <-ctx.Done():
				return
			case <-m.wake:
			}
			continue
		}
		m.poke() // another goroutine may take the next
		s.makeQueued(ctx, sh, q)
	}
}

// stopMaker stops the record maker and waits for it; the records left
// are made at the next start.
func (s *Service) stopMaker() {
	if m := s.maker; m != nil && m.stop != nil {
		m.stop()
		<-m.done
	}
}

// poke tells the maker a record was queued.
func (m *maker) poke() {
	select {
	case m.wake <- struct{}{}:
	default:
	}
}

// idle waits until fewer requests are at work than there are cores and
// none has started for idleQuiet, or for idleMost; false when ctx ends
// first.
func (m *maker) idle(ctx context.Context) bool {
	cores := int64(runtime.GOMAXPROCS(0))
	for start := time.Now(); ; {
		quiet := time.Since(time.Unix(0, m.last.Load())) >= idleQuiet
		if m.busy.Load() < cores && quiet || time.Since(start) >= idleMost {
			return ctx.Err() == nil
		}
		select {
		case <-ctx.Done():
			return false
		case <-time.After(idlePoll):
		}
	}
}

// nextQueued takes the oldest record to make of the first gallery that
// has one.
func (s *Service) nextQueued() (*shelf, queued, bool) {
	for _, sh := range s.shelfList() {
		if q, ok := sh.backlog.take(^uint64(0)); ok {
			return sh, q, true
		}
	}
	return nil, queued{}, false
}

// makeQueued makes a taken record and marks it done; when ctx ends first
// it gives it back and returns ctx's error. A record that cannot be made
// is logged and left to the next start.
func (s *Service) makeQueued(ctx context.Context, sh *shelf, q queued) error {
	err := s.makeRecord(ctx, sh, q.id)
	if err != nil && ctx.Err() != nil {
		sh.backlog.giveBack(q)
		return context.Cause(ctx)
	}
	if err != nil && s.maker.log != nil {
		s.maker.log.Warn("no feature record: the hash tier alone finds the target", "gallery", sh.id, "target", q.id, "err", err)
	}
	sh.backlog.done(q)
	return nil
}

// madeBeforeWithin is madeBefore for a search: within the first half of
// the time ctx leaves it, so that a search behind a long backlog (a burst
// of adds) still has the time to search the records made, without the
// rest. It fails only when ctx itself ends.
func (s *Service) madeBeforeWithin(ctx context.Context, sh *shelf) error {
	wait := ctx
	if end, ok := ctx.Deadline(); ok {
		var cancel context.CancelFunc
		wait, cancel = context.WithDeadline(ctx, time.Now().Add(time.Until(end)/2))
		defer cancel()
	}
	if err := s.madeBefore(wait, sh); err != nil && ctx.Err() != nil {
		return err
	}
	return nil
}

// madeBefore makes sure, for a service WithRecordMaker, that the records
// of every add to the gallery acknowledged before the call are made,
// making those no one has taken itself, within ctx. The caller must not
// hold sh.write.
func (s *Service) madeBefore(ctx context.Context, sh *shelf) error {
	if s.maker == nil {
		return nil
	}
	mark := sh.backlog.mark()
	for {
		if q, ok := sh.backlog.take(mark); ok {
			if err := s.makeQueued(ctx, sh, q); err != nil {
				return err
			}
			continue
		}
		ok, changed := sh.backlog.settled(mark)
		if ok {
			return nil
		}
		select {
		case <-ctx.Done():
			return context.Cause(ctx)
		case <-changed:
		}
	}
}

// makeRecord makes the feature record and the grade of an added target
// from its stored picture and saves them as a change of the target,
// unless the target is gone, or its picture was replaced meanwhile (the
// new picture's add queued its own), or it has a record of the current
// enrolment (saved by another server of the database), which goes into
// the tier as it is. Only the save holds the gallery's writes.
func (s *Service) makeRecord(ctx context.Context, sh *shelf, id string) error {
	_, saved, err := s.currentRecord(ctx, sh, id)
	if err != nil {
		return err
	}
	var e enrolled
	if !saved { // else taken below, without decoding the picture
		if e, err = s.enrolAdded(ctx, sh, id); isNotFound(err) {
			return nil
		} else if err != nil {
			return err
		}
	}
	sh.write.Lock()
	defer sh.write.Unlock()
	if fs, ok, err := s.currentRecord(ctx, sh, id); err != nil {
		return err
	} else if ok {
		s.placed(sh, id, fs)
		return nil
	}
	cur, err := s.store.Target(ctx, sh.id, id, false)
	if saved || isNotFound(err) || err == nil && cur.ImageSHA256 != e.sha {
		return nil
	} else if err != nil {
		return err
	}
	cur.Grade, cur.Features = e.grade, e.record
	version, err := s.store.UpdateTarget(ctx, cur)
	if err != nil {
		return fmt.Errorf("target %s: save feature record: %w", id, err)
	}
	s.committed(sh, version)
	s.placed(sh, id, e.features)
	return nil
}

// enrolled is what makeRecord makes of a stored picture: its record's
// features, the record and the grade encoded, and the hash of the file
// they were made of.
type enrolled struct {
	features      []feature.Feature
	record, grade []byte
	sha           [32]byte
}

// enrolAdded enrols a target's stored picture and grades it.
func (s *Service) enrolAdded(ctx context.Context, sh *shelf, id string) (enrolled, error) {
	t, pic, err := s.stored(ctx, sh, id)
	if err != nil {
		return enrolled{}, err
	}
	en := pic.enrol()
	e := enrolled{features: en.Features, sha: t.ImageSHA256}
	if e.grade, err = pic.gradeOf(en).MarshalBinary(); err != nil {
		return e, err
	}
	e.record, err = s.encodeRecord(ctx, pic, en.Features)
	return e, err
}
