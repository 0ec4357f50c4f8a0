package sqlite

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/pixmatch/pixmatch/server/store"
)

const galleryColumns = `id, name, app_id, version, capacity, qps, daily_searches, dau, suspended, created`

// CreateGallery stores g and returns it as stored. The store assigns an ID
// when g.ID is zero and the creation time when g.Created is zero; the
// version of a new gallery is always 0. An empty Name or AppID is stored as
// absent, so several galleries may leave the same one unset.
func (s *Store) CreateGallery(ctx context.Context, g store.Gallery) (store.Gallery, error) {
	g.Version = 0
	if g.Created == 0 {
		g.Created = now()
	}
	err := s.write(ctx, func(tx *sql.Tx) error {
		return tx.QueryRowContext(ctx, `INSERT INTO galleries
			(id, name, app_id, version, capacity, qps, daily_searches, dau, suspended, created)
			VALUES (?, ?, ?, 0, ?, ?, ?, ?, ?, ?) RETURNING id`,
			nullID(g.ID), nullString(g.Name), nullString(g.AppID),
			g.Capacity, g.QPS, g.DailySearches, boolInt(g.DAU), boolInt(g.Suspended), g.Created,
		).Scan(&g.ID)
	})
	if err != nil {
		return store.Gallery{}, fmt.Errorf("sqlite: create gallery %q: %w", g.Name, storeError(err))
	}
	return g, nil
}

// UpdateGallery saves the limits and flags of g; its name, app ID, version
// and creation time are left as stored.
func (s *Store) UpdateGallery(ctx context.Context, g store.Gallery) error {
	err := s.write(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE galleries
			SET capacity = ?, qps = ?, daily_searches = ?, dau = ?, suspended = ?
			WHERE id = ?`,
			g.Capacity, g.QPS, g.DailySearches, boolInt(g.DAU), boolInt(g.Suspended), g.ID)
		return mustAffect(res, err)
	})
	if err != nil {
		return fmt.Errorf("sqlite: update gallery %d: %w", g.ID, storeError(err))
	}
	return nil
}

// DeleteGallery removes the gallery with its targets, the keys bound to it
// and its change log, in one transaction.
func (s *Store) DeleteGallery(ctx context.Context, id int64) error {
	err := s.write(ctx, func(tx *sql.Tx) error {
		// Explicit deletes rather than relying on ON DELETE CASCADE alone,
		// so the outcome does not depend on foreign keys being enforced.
		for _, q := range []string{
			`DELETE FROM changes WHERE gallery_id = ?`,
			`DELETE FROM targets WHERE gallery_id = ?`,
			`DELETE FROM keys WHERE gallery_id = ?`,
			`DELETE FROM tasks WHERE gallery_id = ?`,
		} {
			if _, err := tx.ExecContext(ctx, q, id); err != nil {
				return err
			}
		}
		return mustAffect(tx.ExecContext(ctx, `DELETE FROM galleries WHERE id = ?`, id))
	})
	if err != nil {
		return fmt.Errorf("sqlite: delete gallery %d: %w", id, storeError(err))
	}
	return nil
}

// Gallery returns the gallery with the given ID.
func (s *Store) Gallery(ctx context.Context, id int64) (store.Gallery, error) {
	g, err := scanGallery(s.reader.QueryRowContext(ctx,
		`SELECT `+galleryColumns+` FROM galleries WHERE id = ?`, id))
	if err != nil {
		return store.Gallery{}, fmt.Errorf("sqlite: gallery %d: %w", id, storeError(err))
	}
	return g, nil
}

// GalleryByName returns the gallery with the given name.
func (s *Store) GalleryByName(ctx context.Context, name string) (store.Gallery, error) {
	g, err := scanGallery(s.reader.QueryRowContext(ctx,
		`SELECT `+galleryColumns+` FROM galleries WHERE name = ?`, name))
	if err != nil {
		return store.Gallery{}, fmt.Errorf("sqlite: gallery named %q: %w", name, storeError(err))
	}
	return g, nil
}

// GalleryByAppID returns the gallery with the given CRS app ID.
func (s *Store) GalleryByAppID(ctx context.Context, appID string) (store.Gallery, error) {
	g, err := scanGallery(s.reader.QueryRowContext(ctx,
		`SELECT `+galleryColumns+` FROM galleries WHERE app_id = ?`, appID))
	if err != nil {
		return store.Gallery{}, fmt.Errorf("sqlite: gallery with app ID %q: %w", appID, storeError(err))
	}
	return g, nil
}

// Galleries returns every gallery in ID order.
func (s *Store) Galleries(ctx context.Context) ([]store.Gallery, error) {
	rows, err := s.reader.QueryContext(ctx, `SELECT `+galleryColumns+` FROM galleries ORDER BY id`)
	if err != nil {
		return nil, fmt.Errorf("sqlite: galleries: %w", err)
	}
	defer rows.Close()
	var gs []store.Gallery
	for rows.Next() {
		g, err := scanGallery(rows)
		if err != nil {
			return nil, fmt.Errorf("sqlite: galleries: %w", err)
		}
		gs = append(gs, g)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlite: galleries: %w", err)
	}
	return gs, nil
}

// scanner is a *sql.Row or *sql.Rows.
type scanner interface {
	Scan(dest ...any) error
}

func scanGallery(sc scanner) (store.Gallery, error) {
	var (
		g           store.Gallery
		name, appID sql.NullString
		capacity    int64
		qps         int64
		daily       int64
	)
	err := sc.Scan(&g.ID, &name, &appID, &g.Version, &capacity, &qps, &daily,
		&g.DAU, &g.Suspended, &g.Created)
	g.Name, g.AppID = name.String, appID.String
	g.Capacity, g.QPS, g.DailySearches = int(capacity), int(qps), int(daily)
	return g, err
}

// CreateKey stores k. The store sets the creation time when k.Created is
// zero. A key bound to a gallery that does not exist is refused with
// store.ErrNotFound.
func (s *Store) CreateKey(ctx context.Context, k store.Key) error {
	if k.Created == 0 {
		k.Created = now()
	}
	err := s.write(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx,
			`INSERT INTO keys (id, secret, gallery_id, created) VALUES (?, ?, ?, ?)`,
			k.ID, k.Secret, nullID(k.Gallery), k.Created)
		return err
	})
	if err != nil {
		return fmt.Errorf("sqlite: create key %s: %w", k.ID, storeError(err))
	}
	return nil
}

// Key returns the key with the given ID.
func (s *Store) Key(ctx context.Context, id string) (store.Key, error) {
	k, err := scanKey(s.reader.QueryRowContext(ctx,
		`SELECT id, secret, gallery_id, created FROM keys WHERE id = ?`, id))
	if err != nil {
		return store.Key{}, fmt.Errorf("sqlite: key %s: %w", id, storeError(err))
	}
	return k, nil
}

// Keys returns every key, oldest first.
func (s *Store) Keys(ctx context.Context) ([]store.Key, error) {
	rows, err := s.reader.QueryContext(ctx,
		`SELECT id, secret, gallery_id, created FROM keys ORDER BY created, id`)
	if err != nil {
		return nil, fmt.Errorf("sqlite: keys: %w", err)
	}
	defer rows.Close()
	var ks []store.Key
	for rows.Next() {
		k, err := scanKey(rows)
		if err != nil {
			return nil, fmt.Errorf("sqlite: keys: %w", err)
		}
		ks = append(ks, k)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlite: keys: %w", err)
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
	err := s.write(ctx, func(tx *sql.Tx) error {
		return mustAffect(tx.ExecContext(ctx, `DELETE FROM keys WHERE id = ?`, id))
	})
	if err != nil {
		return fmt.Errorf("sqlite: delete key %s: %w", id, storeError(err))
	}
	return nil
}

// Setting returns the server-wide value saved under name.
func (s *Store) Setting(ctx context.Context, name string) (string, error) {
	var v string
	err := s.reader.QueryRowContext(ctx, `SELECT value FROM settings WHERE name = ?`, name).Scan(&v)
	if err != nil {
		return "", fmt.Errorf("sqlite: setting %q: %w", name, storeError(err))
	}
	return v, nil
}

// PutSetting saves value under name, replacing any earlier value.
func (s *Store) PutSetting(ctx context.Context, name, value string) error {
	err := s.write(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO settings (name, value) VALUES (?, ?)
			ON CONFLICT (name) DO UPDATE SET value = excluded.value`, name, value)
		return err
	})
	if err != nil {
		return fmt.Errorf("sqlite: put setting %q: %w", name, err)
	}
	return nil
}

// mustAffect turns a statement that changed no row into sql.ErrNoRows, so
// that storeError reports it as store.ErrNotFound.
func mustAffect(res sql.Result, err error) error {
	if err != nil {
		return err
	}
	n, err := res.RowsAffected()
	if err != nil {
		return err
	}
	if n == 0 {
		return sql.ErrNoRows
	}
	return nil
}
