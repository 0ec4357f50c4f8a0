package d1

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/pixmatch/pixmatch/server/store"
)

// targetColumns are what scanTarget reads: every column a target is
// answered with, the keys of its blobs instead of their values.
var targetColumns = []string{
	"gallery_id", "id", "created", "seq",
	"modified", "name", "size", "type", "active", "allow_similar",
	"product_id", "pic_name", "category",
	"int_attr1", "int_attr2", "int_attr3", "int_attr4",
	"str_attr1", "str_attr2", "str_attr3", "str_attr4",
	"region", "fingerprint", "grade", "custom_content",
	"meta", "meta_key", "extra", "extra_key",
	"width", "height", "image_sha256", "image_key",
}

// selectTargetSQL selects targetColumns.
var selectTargetSQL = "SELECT " + strings.Join(targetColumns, ", ") + " FROM targets"

// stored is a target read from its row, with the keys of the blobs that
// complete it.
type stored struct {
	store.Target
	metaKey, extraKey, imageKey string
}

func scanTarget(sc scanner) (stored, error) {
	var (
		r                       stored
		t                       = &r.Target
		category, width, height int64
		intAttr                 [4]int64
		sum                     []byte
	)
	err := sc.Scan(
		&t.Gallery, &t.ID, &t.Created, &t.Seq,
		&t.Modified, &t.Name, &t.Size, &t.Type, &t.Active, &t.AllowSimilar,
		&t.ProductID, &t.PicName, &category,
		&intAttr[0], &intAttr[1], &intAttr[2], &intAttr[3],
		&t.StrAttr[0], &t.StrAttr[1], &t.StrAttr[2], &t.StrAttr[3],
		&t.Region, &t.Fingerprint, &t.Grade, &t.CustomContent,
		&t.Meta, &r.metaKey, &t.Extra, &r.extraKey,
		&width, &height, &sum, &r.imageKey,
	)
	if err != nil {
		return r, err
	}
	if len(sum) != len(t.ImageSHA256) {
		return r, fmt.Errorf("target %s: image hash of %d bytes, want %d", t.ID, len(sum), len(t.ImageSHA256))
	}
	copy(t.ImageSHA256[:], sum)
	t.Category = int32(category)
	for i, v := range intAttr {
		t.IntAttr[i] = int32(v)
	}
	t.Width, t.Height = int(width), int(height)
	return r, nil
}

// complete reads the blobs of r that a read answers with: long meta and
// unknown fields always, the picture when image is true.
func (s *Store) complete(ctx context.Context, r stored, image bool) (store.Target, error) {
	t := r.Target
	get := func(key string) (string, error) {
		b, err := s.blobs.Get(ctx, key)
		if err != nil {
			return "", fmt.Errorf("target %s: %w", t.ID, err)
		}
		return string(b), nil
	}
	var err error
	if r.metaKey != "" {
		if t.Meta, err = get(r.metaKey); err != nil {
			return t, err
		}
	}
	if r.extraKey != "" {
		if t.Extra, err = get(r.extraKey); err != nil {
			return t, err
		}
	}
	if image {
		t.Image = []byte{}
		if r.imageKey != "" {
			if t.Image, err = s.blobs.Get(ctx, r.imageKey); err != nil {
				return t, fmt.Errorf("target %s: %w", t.ID, err)
			}
		}
	}
	return t, nil
}

// targets returns the targets a query of selectTargetSQL finds, completed.
func (s *Store) targets(ctx context.Context, image bool, where string, args ...any) ([]store.Target, error) {
	return s.query(ctx, image, selectTargetSQL+" "+where, args...)
}

// query returns the targets a query of selectTargetSQL's columns finds,
// completed.
func (s *Store) query(ctx context.Context, image bool, query string, args ...any) ([]store.Target, error) {
	rows, err := queryAll(ctx, s.db, scanTarget, query, args...)
	if err != nil {
		return nil, err
	}
	return s.completeAll(ctx, rows, image)
}

// completeAll completes each of rs (complete).
func (s *Store) completeAll(ctx context.Context, rs []stored, image bool) ([]store.Target, error) {
	out := make([]store.Target, len(rs))
	for i, r := range rs {
		var err error
		if out[i], err = s.complete(ctx, r, image); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// target returns the one target a query finds, or sql.ErrNoRows.
func (s *Store) target(ctx context.Context, image bool, where string, args ...any) (store.Target, error) {
	r, err := scanTarget(s.db.QueryRowContext(ctx, selectTargetSQL+" "+where, args...))
	if err != nil {
		return store.Target{}, err
	}
	return s.complete(ctx, r, image)
}

// Target returns one target of the gallery; its picture when image is
// true.
func (s *Store) Target(ctx context.Context, gallery int64, id string, image bool) (store.Target, error) {
	t, err := s.target(ctx, image, `WHERE gallery_id = ? AND id = ?`, gallery, id)
	if err != nil {
		return t, fmt.Errorf("d1: target %s of gallery %d: %w", id, gallery, storeError(err))
	}
	return t, nil
}

// TargetsByID returns the targets of the gallery with the given IDs that
// exist, in the order of ids (a repeated ID once), in one query: the IDs
// travel as one JSON parameter, unpacked by json_each, whatever their
// number.
func (s *Store) TargetsByID(ctx context.Context, gallery int64, ids []string, image bool) ([]store.Target, error) {
	ids = unique(ids)
	if len(ids) == 0 {
		return nil, nil
	}
	list, err := json.Marshal(ids)
	if err != nil {
		return nil, err
	}
	ts, err := s.targets(ctx, image, `WHERE gallery_id = ? AND id IN (SELECT value FROM json_each(?))`, gallery, string(list))
	if err != nil {
		return nil, fmt.Errorf("d1: %d targets of gallery %d: %w", len(ids), gallery, err)
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

// TargetByImage returns the oldest target of the gallery whose picture
// has the given SHA-256.
func (s *Store) TargetByImage(ctx context.Context, gallery int64, sha256 [32]byte) (store.Target, error) {
	t, err := s.target(ctx, false, `WHERE gallery_id = ? AND image_sha256 = ? ORDER BY created, id LIMIT 1`, gallery, sha256[:])
	if err != nil {
		return t, fmt.Errorf("d1: target of gallery %d with image %x: %w", gallery, sha256[:8], storeError(err))
	}
	return t, nil
}

// TargetByImageAndName returns the oldest target of the gallery, other
// than except, whose picture has the given SHA-256 and whose name is name.
func (s *Store) TargetByImageAndName(ctx context.Context, gallery int64, sha256 [32]byte, name, except string) (store.Target, error) {
	t, err := s.target(ctx, false, `WHERE gallery_id = ? AND image_sha256 = ? AND name = ? AND id <> ? ORDER BY created, id LIMIT 1`,
		gallery, sha256[:], name, except)
	if err != nil {
		return t, fmt.Errorf("d1: target %q of gallery %d with image %x: %w", name, gallery, sha256[:8], storeError(err))
	}
	return t, nil
}

// TargetBySeq returns the target of the gallery with the given sequence
// number.
func (s *Store) TargetBySeq(ctx context.Context, gallery, seq int64) (store.Target, error) {
	t, err := s.target(ctx, false, `WHERE gallery_id = ? AND seq = ?`, gallery, seq)
	if err != nil {
		return t, fmt.Errorf("d1: target #%d of gallery %d: %w", seq, gallery, storeError(err))
	}
	return t, nil
}

// TargetByName returns the target of the gallery with the given ProductId
// and PicName.
func (s *Store) TargetByName(ctx context.Context, gallery int64, productID, picName string) (store.Target, error) {
	t, err := s.target(ctx, false, `WHERE gallery_id = ? AND product_id = ? AND pic_name = ?`, gallery, productID, picName)
	if err != nil {
		return t, fmt.Errorf("d1: target %q/%q of gallery %d: %w", productID, picName, gallery, storeError(err))
	}
	return t, nil
}

// ProductTargets lists the targets of one ProductId, oldest first.
func (s *Store) ProductTargets(ctx context.Context, gallery int64, productID string) ([]store.Target, error) {
	ts, err := s.targets(ctx, false, `WHERE gallery_id = ? AND product_id = ? ORDER BY created, id`, gallery, productID)
	if err != nil {
		return nil, fmt.Errorf("d1: targets of product %q in gallery %d: %w", productID, gallery, err)
	}
	return ts, nil
}

// Targets lists a page of the gallery's targets, oldest first (by
// Created, then ID). A Limit of zero or less means no limit.
func (s *Store) Targets(ctx context.Context, gallery int64, p store.Page) ([]store.Target, error) {
	if p.Offset < 0 {
		return nil, fmt.Errorf("d1: targets of gallery %d: negative offset %d", gallery, p.Offset)
	}
	ts, err := s.targets(ctx, false, `WHERE gallery_id = ? ORDER BY created, id LIMIT ? OFFSET ?`, gallery, limit(p.Limit), p.Offset)
	if err != nil {
		return nil, fmt.Errorf("d1: targets of gallery %d: %w", gallery, err)
	}
	return ts, nil
}

// CountTargets returns how many targets the gallery holds.
func (s *Store) CountTargets(ctx context.Context, gallery int64) (int, error) {
	var n int
	if err := s.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM targets WHERE gallery_id = ?`, gallery).Scan(&n); err != nil {
		return 0, fmt.Errorf("d1: count targets of gallery %d: %w", gallery, err)
	}
	return n, nil
}

// Counts returns how many targets the gallery holds, and how many of them
// are active, in one query.
func (s *Store) Counts(ctx context.Context, gallery int64) (all, active int, err error) {
	err = s.db.QueryRowContext(ctx, `SELECT COUNT(*), COALESCE(SUM(active), 0) FROM targets WHERE gallery_id = ?`,
		gallery).Scan(&all, &active)
	if err != nil {
		return 0, 0, fmt.Errorf("d1: count targets of gallery %d: %w", gallery, err)
	}
	return all, active, nil
}

// AnyActive reports whether the gallery holds an active target: one seek
// in targets_by_active, where Counts reads every entry of the gallery.
func (s *Store) AnyActive(ctx context.Context, gallery int64) (bool, error) {
	var any bool
	err := s.db.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM targets WHERE gallery_id = ? AND active > 0)`, gallery).Scan(&any)
	if err != nil {
		return false, fmt.Errorf("d1: active targets of gallery %d: %w", gallery, err)
	}
	return any, nil
}

// eachPage is how many targets EachTarget and Snapshot read a query: a
// page of rows a Worker holds at once.
const eachPage = 500

// EachTarget calls fn for every target of the gallery, oldest first,
// reading them a page at a time (by created and ID, so that a page starts
// where the last ended), and returns the first error fn returns, unwrapped.
func (s *Store) EachTarget(ctx context.Context, gallery int64, fn func(store.Target) error) error {
	var fnErr error
	err := s.eachTarget(ctx, gallery, func(t store.Target) error {
		fnErr = fn(t)
		return fnErr
	})
	if fnErr != nil {
		return fnErr
	}
	if err != nil {
		return fmt.Errorf("d1: each target of gallery %d: %w", gallery, err)
	}
	return nil
}

func (s *Store) eachTarget(ctx context.Context, gallery int64, fn func(store.Target) error) error {
	var lastCreated int64 = -1 << 62
	lastID := ""
	for {
		page, err := s.targets(ctx, false, `WHERE gallery_id = ? AND (created > ? OR (created = ? AND id > ?))
			ORDER BY created, id LIMIT ?`, gallery, lastCreated, lastCreated, lastID, eachPage)
		if err != nil {
			return err
		}
		for _, t := range page {
			if err := fn(t); err != nil {
				return err
			}
		}
		if len(page) < eachPage {
			return nil
		}
		lastCreated, lastID = page[len(page)-1].Created, page[len(page)-1].ID
	}
}

// Snapshot calls fn for every target of the gallery, oldest first, and
// returns the version they are the targets of. Without transactions the
// pages are read at several moments: the version is read before and
// after, and the snapshot is taken again until no change came between
// (at most snapshotTries times).
func (s *Store) Snapshot(ctx context.Context, gallery int64, fn func(store.Target) error) (int64, error) {
	for range snapshotTries {
		before, err := s.Gallery(ctx, gallery)
		if err != nil {
			return 0, fmt.Errorf("d1: snapshot of gallery %d: %w", gallery, err)
		}
		var ts []store.Target
		if err := s.eachTarget(ctx, gallery, func(t store.Target) error { ts = append(ts, t); return nil }); err != nil {
			return 0, fmt.Errorf("d1: snapshot of gallery %d: %w", gallery, err)
		}
		after, err := s.Gallery(ctx, gallery)
		if err != nil {
			return 0, fmt.Errorf("d1: snapshot of gallery %d: %w", gallery, err)
		}
		if after.Version != before.Version {
			continue
		}
		for _, t := range ts {
			if err := fn(t); err != nil {
				return 0, err
			}
		}
		return before.Version, nil
	}
	return 0, fmt.Errorf("d1: snapshot of gallery %d: it changed during each of %d reads", gallery, snapshotTries)
}

// snapshotTries bounds how often Snapshot reads a gallery that keeps
// changing.
const snapshotTries = 10

// Changes returns up to limit entries of the gallery's change log with a
// version above since, in version order; a limit of zero or less means
// no limit.
func (s *Store) Changes(ctx context.Context, gallery int64, since int64, n int) ([]store.Change, error) {
	cs, err := queryAll(ctx, s.db, func(sc scanner) (store.Change, error) {
		var c store.Change
		var op int64
		err := sc.Scan(&c.Version, &c.TargetID, &c.Seq, &op, &c.At)
		c.Op = store.Op(op)
		return c, err
	}, `SELECT version, target_id, seq, op, at FROM changes
		WHERE gallery_id = ? AND version > ? ORDER BY version LIMIT ?`, gallery, since, limit(n))
	if err != nil {
		return nil, fmt.Errorf("d1: changes of gallery %d: %w", gallery, err)
	}
	return cs, nil
}
