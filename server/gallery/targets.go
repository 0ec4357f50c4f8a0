package gallery

import (
	"cmp"
	"context"
	"fmt"

	"github.com/google/uuid"

	"github.com/pixmatch/pixmatch/server/store"
	"github.com/pixmatch/pixmatch/shared/feature"
	"github.com/pixmatch/pixmatch/shared/fingerprint"
)

// Targets are the targets of the galleries: added, changed, deleted and
// read. Every method refuses a gallery that does not exist or is
// suspended.
type Targets struct{ s *Service }

// made is what the service derives from a target's picture.
type made struct {
	fp     fingerprint.Fingerprint
	query  Query // what the similar check searches with
	grade  []byte
	record []byte // the encoded feature record
	// feats are the record's features, in the order the feature tier's
	// bag takes them.
	feats []feature.Feature
	// later: the record and the grade are the record maker's to make
	// (WithRecordMaker); record is empty and grade nil until then.
	later bool
}

// derive fingerprints and grades pic, giving up with ErrFeatureTimeout
// when that takes longer than the configured limit. The query fingerprint
// the similar check searches with is made only when similar asks for it
// (a bulk load that allows similar pictures does not pay for it). With a
// record maker the grade and the feature record are left to it.
func (s *Service) derive(ctx context.Context, pic *Picture, similar bool) (made, error) {
	ctx, cancel := context.WithTimeout(ctx, s.cfg.Images.FeatureTimeout)
	defer cancel()
	if err := featureDeadline(ctx); err != nil {
		return made{}, err
	}
	fp, err := pic.prints(fingerprint.TargetOf)
	if err != nil {
		return made{}, err
	}
	var q fingerprint.Fingerprint
	if similar {
		if q, err = pic.prints(fingerprint.QueryOf); err != nil {
			return made{}, err
		}
	}
	if s.maker != nil {
		// The record and the grade are made after the add (maker.go): the
		// add needs of the features only the target's own, which the
		// similar check looks for, and only for that check. The empty
		// record marks the one to make, in place of the picture's old one.
		var own []feature.Feature
		if similar && pic.feat != nil { // else read as Policy.Added: the hash tier alone checks
			own = pic.features(feature.TargetOptions)
		}
		return made{fp: fp, query: pic.query(q, own), record: []byte{}, later: true}, featureDeadline(ctx)
	}
	// The target's enrolment is what it is verified with and what its
	// grade counts; its own features are what the similar check looks for
	// in the gallery.
	en := pic.enrol()
	grade, err := pic.gradeOf(en).MarshalBinary()
	if err != nil {
		return made{}, err
	}
	record, err := s.encodeRecord(ctx, pic, en.Features)
	if err != nil {
		return made{}, err
	}
	if err := featureDeadline(ctx); err != nil {
		return made{}, err
	}
	return made{fp: fp, query: pic.query(q, en.Own), grade: grade, record: record, feats: en.Features}, nil
}

// featureDeadline reports a fingerprinting deadline that has passed.
func featureDeadline(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("%w: %w", ErrFeatureTimeout, err)
	}
	return nil
}

// setPicture stores pic and what was derived from it in t.
func setPicture(t *store.Target, pic *Picture, m made) error {
	b, err := m.fp.MarshalBinary()
	if err != nil {
		return err
	}
	t.Image, t.ImageSHA256, t.Fingerprint, t.Grade, t.Features = pic.Data, pic.sha256(), b, m.grade, m.record
	t.Width, t.Height = pic.Size()
	return nil
}

// AddOptions say what Add refuses or replaces.
type AddOptions struct {
	// RefuseDuplicate refuses the same target again: an image file
	// another target has, under that target's name (ErrDuplicate).
	RefuseDuplicate bool
	// RefuseSimilar refuses a picture within the match threshold of
	// another target, a byte-identical one included (*SimilarError).
	RefuseSimilar bool
	// Replace lets a target with the same ProductID and PicName be
	// replaced, keeping its ID; without it that is ErrExists.
	Replace bool
}

// Add creates a target from t's fields (start from NewTarget) and pic.
// t.ID is generated when empty; t.ProductID and t.PicName default to the
// ID and the name. It refuses a gallery at its capacity (ErrOverQuota) and
// what o says (ErrDuplicate, *SimilarError). On a service WithRecordMaker
// the target comes back without a grade: its feature record and grade are
// made after (maker.go).
func (ts *Targets) Add(ctx context.Context, gallery int64, nt Target, pic *Picture, o AddOptions) (Target, error) {
	s := ts.s
	defer s.working()()
	sh, err := s.live(gallery)
	if err != nil {
		return nt, err
	}
	m, err := s.derive(ctx, pic, o.RefuseSimilar)
	if err != nil {
		return nt, err
	}
	t := rowOf(gallery, nt)
	if t.ID == "" {
		t.ID = uuid.NewString()
	}
	t.ProductID = cmp.Or(t.ProductID, t.ID)
	t.PicName = cmp.Or(t.PicName, t.Name)
	t.Gallery = gallery
	t.Created = s.now().UnixMilli()
	t.Modified = t.Created
	if err := setPicture(&t, pic, m); err != nil {
		return nt, err
	}

	// Everything an add costs outside the store and the indexes (decoding,
	// fingerprints, the record with WithRecordMaker) is done above, outside
	// the gallery's writes. The commit stays under them, as do the checks
	// before it, because correctness does not allow otherwise: each check
	// reads what the commit changes — the count (capacity), the target of
	// the same ProductId and PicName (Replace), the stored files
	// (duplicates), the indexes (similar pictures) — so two adds checked
	// outside each other's commit could both pass; the indexes take the
	// writes in commit order, holding a prefix of the change log
	// (committed, follow.go); and the backlog's tickets follow that order
	// (madeBefore). An add with no check at all could commit outside, but
	// would gain little: the SQLite store serialises its writes anyway,
	// and the lock is then held for the commit and an index update alone.
	sh.write.Lock()
	defer sh.write.Unlock()
	if err := s.freshLocked(ctx, sh); err != nil { // capacity and similar checks read the indexes
		return nt, err
	}
	var old *store.Target
	if o.Replace {
		prev, err := s.store.TargetByName(ctx, gallery, t.ProductID, t.PicName)
		switch {
		case err == nil:
			old = &prev
			t.ID, t.Created = prev.ID, prev.Created
			t.Modified = max(t.Modified, prev.Modified+1)
		case !isNotFound(err):
			return nt, fmt.Errorf("gallery: look up target: %w", err)
		}
	}
	if g := sh.settings(); old == nil && g.Capacity > 0 {
		if n, _, err := s.lens(ctx, sh); err != nil {
			return nt, err
		} else if n >= g.Capacity {
			return nt, fmt.Errorf("gallery %q holds %d targets: %w", g.Name, n, ErrOverQuota)
		}
	}
	if err := s.checkNew(ctx, sh, t, m.query, o); err != nil {
		return nt, err
	}
	var version int64
	if old != nil {
		t.Seq = old.Seq
		version, err = s.store.UpdateTarget(ctx, t)
	} else {
		version, err = s.store.CreateTarget(ctx, t)
		t.Seq = version // a new target is numbered by the version that made it
	}
	if err != nil {
		return nt, fmt.Errorf("gallery: add target: %w", err)
	}
	s.committed(sh, version)
	s.derived(sh, t.ID, m)
	t.Image = nil // the caller has the picture; answers carry no copy of it
	return targetOf(t), sh.index.Put(entry(t, m.fp))
}

// derived puts what was derived from a target's new picture into its
// gallery's feature tier, or, when the record is made later, takes the
// old picture's out and queues the new one's for the maker: under the
// gallery's writes, right after the commit, so that the backlog's order
// is the order the adds were acknowledged in (madeBefore).
func (s *Service) derived(sh *shelf, id string, m made) {
	if !m.later {
		s.placed(sh, id, m.feats)
		return
	}
	sh.tier.Remove(id)
	s.records.forget(sh.id, id)
	sh.backlog.push(id)
	s.maker.poke()
}

// placed puts a target's new features into its gallery's feature tier.
func (s *Service) placed(sh *shelf, id string, feats []feature.Feature) {
	sh.tier.Put(id, feats)
	s.records.forget(sh.id, id)
}

// checkNew refuses t's new picture (whose query fingerprint is query) as
// o asks, looking at every target but t itself: ErrDuplicate when
// another target has the byte-identical image file and t's name, then
// *SimilarError when another target's picture, identical or not, is
// within the match threshold.
func (s *Service) checkNew(ctx context.Context, sh *shelf, t store.Target, q Query, o AddOptions) error {
	if o.RefuseDuplicate {
		same, err := s.store.TargetByImageAndName(ctx, sh.id, t.ImageSHA256, t.Name, t.ID)
		switch {
		case err == nil:
			return fmt.Errorf("target %s: %w", same.ID, ErrDuplicate)
		case !isNotFound(err):
			return fmt.Errorf("gallery: look up image: %w", err)
		}
	}
	if !o.RefuseSimilar {
		return nil
	}
	matches, err := s.similar(ctx, sh, q, t.ID, similarLimit)
	if err != nil {
		return err
	}
	if len(matches) > 0 {
		return &SimilarError{Matches: matches}
	}
	return nil
}

// similarLimit is how many similar targets a refusal or a /similar
// answer lists.
const similarLimit = 10

// committed records that the store is now at version. A write that
// logged the one change after the version the indexes follow leaves no
// other server's change between: the indexes follow it too (follow.go).
func (s *Service) committed(sh *shelf, version int64) {
	sh.followed.CompareAndSwap(version-1, version)
	sh.mu.Lock()
	sh.gallery.Version = version
	sh.mu.Unlock()
}

// Patch is a partial update of a target: nil fields stay as they are.
type Patch struct {
	Name, Size, Meta, Type *string
	Active, AllowSimilar   *bool
	Picture                *Picture

	CustomContent *string
	Category      *int32
	IntAttr       [4]*int32
	StrAttr       [4]*string
}

// Update changes the fields of a target that p sets. A new picture is
// refused like a CRS add: ErrDuplicate for another target's identical
// file under the target's (new) name, and, unless the target (after the
// update) allows similar images, *SimilarError. A patch that sets nothing
// writes nothing: the target comes back as it is, its version and
// modification time unchanged.
func (ts *Targets) Update(ctx context.Context, gallery int64, id string, p Patch) (Target, error) {
	s := ts.s
	defer s.working()()
	sh, err := s.live(gallery)
	if err != nil {
		return Target{}, err
	}
	if p == (Patch{}) {
		t, err := s.store.Target(ctx, gallery, id, false)
		if err != nil {
			return Target{}, fmt.Errorf("gallery: update target: %w", err)
		}
		return targetOf(t), nil
	}
	var m made
	if p.Picture != nil {
		// Whether the similar check runs is known once the target is read;
		// only a patch that allows similar pictures is known not to need it.
		similar := p.AllowSimilar == nil || !*p.AllowSimilar
		if m, err = s.derive(ctx, p.Picture, similar); err != nil {
			return Target{}, err
		}
	}

	sh.write.Lock()
	defer sh.write.Unlock()
	if err := s.freshLocked(ctx, sh); err != nil { // the similar check reads the indexes
		return Target{}, err
	}
	t, err := s.store.Target(ctx, gallery, id, false)
	if err != nil {
		return Target{}, fmt.Errorf("gallery: update target: %w", err)
	}
	apply(&t, p)
	fp := m.fp
	if p.Picture != nil {
		if err := setPicture(&t, p.Picture, m); err != nil {
			return Target{}, err
		}
		o := AddOptions{RefuseDuplicate: true, RefuseSimilar: !t.AllowSimilar}
		if err := s.checkNew(ctx, sh, t, m.query, o); err != nil {
			return Target{}, err
		}
	} else if err := fp.UnmarshalBinary(t.Fingerprint); err != nil {
		return Target{}, fmt.Errorf("gallery: target %s: %w", id, err)
	}
	t.Modified = max(s.now().UnixMilli(), t.Modified+1)
	version, err := s.store.UpdateTarget(ctx, t)
	if err != nil {
		return Target{}, fmt.Errorf("gallery: update target: %w", err)
	}
	s.committed(sh, version)
	if p.Picture != nil {
		s.derived(sh, t.ID, m)
	}
	t.Image = nil
	return targetOf(t), sh.index.Put(entry(t, fp))
}

// Apply sets the fields of t that p sets.
func (p Patch) Apply(t *Target) {
	assign(&t.Name, p.Name)
	assign(&t.Size, p.Size)
	assign(&t.Meta, p.Meta)
	assign(&t.Type, p.Type)
	assign(&t.Active, p.Active)
	assign(&t.AllowSimilar, p.AllowSimilar)
	assign(&t.CustomContent, p.CustomContent)
	assign(&t.Category, p.Category)
	for i := range 4 {
		assign(&t.IntAttr[i], p.IntAttr[i])
		assign(&t.StrAttr[i], p.StrAttr[i])
	}
}

// apply is Patch.Apply on a stored row, keeping what the service derived.
func apply(r *store.Target, p Patch) {
	t := targetOf(*r)
	p.Apply(&t)
	kept := *r
	*r = rowOf(r.Gallery, t)
	r.ImageSHA256, r.Fingerprint, r.Grade = kept.ImageSHA256, kept.Fingerprint, kept.Grade
}

// Delete removes the targets with the given IDs, all or none, and returns
// them as they were.
func (ts *Targets) Delete(ctx context.Context, gallery int64, ids ...string) ([]Target, error) {
	s := ts.s
	sh, err := s.live(gallery)
	if err != nil {
		return nil, err
	}
	sh.write.Lock()
	defer sh.write.Unlock()
	gone := make([]Target, 0, len(ids))
	for _, id := range ids {
		t, err := s.store.Target(ctx, gallery, id, false)
		if err != nil {
			return nil, fmt.Errorf("gallery: delete target: %w", err)
		}
		gone = append(gone, targetOf(t))
	}
	version, err := s.store.DeleteTargets(ctx, gallery, ids)
	if err != nil {
		return nil, fmt.Errorf("gallery: delete targets: %w", err)
	}
	s.committed(sh, version)
	for _, id := range ids {
		sh.index.Remove(id)
		sh.tier.Remove(id)
		s.records.forget(sh.id, id)
	}
	return gone, nil
}

// Get returns one target, with its image when image is true.
func (ts *Targets) Get(ctx context.Context, gallery int64, id string, image bool) (Target, error) {
	if _, err := ts.s.live(gallery); err != nil {
		return Target{}, err
	}
	t, err := ts.s.store.Target(ctx, gallery, id, image)
	return targetOf(t), err
}

// List returns a page of targets, oldest first, without images.
func (ts *Targets) List(ctx context.Context, gallery int64, p store.Page) ([]Target, error) {
	if _, err := ts.s.live(gallery); err != nil {
		return nil, err
	}
	rows, err := ts.s.store.Targets(ctx, gallery, p)
	return targetsOf(rows), err
}

// CountContext returns how many targets a gallery holds, active or not,
// with every write any server acknowledged before it counted
// (read-your-writes, see WithFollowing), within ctx: the count a client
// asks for.
func (ts *Targets) CountContext(ctx context.Context, gallery int64) (int, error) {
	n, _, err := ts.Counts(ctx, gallery)
	return n, err
}

// Counts returns how many targets a gallery holds and how many of them
// are active (what a search finds), as CountContext counts: every
// reader of a gallery's size (the APIs, the sync API's choice of what
// followers are sent, health and metrics) counts through it, so that no
// server answers a count behind another's acknowledged write.
func (ts *Targets) Counts(ctx context.Context, gallery int64) (all, active int, err error) {
	sh, err := ts.s.live(gallery)
	if err != nil {
		return 0, 0, err
	}
	if err := ts.s.fresh(ctx, sh); err != nil {
		return 0, 0, err
	}
	return ts.s.lens(ctx, sh)
}
