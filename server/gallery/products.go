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

// TargetByName returns the target with the given ProductID and PicName.
func (s *Service) TargetByName(ctx context.Context, gallery int64, productID, picName string) (store.Target, error) {
	sh, err := s.shelf(gallery)
	if err != nil {
		return store.Target{}, err
	}
	if err := sh.open(); err != nil {
		return store.Target{}, err
	}
	return s.store.TargetByName(ctx, gallery, productID, picName)
}

// UpdateByName changes the target with the given ProductID and PicName.
func (s *Service) UpdateByName(ctx context.Context, gallery int64, productID, picName string, p Patch) (store.Target, error) {
	t, err := s.TargetByName(ctx, gallery, productID, picName)
	if err != nil {
		return t, err
	}
	return s.Update(ctx, gallery, t.ID, p)
}

// DeleteByName removes the target with the given ProductID and PicName,
// or every target of the product when picName is empty. Nothing to
// delete is not an error.
func (s *Service) DeleteByName(ctx context.Context, gallery int64, productID, picName string) ([]store.Target, error) {
	var ids []string
	if picName != "" {
		t, err := s.TargetByName(ctx, gallery, productID, picName)
		switch {
		case err == nil:
			ids = append(ids, t.ID)
		case !isNotFound(err):
			return nil, err
		}
	} else {
		ts, err := s.store.ProductTargets(ctx, gallery, productID)
		if err != nil {
			return nil, fmt.Errorf("gallery: targets of product %q: %w", productID, err)
		}
		for _, t := range ts {
			ids = append(ids, t.ID)
		}
	}
	if len(ids) == 0 {
		return nil, nil
	}
	return s.Delete(ctx, gallery, ids...)
}

// DeleteWhere removes every target whose attributes f matches, active or
// not.
func (s *Service) DeleteWhere(ctx context.Context, gallery int64, f index.Filter) ([]store.Target, error) {
	sh, err := s.shelf(gallery)
	if err != nil {
		return nil, err
	}
	var ids []string
	sh.index.Each(func(e index.Entry) bool {
		if f.Match(&e.Attrs) {
			ids = append(ids, e.ID)
		}
		return true
	})
	if len(ids) == 0 {
		return nil, nil
	}
	return s.Delete(ctx, gallery, ids...)
}

// Find lists, oldest first, the targets whose attributes f matches,
// skipping the first offset of them and returning at most limit.
func (s *Service) Find(ctx context.Context, gallery int64, f index.Filter, offset, limit int) ([]store.Target, error) {
	sh, err := s.shelf(gallery)
	if err != nil {
		return nil, err
	}
	if err := sh.open(); err != nil {
		return nil, err
	}
	var found []store.Target
	err = s.store.EachTarget(ctx, gallery, func(t store.Target) error {
		if a := attributes(t); f != nil && !f.Match(&a) {
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
func (s *Service) Each(ctx context.Context, gallery int64, fn func(store.Target) error) error {
	if _, err := s.shelf(gallery); err != nil {
		return err
	}
	return s.store.EachTarget(ctx, gallery, fn)
}

// CreateTask records a background task of a gallery.
func (s *Service) CreateTask(ctx context.Context, t store.Task) (store.Task, error) {
	t.Created = s.now().UnixMilli()
	t.Modified = t.Created
	return s.store.CreateTask(ctx, t)
}

// UpdateTask saves a task's progress.
func (s *Service) UpdateTask(ctx context.Context, t store.Task) error {
	t.Modified = s.now().UnixMilli()
	return s.store.UpdateTask(ctx, t)
}

// Tasks lists a page of a gallery's tasks of one kind, newest first, and
// how many there are.
func (s *Service) Tasks(ctx context.Context, gallery int64, kind store.TaskKind, p store.Page) ([]store.Task, int, error) {
	return s.store.Tasks(ctx, gallery, kind, p)
}

// FailRunningTasks ends every running task of every gallery as failed,
// with code and message, and returns how many it ended.
func (s *Service) FailRunningTasks(ctx context.Context, code, message string) (int, error) {
	return s.store.FailRunningTasks(ctx, code, message)
}

// Task returns one task of a gallery.
func (s *Service) Task(ctx context.Context, gallery, id int64) (store.Task, error) {
	return s.store.Task(ctx, gallery, id)
}
