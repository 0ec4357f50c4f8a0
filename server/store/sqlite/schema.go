package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
)

// ErrSchemaTooNew reports a database whose schema was written by a newer
// version of pixmatch than this one; opening it could lose data.
var ErrSchemaTooNew = errors.New("database schema is newer than this build knows")

// A migration is one step of the schema's history. Steps are applied in
// order, each once, and never edited after release: a change to the schema
// is a new step appended to migrations.
//
// The SQL stays within what SQLite, Cloudflare D1 and PostgreSQL share
// where that costs little: INTEGER, TEXT and BLOB columns, explicit column
// lists and no application-defined functions. AUTOINCREMENT (SQLite and
// D1 only) keeps the IDs of deleted galleries from being handed out again,
// since browsers cache galleries by ID.
type migration struct {
	name  string
	steps []string
}

// migrations is the schema's history; migration i brings the schema to
// version i+1.
var migrations = []migration{
	{name: "initial schema", steps: []string{
		`CREATE TABLE galleries (
			id             INTEGER PRIMARY KEY AUTOINCREMENT,
			name           TEXT UNIQUE,
			app_id         TEXT UNIQUE,
			version        INTEGER NOT NULL DEFAULT 0,
			capacity       INTEGER NOT NULL DEFAULT 0,
			qps            INTEGER NOT NULL DEFAULT 0,
			daily_searches INTEGER NOT NULL DEFAULT 0,
			dau            INTEGER NOT NULL DEFAULT 0,
			suspended      INTEGER NOT NULL DEFAULT 0,
			created        INTEGER NOT NULL
		)`,
		`CREATE TABLE keys (
			id         TEXT PRIMARY KEY,
			secret     TEXT NOT NULL,
			gallery_id INTEGER REFERENCES galleries (id) ON DELETE CASCADE,
			created    INTEGER NOT NULL
		)`,
		`CREATE INDEX keys_by_gallery ON keys (gallery_id)`,
		// The image is the last column: SQLite keeps a large value in
		// overflow pages, and columns placed after it could only be read
		// by walking them. Listings never touch it.
		`CREATE TABLE targets (
			gallery_id     INTEGER NOT NULL REFERENCES galleries (id) ON DELETE CASCADE,
			id             TEXT NOT NULL,
			created        INTEGER NOT NULL,
			modified       INTEGER NOT NULL,
			name           TEXT NOT NULL,
			size           TEXT NOT NULL,
			type           TEXT NOT NULL,
			active         INTEGER NOT NULL,
			allow_similar  INTEGER NOT NULL,
			product_id     TEXT NOT NULL,
			pic_name       TEXT NOT NULL,
			category       INTEGER NOT NULL,
			int_attr1      INTEGER NOT NULL,
			int_attr2      INTEGER NOT NULL,
			int_attr3      INTEGER NOT NULL,
			int_attr4      INTEGER NOT NULL,
			str_attr1      TEXT NOT NULL,
			str_attr2      TEXT NOT NULL,
			str_attr3      TEXT NOT NULL,
			str_attr4      TEXT NOT NULL,
			region         TEXT NOT NULL,
			width          INTEGER NOT NULL,
			height         INTEGER NOT NULL,
			image_sha256   BLOB NOT NULL,
			fingerprint    BLOB NOT NULL,
			grade          BLOB NOT NULL,
			extra          TEXT NOT NULL,
			custom_content TEXT NOT NULL,
			meta           TEXT NOT NULL,
			image          BLOB NOT NULL,
			PRIMARY KEY (gallery_id, id)
		)`,
		// created and id let TargetByImage pick the oldest match from
		// the index alone.
		`CREATE INDEX targets_by_image ON targets (gallery_id, image_sha256, created, id)`,
		`CREATE INDEX targets_by_created ON targets (gallery_id, created, id)`,
		`CREATE TABLE changes (
			gallery_id INTEGER NOT NULL REFERENCES galleries (id) ON DELETE CASCADE,
			version    INTEGER NOT NULL,
			target_id  TEXT NOT NULL,
			op         INTEGER NOT NULL,
			at         INTEGER NOT NULL,
			PRIMARY KEY (gallery_id, version)
		)`,
		`CREATE TABLE settings (
			name  TEXT PRIMARY KEY,
			value TEXT NOT NULL
		)`,
	}},
	// A ProductId and PicName identify an Alibaba image; targets made
	// through CRS take their own ID and name as the pair.
	{name: "product identity and tasks", steps: []string{
		`UPDATE targets SET product_id = id WHERE product_id = ''`,
		`UPDATE targets SET pic_name = name WHERE pic_name = ''`,
		`CREATE UNIQUE INDEX targets_by_name ON targets (gallery_id, product_id, pic_name)`,
		`CREATE TABLE tasks (
			id         INTEGER PRIMARY KEY AUTOINCREMENT,
			gallery_id INTEGER NOT NULL REFERENCES galleries (id) ON DELETE CASCADE,
			kind       TEXT NOT NULL,
			status     TEXT NOT NULL,
			code       TEXT NOT NULL,
			message    TEXT NOT NULL,
			source     TEXT NOT NULL,
			callback   TEXT NOT NULL,
			result     TEXT NOT NULL,
			total      INTEGER NOT NULL,
			done       INTEGER NOT NULL,
			failed     INTEGER NOT NULL,
			created    INTEGER NOT NULL,
			modified   INTEGER NOT NULL
		)`,
		`CREATE INDEX tasks_by_gallery ON tasks (gallery_id, kind, id)`,
	}},
	// A target's sequence number is the gallery version that created it:
	// a small integer that names it in the browser's synced copy, and in
	// the change log, where a delete must still say which target went.
	{name: "target sequence numbers", steps: []string{
		`ALTER TABLE targets ADD COLUMN seq INTEGER NOT NULL DEFAULT 0`,
		`UPDATE targets SET seq = COALESCE((SELECT MIN(c.version) FROM changes c
			WHERE c.gallery_id = targets.gallery_id AND c.target_id = targets.id AND c.op = 1), 0)`,
		// Targets without a logged creation get numbers past every version.
		`UPDATE targets SET seq = (SELECT g.version FROM galleries g WHERE g.id = targets.gallery_id) + rowid
			WHERE seq = 0`,
		`CREATE UNIQUE INDEX targets_by_seq ON targets (gallery_id, seq)`,
		`ALTER TABLE changes ADD COLUMN seq INTEGER NOT NULL DEFAULT 0`,
		`UPDATE changes SET seq = COALESCE((SELECT t.seq FROM targets t
			WHERE t.gallery_id = changes.gallery_id AND t.id = changes.target_id), 0)`,
	}},
	// CreateTask looks for a running task of the same gallery and kind,
	// and a starting server for every running task: both read this index
	// instead of every task ever recorded.
	{name: "running tasks", steps: []string{
		`CREATE INDEX tasks_by_status ON tasks (status, gallery_id, kind)`,
	}},
	// A target's feature record (keypoints and descriptors) is read only
	// to verify a shortlist and to rebuild the index: a table of its own,
	// so that neither the targets' rows grow nor their image overflow is
	// walked to reach it. It goes with its target.
	{name: "feature records", steps: []string{
		`CREATE TABLE target_features (
			gallery_id INTEGER NOT NULL,
			id         TEXT NOT NULL,
			features   BLOB NOT NULL,
			PRIMARY KEY (gallery_id, id),
			FOREIGN KEY (gallery_id, id) REFERENCES targets (gallery_id, id) ON DELETE CASCADE
		)`,
	}},
}

// migrate brings the schema of db up to the newest version in one
// transaction, recording each step in schema_migrations. A database that
// is already current is left untouched.
func migrate(ctx context.Context, db *sql.DB) error {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version INTEGER PRIMARY KEY,
		name    TEXT NOT NULL,
		applied INTEGER NOT NULL
	)`); err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	var current int
	err = tx.QueryRowContext(ctx,
		`SELECT COALESCE(MAX(version), 0) FROM schema_migrations`).Scan(&current)
	if err != nil {
		return fmt.Errorf("migrate: read schema version: %w", err)
	}
	if current > len(migrations) {
		return fmt.Errorf("migrate: schema version %d, this build knows up to %d: %w",
			current, len(migrations), ErrSchemaTooNew)
	}
	if current == len(migrations) {
		return nil // nothing to do; the deferred rollback ends the transaction
	}
	for i := current; i < len(migrations); i++ {
		m := migrations[i]
		for _, step := range m.steps {
			if _, err := tx.ExecContext(ctx, step); err != nil {
				return fmt.Errorf("migrate to version %d (%s): %w", i+1, m.name, err)
			}
		}
		if _, err := tx.ExecContext(ctx,
			`INSERT INTO schema_migrations (version, name, applied) VALUES (?, ?, ?)`,
			i+1, m.name, now()); err != nil {
			return fmt.Errorf("migrate to version %d (%s): %w", i+1, m.name, err)
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	return nil
}
