package syncwire

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strconv"
	"sync"
	"testing"

	"github.com/pixmatch/pixmatch/shared/feature"
	"github.com/pixmatch/pixmatch/shared/index"
)

// gallery is a server's view of a gallery, kept as simply as possible:
// the live targets and a change log of which target each version touched.
// It makes the batches that followers apply.
type gallery struct {
	rnd         *rand.Rand
	fingerprint int
	tables      int
	checks      int
	features    int // the most features of a put's record; 0: none carried
	version     int64
	live        map[uint64]Record
	touched     []uint64 // touched[v-1] is the Seq that version v changed
}

// newGallery returns an empty gallery at version 0 whose codes are in
// tables tables and whose batches carry checks check words a code.
func newGallery(seed uint64, tables, checks int) *gallery {
	return &gallery{rnd: rand.New(rand.NewPCG(seed, 99)), fingerprint: 1, tables: tables, checks: checks, live: map[uint64]Record{}}
}

// change makes one random change: adds a target, updates or deletes one.
func (g *gallery) change() {
	g.version++
	seqs := make([]uint64, 0, len(g.live))
	for seq := range g.live {
		seqs = append(seqs, seq)
	}
	slices.Sort(seqs)
	op := g.rnd.IntN(10)
	switch {
	case len(seqs) == 0 || op < 5:
		seq := uint64(g.version)
		g.live[seq] = g.put(seq)
		g.touched = append(g.touched, seq)
	case op < 8:
		seq := seqs[g.rnd.IntN(len(seqs))]
		r := g.put(seq)
		if g.rnd.IntN(2) == 0 { // only flip activity
			r = g.live[seq]
			r.Active = !r.Active
		}
		g.live[seq] = r
		g.touched = append(g.touched, seq)
	default:
		seq := seqs[g.rnd.IntN(len(seqs))]
		delete(g.live, seq)
		g.touched = append(g.touched, seq)
	}
}

// put returns a random put of target seq, with a feature record most of
// the time when the gallery's batches carry them.
func (g *gallery) put(seq uint64) Record {
	r := randomPut(g.rnd, seq, g.tables, g.checks, 3)
	r.Features = maybeRecord(g.rnd, g.features)
	return r
}

// featureVersion is the FeatureVersion of the gallery's batches.
func (g *gallery) featureVersion() int {
	if g.features == 0 {
		return 0
	}
	return int(feature.Version)
}

// snapshot returns every live target at the current version.
func (g *gallery) snapshot() Batch {
	b := Batch{Kind: Snapshot, Fingerprint: g.fingerprint, Tables: g.tables, Checks: g.checks, FeatureVersion: g.featureVersion(), To: g.version}
	for _, r := range g.live {
		b.Records = append(b.Records, r)
	}
	return b
}

// delta returns the changes since version from, in no particular order.
func (g *gallery) delta(from int64) Batch {
	b := Batch{Kind: Delta, Fingerprint: g.fingerprint, Tables: g.tables, Checks: g.checks, FeatureVersion: g.featureVersion(), From: from, To: g.version}
	seen := map[uint64]bool{}
	for _, seq := range g.touched[from:] {
		if seen[seq] {
			continue
		}
		seen[seq] = true
		r, ok := g.live[seq]
		if !ok {
			r = Record{Seq: seq, Deleted: true}
		}
		b.Records = append(b.Records, r)
	}
	return b
}

// overWire returns b after encoding and decoding it.
func overWire(t *testing.T, b Batch) Batch {
	t.Helper()
	got, err := Decode(mustEncode(t, b))
	if err != nil {
		t.Fatalf("Decode: %v", err)
	}
	return got
}

// mustApply applies b to s or fails t.
func mustApply(t *testing.T, s *State, b Batch) {
	t.Helper()
	if err := s.Apply(b); err != nil {
		t.Fatalf("Apply(%v from %d to %d): %v", b.Kind, b.From, b.To, err)
	}
}

// TestStateFollowsGallery applies a snapshot and then deltas of random
// changes, and checks after each that the follower holds what the gallery
// does, feature records included when the batches carry them; a second
// follower starts from nothing with a delta from 0.
func TestStateFollowsGallery(t *testing.T) {
	for _, tc := range []struct{ tables, checks, features int }{{1, 0, 0}, {14, 2, 0}, {MaxTables, 3, 0}, {14, 1, 0}, {14, 2, 40}} {
		tables := tc.tables
		t.Run(fmt.Sprintf("%d tables, %d checks, %d features", tables, tc.checks, tc.features), func(t *testing.T) {
			g := newGallery(uint64(tables+tc.checks), tables, tc.checks)
			g.features = tc.features
			for range 40 {
				g.change()
			}
			fromSnapshot, fromNothing := NewState(tables), NewState(tables)
			mustApply(t, fromSnapshot, overWire(t, g.snapshot()))
			for step := range 60 {
				for range g.rnd.IntN(12) {
					g.change()
				}
				for _, s := range []*State{fromSnapshot, fromNothing} {
					mustApply(t, s, overWire(t, g.delta(s.Version())))
					if s.Version() != g.version {
						t.Fatalf("step %d: Version() = %d, want %d", step, s.Version(), g.version)
					}
					sameBatch(t, s.Snapshot(), g.snapshot())
					if s.Len() != len(g.live) || s.Checks() != tc.checks {
						t.Fatalf("step %d: Len(), Checks() = %d, %d; want %d, %d", step, s.Len(), s.Checks(), len(g.live), tc.checks)
					}
					sameRecords(t, s, g.live)
				}
			}
			for seq, r := range g.live {
				if got := fromNothing.Name(seq); got != r.Name {
					t.Fatalf("Name(%d) = %q, want %q", seq, got, r.Name)
				}
			}
		})
	}
}

// TestStateSnapshotRestores persists a state as a snapshot and restores
// it into a new one, over the wire, with its tables and checks; the
// restored state then follows the gallery's deltas.
func TestStateSnapshotRestores(t *testing.T) {
	for checks := range index.Checks + 1 {
		t.Run(strconv.Itoa(checks)+" checks", func(t *testing.T) {
			g := newGallery(7, 14, checks)
			for range 200 {
				g.change()
			}
			s := NewState(14)
			mustApply(t, s, g.snapshot())
			for range 20 {
				g.change()
			}
			mustApply(t, s, g.delta(s.Version()))
			saved := s.Snapshot()
			if saved.Checks != checks || saved.Tables != 14 || saved.To != g.version {
				t.Fatalf("Snapshot() has %d checks, %d tables, version %d; want %d, 14, %d",
					saved.Checks, saved.Tables, saved.To, checks, g.version)
			}
			restored := NewState(1)
			mustApply(t, restored, overWire(t, saved))
			sameBatch(t, restored.Snapshot(), s.Snapshot())
			if fp, ok := restored.Fingerprint(); !ok || fp != g.fingerprint {
				t.Fatalf("Fingerprint() = %d, %v; want %d, true", fp, ok, g.fingerprint)
			}
			if got := restored.Index().Tables(); got != 14 {
				t.Fatalf("restored index has %d tables, want 14", got)
			}
			if got := restored.Checks(); got != checks {
				t.Fatalf("restored Checks() = %d, want %d", got, checks)
			}
			g.change()
			mustApply(t, restored, overWire(t, g.delta(restored.Version())))
			sameBatch(t, restored.Snapshot(), g.snapshot())
		})
	}
}

// TestStateRefuses checks that batches that do not follow what a State
// holds are refused and change nothing.
func TestStateRefuses(t *testing.T) {
	base := func() *State {
		s := NewState(4)
		mustApply(t, s, Batch{Kind: Snapshot, Fingerprint: 1, Tables: 4, Checks: 2, To: 5, Records: []Record{
			{Seq: 2, Active: true, Codes: []index.Code{{Table: 3, Key: 42, Checks: [index.Checks]uint64{7, 8}}}, Name: "two"},
		}})
		return s
	}
	put := []Record{{Seq: 6, Active: true, Codes: []index.Code{{Table: 1, Key: 1}}}}
	tests := []struct {
		name  string
		batch Batch
		want  error
	}{
		{"delta from behind", Batch{Kind: Delta, Fingerprint: 1, Tables: 4, Checks: 2, From: 4, To: 6, Records: put}, ErrGap},
		{"delta from ahead", Batch{Kind: Delta, Fingerprint: 1, Tables: 4, Checks: 2, From: 6, To: 7}, ErrGap},
		{"delta of another fingerprint", Batch{Kind: Delta, Fingerprint: 2, Tables: 4, Checks: 2, From: 5, To: 6, Records: put}, ErrMismatch},
		{"delta of fewer tables", Batch{Kind: Delta, Fingerprint: 1, Tables: 2, Checks: 2, From: 5, To: 6, Records: put}, ErrMismatch},
		{"delta of more tables", Batch{Kind: Delta, Fingerprint: 1, Tables: 5, Checks: 2, From: 5, To: 6}, ErrMismatch},
		{"delta of more checks", Batch{Kind: Delta, Fingerprint: 1, Tables: 4, Checks: 3, From: 5, To: 6, Records: put}, ErrMismatch},
		{"delta of fewer checks", Batch{Kind: Delta, Fingerprint: 1, Tables: 4, Checks: 1, From: 5, To: 6, Records: put}, ErrMismatch},
		{"empty delta of no checks", Batch{Kind: Delta, Fingerprint: 1, Tables: 4, Checks: 0, From: 5, To: 6}, ErrMismatch},
		{"snapshot of the held fingerprint, other tables", Batch{Kind: Snapshot, Fingerprint: 1, Tables: 8, Checks: 2, To: 6}, ErrMismatch},
		{"check word beyond the checks", Batch{Kind: Delta, Fingerprint: 1, Tables: 4, Checks: 2, From: 5, To: 6, Records: []Record{
			{Seq: 6, Codes: []index.Code{{Checks: [index.Checks]uint64{0, 0, 1}}}}}}, ErrFormat},
		{"4 checks", Batch{Kind: Delta, Fingerprint: 1, Tables: 4, Checks: index.Checks + 1, From: 5, To: 6}, ErrFormat},
		{"code beyond the tables", Batch{Kind: Delta, Fingerprint: 1, Tables: 4, Checks: 2, From: 5, To: 6, Records: []Record{
			{Seq: 6, Codes: []index.Code{{Table: 4}}}}}, ErrFormat},
		{"negative table", Batch{Kind: Delta, Fingerprint: 1, Tables: 4, Checks: 2, From: 5, To: 6, Records: []Record{
			{Seq: 6, Codes: []index.Code{{Table: -1}}}}}, ErrFormat},
		{"no tables", Batch{Kind: Snapshot, Fingerprint: 2, To: 6}, ErrFormat},
		{"repeated seq", Batch{Kind: Delta, Fingerprint: 1, Tables: 4, Checks: 2, From: 5, To: 6, Records: append(put, put...)}, ErrFormat},
		{"unknown kind", Batch{Kind: 9, Fingerprint: 1, Tables: 4, From: 5, To: 6}, ErrFormat},
		{"put without codes", Batch{Kind: Delta, Fingerprint: 1, Tables: 4, Checks: 2, From: 5, To: 6, Records: []Record{{Seq: 6}}}, ErrFormat},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := base()
			before := s.Snapshot()
			if err := s.Apply(tc.batch); !errors.Is(err, tc.want) {
				t.Fatalf("Apply = %v, want an error wrapping %v", err, tc.want)
			}
			sameBatch(t, s.Snapshot(), before)
			if fp, _ := s.Fingerprint(); fp != 1 || s.Index().Tables() != 4 || s.Checks() != 2 {
				t.Fatalf("holds fingerprint %d with %d tables and %d checks after a refused batch", fp, s.Index().Tables(), s.Checks())
			}
		})
	}
}

// TestStateSwitchesFingerprint checks that a snapshot of a new fingerprint
// version replaces the codes, tables included, and that deltas of the old
// version are refused afterwards.
func TestStateSwitchesFingerprint(t *testing.T) {
	s := NewState(1)
	mustApply(t, s, Batch{Kind: Snapshot, Fingerprint: 1, Tables: 1, To: 3, Records: []Record{
		{Seq: 1, Active: true, Codes: []index.Code{{Key: 1}}},
	}})
	rnd := rand.New(rand.NewPCG(8, 9))
	v2 := Batch{Kind: Snapshot, Fingerprint: 2, Tables: 14, Checks: 2, To: 4, Records: []Record{
		randomPut(rnd, 1, 14, 2, 14), randomPut(rnd, 4, 14, 2, 14),
	}}
	mustApply(t, s, v2)
	if fp, _ := s.Fingerprint(); fp != 2 || s.Index().Tables() != 14 || s.Checks() != 2 || s.Len() != 2 {
		t.Fatalf("after the switch: fingerprint %d, %d tables, %d checks, %d targets; want 2, 14, 2, 2",
			fp, s.Index().Tables(), s.Checks(), s.Len())
	}
	sameBatch(t, s.Snapshot(), v2)
	old := Batch{Kind: Delta, Fingerprint: 1, Tables: 1, From: 4, To: 5, Records: []Record{{Seq: 5, Codes: []index.Code{{Key: 9}}}}}
	if err := s.Apply(old); !errors.Is(err, ErrMismatch) {
		t.Fatalf("Apply of a delta of the old fingerprint = %v, want ErrMismatch", err)
	}
}

// TestStateChecks checks which number of check words a State holds: all
// of them when fresh, then those of the first batch, delta or snapshot; a
// delta must carry as many, a snapshot may change them.
func TestStateChecks(t *testing.T) {
	put := func(seq uint64, checks int) []Record {
		c := index.Code{Table: 1, Key: seq}
		for k := range checks {
			c.Checks[k] = seq<<8 | uint64(k)
		}
		return []Record{{Seq: seq, Active: true, Codes: []index.Code{c}}}
	}
	s := NewState(4)
	if got := s.Checks(); got != index.Checks {
		t.Fatalf("a fresh State's Checks() = %d, want %d", got, index.Checks)
	}
	if got := s.Snapshot(); got.Checks != index.Checks || len(got.Records) != 0 {
		t.Fatalf("a fresh State's Snapshot() has %d checks and %d records, want %d and none", got.Checks, len(got.Records), index.Checks)
	}

	// A fresh State takes the checks of the delta it applies first.
	mustApply(t, s, Batch{Kind: Delta, Fingerprint: 1, Tables: 4, Checks: 1, To: 1, Records: put(1, 1)})
	if got := s.Checks(); got != 1 {
		t.Fatalf("after a first delta of 1 check, Checks() = %d", got)
	}
	if err := s.Apply(Batch{Kind: Delta, Fingerprint: 1, Tables: 4, Checks: 3, From: 1, To: 2, Records: put(2, 3)}); !errors.Is(err, ErrMismatch) {
		t.Fatalf("a delta of 3 checks after one of 1: Apply = %v, want ErrMismatch", err)
	}
	mustApply(t, s, Batch{Kind: Delta, Fingerprint: 1, Tables: 4, Checks: 1, From: 1, To: 2, Records: put(2, 1)})

	// A snapshot sets the checks, even of the held fingerprint.
	snap2 := Batch{Kind: Snapshot, Fingerprint: 1, Tables: 4, Checks: 2, To: 3, Records: append(put(1, 2), put(3, 2)...)}
	mustApply(t, s, overWire(t, snap2))
	if got := s.Checks(); got != 2 {
		t.Fatalf("after a snapshot of 2 checks, Checks() = %d", got)
	}
	err := s.Apply(overWire(t, Batch{Kind: Delta, Fingerprint: 1, Tables: 4, Checks: 3, From: 3, To: 4, Records: put(4, 3)}))
	if !errors.Is(err, ErrMismatch) {
		t.Fatalf("a delta of 3 checks after a snapshot of 2: Apply = %v, want ErrMismatch", err)
	}
	sameBatch(t, s.Snapshot(), snap2)
	mustApply(t, s, Batch{Kind: Delta, Fingerprint: 1, Tables: 4, Checks: 2, From: 3, To: 4, Records: put(4, 2)})
	mustApply(t, s, Batch{Kind: Snapshot, Fingerprint: 1, Tables: 4, Checks: 3, To: 5, Records: put(5, 3)})
	if got := s.Checks(); got != 3 {
		t.Fatalf("after a snapshot of 3 checks, Checks() = %d", got)
	}
	if got := s.Snapshot(); got.Checks != 3 {
		t.Fatalf("Snapshot() has %d checks, want 3", got.Checks)
	}
}

// TestStateDeltaSemantics checks puts, deletes of unknown targets, names,
// dropped groups and inactive targets.
func TestStateDeltaSemantics(t *testing.T) {
	ctx := context.Background()
	s := NewState(1)
	mustApply(t, s, Batch{Kind: Snapshot, Fingerprint: 1, Tables: 1, Checks: 1, To: 3, Records: []Record{
		{Seq: 1, Active: true, Codes: []index.Code{{Key: 0xff}}, Name: "one"},
		{Seq: 3, Active: true, Codes: []index.Code{{Key: 0xff00}}, Name: "three"},
	}})
	mustApply(t, s, Batch{Kind: Delta, Fingerprint: 1, Tables: 1, Checks: 1, From: 3, To: 6, Records: []Record{
		{Seq: 4, Deleted: true}, // never held
	}})
	err := s.Apply(Batch{Kind: Delta, Fingerprint: 1, Tables: 1, Checks: 1, From: 6, To: 9, Records: []Record{
		{Seq: 8, Active: false, Codes: []index.Code{{Key: 0xabcdef}}, Name: "eight",
			Attrs: index.Attributes{Category: 4, Group: "product-8"}},
		{Seq: 5, Deleted: true}, // created and deleted between versions the follower saw
		{Seq: 3, Active: true, Codes: []index.Code{{Key: 0xff00}, {Key: 0x1, Checks: [index.Checks]uint64{0x77}}}},
		{Seq: 1, Deleted: true},
	}})
	if err != nil {
		t.Fatalf("Apply: %v", err)
	}
	if s.Version() != 9 || s.Len() != 2 {
		t.Fatalf("Version, Len = %d, %d; want 9, 2", s.Version(), s.Len())
	}
	for seq, want := range map[uint64]string{1: "", 3: "", 8: "eight", 5: ""} {
		if got := s.Name(seq); got != want {
			t.Errorf("Name(%d) = %q, want %q", seq, got, want)
		}
	}
	e, ok := s.Index().Get("8")
	if !ok || e.Attrs.Group != "" || e.Attrs.Category != 4 || e.Active {
		t.Fatalf("entry 8 = %+v, %v; want inactive, category 4, no group", e, ok)
	}
	search := func(p index.Probe, inactive bool) []index.Hit {
		p.Tables = 1
		hits, err := s.Index().Search(ctx, index.Query{Probes: []index.Probe{p}, Limit: 5, IncludeInactive: inactive})
		if err != nil {
			t.Fatalf("Search: %v", err)
		}
		return hits
	}
	if hits := search(index.Probe{Key: 0xabcdef}, false); len(hits) != 0 {
		t.Errorf("a default search finds the inactive target: %+v", hits)
	}
	if hits := search(index.Probe{Key: 0xabcdef}, true); len(hits) != 1 || hits[0].ID != "8" {
		t.Errorf("a search including inactive targets = %+v, want target 8", hits)
	}
	if hits := search(index.Probe{Key: 0x1, Checks: [index.Checks]uint64{0x77}}, false); len(hits) != 1 || hits[0].ID != "3" || hits[0].Code != 1 {
		t.Errorf("search for the new second code of 3 = %+v, want 3 by its code 1", hits)
	}
	if hits := search(index.Probe{Key: 0x1}, false); len(hits) != 0 {
		t.Errorf("search for the second code of 3 without its check word = %+v, want nothing", hits)
	}
	if hits := search(index.Probe{Key: 0xff}, true); len(hits) != 0 {
		t.Errorf("search for the deleted target 1 = %+v, want nothing", hits)
	}
}

// TestStateConcurrentUse searches while batches are applied; run with
// -race.
func TestStateConcurrentUse(t *testing.T) {
	g := newGallery(11, MaxTables, 2)
	for range 100 {
		g.change()
	}
	s := NewState(MaxTables)
	mustApply(t, s, g.snapshot())
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	for range 2 {
		wg.Go(func() {
			for ctx.Err() == nil {
				_, _ = s.Index().Search(ctx, index.Query{Probes: []index.Probe{{Key: 42, Tables: ^uint64(0)}}, MaxDistance: 20})
				_ = s.Name(uint64(s.Version()))
				_ = s.Snapshot()
			}
		})
	}
	for i := range 50 {
		for range 5 {
			g.change()
		}
		b := g.delta(s.Version())
		if i%10 == 0 {
			b = g.snapshot()
		}
		if err := s.Apply(b); err != nil {
			t.Error(err)
			break
		}
	}
	cancel()
	wg.Wait()
	sameBatch(t, s.Snapshot(), g.snapshot())
}
