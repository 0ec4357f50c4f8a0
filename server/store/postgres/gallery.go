package postgres

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/pixmatch/pixmatch/server/store"
)

const galleryColumns = `id, name, app_id, version, capacity, qps, daily_searches, dau, suspended, created`

// CreateGallery stores g and returns it as stored. The store assigns an ID
// when g.ID is zero and the creation time when g.Created is zero; the
// version of a new gallery is always 0. An empty Name or AppID is stored as
// absent, so several galleries may leave the same one unset. A gallery
// given its ID moves the sequence of IDs past it, so that later galleries
// do not collide with it.
func (s *Store) CreateGallery(ctx context.Context, g store.Gallery) (store.Gallery, error) {
	g.Version = 0
	if g.Created == 0 {
		g.Created = now()
	}
	err := s.write(ctx, func(tx pgx.Tx) error {
		err := tx.QueryRow(ctx, `INSERT INTO galleries
			(id, name, app_id, version, capacity, qps, daily_searches, dau, suspended, created)
			VALUES (COALESCE($1, nextval('galleries_id_seq')), $2, $3, 0, $4, $5, $6, $7, $8, $9) RETURNING id`,
			nullID(g.ID), nullString(g.Name), nullString(g.AppID),
			g.Capacity, g.QPS, g.DailySearches, g.DAU, g.Suspended, g.Created,
		).Scan(&g.ID)
		if err != nil {
			return err
		}
		_, err = tx.Exec(ctx, `SELECT setval('galleries_id_seq', $1) WHERE $1 > (SELECT last_value FROM galleries_id_seq)`, g.ID)
		return err
	})
	if err != nil {
		return store.Gallery{}, fmt.Errorf("postgres: create gallery %q: %w", g.Name, storeError(err))
	}
	return g, nil
}

// UpdateGallery saves the limits and flags of g; its name, app ID, version
// and creation time are left as stored.
func (s *Store) UpdateGallery(ctx context.Context, g store.Gallery) error {
	err := s.write(ctx, func(tx pgx.Tx) error {
		return mustAffect(tx.Exec(ctx, `UPDATE galleries
			SET capacity = $1, qps = $2, daily_searches = $3, dau = $4, suspended = $5
			WHERE id = $6`,
			g.Capacity, g.QPS, g.DailySearches, g.DAU, g.Suspended, g.ID))
	})
	if err != nil {
		return fmt.Errorf("postgres: update gallery %d: %w", g.ID, storeError(err))
	}
	return nil
}

// DeleteGallery removes the gallery with its targets, the keys bound to it,
// its tasks and its change log, in one transaction. It locks the gallery's
// row first, as every write of the gallery does.
func (s *Store) DeleteGallery(ctx context.Context, id int64) error {
	err := s.write(ctx, func(tx pgx.Tx) error {
		var locked int64
		if err := tx.QueryRow(ctx, `SELECT id FROM galleries WHERE id = $1 FOR UPDATE`, id).Scan(&locked); err != nil {
			return err
		}
		for _, q := range []string{
			`DELETE FROM changes WHERE gallery_id = $1`,
			`DELETE FROM targets WHERE gallery_id = $1`,
			`DELETE FROM keys WHERE gallery_id = $1`,
			`DELETE FROM tasks WHERE gallery_id = $1`,
		} {
			if _, err := tx.Exec(ctx, q, id); err != nil {
				return err
			}
		}
		return mustAffect(tx.Exec(ctx, `DELETE FROM galleries WHERE id = $1`, id))
	})
	if err != nil {
		return fmt.Errorf("postgres: delete gallery %d: %w", id, storeError(err))
	}
	return nil
}

// Gallery returns the gallery with the given ID.
func (s *Store) Gallery(ctx context.Context, id int64) (store.Gallery, error) {
	g, err := scanGallery(s.pool.QueryRow(ctx, `SELECT `+galleryColumns+` FROM galleries WHERE id = $1`, id))
	if err != nil {
		return store.Gallery{}, fmt.Errorf("postgres: gallery %d: %w", id, storeError(err))
	}
	return g, nil
}

// GalleryByName returns the gallery with the given name.
func (s *Store) GalleryByName(ctx context.Context, name string) (store.Gallery, error) {
	g, err := scanGallery(s.pool.QueryRow(ctx, `SELECT `+galleryColumns+` FROM galleries WHERE name = $1`, name))
	if err != nil {
		return store.Gallery{}, fmt.Errorf("postgres: gallery named %q: %w", name, storeError(err))
	}
	return g, nil
}

// GalleryByAppID returns the gallery with the given CRS app ID.
func (s *Store) GalleryByAppID(ctx context.Context, appID string) (store.Gallery, error) {
	g, err := scanGallery(s.pool.QueryRow(ctx, `SELECT `+galleryColumns+` FROM galleries WHERE app_id = $1`, appID))
	if err != nil {
		return store.Gallery{}, fmt.Errorf("postgres: gallery with app ID %q: %w", appID, storeError(err))
	}
	return g, nil
}

// Galleries returns every gallery in ID order.
func (s *Store) Galleries(ctx context.Context) ([]store.Gallery, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+galleryColumns+` FROM galleries ORDER BY id`)
	gs, err := collect(rows, err, scanGallery)
	if err != nil {
		return nil, fmt.Errorf("postgres: galleries: %w", err)
	}
	return gs, nil
}

func scanGallery(row pgx.Row) (store.Gallery, error) {
	var (
		g           store.Gallery
		name, appID *string
	)
	err := row.Scan(&g.ID, &name, &appID, &g.Version, &g.Capacity, &g.QPS, &g.DailySearches,
		&g.DAU, &g.Suspended, &g.Created)
	if name != nil {
		g.Name = *name
	}
	if appID != nil {
		g.AppID = *appID
	}
	return g, err
}

// CreateKey stores k. The store sets the creation time when k.Created is
// zero. A key bound to a gallery that does not exist is refused with
// store.ErrNotFound.
func (s *Store) CreateKey(ctx context.Context, k store.Key) error {
	if k.Created == 0 {
		k.Created = now()
	}
	err := s.write(ctx, func(tx pgx.Tx) error {
		_, err := tx.Exec(ctx, `INSERT INTO keys (id, secret, gallery_id, created) VALUES ($1, $2, $3, $4)`,
			k.ID, k.Secret, nullID(k.Gallery), k.Created)
		return err
	})
	if err != nil {
		return fmt.Errorf("postgres: create key %s: %w", k.ID, storeError(err))
	}
	return nil
}

// Key returns the key with the given ID.
func (s *Store) Key(ctx context.Context, id string) (store.Key, error) {
	k, err := scanKey(s.pool.QueryRow(ctx, `SELECT id, secret, gallery_id, created FROM keys WHERE id = $1`, id))
	if err != nil {
		return store.Key{}, fmt.Errorf("postgres: key %s: %w", id, storeError(err))
	}
	return k, nil
}

// Keys returns every key, oldest first.
func (s *Store) Keys(ctx context.Context) ([]store.Key, error) {
	rows, err := s.pool.Query(ctx, `SELECT id, secret, gallery_id, created FROM keys ORDER BY created, id`)
	ks, err := collect(rows, err, scanKey)
	if err != nil {
		return nil, fmt.Errorf("postgres: keys: %w", err)
	}
	return ks, nil
}

func scanKey(row pgx.Row) (store.Key, error) {
	var (
		k       store.Key
		gallery *int64
	)
	err := row.Scan(&k.ID, &k.Secret, &gallery, &k.Created)
	if gallery != nil {
		k.Gallery = *gallery
	}
	return k, err
}

// DeleteKey removes the key with the given ID.
func (s *Store) DeleteKey(ctx context.Context, id string) error {
	err := s.write(ctx, func(tx pgx.Tx) error {
		return mustAffect(tx.Exec(ctx, `DELETE FROM keys WHERE id = $1`, id))
	})
	if err != nil {
		return fmt.Errorf("postgres: delete key %s: %w", id, storeError(err))
	}
	return nil
}

// Setting returns the server-wide value saved under name.
func (s *Store) Setting(ctx context.Context, name string) (string, error) {
	var v string
	err := s.pool.QueryRow(ctx, `SELECT value FROM settings WHERE name = $1`, name).Scan(&v)
	if err != nil {
		return "", fmt.Errorf("postgres: setting %q: %w", name, storeError(err))
	}
	return v, nil
}

// PutSetting saves value under name, replacing any earlier value.
func (s *Store) PutSetting(ctx context.Context, name, value string) error {
	err := s.write(ctx, func(tx pgx.Tx) error {
		_, err := tx.Exec(ctx, `INSERT INTO settings (name, value) VALUES ($1, $2)
			ON CONFLICT (name) DO UPDATE SET value = excluded.value`, name, value)
		return err
	})
	if err != nil {
		return fmt.Errorf("postgres: put setting %q: %w", name, err)
	}
	return nil
}
