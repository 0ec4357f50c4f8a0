package gallery

import (
	"context"
	"errors"
	"fmt"

	"github.com/pixmatch/pixmatch/server/store"
	"github.com/pixmatch/pixmatch/shared/index"
)

// Targets are also known by a ProductID and a PicName (Alibaba Image
// Search's identity of an image); these operations address them so.

// errEnough stops an iteration that has found what it wanted.
var errEnough = errors.New("enough")

// ByName returns the target with the given ProductID and PicName.
func (ts *Targets) ByName(ctx context.Context, gallery int64, productID, picName string) (Target, error) {
	if _, err := ts.s.live(gallery); err != nil {
		return Target{}, err
	}
	t, err := ts.s.store.TargetByName(ctx, gallery, productID, picName)
	return targetOf(t), err
}

// UpdateByName changes the target with the given ProductID and PicName.
func (ts *Targets) UpdateByName(ctx context.Context, gallery int64, productID, picName string, p Patch) (Target, error) {
	t, err := ts.ByName(ctx, gallery, productID, picName)
	if err != nil {
		return t, err
	}
	return ts.Update(ctx, gallery, t.ID, p)
}

// DeleteByName removes the target with the given ProductID and PicName,
// or every target of the product when picName is empty. Nothing to
// delete is not an error.
func (ts *Targets) DeleteByName(ctx context.Context, gallery int64, productID, picName string) ([]Target, error) {
	var ids []string
	if picName != "" {
		t, err := ts.ByName(ctx, gallery, productID, picName)
		switch {
		case err == nil:
			ids = append(ids, t.ID)
		case !isNotFound(err):
			return nil, err
		}
	} else {
		if _, err := ts.s.live(gallery); err != nil {
			return nil, err
		}
		rows, err := ts.s.store.ProductTargets(ctx, gallery, productID)
		if err != nil {
			return nil, fmt.Errorf("gallery: targets of product %q: %w", productID, err)
		}
		for _, t := range rows {
			ids = append(ids, t.ID)
		}
	}
	if len(ids) == 0 {
		return nil, nil
	}
	return ts.Delete(ctx, gallery, ids...)
}

// DeleteWhere removes every target whose attributes f matches, active or
// not.
func (ts *Targets) DeleteWhere(ctx context.Context, gallery int64, f index.Filter) ([]Target, error) {
	sh, err := ts.s.live(gallery)
	if err != nil {
		return nil, err
	}
	if err := ts.s.fresh(ctx, sh); err != nil {
		return nil, err
	}
	ids, err := ts.s.matching(ctx, sh, f)
	if err != nil {
		return nil, err
	}
	if len(ids) == 0 {
		return nil, nil
	}
	return ts.Delete(ctx, gallery, ids...)
}

// Find lists, oldest first, the targets whose attributes f matches,
// skipping the first offset of them and returning at most limit.
func (ts *Targets) Find(ctx context.Context, gallery int64, f index.Filter, offset, limit int) ([]Target, error) {
	var found []Target
	err := ts.Each(ctx, gallery, func(t Target) error {
		if a := t.Attributes(); f != nil && !f.Match(&a) {
			return nil
		}
		if offset > 0 {
			offset--
			return nil
		}
		found = append(found, t)
		if len(found) >= limit {
			return errEnough
		}
		return nil
	})
	if err != nil && err != errEnough {
		return nil, fmt.Errorf("gallery: find targets: %w", err)
	}
	return found, nil
}

// Each calls fn for every target of the gallery, oldest first, without
// images, stopping at the first error fn returns.
func (ts *Targets) Each(ctx context.Context, gallery int64, fn func(Target) error) error {
	if _, err := ts.s.live(gallery); err != nil {
		return err
	}
	return ts.s.store.EachTarget(ctx, gallery, func(r store.Target) error { return fn(targetOf(r)) })
}
