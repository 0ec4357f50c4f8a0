package d1

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/pixmatch/pixmatch/server/store"
)

// Columns of the targets table, in the order targetArgs and scanTarget
// use them.
var (
	// describing are rewritten by every write.
	describing = []string{
		"modified", "name", "size", "type", "active", "allow_similar",
		"product_id", "pic_name", "category",
		"int_attr1", "int_attr2", "int_attr3", "int_attr4",
		"str_attr1", "str_attr2", "str_attr3", "str_attr4",
		"region", "fingerprint", "grade", "custom_content",
		"meta", "meta_key", "extra", "extra_key", "codes",
	}
	// picturing describe the picture; an update without one keeps them.
	picturing = []string{"width", "height", "image_sha256", "image_key"}
)

var insertTargetSQL, updateTargetSQL, updateTargetImageSQL string

func init() {
	cols := append(append([]string{"gallery_id", "id", "created", "changed", "features_key", "bag"}, describing...), picturing...)
	insertTargetSQL = "INSERT INTO targets (seq, version, " + strings.Join(cols, ", ") +
		") SELECT g.version + 1, g.version + 1" + strings.Repeat(", ?", len(cols)) +
		" FROM galleries g WHERE g.id = ? RETURNING version"
	set := func(cols []string) string { return strings.Join(cols, " = ?, ") + " = ?" }
	update := "UPDATE targets SET version = (SELECT g.version + 1 FROM galleries g WHERE g.id = targets.gallery_id), " +
		"changed = ?, created = COALESCE(?, created), features_key = COALESCE(?, features_key), bag = COALESCE(?, bag), " + set(describing)
	where := " WHERE gallery_id = ? AND id = ? RETURNING version"
	updateTargetSQL = update + where
	updateTargetImageSQL = update + ", " + set(picturing) + where
}

// row is a target as its row holds it: the values the blob store keeps
// replaced by their keys.
type row struct {
	t                 *store.Target
	meta, extra       string
	metaKey, extraKey string
	imageKey          string
	featuresKey       sql.NullString // NULL: keep the stored one
	bag               sql.NullString // the record's bag (bags.go); NULL with featuresKey
	codes             string
	written           []string // blobs this write put
}

// describingArgs returns the row's values for describing.
func (r *row) describingArgs() []any {
	t := r.t
	return []any{
		t.Modified, t.Name, t.Size, t.Type, boolInt(t.Active), boolInt(t.AllowSimilar),
		t.ProductID, t.PicName, t.Category,
		t.IntAttr[0], t.IntAttr[1], t.IntAttr[2], t.IntAttr[3],
		t.StrAttr[0], t.StrAttr[1], t.StrAttr[2], t.StrAttr[3],
		t.Region, blob(t.Fingerprint), blob(t.Grade), t.CustomContent,
		r.meta, r.metaKey, r.extra, r.extraKey, r.codes,
	}
}

// picturingArgs returns the row's values for picturing.
func (r *row) picturingArgs() []any {
	return []any{r.t.Width, r.t.Height, r.t.ImageSHA256[:], r.imageKey}
}

// blob keeps a nil slice from being stored as NULL.
func blob(b []byte) []byte {
	if b == nil {
		return []byte{}
	}
	return b
}

// prepare puts t's large values in the blob store, under new keys, and
// returns the row that refers to them. The picture goes there when
// picture is true, the feature record when t has one.
func (s *Store) prepare(ctx context.Context, t *store.Target, picture bool) (*row, error) {
	r := &row{t: t, meta: t.Meta, extra: t.Extra}
	var err error
	if r.codes, err = codesJSON(t.Fingerprint); err != nil {
		return nil, err
	}
	if t.Features != nil {
		bag, err := s.bagColumn(ctx, t.Features)
		if err != nil {
			return nil, err
		}
		r.bag = sql.NullString{String: bag, Valid: true}
	}
	put := func(kind string, value []byte) (string, error) {
		key := BlobKey(t.Gallery, t.ID, kind)
		if err := s.blobs.Put(ctx, key, value); err != nil {
			return "", fmt.Errorf("put %s: %w", kind, err)
		}
		r.written = append(r.written, key)
		return key, nil
	}
	if len(t.Meta) > InlineMax {
		if r.metaKey, err = put(blobMeta, []byte(t.Meta)); err != nil {
			return r, err
		}
		r.meta = ""
	}
	if len(t.Extra) > InlineMax {
		if r.extraKey, err = put(blobExtra, []byte(t.Extra)); err != nil {
			return r, err
		}
		r.extra = ""
	}
	if picture && len(t.Image) > 0 {
		if r.imageKey, err = put(blobImage, t.Image); err != nil {
			return r, err
		}
	}
	if t.Features != nil {
		key, err := put(blobFeatures, t.Features)
		if err != nil {
			return r, err
		}
		r.featuresKey = sql.NullString{String: key, Valid: true}
	}
	return r, nil
}

// undo deletes the blobs a write put, after its statement failed: the
// store is left as it was. Its own failure leaves unreferenced blobs only.
func (s *Store) undo(r *row, err error) error {
	if r != nil && len(r.written) > 0 {
		if derr := s.blobs.Delete(context.WithoutCancel(context.Background()), r.written...); derr != nil {
			return errors.Join(err, fmt.Errorf("remove its blobs: %w", derr))
		}
	}
	return err
}

// CreateTarget inserts t and logs its creation in one statement,
// returning the gallery's new version, which is also t's Seq. The store
// sets t.Created to now when zero, and t.Modified to t.Created when zero.
func (s *Store) CreateTarget(ctx context.Context, t store.Target) (int64, error) {
	at := s.at()
	if t.Created == 0 {
		t.Created = at
	}
	if t.Modified == 0 {
		t.Modified = t.Created
	}
	v, err := s.createTarget(ctx, &t, at)
	if err != nil {
		return 0, fmt.Errorf("d1: create target %s: %w", t.ID, storeError(err))
	}
	return v, nil
}

func (s *Store) createTarget(ctx context.Context, t *store.Target, at int64) (int64, error) {
	r, err := s.prepare(ctx, t, true)
	if err != nil {
		return 0, s.undo(r, err)
	}
	args := []any{t.Gallery, t.ID, t.Created, at, r.featuresKey.String, r.bag.String}
	args = append(append(append(args, r.describingArgs()...), r.picturingArgs()...), t.Gallery)
	var v int64
	if err := s.db.QueryRowContext(ctx, insertTargetSQL, args...).Scan(&v); err != nil {
		return 0, s.undo(r, err) // sql.ErrNoRows: no such gallery
	}
	return v, nil
}

// UpdateTarget replaces the stored target's fields with t's and logs the
// change in one statement, returning the gallery's new version. When
// t.Image is nil the stored picture, its hash and size are kept; when
// t.Features is nil the stored record; when t.Created is zero the stored
// creation time. t.Modified is set to now when zero. The blobs the update
// replaced are deleted after it.
func (s *Store) UpdateTarget(ctx context.Context, t store.Target) (int64, error) {
	at := s.at()
	if t.Modified == 0 {
		t.Modified = at
	}
	v, err := s.updateTarget(ctx, &t, at)
	if err != nil {
		return 0, fmt.Errorf("d1: update target %s: %w", t.ID, storeError(err))
	}
	return v, nil
}

func (s *Store) updateTarget(ctx context.Context, t *store.Target, at int64) (int64, error) {
	old, err := s.blobKeys(ctx, `WHERE gallery_id = ? AND id = ?`, t.Gallery, t.ID)
	if err != nil {
		return 0, err
	}
	if old == nil {
		return 0, sql.ErrNoRows
	}
	r, err := s.prepare(ctx, t, t.Image != nil)
	if err != nil {
		return 0, s.undo(r, err)
	}
	query := updateTargetSQL
	args := append([]any{at, nullID(t.Created), r.featuresKey, r.bag}, r.describingArgs()...)
	if t.Image != nil {
		query = updateTargetImageSQL
		args = append(args, r.picturingArgs()...)
	}
	var v int64
	if err := s.db.QueryRowContext(ctx, query, append(args, t.Gallery, t.ID)...).Scan(&v); err != nil {
		return 0, s.undo(r, err)
	}
	// The update replaced the meta and extra blobs, and the picture and
	// record when it brought new ones.
	replaced := old[:0]
	for _, k := range old {
		kind := blobKind(k)
		if kind == blobMeta || kind == blobExtra || (kind == blobImage && t.Image != nil) || (kind == blobFeatures && t.Features != nil) {
			replaced = append(replaced, k)
		}
	}
	if err := s.blobs.Delete(ctx, replaced...); err != nil {
		return v, fmt.Errorf("remove replaced blobs: %w", err)
	}
	return v, nil
}

// blobKind returns the kind of value a key made by BlobKey holds.
func blobKind(key string) string {
	name := key[strings.LastIndexByte(key, '/')+1:]
	kind, _, _ := strings.Cut(name, ".")
	return kind
}

// blobKeys returns the blob keys of the targets a WHERE clause selects:
// nil when it selects none, an empty slice when they have no blobs.
func (s *Store) blobKeys(ctx context.Context, where string, args ...any) ([]string, error) {
	rows, err := queryAll(ctx, s.db, func(sc scanner) ([4]string, error) {
		var k [4]string
		return k, sc.Scan(&k[0], &k[1], &k[2], &k[3])
	}, `SELECT image_key, features_key, meta_key, extra_key FROM targets `+where, args...)
	if err != nil || len(rows) == 0 {
		return nil, err
	}
	keys := []string{}
	for _, r := range rows {
		for _, k := range r {
			if k != "" {
				keys = append(keys, k)
			}
		}
	}
	return keys, nil
}

// DeleteTargets removes the targets with the given IDs, all or none, and
// logs one change for each in the order given, in one statement; then it
// deletes their blobs. Repeated IDs count once. With no IDs it changes
// nothing and returns the gallery's current version.
func (s *Store) DeleteTargets(ctx context.Context, gallery int64, ids []string) (int64, error) {
	ids = unique(ids)
	if len(ids) == 0 {
		g, err := s.Gallery(ctx, gallery)
		return g.Version, err
	}
	v, err := s.deleteTargets(ctx, gallery, ids)
	if err != nil {
		return 0, fmt.Errorf("d1: delete targets of gallery %d: %w", gallery, storeError(err))
	}
	return v, nil
}

func (s *Store) deleteTargets(ctx context.Context, gallery int64, ids []string) (int64, error) {
	list, err := json.Marshal(ids)
	if err != nil {
		return 0, err
	}
	// Name the first missing target; the statement checks again, in case
	// one goes meanwhile.
	present, err := s.TargetsByID(ctx, gallery, ids, false)
	if err != nil {
		return 0, err
	}
	if len(present) < len(ids) {
		for i, id := range ids {
			if i >= len(present) || present[i].ID != id {
				return 0, fmt.Errorf("target %s: %w", id, store.ErrNotFound)
			}
		}
	}
	keys, err := s.blobKeys(ctx, `WHERE gallery_id = ? AND id IN (SELECT value FROM json_each(?))`, gallery, string(list))
	if err != nil {
		return 0, err
	}
	var v int64
	err = s.db.QueryRowContext(ctx, `INSERT INTO deletions (gallery_id, ids, version, at)
		SELECT ?, ?, version + ?, ? FROM galleries WHERE id = ? RETURNING version`,
		gallery, string(list), len(ids), s.at(), gallery).Scan(&v)
	if err != nil {
		return 0, err
	}
	if err := s.blobs.Delete(ctx, keys...); err != nil {
		return v, fmt.Errorf("remove their blobs: %w", err)
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

// SetFeatures replaces the feature record of an existing target without
// logging a change: the statement leaves version alone, so no trigger
// runs. The replaced record's blob is deleted after it.
func (s *Store) SetFeatures(ctx context.Context, gallery int64, id string, features []byte) error {
	if err := s.setFeatures(ctx, gallery, id, features); err != nil {
		return fmt.Errorf("d1: feature record of target %s: %w", id, storeError(err))
	}
	return nil
}

func (s *Store) setFeatures(ctx context.Context, gallery int64, id string, features []byte) error {
	var old string
	if err := s.db.QueryRowContext(ctx, `SELECT features_key FROM targets WHERE gallery_id = ? AND id = ?`, gallery, id).Scan(&old); err != nil {
		return err
	}
	r, err := s.prepare(ctx, &store.Target{Gallery: gallery, ID: id, Features: blob(features)}, false)
	if err != nil {
		return s.undo(r, err)
	}
	err = mustAffect(s.db.ExecContext(ctx, `UPDATE targets SET features_key = ?, bag = ? WHERE gallery_id = ? AND id = ?`,
		r.featuresKey.String, r.bag.String, gallery, id))
	if err != nil {
		return s.undo(r, err)
	}
	if old != "" {
		return s.blobs.Delete(ctx, old)
	}
	return nil
}
