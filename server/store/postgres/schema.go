package postgres

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// ErrSchemaTooNew reports a database whose schema was written by a newer
// version of pixmatch than this one; using it could lose data.
var ErrSchemaTooNew = errors.New("database schema is newer than this build knows")

// A migration is one step of the schema's history. Steps are applied in
// order, each once, and never edited after release: a change to the schema
// is a new step appended to migrations.
type migration struct {
	name  string
	steps []string
}

// migrations is the schema's history; migration i brings the schema to
// version i+1. Version 1 is the SQLite store's schema at its version 5
// (product identity, tasks, sequence numbers, feature records), in
// PostgreSQL's types. Sequences (BIGSERIAL) never hand out the ID of a
// deleted gallery again, as SQLite's AUTOINCREMENT does not.
var migrations = []migration{
	{name: "initial schema", steps: []string{
		`CREATE TABLE galleries (
			id             BIGSERIAL PRIMARY KEY,
			name           TEXT UNIQUE,
			app_id         TEXT UNIQUE,
			version        BIGINT NOT NULL DEFAULT 0,
			capacity       BIGINT NOT NULL DEFAULT 0,
			qps            BIGINT NOT NULL DEFAULT 0,
			daily_searches BIGINT NOT NULL DEFAULT 0,
			dau            BOOLEAN NOT NULL DEFAULT FALSE,
			suspended      BOOLEAN NOT NULL DEFAULT FALSE,
			created        BIGINT NOT NULL
		)`,
		`CREATE TABLE keys (
			id         TEXT PRIMARY KEY,
			secret     TEXT NOT NULL,
			gallery_id BIGINT REFERENCES galleries (id) ON DELETE CASCADE,
			created    BIGINT NOT NULL
		)`,
		`CREATE INDEX keys_by_gallery ON keys (gallery_id)`,
		// The image is the last column, as in SQLite; PostgreSQL keeps a
		// large value out of line (TOAST), so listings never read it.
		`CREATE TABLE targets (
			gallery_id     BIGINT NOT NULL REFERENCES galleries (id) ON DELETE CASCADE,
			id             TEXT NOT NULL,
			seq            BIGINT NOT NULL,
			created        BIGINT NOT NULL,
			modified       BIGINT NOT NULL,
			name           TEXT NOT NULL,
			size           TEXT NOT NULL,
			type           TEXT NOT NULL,
			active         BOOLEAN NOT NULL,
			allow_similar  BOOLEAN NOT NULL,
			product_id     TEXT NOT NULL,
			pic_name       TEXT NOT NULL,
			category       BIGINT NOT NULL,
			int_attr1      BIGINT NOT NULL,
			int_attr2      BIGINT NOT NULL,
			int_attr3      BIGINT NOT NULL,
			int_attr4      BIGINT NOT NULL,
			str_attr1      TEXT NOT NULL,
			str_attr2      TEXT NOT NULL,
			str_attr3      TEXT NOT NULL,
			str_attr4      TEXT NOT NULL,
			region         TEXT NOT NULL,
			width          BIGINT NOT NULL,
			height         BIGINT NOT NULL,
			image_sha256   BYTEA NOT NULL,
			fingerprint    BYTEA NOT NULL,
			grade          BYTEA NOT NULL,
			extra          TEXT NOT NULL,
			custom_content TEXT NOT NULL,
			meta           TEXT NOT NULL,
			image          BYTEA NOT NULL,
			PRIMARY KEY (gallery_id, id)
		)`,
		`CREATE INDEX targets_by_image ON targets (gallery_id, image_sha256, created, id)`,
		`CREATE INDEX targets_by_created ON targets (gallery_id, created, id)`,
		`CREATE UNIQUE INDEX targets_by_name ON targets (gallery_id, product_id, pic_name)`,
		`CREATE UNIQUE INDEX targets_by_seq ON targets (gallery_id, seq)`,
		`CREATE TABLE changes (
			gallery_id BIGINT NOT NULL REFERENCES galleries (id) ON DELETE CASCADE,
			version    BIGINT NOT NULL,
			target_id  TEXT NOT NULL,
			seq        BIGINT NOT NULL,
			op         SMALLINT NOT NULL,
			at         BIGINT NOT NULL,
			PRIMARY KEY (gallery_id, version)
		)`,
		`CREATE TABLE settings (
			name  TEXT PRIMARY KEY,
			value TEXT NOT NULL
		)`,
		`CREATE TABLE tasks (
			id         BIGSERIAL PRIMARY KEY,
			gallery_id BIGINT NOT NULL REFERENCES galleries (id) ON DELETE CASCADE,
			kind       TEXT NOT NULL,
			status     TEXT NOT NULL,
			code       TEXT NOT NULL,
			message    TEXT NOT NULL,
			source     TEXT NOT NULL,
			callback   TEXT NOT NULL,
			result     TEXT NOT NULL,
			total      BIGINT NOT NULL,
			done       BIGINT NOT NULL,
			failed     BIGINT NOT NULL,
			created    BIGINT NOT NULL,
			modified   BIGINT NOT NULL
		)`,
		`CREATE INDEX tasks_by_gallery ON tasks (gallery_id, kind, id)`,
		// A running task is the only one of its gallery and kind, whichever
		// server starts it: the index refuses a second (store.ErrTaskRunning).
		`CREATE UNIQUE INDEX ` + oneRunningTask + ` ON tasks (gallery_id, kind) WHERE status = 'PROCESSING'`,
		`CREATE TABLE target_features (
			gallery_id BIGINT NOT NULL,
			id         TEXT NOT NULL,
			features   BYTEA NOT NULL,
			PRIMARY KEY (gallery_id, id),
			FOREIGN KEY (gallery_id, id) REFERENCES targets (gallery_id, id) ON DELETE CASCADE
		)`,
	}},
	// What servers sharing the database must count and remember together
	// (counters.go): the searches of each gallery's current second and
	// day, and the one-time values of signed requests. A replay's key is
	// BYTEA: it holds whatever a client sent.
	{name: "shared search counts and replay memory", steps: []string{
		`CREATE TABLE search_counts (
			gallery_id BIGINT NOT NULL REFERENCES galleries (id) ON DELETE CASCADE,
			kind       TEXT NOT NULL,
			start      BIGINT NOT NULL,
			n          BIGINT NOT NULL,
			PRIMARY KEY (gallery_id, kind, start)
		)`,
		`CREATE TABLE replays (
			key     BYTEA PRIMARY KEY,
			expires BIGINT NOT NULL
		)`,
		`CREATE INDEX replays_by_expiry ON replays (expires)`,
	}},
}

// migrationLock is the key of the advisory lock migrations hold, so that
// servers starting at once migrate one after the other.
const migrationLock = 0x706978_6d61746368 // "pixmatch"

// migrate brings the schema of the database up to the newest version in
// one transaction, recording each step in schema_migrations. A database
// that is already current is left untouched.
func migrate(ctx context.Context, pool *pgxpool.Pool) error {
	return pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1)`, int64(migrationLock)); err != nil {
			return fmt.Errorf("migrate: lock: %w", err)
		}
		if _, err := tx.Exec(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
			version BIGINT PRIMARY KEY,
			name    TEXT NOT NULL,
			applied BIGINT NOT NULL
		)`); err != nil {
			return fmt.Errorf("migrate: %w", err)
		}
		var current int
		if err := tx.QueryRow(ctx, `SELECT COALESCE(MAX(version), 0) FROM schema_migrations`).Scan(&current); err != nil {
			return fmt.Errorf("migrate: read schema version: %w", err)
		}
		if current > len(migrations) {
			return fmt.Errorf("migrate: schema version %d, this build knows up to %d: %w",
				current, len(migrations), ErrSchemaTooNew)
		}
		for i := current; i < len(migrations); i++ {
			m := migrations[i]
			for _, step := range m.steps {
				if _, err := tx.Exec(ctx, step); err != nil {
					return fmt.Errorf("migrate to version %d (%s): %w", i+1, m.name, err)
				}
			}
			if _, err := tx.Exec(ctx, `INSERT INTO schema_migrations (version, name, applied) VALUES ($1, $2, $3)`,
				i+1, m.name, now()); err != nil {
				return fmt.Errorf("migrate to version %d (%s): %w", i+1, m.name, err)
			}
		}
		return nil
	})
}
