package observed

// Each method below calls the wrapped store's and reports its failure in
// the same way; the assertion keeps them in step with store.Store.

import (
	"context"

	"github.com/pixmatch/pixmatch/server/store"
)

var _ store.Store = (*Store)(nil)

// CreateGallery is the wrapped store's, its failure reported.
func (s *Store) CreateGallery(ctx context.Context, g store.Gallery) (store.Gallery, error) {
	r0, err := s.Store.CreateGallery(ctx, g)
	return r0, s.note("CreateGallery", err, nil)
}

// UpdateGallery is the wrapped store's, its failure reported.
func (s *Store) UpdateGallery(ctx context.Context, g store.Gallery) error {
	return s.note("UpdateGallery", s.Store.UpdateGallery(ctx, g), nil)
}

// DeleteGallery is the wrapped store's, its failure reported.
func (s *Store) DeleteGallery(ctx context.Context, id int64) error {
	return s.note("DeleteGallery", s.Store.DeleteGallery(ctx, id), nil)
}

// Gallery is the wrapped store's, its failure reported.
func (s *Store) Gallery(ctx context.Context, id int64) (store.Gallery, error) {
	r0, err := s.Store.Gallery(ctx, id)
	return r0, s.note("Gallery", err, nil)
}

// GalleryByName is the wrapped store's, its failure reported.
func (s *Store) GalleryByName(ctx context.Context, name string) (store.Gallery, error) {
	r0, err := s.Store.GalleryByName(ctx, name)
	return r0, s.note("GalleryByName", err, nil)
}

// GalleryByAppID is the wrapped store's, its failure reported.
func (s *Store) GalleryByAppID(ctx context.Context, appID string) (store.Gallery, error) {
	r0, err := s.Store.GalleryByAppID(ctx, appID)
	return r0, s.note("GalleryByAppID", err, nil)
}

// Galleries is the wrapped store's, its failure reported.
func (s *Store) Galleries(ctx context.Context) ([]store.Gallery, error) {
	r0, err := s.Store.Galleries(ctx)
	return r0, s.note("Galleries", err, nil)
}

// CreateKey is the wrapped store's, its failure reported.
func (s *Store) CreateKey(ctx context.Context, k store.Key) error {
	return s.note("CreateKey", s.Store.CreateKey(ctx, k), nil)
}

// Key is the wrapped store's, its failure reported.
func (s *Store) Key(ctx context.Context, id string) (store.Key, error) {
	r0, err := s.Store.Key(ctx, id)
	return r0, s.note("Key", err, nil)
}

// Keys is the wrapped store's, its failure reported.
func (s *Store) Keys(ctx context.Context) ([]store.Key, error) {
	r0, err := s.Store.Keys(ctx)
	return r0, s.note("Keys", err, nil)
}

// DeleteKey is the wrapped store's, its failure reported.
func (s *Store) DeleteKey(ctx context.Context, id string) error {
	return s.note("DeleteKey", s.Store.DeleteKey(ctx, id), nil)
}

// CreateTarget is the wrapped store's, its failure reported.
func (s *Store) CreateTarget(ctx context.Context, t store.Target) (int64, error) {
	r0, err := s.Store.CreateTarget(ctx, t)
	return r0, s.note("CreateTarget", err, nil)
}

// UpdateTarget is the wrapped store's, its failure reported.
func (s *Store) UpdateTarget(ctx context.Context, t store.Target) (int64, error) {
	r0, err := s.Store.UpdateTarget(ctx, t)
	return r0, s.note("UpdateTarget", err, nil)
}

// DeleteTargets is the wrapped store's, its failure reported.
func (s *Store) DeleteTargets(ctx context.Context, gallery int64, ids []string) (int64, error) {
	r0, err := s.Store.DeleteTargets(ctx, gallery, ids)
	return r0, s.note("DeleteTargets", err, nil)
}

// Target is the wrapped store's, its failure reported.
func (s *Store) Target(ctx context.Context, gallery int64, id string, image bool) (store.Target, error) {
	r0, err := s.Store.Target(ctx, gallery, id, image)
	return r0, s.note("Target", err, nil)
}

// TargetsByID is the wrapped store's, its failure reported.
func (s *Store) TargetsByID(ctx context.Context, gallery int64, ids []string, image bool) ([]store.Target, error) {
	r0, err := s.Store.TargetsByID(ctx, gallery, ids, image)
	return r0, s.note("TargetsByID", err, nil)
}

// TargetFeatures is the wrapped store's, its failure reported.
func (s *Store) TargetFeatures(ctx context.Context, gallery int64, ids []string) (map[string][]byte, error) {
	r0, err := s.Store.TargetFeatures(ctx, gallery, ids)
	return r0, s.note("TargetFeatures", err, nil)
}

// EachFeatures is the wrapped store's, its failure reported.
func (s *Store) EachFeatures(ctx context.Context, gallery int64, fn func(id string, features []byte) error) error {
	var own error // what fn returned: the caller's, not a failure of the store
	fnOwn := func(a0 string, a1 []byte) error {
		own = fn(a0, a1)
		return own
	}
	err := s.Store.EachFeatures(ctx, gallery, fnOwn)
	return s.note("EachFeatures", err, own)
}

// SetFeatures is the wrapped store's, its failure reported.
func (s *Store) SetFeatures(ctx context.Context, gallery int64, id string, features []byte) error {
	return s.note("SetFeatures", s.Store.SetFeatures(ctx, gallery, id, features), nil)
}

// TargetByImage is the wrapped store's, its failure reported.
func (s *Store) TargetByImage(ctx context.Context, gallery int64, sha256 [32]byte) (store.Target, error) {
	r0, err := s.Store.TargetByImage(ctx, gallery, sha256)
	return r0, s.note("TargetByImage", err, nil)
}

// TargetByImageAndName is the wrapped store's, its failure reported.
func (s *Store) TargetByImageAndName(ctx context.Context, gallery int64, sha256 [32]byte, name string, except string) (store.Target, error) {
	r0, err := s.Store.TargetByImageAndName(ctx, gallery, sha256, name, except)
	return r0, s.note("TargetByImageAndName", err, nil)
}

// TargetBySeq is the wrapped store's, its failure reported.
func (s *Store) TargetBySeq(ctx context.Context, gallery int64, seq int64) (store.Target, error) {
	r0, err := s.Store.TargetBySeq(ctx, gallery, seq)
	return r0, s.note("TargetBySeq", err, nil)
}

// TargetByName is the wrapped store's, its failure reported.
func (s *Store) TargetByName(ctx context.Context, gallery int64, productID string, picName string) (store.Target, error) {
	r0, err := s.Store.TargetByName(ctx, gallery, productID, picName)
	return r0, s.note("TargetByName", err, nil)
}

// ProductTargets is the wrapped store's, its failure reported.
func (s *Store) ProductTargets(ctx context.Context, gallery int64, productID string) ([]store.Target, error) {
	r0, err := s.Store.ProductTargets(ctx, gallery, productID)
	return r0, s.note("ProductTargets", err, nil)
}

// Targets is the wrapped store's, its failure reported.
func (s *Store) Targets(ctx context.Context, gallery int64, p store.Page) ([]store.Target, error) {
	r0, err := s.Store.Targets(ctx, gallery, p)
	return r0, s.note("Targets", err, nil)
}

// CountTargets is the wrapped store's, its failure reported.
func (s *Store) CountTargets(ctx context.Context, gallery int64) (int, error) {
	r0, err := s.Store.CountTargets(ctx, gallery)
	return r0, s.note("CountTargets", err, nil)
}

// EachTarget is the wrapped store's, its failure reported.
func (s *Store) EachTarget(ctx context.Context, gallery int64, fn func(store.Target) error) error {
	var own error // what fn returned: the caller's, not a failure of the store
	fnOwn := func(a0 store.Target) error {
		own = fn(a0)
		return own
	}
	err := s.Store.EachTarget(ctx, gallery, fnOwn)
	return s.note("EachTarget", err, own)
}

// Snapshot is the wrapped store's, its failure reported.
func (s *Store) Snapshot(ctx context.Context, gallery int64, fn func(store.Target) error) (int64, error) {
	var own error // what fn returned: the caller's, not a failure of the store
	fnOwn := func(a0 store.Target) error {
		own = fn(a0)
		return own
	}
	r0, err := s.Store.Snapshot(ctx, gallery, fnOwn)
	return r0, s.note("Snapshot", err, own)
}

// Changes is the wrapped store's, its failure reported.
func (s *Store) Changes(ctx context.Context, gallery int64, since int64, limit int) ([]store.Change, error) {
	r0, err := s.Store.Changes(ctx, gallery, since, limit)
	return r0, s.note("Changes", err, nil)
}

// CreateTask is the wrapped store's, its failure reported.
func (s *Store) CreateTask(ctx context.Context, t store.Task) (store.Task, error) {
	r0, err := s.Store.CreateTask(ctx, t)
	return r0, s.note("CreateTask", err, nil)
}

// UpdateTask is the wrapped store's, its failure reported.
func (s *Store) UpdateTask(ctx context.Context, t store.Task) error {
	return s.note("UpdateTask", s.Store.UpdateTask(ctx, t), nil)
}

// Task is the wrapped store's, its failure reported.
func (s *Store) Task(ctx context.Context, gallery int64, id int64) (store.Task, error) {
	r0, err := s.Store.Task(ctx, gallery, id)
	return r0, s.note("Task", err, nil)
}

// Tasks is the wrapped store's, its failure reported.
func (s *Store) Tasks(ctx context.Context, gallery int64, kind store.TaskKind, p store.Page) ([]store.Task, int, error) {
	r0, r1, err := s.Store.Tasks(ctx, gallery, kind, p)
	return r0, r1, s.note("Tasks", err, nil)
}

// FailRunningTasks is the wrapped store's, its failure reported.
func (s *Store) FailRunningTasks(ctx context.Context, code string, message string) (int, error) {
	r0, err := s.Store.FailRunningTasks(ctx, code, message)
	return r0, s.note("FailRunningTasks", err, nil)
}

// Setting is the wrapped store's, its failure reported.
func (s *Store) Setting(ctx context.Context, name string) (string, error) {
	r0, err := s.Store.Setting(ctx, name)
	return r0, s.note("Setting", err, nil)
}

// PutSetting is the wrapped store's, its failure reported.
func (s *Store) PutSetting(ctx context.Context, name string, value string) error {
	return s.note("PutSetting", s.Store.PutSetting(ctx, name, value), nil)
}
