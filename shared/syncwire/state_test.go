package syncwire

import (
	"context"
	"errors"
	"math/rand/v2"
	"slices"
	"strconv"
	"sync"
	"testing"

	"github.com/pixmatch/pixmatch/shared/index"
)

// gallery is a server's view of a gallery, kept as simply as possible:
// the live targets and a change log of which target each version touched.
// It makes the batches that followers apply.
type gallery struct {
	rnd         *rand.Rand
	fingerprint int
	bits        int
	version     int64
	live        map[uint64]Record
	touched     []uint64 // touched[v-1] is the Seq that version v changed
}

func newGallery(seed uint64, bits int) *gallery {
	return &gallery{rnd: rand.New(rand.NewPCG(seed, 99)), fingerprint: 1, bits: bits, live: map[uint64]Record{}}
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
		g.live[seq] = randomPut(g.rnd, seq, g.bits/64, 3)
		g.touched = append(g.touched, seq)
	case op < 8:
		seq := seqs[g.rnd.IntN(len(seqs))]
		r := randomPut(g.rnd, seq, g.bits/64, 3)
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

// snapshot returns every live target at the current version.
func (g *gallery) snapshot() Batch {
	b := Batch{Kind: Snapshot, Fingerprint: g.fingerprint, Bits: g.bits, To: g.version}
	for _, r := range g.live {
		b.Records = append(b.Records, r)
	}
	return b
}

// delta returns the changes since version from, in no particular order.
func (g *gallery) delta(from int64) Batch {
	b := Batch{Kind: Delta, Fingerprint: g.fingerprint, Bits: g.bits, From: from, To: g.version}
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
// does; a second follower starts from nothing with a delta from 0.
func TestStateFollowsGallery(t *testing.T) {
	for _, bits := range []int{64, 256} {
		t.Run(strconv.Itoa(bits), func(t *testing.T) {
			g := newGallery(uint64(bits), bits)
			for range 40 {
				g.change()
			}
			fromSnapshot, fromNothing := NewState(bits), NewState(bits)
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
					if s.Len() != len(g.live) {
						t.Fatalf("step %d: Len() = %d, want %d", step, s.Len(), len(g.live))
					}
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
// it into a new one.
func TestStateSnapshotRestores(t *testing.T) {
	g := newGallery(7, 64)
	for range 200 {
		g.change()
	}
	s := NewState(64)
	mustApply(t, s, g.snapshot())
	restored := NewState(64)
	mustApply(t, restored, overWire(t, s.Snapshot()))
	sameBatch(t, restored.Snapshot(), s.Snapshot())
	if fp, ok := restored.Fingerprint(); !ok || fp != g.fingerprint {
		t.Fatalf("Fingerprint() = %d, %v; want %d, true", fp, ok, g.fingerprint)
	}
}

// TestStateRefuses checks that batches that do not follow what a State
// holds are refused and change nothing.
func TestStateRefuses(t *testing.T) {
	base := func() *State {
		s := NewState(64)
		mustApply(t, s, Batch{Kind: Snapshot, Fingerprint: 1, Bits: 64, To: 5, Records: []Record{
			{Seq: 2, Active: true, Codes: []uint64{42}, Name: "two"},
		}})
		return s
	}
	put := []Record{{Seq: 6, Active: true, Codes: []uint64{1}}}
	tests := []struct {
		name  string
		batch Batch
		want  error
	}{
		{"delta from behind", Batch{Kind: Delta, Fingerprint: 1, Bits: 64, From: 4, To: 6, Records: put}, ErrGap},
		{"delta from ahead", Batch{Kind: Delta, Fingerprint: 1, Bits: 64, From: 6, To: 7}, ErrGap},
		{"delta of another fingerprint", Batch{Kind: Delta, Fingerprint: 2, Bits: 64, From: 5, To: 6, Records: put}, ErrMismatch},
		{"delta of another width", Batch{Kind: Delta, Fingerprint: 1, Bits: 128, From: 5, To: 6}, ErrMismatch},
		{"snapshot of the held fingerprint, another width", Batch{Kind: Snapshot, Fingerprint: 1, Bits: 128, To: 6}, ErrMismatch},
		{"repeated seq", Batch{Kind: Delta, Fingerprint: 1, Bits: 64, From: 5, To: 6, Records: append(put, put...)}, ErrFormat},
		{"unknown kind", Batch{Kind: 9, Fingerprint: 1, Bits: 64, From: 5, To: 6}, ErrFormat},
		{"put without codes", Batch{Kind: Delta, Fingerprint: 1, Bits: 64, From: 5, To: 6, Records: []Record{{Seq: 6}}}, ErrFormat},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := base()
			before := s.Snapshot()
			if err := s.Apply(tc.batch); !errors.Is(err, tc.want) {
				t.Fatalf("Apply = %v, want an error wrapping %v", err, tc.want)
			}
			sameBatch(t, s.Snapshot(), before)
			if fp, _ := s.Fingerprint(); fp != 1 || s.Index().Bits() != 64 {
				t.Fatalf("holds fingerprint %d of %d bits after a refused batch", fp, s.Index().Bits())
			}
		})
	}
}

// TestStateSwitchesFingerprint checks that a snapshot of a new fingerprint
// version replaces the codes, width included, and that deltas of the old
// version are refused afterwards.
func TestStateSwitchesFingerprint(t *testing.T) {
	s := NewState(64)
	mustApply(t, s, Batch{Kind: Snapshot, Fingerprint: 1, Bits: 64, To: 3, Records: []Record{
		{Seq: 1, Active: true, Codes: []uint64{1}},
	}})
	v2 := Batch{Kind: Snapshot, Fingerprint: 2, Bits: 256, To: 4, Records: []Record{
		{Seq: 1, Active: true, Codes: []uint64{1, 2, 3, 4}}, {Seq: 4, Codes: []uint64{5, 6, 7, 8}},
	}}
	mustApply(t, s, v2)
	if fp, _ := s.Fingerprint(); fp != 2 || s.Index().Bits() != 256 || s.Len() != 2 {
		t.Fatalf("after the switch: fingerprint %d, %d bits, %d targets; want 2, 256, 2", fp, s.Index().Bits(), s.Len())
	}
	sameBatch(t, s.Snapshot(), v2)
	old := Batch{Kind: Delta, Fingerprint: 1, Bits: 64, From: 4, To: 5, Records: []Record{{Seq: 5, Codes: []uint64{9}}}}
	if err := s.Apply(old); !errors.Is(err, ErrMismatch) {
		t.Fatalf("Apply of a delta of the old fingerprint = %v, want ErrMismatch", err)
	}
}

// TestStateDeltaSemantics checks puts, deletes of unknown targets, names,
// dropped groups and inactive targets.
func TestStateDeltaSemantics(t *testing.T) {
	ctx := context.Background()
	s := NewState(64)
	mustApply(t, s, Batch{Kind: Snapshot, Fingerprint: 1, Bits: 64, To: 3, Records: []Record{
		{Seq: 1, Active: true, Codes: []uint64{0xff}, Name: "one"},
		{Seq: 3, Active: true, Codes: []uint64{0xff00}, Name: "three"},
	}})
	mustApply(t, s, Batch{Kind: Delta, Fingerprint: 1, Bits: 64, From: 3, To: 6, Records: []Record{
		{Seq: 4, Deleted: true}, // never held
	}})
	err := s.Apply(Batch{Kind: Delta, Fingerprint: 1, Bits: 64, From: 6, To: 9, Records: []Record{
		{Seq: 8, Active: false, Codes: []uint64{0xabcdef}, Name: "eight",
			Attrs: index.Attributes{Category: 4, Group: "product-8"}},
		{Seq: 5, Deleted: true}, // created and deleted between versions the follower saw
		{Seq: 3, Active: true, Codes: []uint64{0xff00, 0x1}},
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
	search := func(code uint64, inactive bool) []index.Hit {
		hits, err := s.Index().Search(ctx, index.Query{Codes: []uint64{code}, Limit: 5, IncludeInactive: inactive})
		if err != nil {
			t.Fatalf("Search: %v", err)
		}
		return hits
	}
	if hits := search(0xabcdef, false); len(hits) != 0 {
		t.Errorf("a default search finds the inactive target: %+v", hits)
	}
	if hits := search(0xabcdef, true); len(hits) != 1 || hits[0].ID != "8" {
		t.Errorf("a search including inactive targets = %+v, want target 8", hits)
	}
	if hits := search(0x1, false); len(hits) != 1 || hits[0].ID != "3" || hits[0].EntryCode != 1 {
		t.Errorf("search for the new second code of 3 = %+v, want 3 by its code 1", hits)
	}
	if hits := search(0xff, true); len(hits) != 0 {
		t.Errorf("search for the deleted target 1 = %+v, want nothing", hits)
	}
}

// TestStateConcurrentUse searches while batches are applied; run with
// -race.
func TestStateConcurrentUse(t *testing.T) {
	g := newGallery(11, 64)
	for range 100 {
		g.change()
	}
	s := NewState(64)
	mustApply(t, s, g.snapshot())
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	for range 2 {
		wg.Go(func() {
			for ctx.Err() == nil {
				_, _ = s.Index().Search(ctx, index.Query{Codes: []uint64{42}, MaxDistance: 20})
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
