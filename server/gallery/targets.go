package gallery

import (
	"cmp"
	"context"
	"fmt"

	"github.com/google/uuid"

	"github.com/pixmatch/pixmatch/server/store"
	"github.com/pixmatch/pixmatch/shared/fingerprint"
)

// made is what the service derives from a target's picture.
type made struct {
	fp    fingerprint.Fingerprint
	query fingerprint.Fingerprint
	grade []byte
}

// derive fingerprints and grades pic, giving up with ErrFeatureTimeout
// when that takes longer than the configured limit.
func (s *Service) derive(ctx context.Context, pic *Picture) (made, error) {
	ctx, cancel := context.WithTimeout(ctx, s.cfg.Images.FeatureTimeout)
	defer cancel()
	if err := featureDeadline(ctx); err != nil {
		return made{}, err
	}
	fp, err := pic.prints(fingerprint.TargetOf)
	if err != nil {
		return made{}, err
	}
	q, err := pic.prints(fingerprint.QueryOf)
	if err != nil {
		return made{}, err
	}
	grade, err := pic.Grade().MarshalBinary()
	if err != nil {
		return made{}, err
	}
	if err := featureDeadline(ctx); err != nil {
		return made{}, err
	}
	return made{fp: fp, query: q, grade: grade}, nil
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
	t.Image, t.ImageSHA256, t.Fingerprint, t.Grade = pic.Data, pic.sha256(), b, m.grade
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

// Add creates a target from t's fields and pic. t.ID is generated when
// empty; t.ProductID and t.PicName default to the ID and the name.
func (s *Service) Add(ctx context.Context, gallery int64, t store.Target, pic *Picture, o AddOptions) (store.Target, error) {
	sh, err := s.shelf(gallery)
	if err != nil {
		return t, err
	}
	if err := sh.open(); err != nil {
		return t, err
	}
	m, err := s.derive(ctx, pic)
	if err != nil {
		return t, err
	}
	if t.ID == "" {
		t.ID = uuid.NewString()
	}
	t.ProductID = cmp.Or(t.ProductID, t.ID)
	t.PicName = cmp.Or(t.PicName, t.Name)
	t.Gallery = gallery
	t.Created = s.now().UnixMilli()
	t.Modified = t.Created
	if err := setPicture(&t, pic, m); err != nil {
		return t, err
	}

	sh.write.Lock()
	defer sh.write.Unlock()
	var old *store.Target
	if o.Replace {
		prev, err := s.store.TargetByName(ctx, gallery, t.ProductID, t.PicName)
		switch {
		case err == nil:
			old = &prev
			t.ID, t.Created = prev.ID, prev.Created
			t.Modified = max(t.Modified, prev.Modified+1)
		case !isNotFound(err):
			return t, fmt.Errorf("gallery: look up target: %w", err)
		}
	}
	if g := sh.settings(); old == nil && g.Capacity > 0 && sh.index.Len() >= g.Capacity {
		return t, fmt.Errorf("gallery %q holds %d targets: %w", g.Name, sh.index.Len(), ErrOverQuota)
	}
	if err := s.checkNew(ctx, sh, t, m.query, o); err != nil {
		return t, err
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
		return t, fmt.Errorf("gallery: add target: %w", err)
	}
	s.committed(sh, version)
	return t, sh.index.Put(entry(t, m.fp))
}

// checkNew refuses t's new picture (whose query fingerprint is query) as
// o asks, looking at every target but t itself: ErrDuplicate when
// another target has the byte-identical image file and t's name, then
// *SimilarError when another target's picture, identical or not, is
// within the match threshold.
func (s *Service) checkNew(ctx context.Context, sh *shelf, t store.Target, query fingerprint.Fingerprint, o AddOptions) error {
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
	matches, err := s.similar(ctx, sh, query, t.ID, similarLimit)
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

// committed records that the store is now at version.
func (s *Service) committed(sh *shelf, version int64) {
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
func (s *Service) Update(ctx context.Context, gallery int64, id string, p Patch) (store.Target, error) {
	sh, err := s.shelf(gallery)
	if err != nil {
		return store.Target{}, err
	}
	if err := sh.open(); err != nil {
		return store.Target{}, err
	}
	if p == (Patch{}) {
		t, err := s.store.Target(ctx, gallery, id, false)
		if err != nil {
			return t, fmt.Errorf("gallery: update target: %w", err)
		}
		return t, nil
	}
	var m made
	if p.Picture != nil {
		if m, err = s.derive(ctx, p.Picture); err != nil {
			return store.Target{}, err
		}
	}

	sh.write.Lock()
	defer sh.write.Unlock()
	t, err := s.store.Target(ctx, gallery, id, false)
	if err != nil {
		return t, fmt.Errorf("gallery: update target: %w", err)
	}
	apply(&t, p)
	fp := m.fp
	if p.Picture != nil {
		if err := setPicture(&t, p.Picture, m); err != nil {
			return t, err
		}
		o := AddOptions{RefuseDuplicate: true, RefuseSimilar: !t.AllowSimilar}
		if err := s.checkNew(ctx, sh, t, m.query, o); err != nil {
			return t, err
		}
	} else if err := fp.UnmarshalBinary(t.Fingerprint); err != nil {
		return t, fmt.Errorf("gallery: target %s: %w", id, err)
	}
	t.Modified = max(s.now().UnixMilli(), t.Modified+1)
	version, err := s.store.UpdateTarget(ctx, t)
	if err != nil {
		return t, fmt.Errorf("gallery: update target: %w", err)
	}
	s.committed(sh, version)
	return t, sh.index.Put(entry(t, fp))
}

func apply(t *store.Target, p Patch) {
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

// Delete removes the targets with the given IDs, all or none, and returns
// them as they were.
func (s *Service) Delete(ctx context.Context, gallery int64, ids ...string) ([]store.Target, error) {
	sh, err := s.shelf(gallery)
	if err != nil {
		return nil, err
	}
	if err := sh.open(); err != nil {
		return nil, err
	}
	sh.write.Lock()
	defer sh.write.Unlock()
	gone := make([]store.Target, 0, len(ids))
	for _, id := range ids {
		t, err := s.store.Target(ctx, gallery, id, false)
		if err != nil {
			return nil, fmt.Errorf("gallery: delete target: %w", err)
		}
		gone = append(gone, t)
	}
	version, err := s.store.DeleteTargets(ctx, gallery, ids)
	if err != nil {
		return nil, fmt.Errorf("gallery: delete targets: %w", err)
	}
	s.committed(sh, version)
	for _, id := range ids {
		sh.index.Remove(id)
	}
	return gone, nil
}

// Target returns one target, with its image when image is true.
func (s *Service) Target(ctx context.Context, gallery int64, id string, image bool) (store.Target, error) {
	sh, err := s.shelf(gallery)
	if err != nil {
		return store.Target{}, err
	}
	if err := sh.open(); err != nil {
		return store.Target{}, err
	}
	return s.store.Target(ctx, gallery, id, image)
}

// Targets lists a page of targets, oldest first, without images.
func (s *Service) Targets(ctx context.Context, gallery int64, p store.Page) ([]store.Target, error) {
	sh, err := s.shelf(gallery)
	if err != nil {
		return nil, err
	}
	if err := sh.open(); err != nil {
		return nil, err
	}
	return s.store.Targets(ctx, gallery, p)
}

// Count returns how many targets a gallery holds, active or not.
func (s *Service) Count(gallery int64) (int, error) {
	sh, err := s.shelf(gallery)
	if err != nil {
		return 0, err
	}
	if err := sh.open(); err != nil {
		return 0, err
	}
	return sh.index.Len(), nil
}
