package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/pixmatch/pixmatch/server/store"
)

// Columns of the targets table, in the order targetArgs and scanTarget use.
var (
	// descriptionColumns are rewritten by every update.
	descriptionColumns = []string{
		"modified", "name", "size", "type", "active", "allow_similar",
		"product_id", "pic_name", "category",
		"int_attr1", "int_attr2", "int_attr3", "int_attr4",
		"str_attr1", "str_attr2", "str_attr3", "str_attr4",
		"region", "fingerprint", "grade", "extra", "custom_content", "meta",
	}
	// imageColumns describe the image; an update without an image keeps them.
	imageColumns = []string{"width", "height", "image_sha256", "image"}
)

// SQL built once from the column lists above, so that each list of
// columns and its values cannot drift apart.
var (
	insertTargetSQL, updateTargetSQL, updateTargetImageSQL string
	// selectTargetSQL lists every column but the image; the image, the
	// table's last column, is appended by selectTargetImageSQL.
	selectTargetSQL, selectTargetImageSQL string
)

func init() {
	insertCols := append(append([]string{"gallery_id", "id", "created", "seq"}, descriptionColumns...), imageColumns...)
	insertTargetSQL = "INSERT INTO targets (" + strings.Join(insertCols, ", ") +
		") VALUES (" + strings.TrimSuffix(strings.Repeat("?, ", len(insertCols)), ", ") + ")"

	set := func(cols []string) string { return strings.Join(cols, " = ?, ") + " = ?" }
	updateTargetSQL = "UPDATE targets SET created = COALESCE(?, created), " +
		set(descriptionColumns) + " WHERE gallery_id = ? AND id = ? RETURNING seq"
	updateTargetImageSQL = "UPDATE targets SET created = COALESCE(?, created), " +
		set(descriptionColumns) + ", " + set(imageColumns) + " WHERE gallery_id = ? AND id = ? RETURNING seq"

	selectCols := append([]string{"gallery_id", "id", "created", "seq"}, descriptionColumns...)
	selectCols = append(selectCols, imageColumns[:3]...)
	selectTargetSQL = "SELECT " + strings.Join(selectCols, ", ") + " FROM targets"
	selectTargetImageSQL = "SELECT " + strings.Join(selectCols, ", ") + ", image FROM targets"
}

// descriptionArgs returns t's values for descriptionColumns.
func descriptionArgs(t *store.Target) []any {
	return []any{
		t.Modified, t.Name, t.Size, t.Type, boolInt(t.Active), boolInt(t.AllowSimilar),
		t.ProductID, t.PicName, t.Category,
		t.IntAttr[0], t.IntAttr[1], t.IntAttr[2], t.IntAttr[3],
		t.StrAttr[0], t.StrAttr[1], t.StrAttr[2], t.StrAttr[3],
		t.Region, blob(t.Fingerprint), blob(t.Grade), t.Extra, t.CustomContent, t.Meta,
	}
}

// imageArgs returns t's values for imageColumns.
func imageArgs(t *store.Target) []any {
	return []any{t.Width, t.Height, t.ImageSHA256[:], blob(t.Image)}
}

// blob keeps a nil slice from being stored as NULL.
func blob(b []byte) []byte {
	if b == nil {
		return []byte{}
	}
	return b
}

// scanTarget reads a row selected by selectTargetSQL, or by
// selectTargetImageSQL when image is true, into t.
func scanTarget(sc scanner, t *store.Target, image bool) error {
	var (
		category, width, height int64
		intAttr                 [4]int64
		sum                     []byte
	)
	dest := []any{
		&t.Gallery, &t.ID, &t.Created, &t.Seq,
		&t.Modified, &t.Name, &t.Size, &t.Type, &t.Active, &t.AllowSimilar,
		&t.ProductID, &t.PicName, &category,
		&intAttr[0], &intAttr[1], &intAttr[2], &intAttr[3],
		&t.StrAttr[0], &t.StrAttr[1], &t.StrAttr[2], &t.StrAttr[3],
		&t.Region, &t.Fingerprint, &t.Grade, &t.Extra, &t.CustomContent, &t.Meta,
		&width, &height, &sum,
	}
	if image {
		dest = append(dest, &t.Image)
	}
	if err := sc.Scan(dest...); err != nil {
		return err
	}
	if len(sum) != len(t.ImageSHA256) {
		return fmt.Errorf("target %s: image hash of %d bytes, want %d", t.ID, len(sum), len(t.ImageSHA256))
	}
	copy(t.ImageSHA256[:], sum)
	t.Category = int32(category)
	for i, v := range intAttr {
		t.IntAttr[i] = int32(v)
	}
	t.Width, t.Height = int(width), int(height)
	if image && t.Image == nil {
		t.Image = []byte{} // loaded, and empty
	}
	return nil
}

// CreateTarget inserts t and logs its creation, returning the gallery's
// new version. The store sets t.Created to the current time when it is
// zero, and t.Modified to t.Created when that is zero. t.ImageSHA256 is
// stored as given; the caller computes it.
func (s *Store) CreateTarget(ctx context.Context, t store.Target) (int64, error) {
	var v int64
	err := s.write(ctx, func(tx *sql.Tx) error {
		var err error
		v, err = createTarget(ctx, tx, &t, now())
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("sqlite: create target %s: %w", t.ID, storeError(err))
	}
	return v, nil
}

// createTarget is CreateTarget inside the transaction tx, logging the
// change at time at.
func createTarget(ctx context.Context, tx *sql.Tx, t *store.Target, at int64) (int64, error) {
	if t.Created == 0 {
		t.Created = at
	}
	if t.Modified == 0 {
		t.Modified = t.Created
	}
	v, err := advance(ctx, tx, t.Gallery, 1)
	if err != nil {
		return 0, err
	}
	t.Seq = v // the version that creates a target names it for good
	args := append([]any{t.Gallery, t.ID, t.Created, t.Seq}, descriptionArgs(t)...)
	if _, err := tx.ExecContext(ctx, insertTargetSQL, append(args, imageArgs(t)...)...); err != nil {
		return 0, err
	}
	if err := putFeatures(ctx, tx, t); err != nil {
		return 0, err
	}
	return v, logChange(ctx, tx, t.Gallery, v, t.ID, t.Seq, store.OpPut, at)
}

// putFeatures writes t's feature record, when it has one, in place of the
// stored one.
func putFeatures(ctx context.Context, tx *sql.Tx, t *store.Target) error {
	if t.Features == nil {
		return nil
	}
	_, err := tx.ExecContext(ctx, `INSERT INTO target_features (gallery_id, id, features) VALUES (?, ?, ?)
		ON CONFLICT (gallery_id, id) DO UPDATE SET features = excluded.features`, t.Gallery, t.ID, t.Features)
	return err
}

// UpdateTarget replaces the stored target's fields with t's and logs the
// change, returning the gallery's new version. When t.Image is nil the
// stored image, its hash, width and height are kept; when t.Created is
// zero the stored creation time is kept; when t.Modified is zero it is set
// to the current time.
func (s *Store) UpdateTarget(ctx context.Context, t store.Target) (int64, error) {
	at := now()
	if t.Modified == 0 {
		t.Modified = at
	}
	query := updateTargetSQL
	args := append([]any{nullID(t.Created)}, descriptionArgs(&t)...)
	if t.Image != nil {
		query = updateTargetImageSQL
		args = append(args, imageArgs(&t)...)
	}
	args = append(args, t.Gallery, t.ID)
	var v int64
	err := s.write(ctx, func(tx *sql.Tx) error {
		var seq int64
		if err := tx.QueryRowContext(ctx, query, args...).Scan(&seq); err != nil {
			return err // sql.ErrNoRows for a missing target
		}
		if err := putFeatures(ctx, tx, &t); err != nil {
			return err
		}
		var err error
		if v, err = advance(ctx, tx, t.Gallery, 1); err != nil {
			return err
		}
		return logChange(ctx, tx, t.Gallery, v, t.ID, seq, store.OpPut, at)
	})
	if err != nil {
		return 0, fmt.Errorf("sqlite: update target %s: %w", t.ID, storeError(err))
	}
	return v, nil
}

// DeleteTargets removes the targets with the given IDs, all or none, and
// logs one change for each in the order given, returning the gallery's new
// version. Repeated IDs count once. With no IDs it changes nothing and
// returns the gallery's current version.
func (s *Store) DeleteTargets(ctx context.Context, gallery int64, ids []string) (int64, error) {
	ids = unique(ids)
	if len(ids) == 0 {
		g, err := s.Gallery(ctx, gallery)
		return g.Version, err
	}
	at := now()
	var v int64
	err := s.write(ctx, func(tx *sql.Tx) error {
		var err error
		if v, err = advance(ctx, tx, gallery, len(ids)); err != nil {
			return err
		}
		del, err := tx.PrepareContext(ctx, `DELETE FROM targets WHERE gallery_id = ? AND id = ? RETURNING seq`)
		if err != nil {
			return err
		}
		defer del.Close()
		first := v - int64(len(ids)) + 1
		for i, id := range ids {
			var seq int64
			if err := del.QueryRowContext(ctx, gallery, id).Scan(&seq); err != nil {
				return fmt.Errorf("target %s: %w", id, storeError(err))
			}
			if err := logChange(ctx, tx, gallery, first+int64(i), id, seq, store.OpDelete, at); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("sqlite: delete targets of gallery %d: %w", gallery, storeError(err))
	}
	return v, nil
}

// unique returns ids without repeats, in order of first appearance.
func unique(ids []string) []string {
	seen := make(map[string]bool, len(ids))
	out := make([]string, 0, len(ids))
	for _, id := range ids {
		if !seen[id] {
			seen[id] = true
			out = append(out, id)
		}
	}
	return out
}

// Target returns one target of the gallery; its image only when image is
// true.
func (s *Store) Target(ctx context.Context, gallery int64, id string, image bool) (store.Target, error) {
	query := selectTargetSQL
	if image {
		query = selectTargetImageSQL
	}
	var t store.Target
	row := s.reader.QueryRowContext(ctx, query+` WHERE gallery_id = ? AND id = ?`, gallery, id)
	if err := scanTarget(row, &t, image); err != nil {
		return store.Target{}, fmt.Errorf("sqlite: target %s of gallery %d: %w", id, gallery, storeError(err))
	}
	return t, nil
}

// TargetsByID returns the targets of the gallery with the given IDs that
// exist, in the order of ids (a repeated ID once), their images only when
// image is true, in one query: the IDs travel as one JSON array, which
// json_each unpacks (SQLite and D1 alike; no limit on bound parameters).
func (s *Store) TargetsByID(ctx context.Context, gallery int64, ids []string, image bool) ([]store.Target, error) {
	ids = unique(ids)
	if len(ids) == 0 {
		return nil, nil
	}
	list, err := json.Marshal(ids)
	if err != nil {
		return nil, err
	}
	query := selectTargetSQL
	if image {
		query = selectTargetImageSQL
	}
	rows, err := s.reader.QueryContext(ctx, query+
		` WHERE gallery_id = ? AND id IN (SELECT value FROM json_each(?))`, gallery, string(list))
	if err != nil {
		return nil, fmt.Errorf("sqlite: %d targets of gallery %d: %w", len(ids), gallery, err)
	}
	defer rows.Close()
	found := make(map[string]store.Target, len(ids))
	for rows.Next() {
		var t store.Target
		if err := scanTarget(rows, &t, image); err != nil {
			return nil, fmt.Errorf("sqlite: %d targets of gallery %d: %w", len(ids), gallery, err)
		}
		found[t.ID] = t
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlite: %d targets of gallery %d: %w", len(ids), gallery, err)
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
	list, err := json.Marshal(unique(ids))
	if err != nil {
		return nil, err
	}
	rows, err := s.reader.QueryContext(ctx, `SELECT id, features FROM target_features
		WHERE gallery_id = ? AND id IN (SELECT value FROM json_each(?))`, gallery, string(list))
	if err != nil {
		return nil, fmt.Errorf("sqlite: feature records of gallery %d: %w", gallery, err)
	}
	defer rows.Close()
	for rows.Next() {
		var id string
		var f []byte
		if err := rows.Scan(&id, &f); err != nil {
			return nil, fmt.Errorf("sqlite: feature records of gallery %d: %w", gallery, err)
		}
		out[id] = f
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlite: feature records of gallery %d: %w", gallery, err)
	}
	return out, nil
}

// SetFeatures replaces the feature record of an existing target, logging
// no change.
func (s *Store) SetFeatures(ctx context.Context, gallery int64, id string, features []byte) error {
	err := s.write(ctx, func(tx *sql.Tx) error {
		var one int
		if err := tx.QueryRowContext(ctx, `SELECT 1 FROM targets WHERE gallery_id = ? AND id = ?`, gallery, id).Scan(&one); err != nil {
			return err
		}
		return putFeatures(ctx, tx, &store.Target{Gallery: gallery, ID: id, Features: features})
	})
	if err != nil {
		return fmt.Errorf("sqlite: feature record of target %s: %w", id, storeError(err))
	}
	return nil
}

// EachFeatures calls fn for the feature record of every target of the
// gallery that has one, in no set order.
func (s *Store) EachFeatures(ctx context.Context, gallery int64, fn func(id string, features []byte) error) error {
	rows, err := s.reader.QueryContext(ctx, `SELECT id, features FROM target_features WHERE gallery_id = ?`, gallery)
	if err != nil {
		return fmt.Errorf("sqlite: feature records of gallery %d: %w", gallery, err)
	}
	defer rows.Close()
	for rows.Next() {
		var id string
		var f []byte
		if err := rows.Scan(&id, &f); err != nil {
			return fmt.Errorf("sqlite: feature records of gallery %d: %w", gallery, err)
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
	var t store.Target
	row := s.reader.QueryRowContext(ctx, selectTargetSQL+
		` WHERE gallery_id = ? AND image_sha256 = ? ORDER BY created, id LIMIT 1`, gallery, sha256[:])
	if err := scanTarget(row, &t, false); err != nil {
		return store.Target{}, fmt.Errorf("sqlite: target of gallery %d with image %x: %w",
			gallery, sha256[:8], storeError(err))
	}
	return t, nil
}

// TargetByImageAndName returns the oldest target of the gallery, other
// than except, whose image has the given SHA-256 and whose name is name,
// without its image.
func (s *Store) TargetByImageAndName(ctx context.Context, gallery int64, sha256 [32]byte, name, except string) (store.Target, error) {
	var t store.Target
	row := s.reader.QueryRowContext(ctx, selectTargetSQL+
		` WHERE gallery_id = ? AND image_sha256 = ? AND name = ? AND id <> ? ORDER BY created, id LIMIT 1`,
		gallery, sha256[:], name, except)
	if err := scanTarget(row, &t, false); err != nil {
		return store.Target{}, fmt.Errorf("sqlite: target %q of gallery %d with image %x: %w",
			name, gallery, sha256[:8], storeError(err))
	}
	return t, nil
}

// TargetBySeq returns the target of the gallery with the given sequence
// number, without its image.
func (s *Store) TargetBySeq(ctx context.Context, gallery, seq int64) (store.Target, error) {
	var t store.Target
	row := s.reader.QueryRowContext(ctx, selectTargetSQL+` WHERE gallery_id = ? AND seq = ?`, gallery, seq)
	if err := scanTarget(row, &t, false); err != nil {
		return store.Target{}, fmt.Errorf("sqlite: target #%d of gallery %d: %w", seq, gallery, storeError(err))
	}
	return t, nil
}

// TargetByName returns the target of the gallery with the given
// ProductId and PicName, without its image.
func (s *Store) TargetByName(ctx context.Context, gallery int64, productID, picName string) (store.Target, error) {
	var t store.Target
	row := s.reader.QueryRowContext(ctx, selectTargetSQL+
		` WHERE gallery_id = ? AND product_id = ? AND pic_name = ?`, gallery, productID, picName)
	if err := scanTarget(row, &t, false); err != nil {
		return store.Target{}, fmt.Errorf("sqlite: target %q/%q of gallery %d: %w", productID, picName, gallery, storeError(err))
	}
	return t, nil
}

// ProductTargets lists the targets of one ProductId, oldest first,
// without their images.
func (s *Store) ProductTargets(ctx context.Context, gallery int64, productID string) ([]store.Target, error) {
	rows, err := s.reader.QueryContext(ctx, selectTargetSQL+
		` WHERE gallery_id = ? AND product_id = ? ORDER BY created, id`, gallery, productID)
	if err != nil {
		return nil, fmt.Errorf("sqlite: targets of product %q in gallery %d: %w", productID, gallery, err)
	}
	defer rows.Close()
	var ts []store.Target
	for rows.Next() {
		var t store.Target
		if err := scanTarget(rows, &t, false); err != nil {
			return nil, fmt.Errorf("sqlite: targets of product %q in gallery %d: %w", productID, gallery, err)
		}
		ts = append(ts, t)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlite: targets of product %q in gallery %d: %w", productID, gallery, err)
	}
	return ts, nil
}

// Targets lists a page of the gallery's targets without their images,
// oldest first (by Created, then ID). A Limit of zero or less means no
// limit; a negative Offset is an error.
func (s *Store) Targets(ctx context.Context, gallery int64, p store.Page) ([]store.Target, error) {
	if p.Offset < 0 {
		return nil, fmt.Errorf("sqlite: targets of gallery %d: negative offset %d", gallery, p.Offset)
	}
	var ts []store.Target
	err := s.eachTarget(ctx, gallery, p, func(t store.Target) error {
		ts = append(ts, t)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("sqlite: targets of gallery %d: %w", gallery, err)
	}
	return ts, nil
}

// CountTargets returns how many targets the gallery holds.
func (s *Store) CountTargets(ctx context.Context, gallery int64) (int, error) {
	var n int
	err := s.reader.QueryRowContext(ctx, `SELECT COUNT(*) FROM targets WHERE gallery_id = ?`, gallery).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("sqlite: count targets of gallery %d: %w", gallery, err)
	}
	return n, nil
}

// Snapshot calls fn for every target of the gallery, oldest first, within
// one read transaction, and returns the gallery's version as that
// transaction sees it: the targets are exactly those of that version.
func (s *Store) Snapshot(ctx context.Context, gallery int64, fn func(store.Target) error) (int64, error) {
	tx, err := s.reader.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return 0, fmt.Errorf("sqlite: snapshot of gallery %d: %w", gallery, err)
	}
	defer tx.Rollback()
	var version int64
	if err := tx.QueryRowContext(ctx, `SELECT version FROM galleries WHERE id = ?`, gallery).Scan(&version); err != nil {
		return 0, fmt.Errorf("sqlite: snapshot of gallery %d: %w", gallery, storeError(err))
	}
	rows, err := tx.QueryContext(ctx, selectTargetSQL+` WHERE gallery_id = ? ORDER BY created, id`, gallery)
	if err != nil {
		return 0, fmt.Errorf("sqlite: snapshot of gallery %d: %w", gallery, err)
	}
	defer rows.Close()
	for rows.Next() {
		var t store.Target
		if err := scanTarget(rows, &t, false); err != nil {
			return 0, fmt.Errorf("sqlite: snapshot of gallery %d: %w", gallery, err)
		}
		if err := fn(t); err != nil {
			return 0, err
		}
	}
	if err := rows.Err(); err != nil {
		return 0, fmt.Errorf("sqlite: snapshot of gallery %d: %w", gallery, err)
	}
	return version, nil
}

// EachTarget calls fn for every target of the gallery without its image,
// oldest first, reading rows as fn consumes them. It returns the first
// error fn returns, unwrapped. The rows come from one read transaction, so
// fn sees a consistent snapshot; fn may call the store meanwhile.
func (s *Store) EachTarget(ctx context.Context, gallery int64, fn func(store.Target) error) error {
	var fnErr error
	err := s.eachTarget(ctx, gallery, store.Page{}, func(t store.Target) error {
		fnErr = fn(t)
		return fnErr
	})
	if fnErr != nil {
		return fnErr
	}
	if err != nil {
		return fmt.Errorf("sqlite: each target of gallery %d: %w", gallery, err)
	}
	return nil
}

// eachTarget calls fn for each target of page p of the gallery's listing.
func (s *Store) eachTarget(ctx context.Context, gallery int64, p store.Page, fn func(store.Target) error) error {
	limit := int64(p.Limit)
	if limit <= 0 {
		limit = -1 // SQLite's "no limit"
	}
	rows, err := s.reader.QueryContext(ctx, selectTargetSQL+
		` WHERE gallery_id = ? ORDER BY created, id LIMIT ? OFFSET ?`, gallery, limit, p.Offset)
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
func (s *Store) Changes(ctx context.Context, gallery int64, since int64, limit int) ([]store.Change, error) {
	n := int64(limit)
	if n <= 0 {
		n = -1 // SQLite's "no limit"
	}
	rows, err := s.reader.QueryContext(ctx, `SELECT version, target_id, seq, op, at FROM changes
		WHERE gallery_id = ? AND version > ? ORDER BY version LIMIT ?`, gallery, since, n)
	if err != nil {
		return nil, fmt.Errorf("sqlite: changes of gallery %d: %w", gallery, err)
	}
	defer rows.Close()
	var cs []store.Change
	for rows.Next() {
		var (
			c  store.Change
			op int64
		)
		if err := rows.Scan(&c.Version, &c.TargetID, &c.Seq, &op, &c.At); err != nil {
			return nil, fmt.Errorf("sqlite: changes of gallery %d: %w", gallery, err)
		}
		c.Op = store.Op(op)
		cs = append(cs, c)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlite: changes of gallery %d: %w", gallery, err)
	}
	return cs, nil
}

// advance adds n to the gallery's version and returns the new version.
func advance(ctx context.Context, tx *sql.Tx, gallery int64, n int) (int64, error) {
	var v int64
	err := tx.QueryRowContext(ctx,
		`UPDATE galleries SET version = version + ? WHERE id = ? RETURNING version`,
		n, gallery).Scan(&v)
	if err != nil {
		return 0, fmt.Errorf("gallery %d: %w", gallery, storeError(err))
	}
	return v, nil
}

// logChange appends one entry to the gallery's change log.
func logChange(ctx context.Context, tx *sql.Tx, gallery, version int64, target string, seq int64, op store.Op, at int64) error {
	_, err := tx.ExecContext(ctx,
		`INSERT INTO changes (gallery_id, version, target_id, seq, op, at) VALUES (?, ?, ?, ?, ?, ?)`,
		gallery, version, target, seq, int64(op), at)
	if err != nil {
		return fmt.Errorf("%w: log change %d: %w", store.ErrChangeLog, version, err)
	}
	return nil
}
