package postgres

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/pixmatch/pixmatch/server/store"
)

// Columns of the targets table, in the order targetArgs and scanTarget
// use: the SQLite store's lists.
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
// columns and its parameters cannot drift apart.
var (
	insertTargetSQL, updateTargetSQL, updateTargetImageSQL string
	// selectTargetSQL lists every column but the image; the image is
	// appended by selectTargetImageSQL.
	selectTargetSQL, selectTargetImageSQL string
)

func init() {
	insertCols := append(append([]string{"gallery_id", "id", "created", "seq"}, descriptionColumns...), imageColumns...)
	insertTargetSQL = "INSERT INTO targets (" + strings.Join(insertCols, ", ") + ") VALUES (" + params(1, len(insertCols)) + ")"

	// $1 is the creation time (NULL keeps the stored one); then the
	// columns; then the gallery and the ID.
	set := func(first int, cols []string) string {
		parts := make([]string, len(cols))
		for i, c := range cols {
			parts[i] = c + " = $" + strconv.Itoa(first+i)
		}
		return strings.Join(parts, ", ")
	}
	where := func(first int) string {
		return " WHERE gallery_id = $" + strconv.Itoa(first) + " AND id = $" + strconv.Itoa(first+1) + " RETURNING seq"
	}
	nd, ni := len(descriptionColumns), len(imageColumns)
	updateTargetSQL = "UPDATE targets SET created = COALESCE($1, created), " +
		set(2, descriptionColumns) + where(2+nd)
	updateTargetImageSQL = "UPDATE targets SET created = COALESCE($1, created), " +
		set(2, descriptionColumns) + ", " + set(2+nd, imageColumns) + where(2+nd+ni)

	selectCols := append([]string{"gallery_id", "id", "created", "seq"}, descriptionColumns...)
	selectCols = append(selectCols, imageColumns[:3]...)
	selectTargetSQL = "SELECT " + strings.Join(selectCols, ", ") + " FROM targets"
	selectTargetImageSQL = "SELECT " + strings.Join(selectCols, ", ") + ", image FROM targets"
}

// params returns "$first, …, $(first+n-1)".
func params(first, n int) string {
	ps := make([]string, n)
	for i := range ps {
		ps[i] = "$" + strconv.Itoa(first+i)
	}
	return strings.Join(ps, ", ")
}

// descriptionArgs returns t's values for descriptionColumns.
func descriptionArgs(t *store.Target) []any {
	return []any{
		t.Modified, t.Name, t.Size, t.Type, t.Active, t.AllowSimilar,
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
func scanTarget(row pgx.Row, t *store.Target, image bool) error {
	var sum []byte
	dest := []any{
		&t.Gallery, &t.ID, &t.Created, &t.Seq,
		&t.Modified, &t.Name, &t.Size, &t.Type, &t.Active, &t.AllowSimilar,
		&t.ProductID, &t.PicName, &t.Category,
		&t.IntAttr[0], &t.IntAttr[1], &t.IntAttr[2], &t.IntAttr[3],
		&t.StrAttr[0], &t.StrAttr[1], &t.StrAttr[2], &t.StrAttr[3],
		&t.Region, &t.Fingerprint, &t.Grade, &t.Extra, &t.CustomContent, &t.Meta,
		&t.Width, &t.Height, &sum,
	}
	if image {
		dest = append(dest, &t.Image)
	}
	if err := row.Scan(dest...); err != nil {
		return err
	}
	if len(sum) != len(t.ImageSHA256) {
		return fmt.Errorf("target %s: image hash of %d bytes, want %d", t.ID, len(sum), len(t.ImageSHA256))
	}
	copy(t.ImageSHA256[:], sum)
	if image && t.Image == nil {
		t.Image = []byte{} // loaded, and empty
	}
	return nil
}

// scanTargets collects the targets a query selects.
func scanTargets(rows pgx.Rows, err error, image bool) ([]store.Target, error) {
	return collect(rows, err, func(row pgx.Row) (store.Target, error) {
		var t store.Target
		err := scanTarget(row, &t, image)
		return t, err
	})
}

// CreateTarget inserts t and logs its creation, returning the gallery's
// new version. The store sets t.Created to the current time when it is
// zero, and t.Modified to t.Created when that is zero. t.ImageSHA256 is
// stored as given; the caller computes it.
func (s *Store) CreateTarget(ctx context.Context, t store.Target) (int64, error) {
	at := now()
	if t.Created == 0 {
		t.Created = at
	}
	if t.Modified == 0 {
		t.Modified = t.Created
	}
	var v int64
	err := s.write(ctx, func(tx pgx.Tx) error {
		var err error
		if v, err = advance(ctx, tx, t.Gallery, 1); err != nil {
			return err
		}
		t.Seq = v // the version that creates a target names it for good
		args := append([]any{t.Gallery, t.ID, t.Created, t.Seq}, descriptionArgs(&t)...)
		if _, err := tx.Exec(ctx, insertTargetSQL, append(args, imageArgs(&t)...)...); err != nil {
			return err
		}
		if err := putFeatures(ctx, tx, &t); err != nil {
			return err
		}
		return logChange(ctx, tx, t.Gallery, v, t.ID, t.Seq, store.OpPut, at)
	})
	if err != nil {
		return 0, fmt.Errorf("postgres: create target %s: %w", t.ID, storeError(err))
	}
	return v, nil
}

// putFeatures writes t's feature record, when it has one, in place of the
// stored one.
func putFeatures(ctx context.Context, tx pgx.Tx, t *store.Target) error {
	if t.Features == nil {
		return nil
	}
	_, err := tx.Exec(ctx, `INSERT INTO target_features (gallery_id, id, features) VALUES ($1, $2, $3)
		ON CONFLICT (gallery_id, id) DO UPDATE SET features = excluded.features`, t.Gallery, t.ID, t.Features)
	return err
}

// UpdateTarget replaces the stored target's fields with t's and logs the
// change, returning the gallery's new version. When t.Image is nil the
// stored image, its hash, width and height are kept; when t.Created is
// zero the stored creation time is kept; when t.Modified is zero it is set
// to the current time. The version is advanced first, which locks the
// gallery's row before the target's, the order every write takes.
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
	err := s.write(ctx, func(tx pgx.Tx) error {
		var err error
		if v, err = advance(ctx, tx, t.Gallery, 1); err != nil {
			return err
		}
		var seq int64
		if err := tx.QueryRow(ctx, query, args...).Scan(&seq); err != nil {
			return err // pgx.ErrNoRows for a missing target
		}
		if err := putFeatures(ctx, tx, &t); err != nil {
			return err
		}
		return logChange(ctx, tx, t.Gallery, v, t.ID, seq, store.OpPut, at)
	})
	if err != nil {
		return 0, fmt.Errorf("postgres: update target %s: %w", t.ID, storeError(err))
	}
	return v, nil
}

// DeleteTargets removes the targets with the given IDs, all or none, and
// logs one change for each in the order given, returning the gallery's new
// version. Repeated IDs count once. With no IDs it changes nothing and
// returns the gallery's current version. The deletes and the change rows
// travel in one batch: one round trip, however many IDs.
func (s *Store) DeleteTargets(ctx context.Context, gallery int64, ids []string) (int64, error) {
	ids = unique(ids)
	if len(ids) == 0 {
		g, err := s.Gallery(ctx, gallery)
		return g.Version, err
	}
	at := now()
	var v int64
	err := s.write(ctx, func(tx pgx.Tx) error {
		var err error
		if v, err = advance(ctx, tx, gallery, len(ids)); err != nil {
			return err
		}
		first := v - int64(len(ids)) + 1
		var b pgx.Batch
		for i, id := range ids {
			b.Queue(`WITH gone AS (DELETE FROM targets WHERE gallery_id = $1 AND id = $2 RETURNING seq)
				INSERT INTO changes (gallery_id, version, target_id, seq, op, at)
				SELECT $1, $3, $2, seq, $4, $5 FROM gone RETURNING seq`,
				gallery, id, first+int64(i), int16(store.OpDelete), at)
		}
		res := tx.SendBatch(ctx, &b)
		defer res.Close()
		for _, id := range ids {
			var seq int64
			if err := res.QueryRow().Scan(&seq); err != nil {
				return fmt.Errorf("target %s: %w", id, storeError(err))
			}
		}
		return res.Close()
	})
	if err != nil {
		return 0, fmt.Errorf("postgres: delete targets of gallery %d: %w", gallery, storeError(err))
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

// advance adds n to the gallery's version and returns the new version.
// The update locks the gallery's row until the transaction ends: writers
// of one gallery queue here, whichever server they run in. It also
// notifies ChangesChannel of the gallery, which PostgreSQL delivers to
// the listeners (Listen) when, and only if, the transaction commits.
func advance(ctx context.Context, tx pgx.Tx, gallery int64, n int) (int64, error) {
	var v int64
	err := tx.QueryRow(ctx, `UPDATE galleries SET version = version + $1 WHERE id = $2 RETURNING version`,
		n, gallery).Scan(&v)
	if err != nil {
		return 0, fmt.Errorf("gallery %d: %w", gallery, storeError(err))
	}
	if _, err := tx.Exec(ctx, `SELECT pg_notify($1, $2)`, ChangesChannel, strconv.FormatInt(gallery, 10)); err != nil {
		return 0, fmt.Errorf("gallery %d: notify: %w", gallery, err)
	}
	return v, nil
}

// logChange appends one entry to the gallery's change log.
func logChange(ctx context.Context, tx pgx.Tx, gallery, version int64, target string, seq int64, op store.Op, at int64) error {
	_, err := tx.Exec(ctx,
		`INSERT INTO changes (gallery_id, version, target_id, seq, op, at) VALUES ($1, $2, $3, $4, $5, $6)`,
		gallery, version, target, seq, int16(op), at)
	if err != nil {
		return fmt.Errorf("%w: log change %d: %w", store.ErrChangeLog, version, err)
	}
	return nil
}
