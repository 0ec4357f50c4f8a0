package postgres

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/pixmatch/pixmatch/server/store"
)

// Target returns one target of the gallery; its image only when image is
// true.
func (s *Store) Target(ctx context.Context, gallery int64, id string, image bool) (store.Target, error) {
	query := selectTargetSQL
	if image {
		query = selectTargetImageSQL
	}
	var t store.Target
	row := s.pool.QueryRow(ctx, query+` WHERE gallery_id = $1 AND id = $2`, gallery, id)
	if err := scanTarget(row, &t, image); err != nil {
		return store.Target{}, fmt.Errorf("postgres: target %s of gallery %d: %w", id, gallery, storeError(err))
	}
	return t, nil
}

// TargetsByID returns the targets of the gallery with the given IDs that
// exist, in the order of ids (a repeated ID once), their images only when
// image is true, in one query: the IDs travel as one array parameter.
func (s *Store) TargetsByID(ctx context.Context, gallery int64, ids []string, image bool) ([]store.Target, error) {
	ids = unique(ids)
	if len(ids) == 0 {
		return nil, nil
	}
	query := selectTargetSQL
	if image {
		query = selectTargetImageSQL
	}
	rows, err := s.pool.Query(ctx, query+` WHERE gallery_id = $1 AND id = ANY($2)`, gallery, ids)
	ts, err := scanTargets(rows, err, image)
	if err != nil {
		return nil, fmt.Errorf("postgres: %d targets of gallery %d: %w", len(ids), gallery, err)
	}
	found := make(map[string]store.Target, len(ts))
	for _, t := range ts {
		found[t.ID] = t
	}
	out := make([]store.Target, 0, len(found))
	for _, id := range ids {
		if t, ok := found[id]; ok {
			out = append(out, t)
		}
	}
	return out, nil
}

// TargetFeatures returns the feature records of the targets with the
// given IDs that have one, in one query (see TargetsByID).
func (s *Store) TargetFeatures(ctx context.Context, gallery int64, ids []string) (map[string][]byte, error) {
	out := map[string][]byte{}
	if len(ids) == 0 {
		return out, nil
	}
	err := s.eachFeatures(ctx, func(id string, f []byte) error {
		out[id] = f
		return nil
	}, `SELECT id, features FROM target_features WHERE gallery_id = $1 AND id = ANY($2)`, gallery, unique(ids))
	if err != nil {
		return nil, fmt.Errorf("postgres: feature records of gallery %d: %w", gallery, err)
	}
	return out, nil
}

// SetFeatures replaces the feature record of an existing target, logging
// no change.
func (s *Store) SetFeatures(ctx context.Context, gallery int64, id string, features []byte) error {
	err := s.write(ctx, func(tx pgx.Tx) error {
		var one int
		if err := tx.QueryRow(ctx, `SELECT 1 FROM targets WHERE gallery_id = $1 AND id = $2`, gallery, id).Scan(&one); err != nil {
			return err
		}
		return putFeatures(ctx, tx, &store.Target{Gallery: gallery, ID: id, Features: features})
	})
	if err != nil {
		return fmt.Errorf("postgres: feature record of target %s: %w", id, storeError(err))
	}
	return nil
}

// EachFeatures calls fn for the feature record of every target of the
// gallery that has one, in no set order, reading rows as fn consumes them.
func (s *Store) EachFeatures(ctx context.Context, gallery int64, fn func(id string, features []byte) error) error {
	var fnErr error
	err := s.eachFeatures(ctx, func(id string, f []byte) error {
		fnErr = fn(id, f)
		return fnErr
	}, `SELECT id, features FROM target_features WHERE gallery_id = $1`, gallery)
	if fnErr != nil {
		return fnErr
	}
	if err != nil {
		return fmt.Errorf("postgres: feature records of gallery %d: %w", gallery, err)
	}
	return nil
}

// eachFeatures calls fn for each (id, features) row of query.
func (s *Store) eachFeatures(ctx context.Context, fn func(string, []byte) error, query string, args ...any) error {
	rows, err := s.pool.Query(ctx, query, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var id string
		var f []byte
		if err := rows.Scan(&id, &f); err != nil {
			return err
		}
		if err := fn(id, f); err != nil {
			return err
		}
	}
	return rows.Err()
}

// TargetByImage returns the oldest target of the gallery whose image has
// the given SHA-256, without its image.
func (s *Store) TargetByImage(ctx context.Context, gallery int64, sha256 [32]byte) (store.Target, error) {
	t, err := s.oneTarget(ctx, ` WHERE gallery_id = $1 AND image_sha256 = $2 ORDER BY created, id LIMIT 1`, gallery, sha256[:])
	if err != nil {
		return store.Target{}, fmt.Errorf("postgres: target of gallery %d with image %x: %w", gallery, sha256[:8], err)
	}
	return t, nil
}

// TargetByImageAndName returns the oldest target of the gallery, other
// than except, whose image has the given SHA-256 and whose name is name,
// without its image.
func (s *Store) TargetByImageAndName(ctx context.Context, gallery int64, sha256 [32]byte, name, except string) (store.Target, error) {
	t, err := s.oneTarget(ctx, ` WHERE gallery_id = $1 AND image_sha256 = $2 AND name = $3 AND id <> $4 ORDER BY created, id LIMIT 1`,
		gallery, sha256[:], name, except)
	if err != nil {
		return store.Target{}, fmt.Errorf("postgres: target %q of gallery %d with image %x: %w", name, gallery, sha256[:8], err)
	}
	return t, nil
}

// TargetBySeq returns the target of the gallery with the given sequence
// number, without its image.
func (s *Store) TargetBySeq(ctx context.Context, gallery, seq int64) (store.Target, error) {
	t, err := s.oneTarget(ctx, ` WHERE gallery_id = $1 AND seq = $2`, gallery, seq)
	if err != nil {
		return store.Target{}, fmt.Errorf("postgres: target #%d of gallery %d: %w", seq, gallery, err)
	}
	return t, nil
}

// TargetByName returns the target of the gallery with the given
// ProductId and PicName, without its image.
func (s *Store) TargetByName(ctx context.Context, gallery int64, productID, picName string) (store.Target, error) {
	t, err := s.oneTarget(ctx, ` WHERE gallery_id = $1 AND product_id = $2 AND pic_name = $3`, gallery, productID, picName)
	if err != nil {
		return store.Target{}, fmt.Errorf("postgres: target %q/%q of gallery %d: %w", productID, picName, gallery, err)
	}
	return t, nil
}

// oneTarget returns the first target, without its image, that the
// condition where selects.
func (s *Store) oneTarget(ctx context.Context, where string, args ...any) (store.Target, error) {
	var t store.Target
	if err := scanTarget(s.pool.QueryRow(ctx, selectTargetSQL+where, args...), &t, false); err != nil {
		return store.Target{}, storeError(err)
	}
	return t, nil
}

// ProductTargets lists the targets of one ProductId, oldest first,
// without their images.
func (s *Store) ProductTargets(ctx context.Context, gallery int64, productID string) ([]store.Target, error) {
	rows, err := s.pool.Query(ctx, selectTargetSQL+` WHERE gallery_id = $1 AND product_id = $2 ORDER BY created, id`, gallery, productID)
	ts, err := scanTargets(rows, err, false)
	if err != nil {
		return nil, fmt.Errorf("postgres: targets of product %q in gallery %d: %w", productID, gallery, err)
	}
	return ts, nil
}

// Targets lists a page of the gallery's targets without their images,
// oldest first (by Created, then ID). A Limit of zero or less means no
// limit; a negative Offset is an error.
func (s *Store) Targets(ctx context.Context, gallery int64, p store.Page) ([]store.Target, error) {
	if p.Offset < 0 {
		return nil, fmt.Errorf("postgres: targets of gallery %d: negative offset %d", gallery, p.Offset)
	}
	rows, err := s.pool.Query(ctx, selectTargetSQL+` WHERE gallery_id = $1 ORDER BY created, id LIMIT $2 OFFSET $3`,
		gallery, limit(p.Limit), p.Offset)
	ts, err := scanTargets(rows, err, false)
	if err != nil {
		return nil, fmt.Errorf("postgres: targets of gallery %d: %w", gallery, err)
	}
	return ts, nil
}

// CountTargets returns how many targets the gallery holds.
func (s *Store) CountTargets(ctx context.Context, gallery int64) (int, error) {
	var n int
	if err := s.pool.QueryRow(ctx, `SELECT COUNT(*) FROM targets WHERE gallery_id = $1`, gallery).Scan(&n); err != nil {
		return 0, fmt.Errorf("postgres: count targets of gallery %d: %w", gallery, err)
	}
	return n, nil
}

// Snapshot calls fn for every target of the gallery, oldest first, within
// one REPEATABLE READ transaction, and returns the gallery's version as
// that transaction sees it: the targets are exactly those of that version.
func (s *Store) Snapshot(ctx context.Context, gallery int64, fn func(store.Target) error) (int64, error) {
	var version int64
	var fnErr error
	err := pgx.BeginTxFunc(ctx, s.pool, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly}, func(tx pgx.Tx) error {
		if err := tx.QueryRow(ctx, `SELECT version FROM galleries WHERE id = $1`, gallery).Scan(&version); err != nil {
			return storeError(err)
		}
		return eachTarget(ctx, tx, func(t store.Target) error {
			fnErr = fn(t)
			return fnErr
		}, selectTargetSQL+` WHERE gallery_id = $1 ORDER BY created, id`, gallery)
	})
	if fnErr != nil {
		return 0, fnErr
	}
	if err != nil {
		return 0, fmt.Errorf("postgres: snapshot of gallery %d: %w", gallery, err)
	}
	return version, nil
}

// EachTarget calls fn for every target of the gallery without its image,
// oldest first, reading rows as fn consumes them. It returns the first
// error fn returns, unwrapped. The rows come from one query, which sees
// one snapshot; fn may call the store meanwhile (on other connections).
func (s *Store) EachTarget(ctx context.Context, gallery int64, fn func(store.Target) error) error {
	var fnErr error
	err := eachTarget(ctx, s.pool, func(t store.Target) error {
		fnErr = fn(t)
		return fnErr
	}, selectTargetSQL+` WHERE gallery_id = $1 ORDER BY created, id`, gallery)
	if fnErr != nil {
		return fnErr
	}
	if err != nil {
		return fmt.Errorf("postgres: each target of gallery %d: %w", gallery, err)
	}
	return nil
}

// querier is a pool or a transaction.
type querier interface {
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
}

// eachTarget calls fn for each target, without its image, that query
// selects.
func eachTarget(ctx context.Context, q querier, fn func(store.Target) error, query string, args ...any) error {
	rows, err := q.Query(ctx, query, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var t store.Target
		if err := scanTarget(rows, &t, false); err != nil {
			return err
		}
		if err := fn(t); err != nil {
			return err
		}
	}
	return rows.Err()
}

// Changes returns up to limit entries of the gallery's change log with a
// version above since, in version order. A limit of zero or less means no
// limit.
func (s *Store) Changes(ctx context.Context, gallery int64, since int64, n int) ([]store.Change, error) {
	rows, err := s.pool.Query(ctx, `SELECT version, target_id, seq, op, at FROM changes
		WHERE gallery_id = $1 AND version > $2 ORDER BY version LIMIT $3`, gallery, since, limit(n))
	cs, err := collect(rows, err, func(row pgx.Row) (store.Change, error) {
		var c store.Change
		var op int16
		err := row.Scan(&c.Version, &c.TargetID, &c.Seq, &op, &c.At)
		c.Op = store.Op(op)
		return c, err
	})
	if err != nil {
		return nil, fmt.Errorf("postgres: changes of gallery %d: %w", gallery, err)
	}
	return cs, nil
}
