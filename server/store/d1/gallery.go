package d1

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/pixmatch/pixmatch/server/store"
)

const galleryColumns = `id, name, app_id, version, capacity, qps, daily_searches, dau, suspended, created`

// CreateGallery stores g and returns it as stored: an ID assigned when
// g.ID is zero, the creation time when g.Created is zero, version 0. An
// empty Name or AppID is stored as absent.
func (s *Store) CreateGallery(ctx context.Context, g store.Gallery) (store.Gallery, error) {
	g.Version = 0
	if g.Created == 0 {
		g.Created = s.at()
	}
	err := s.db.QueryRowContext(ctx, `INSERT INTO galleries (`+galleryColumns+`)
		VALUES (?, ?, ?, 0, ?, ?, ?, ?, ?, ?) RETURNING id`,
		nullID(g.ID), nullString(g.Name), nullString(g.AppID),
		g.Capacity, g.QPS, g.DailySearches, boolInt(g.DAU), boolInt(g.Suspended), g.Created,
	).Scan(&g.ID)
	if err != nil {
		return store.Gallery{}, fmt.Errorf("d1: create gallery %q: %w", g.Name, storeError(err))
	}
	return g, nil
}

// UpdateGallery saves the limits and flags of g.
func (s *Store) UpdateGallery(ctx context.Context, g store.Gallery) error {
	err := mustAffect(s.db.ExecContext(ctx, `UPDATE galleries
		SET capacity = ?, qps = ?, daily_searches = ?, dau = ?, suspended = ? WHERE id = ?`,
		g.Capacity, g.QPS, g.DailySearches, boolInt(g.DAU), boolInt(g.Suspended), g.ID))
	if err != nil {
		return fmt.Errorf("d1: update gallery %d: %w", g.ID, storeError(err))
	}
	return nil
}

// DeleteGallery removes the gallery: one statement, whose trigger removes
// its targets, codes, change log, keys and tasks; then the blobs its
// targets referred to.
func (s *Store) DeleteGallery(ctx context.Context, id int64) error {
	keys, err := s.blobKeys(ctx, `WHERE gallery_id = ?`, id)
	if err != nil {
		return fmt.Errorf("d1: delete gallery %d: %w", id, err)
	}
	if err := mustAffect(s.db.ExecContext(ctx, `DELETE FROM galleries WHERE id = ?`, id)); err != nil {
		return fmt.Errorf("d1: delete gallery %d: %w", id, storeError(err))
	}
	if err := s.blobs.Delete(ctx, keys...); err != nil {
		return fmt.Errorf("d1: delete gallery %d: its blobs: %w", id, err)
	}
	return nil
}

// Gallery returns the gallery with the given ID.
func (s *Store) Gallery(ctx context.Context, id int64) (store.Gallery, error) {
	return s.galleryWhere(ctx, `id = ?`, id)
}

// GalleryByName returns the gallery with the given name.
func (s *Store) GalleryByName(ctx context.Context, name string) (store.Gallery, error) {
	return s.galleryWhere(ctx, `name = ?`, name)
}

// GalleryByAppID returns the gallery with the given CRS app ID.
func (s *Store) GalleryByAppID(ctx context.Context, appID string) (store.Gallery, error) {
	return s.galleryWhere(ctx, `app_id = ?`, appID)
}

func (s *Store) galleryWhere(ctx context.Context, cond string, arg any) (store.Gallery, error) {
	g, err := scanGallery(s.db.QueryRowContext(ctx, `SELECT `+galleryColumns+` FROM galleries WHERE `+cond, arg))
	if err != nil {
		return store.Gallery{}, fmt.Errorf("d1: gallery where %s %v: %w", cond, arg, storeError(err))
	}
	return g, nil
}

// Galleries returns every gallery in ID order.
func (s *Store) Galleries(ctx context.Context) ([]store.Gallery, error) {
	gs, err := queryAll(ctx, s.db, scanGallery, `SELECT `+galleryColumns+` FROM galleries ORDER BY id`)
	if err != nil {
		return nil, fmt.Errorf("d1: galleries: %w", err)
	}
	return gs, nil
}

func scanGallery(sc scanner) (store.Gallery, error) {
	var (
		g                    store.Gallery
		name, appID          sql.NullString
		capacity, qps, daily int64
	)
	err := sc.Scan(&g.ID, &name, &appID, &g.Version, &capacity, &qps, &daily, &g.DAU, &g.Suspended, &g.Created)
	g.Name, g.AppID = name.String, appID.String
	g.Capacity, g.QPS, g.DailySearches = int(capacity), int(qps), int(daily)
	return g, err
}

// CreateKey stores k; a key bound to a gallery that does not exist is
// refused with store.ErrNotFound (checked in the insert itself).
func (s *Store) CreateKey(ctx context.Context, k store.Key) error {
	if k.Created == 0 {
		k.Created = s.at()
	}
	err := mustAffect(s.db.ExecContext(ctx, `INSERT INTO keys (id, secret, gallery_id, created)
		SELECT ?, ?, ?, ? WHERE ? IS NULL OR EXISTS (SELECT 1 FROM galleries WHERE id = ?)`,
		k.ID, k.Secret, nullID(k.Gallery), k.Created, nullID(k.Gallery), k.Gallery))
	if err != nil {
		return fmt.Errorf("d1: create key %s: %w", k.ID, storeError(err))
	}
	return nil
}

// Key returns the key with the given ID.
func (s *Store) Key(ctx context.Context, id string) (store.Key, error) {
	k, err := scanKey(s.db.QueryRowContext(ctx, `SELECT id, secret, gallery_id, created FROM keys WHERE id = ?`, id))
	if err != nil {
		return store.Key{}, fmt.Errorf("d1: key %s: %w", id, storeError(err))
	}
	return k, nil
}

// Keys returns every key, oldest first.
func (s *Store) Keys(ctx context.Context) ([]store.Key, error) {
	ks, err := queryAll(ctx, s.db, scanKey, `SELECT id, secret, gallery_id, created FROM keys ORDER BY created, id`)
	if err != nil {
		return nil, fmt.Errorf("d1: keys: %w", err)
	}
	return ks, nil
}

func scanKey(sc scanner) (store.Key, error) {
	var (
		k       store.Key
		gallery sql.NullInt64
	)
	err := sc.Scan(&k.ID, &k.Secret, &gallery, &k.Created)
	k.Gallery = gallery.Int64
	return k, err
}

// DeleteKey removes the key with the given ID.
func (s *Store) DeleteKey(ctx context.Context, id string) error {
	if err := mustAffect(s.db.ExecContext(ctx, `DELETE FROM keys WHERE id = ?`, id)); err != nil {
		return fmt.Errorf("d1: delete key %s: %w", id, storeError(err))
	}
	return nil
}

// Setting returns the server-wide value saved under name.
func (s *Store) Setting(ctx context.Context, name string) (string, error) {
	if v, ok := s.settings.get(name, s.now()); ok {
		return v, nil
	}
	var v string
	if err := s.db.QueryRowContext(ctx, `SELECT value FROM settings WHERE name = ?`, name).Scan(&v); err != nil {
		return "", fmt.Errorf("d1: setting %q: %w", name, storeError(err))
	}
	s.settings.put(name, v, s.now())
	return v, nil
}

// PutSetting saves value under name, replacing any earlier value.
func (s *Store) PutSetting(ctx context.Context, name, value string) error {
	_, err := s.db.ExecContext(ctx, `INSERT INTO settings (name, value) VALUES (?, ?)
		ON CONFLICT (name) DO UPDATE SET value = excluded.value`, name, value)
	s.settings.drop(name) // the next Setting reads what D1 holds, whoever wrote last
	if err != nil {
		return fmt.Errorf("d1: put setting %q: %w", name, err)
	}
	return nil
}
