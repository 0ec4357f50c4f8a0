package syncwire

import (
	"maps"
	"strconv"
	"sync"

	"github.com/pixmatch/pixmatch/shared/feature"
	"github.com/pixmatch/pixmatch/shared/index"
)

// State is what a follower holds of a gallery: the gallery's targets at
// some version, as an index to search, their names and the feature
// records the batches carried. Batches move it from version to version.
//
// A State is safe for concurrent use. Apply is atomic for a snapshot,
// which builds a new index and swaps it in, but not for a delta, whose
// puts and deletes go into the held index one by one: a search running
// meanwhile may see part of a delta.
//
// The zero value is not usable; use NewState.
type State struct {
	mu    sync.RWMutex
	idx   *index.Index
	names map[uint64]string
	// records are the targets' feature records, by index ID.
	records map[string]feature.Record
	version int64
	// fingerprint is the algorithm version of the held codes, once a batch
	// has set it.
	fingerprint int
	hasPrint    bool
	// checks is how many check words the held codes carry.
	checks int
	// featureVersion is the FeatureVersion of the batches applied: 0
	// when they carry no feature records.
	featureVersion int
}

// NewState returns an empty State at version 0 whose index has the given
// number of tables, and which holds no fingerprint version until a batch
// brings one. It panics unless 1 <= tables <= MaxTables, as index.New
// does.
func NewState(tables int) *State {
	return &State{idx: index.New(tables), names: make(map[uint64]string), records: make(map[string]feature.Record), checks: index.Checks}
}

// Apply moves s to the version b.To.
//
// A snapshot replaces everything s holds, with a new index of the
// snapshot's Tables. It may bring another fingerprint version than s
// holds, and another number of tables with it; a snapshot of the
// fingerprint version s holds must have as many tables as the index s
// holds, or Apply returns an error wrapping ErrMismatch. It sets the
// number of check words the held codes carry to its Checks, and the
// feature records held to those it carries.
//
// A delta must start at the version s holds, or Apply returns an error
// wrapping ErrGap, and must have the fingerprint version s holds and as
// many tables as its index and as many checks as the held codes, or Apply
// returns an error wrapping ErrMismatch; a State that has not yet applied
// anything takes the delta's fingerprint version and checks. It must
// carry feature records if the held copy has them (its last snapshot
// did), of the same version, and none if not, or Apply returns an error
// wrapping ErrGap. A put replaces the target with its Seq, its feature
// record included, or adds it; a delete removes it, if s holds it.
//
// Apply returns an error wrapping ErrFormat, and changes nothing, if b
// breaks the format's rules (see Encode); records may come in any order.
// If the index refuses a put because it is full, a delta is left partly
// applied and the version unchanged: the follower should fetch a snapshot.
func (s *State) Apply(b Batch) error {
	if err := checkHeader(&b); err != nil {
		return err
	}
	recs, err := checkRecords(&b)
	if err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.follows(&b); err != nil {
		return err
	}
	if b.Kind == Snapshot {
		return s.replace(&b, recs)
	}
	return s.update(&b, recs)
}

// follows returns an error unless b can be applied to what s holds.
func (s *State) follows(b *Batch) error {
	samePrint := s.hasPrint && b.Fingerprint == s.fingerprint
	mismatch := func(what string) error {
		return &wrapped{msg: ErrMismatch.Error() + ": " + what, err: ErrMismatch}
	}
	held := s.idx.Tables()
	switch {
	case b.Kind == Snapshot && samePrint && b.Tables != held:
		return mismatch("snapshot of fingerprint version " + strconv.Itoa(b.Fingerprint) +
			" has " + strconv.Itoa(b.Tables) + " tables, the held index has " + strconv.Itoa(held))
	case b.Kind == Snapshot:
		return nil
	case b.From != s.version:
		return &wrapped{
			msg: ErrGap.Error() + ": delta from version " + itoa64(b.From) + ", held version is " + itoa64(s.version),
			err: ErrGap,
		}
	case s.hasPrint && !samePrint:
		return mismatch("delta of fingerprint version " + strconv.Itoa(b.Fingerprint) +
			", held version is " + strconv.Itoa(s.fingerprint))
	case b.Tables != held:
		return mismatch("delta has " + strconv.Itoa(b.Tables) + " tables, the held index has " + strconv.Itoa(held))
	case s.hasPrint && b.Checks != s.checks:
		return mismatch("delta has " + strconv.Itoa(b.Checks) + " checks a code, the held codes have " + strconv.Itoa(s.checks))
	case s.hasPrint && b.FeatureVersion != s.featureVersion:
		return &wrapped{
			msg: ErrGap.Error() + ": delta of feature records of version " + strconv.Itoa(b.FeatureVersion) +
				" (0: none), the held copy's are of version " + strconv.Itoa(s.featureVersion),
			err: ErrGap,
		}
	}
	return nil
}

// replace makes s hold the snapshot b, whose records are recs.
func (s *State) replace(b *Batch, recs []Record) error {
	held := &State{idx: index.New(b.Tables), names: make(map[uint64]string, len(recs)), records: make(map[string]feature.Record)}
	for i := range recs {
		if err := held.put(&recs[i]); err != nil {
			return err
		}
	}
	s.idx, s.names, s.records = held.idx, held.names, held.records
	s.follow(b)
	return nil
}

// follow sets what s holds besides its targets to what b brings.
func (s *State) follow(b *Batch) {
	s.version, s.fingerprint, s.hasPrint, s.checks = b.To, b.Fingerprint, true, b.Checks
	s.featureVersion = b.FeatureVersion
}

// update applies the delta b, whose records are recs, to s.
func (s *State) update(b *Batch, recs []Record) error {
	for i := range recs {
		r := &recs[i]
		if r.Deleted {
			id := strconv.FormatUint(r.Seq, 10)
			s.idx.Remove(id)
			delete(s.names, r.Seq)
			delete(s.records, id)
			continue
		}
		if err := s.put(r); err != nil {
			return err
		}
	}
	s.follow(b)
	return nil
}

// put adds the target of r to the index, names and records of s,
// replacing any target with the same Seq.
func (s *State) put(r *Record) error {
	attrs := r.Attrs
	attrs.Group = ""
	e := index.Entry{ID: strconv.FormatUint(r.Seq, 10), Codes: r.Codes, Active: r.Active, Attrs: attrs}
	if err := s.idx.Put(e); err != nil {
		return &wrapped{msg: "syncwire: putting seq " + e.ID + ": " + err.Error(), err: err}
	}
	if r.Name != "" {
		s.names[r.Seq] = r.Name
	} else {
		delete(s.names, r.Seq)
	}
	if r.Features != nil {
		s.records[e.ID] = *r.Features
	} else {
		delete(s.records, e.ID)
	}
	return nil
}

// Version returns the gallery version s holds: 0 until a batch is applied.
func (s *State) Version() int64 {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.version
}

// Fingerprint returns the fingerprint version of the codes s holds, and
// false if no batch has set one yet.
func (s *State) Fingerprint() (int, bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.fingerprint, s.hasPrint
}

// Checks returns how many check words the codes s holds carry: the first
// of index.Checks; the others are zero. A search must leave the others
// out of its distance.
func (s *State) Checks() int {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.checks
}

// Len returns the number of targets s holds, active or not.
func (s *State) Len() int {
	return s.Index().Len()
}

// Index returns the index of the targets s holds, in which a target's ID
// is its Seq in decimal (strconv.FormatUint(seq, 10)). Applying a snapshot
// replaces the index, so callers should ask for it again after Apply
// rather than keep it.
func (s *State) Index() *index.Index {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.idx
}

// FeatureVersion returns the version of the feature records s holds,
// feature.Version, or 0 when the batches it applied carry none.
func (s *State) FeatureVersion() int {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.featureVersion
}

// Records returns the feature records s holds, by index ID (the target's
// Seq in decimal, as Index names it), ready for camera.Verify. The map is
// new at each call; the records' features are shared with s, and must not
// be modified.
func (s *State) Records() map[string]feature.Record {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return maps.Clone(s.records)
}

// RecordLen returns how many targets s holds a feature record of.
func (s *State) RecordLen() int {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return len(s.records)
}

// Name returns the name of the target seq, or "" if it has none or s does
// not hold it.
func (s *State) Name(seq uint64) string {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.names[seq]
}

// Snapshot returns everything s holds as a snapshot at its version, with
// records in ascending Seq order, for persisting: applying it to a new
// State restores s. Its Tables is the number of tables of the held index,
// its Checks the number of check words the held codes carry, its
// FeatureVersion that of the held feature records.
// Before any batch is applied, it is an empty snapshot at version 0 of
// fingerprint version 0, with the tables NewState was given.
func (s *State) Snapshot() Batch {
	s.mu.RLock()
	defer s.mu.RUnlock()
	b := Batch{Kind: Snapshot, Fingerprint: s.fingerprint, Tables: s.idx.Tables(), Checks: s.checks, FeatureVersion: s.featureVersion, To: s.version}
	b.Records = make([]Record, 0, s.idx.Len())
	s.idx.Each(func(e index.Entry) bool {
		// IDs are the Seqs that put wrote; none other gets into idx.
		seq, _ := strconv.ParseUint(e.ID, 10, 64)
		b.Records = append(b.Records, Record{Seq: seq, Active: e.Active, Codes: e.Codes, Attrs: e.Attrs})
		return true
	})
	sortBySeq(b.Records)
	for i := range b.Records {
		r := &b.Records[i]
		r.Name = s.names[r.Seq]
		if f, ok := s.records[strconv.FormatUint(r.Seq, 10)]; ok {
			r.Features = &f
		}
	}
	return b
}
