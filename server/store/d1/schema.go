package d1

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"
)

// ErrSchemaTooNew reports a database whose schema a newer pixmatch wrote.
var ErrSchemaTooNew = errors.New("database schema is newer than this build knows")

// A migration is one step of the schema's history, applied once, never
// edited after release. D1 has no transactions, so every statement of a
// step is idempotent (IF NOT EXISTS) and the step is recorded after all of
// them ran: a step cut short runs again whole.
//
// Nothing relies on foreign keys: what goes with a gallery or a target is
// removed by the triggers below, inside the statement that removes it.
type migration struct {
	name  string
	steps []string
}

var migrations = []migration{
	{name: "initial schema", steps: []string{
		`CREATE TABLE IF NOT EXISTS galleries (
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
		`CREATE TABLE IF NOT EXISTS keys (
			id         TEXT PRIMARY KEY,
			secret     TEXT NOT NULL,
			gallery_id INTEGER,
			created    INTEGER NOT NULL
		)`,
		`CREATE INDEX IF NOT EXISTS keys_by_gallery ON keys (gallery_id)`,
		`CREATE TABLE IF NOT EXISTS settings (
			name  TEXT PRIMARY KEY,
			value TEXT NOT NULL
		)`,
		// version is the gallery version of the target's last change;
		// changed its time. codes is the JSON of the hash codes the codes
		// table indexes ([window, part0..part3] each). The *_key columns
		// name blobs ('' for none); meta and extra hold the value when it
		// is short, '' when it lives in a blob.
		`CREATE TABLE IF NOT EXISTS targets (
			gallery_id     INTEGER NOT NULL,
			id             TEXT NOT NULL,
			seq            INTEGER NOT NULL,
			version        INTEGER NOT NULL,
			created        INTEGER NOT NULL,
			changed        INTEGER NOT NULL,
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
			fingerprint    BLOB NOT NULL,
			grade          BLOB NOT NULL,
			custom_content TEXT NOT NULL,
			meta           TEXT NOT NULL,
			meta_key       TEXT NOT NULL,
			extra          TEXT NOT NULL,
			extra_key      TEXT NOT NULL,
			width          INTEGER NOT NULL,
			height         INTEGER NOT NULL,
			image_sha256   BLOB NOT NULL,
			image_key      TEXT NOT NULL,
			features_key   TEXT NOT NULL,
			codes          TEXT NOT NULL,
			PRIMARY KEY (gallery_id, id)
		)`,
		`CREATE INDEX IF NOT EXISTS targets_by_image ON targets (gallery_id, image_sha256, created, id)`,
		`CREATE INDEX IF NOT EXISTS targets_by_created ON targets (gallery_id, created, id)`,
		`CREATE UNIQUE INDEX IF NOT EXISTS targets_by_name ON targets (gallery_id, product_id, pic_name)`,
		`CREATE UNIQUE INDEX IF NOT EXISTS targets_by_seq ON targets (gallery_id, seq)`,
		`CREATE TABLE IF NOT EXISTS changes (
			gallery_id INTEGER NOT NULL,
			version    INTEGER NOT NULL,
			target_id  TEXT NOT NULL,
			seq        INTEGER NOT NULL,
			op         INTEGER NOT NULL,
			at         INTEGER NOT NULL,
			PRIMARY KEY (gallery_id, version)
		)`,
		// One row per hash code of a target, its 64 bits in four 16-bit
		// parts, each indexed: the search's multi-index hashing. Each
		// part's index holds the whole row, so a lookup reads nothing else.
		`CREATE TABLE IF NOT EXISTS codes (
			gallery_id INTEGER NOT NULL,
			target_id  TEXT NOT NULL,
			win        INTEGER NOT NULL,
			p0 INTEGER NOT NULL, p1 INTEGER NOT NULL, p2 INTEGER NOT NULL, p3 INTEGER NOT NULL
		)`,
		`CREATE INDEX IF NOT EXISTS codes_by_target ON codes (gallery_id, target_id)`,
		`CREATE INDEX IF NOT EXISTS codes_by_p0 ON codes (gallery_id, p0, win, p1, p2, p3, target_id)`,
		`CREATE INDEX IF NOT EXISTS codes_by_p1 ON codes (gallery_id, p1, win, p0, p2, p3, target_id)`,
		`CREATE INDEX IF NOT EXISTS codes_by_p2 ON codes (gallery_id, p2, win, p0, p1, p3, target_id)`,
		`CREATE INDEX IF NOT EXISTS codes_by_p3 ON codes (gallery_id, p3, win, p0, p1, p2, target_id)`,
		`CREATE TABLE IF NOT EXISTS tasks (
			id         INTEGER PRIMARY KEY AUTOINCREMENT,
			gallery_id INTEGER NOT NULL,
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
		`CREATE INDEX IF NOT EXISTS tasks_by_gallery ON tasks (gallery_id, kind, id)`,
		`CREATE INDEX IF NOT EXISTS tasks_by_status ON tasks (status, gallery_id, kind)`,
		// A deletion of targets is a row inserted here: its trigger does
		// the whole deletion inside the one INSERT, then removes the row.
		`CREATE TABLE IF NOT EXISTS deletions (
			id         INTEGER PRIMARY KEY,
			gallery_id INTEGER NOT NULL,
			ids        TEXT NOT NULL,
			version    INTEGER NOT NULL,
			at         INTEGER NOT NULL
		)`,
		`CREATE TRIGGER IF NOT EXISTS target_created AFTER INSERT ON targets BEGIN
			UPDATE galleries SET version = NEW.version WHERE id = NEW.gallery_id;
			INSERT INTO changes (gallery_id, version, target_id, seq, op, at)
				VALUES (NEW.gallery_id, NEW.version, NEW.id, NEW.seq, 1, NEW.changed);
			` + insertCodes + `;
		END`,
		`CREATE TRIGGER IF NOT EXISTS target_updated AFTER UPDATE OF version ON targets BEGIN
			UPDATE galleries SET version = NEW.version WHERE id = NEW.gallery_id;
			INSERT INTO changes (gallery_id, version, target_id, seq, op, at)
				VALUES (NEW.gallery_id, NEW.version, NEW.id, NEW.seq, 1, NEW.changed);
			DELETE FROM codes WHERE gallery_id = NEW.gallery_id AND target_id = NEW.id;
			` + insertCodes + `;
		END`,
		`CREATE TRIGGER IF NOT EXISTS targets_deleted AFTER INSERT ON deletions BEGIN
			SELECT RAISE(ABORT, '` + errMissingTarget + `') WHERE EXISTS (
				SELECT 1 FROM json_each(NEW.ids) j WHERE NOT EXISTS (
					SELECT 1 FROM targets t WHERE t.gallery_id = NEW.gallery_id AND t.id = j.value));
			INSERT INTO changes (gallery_id, version, target_id, seq, op, at)
				SELECT NEW.gallery_id, NEW.version - json_array_length(NEW.ids) + 1 + j.key, j.value, t.seq, 2, NEW.at
				FROM json_each(NEW.ids) j JOIN targets t ON t.gallery_id = NEW.gallery_id AND t.id = j.value;
			UPDATE galleries SET version = NEW.version WHERE id = NEW.gallery_id;
			DELETE FROM codes WHERE gallery_id = NEW.gallery_id AND target_id IN (SELECT value FROM json_each(NEW.ids));
			DELETE FROM targets WHERE gallery_id = NEW.gallery_id AND id IN (SELECT value FROM json_each(NEW.ids));
			DELETE FROM deletions WHERE id = NEW.id;
		END`,
		`CREATE TRIGGER IF NOT EXISTS gallery_deleted AFTER DELETE ON galleries BEGIN
			DELETE FROM changes WHERE gallery_id = OLD.id;
			DELETE FROM codes WHERE gallery_id = OLD.id;
			DELETE FROM targets WHERE gallery_id = OLD.id;
			DELETE FROM keys WHERE gallery_id = OLD.id;
			DELETE FROM tasks WHERE gallery_id = OLD.id;
		END`,
	}},
	// The memory of one-time values (auth.Replays): a Worker keeps nothing
	// between requests, so the signatures and nonces it must refuse
	// again live here.
	{name: "replay memory", steps: []string{
		`CREATE TABLE IF NOT EXISTS replays (
			key     TEXT PRIMARY KEY,
			expires INTEGER NOT NULL
		)`,
		`CREATE INDEX IF NOT EXISTS replays_by_expiry ON replays (expires)`,
	}},
	// The searches counted against the galleries' limits (Store.CountSearch),
	// for the same reason: a Worker's memory lasts one request.
	{name: "search counts", steps: []string{
		`CREATE TABLE IF NOT EXISTS search_counts (
			gallery_id INTEGER NOT NULL,
			kind       TEXT NOT NULL,
			start      INTEGER NOT NULL,
			n          INTEGER NOT NULL,
			PRIMARY KEY (gallery_id, kind, start)
		)`,
		`CREATE TRIGGER IF NOT EXISTS search_counts_of_gallery AFTER DELETE ON galleries BEGIN
			DELETE FROM search_counts WHERE gallery_id = OLD.id;
		END`,
	}},
	// The feature tier's bags of words (bags.go): a target's bag is a
	// column of its row, and its triggers keep the bag's rows in
	// bag_words, the inverted lists a search reads, inside the statement
	// that writes the row.
	{name: "bags of words", steps: []string{
		// An ADD COLUMN that ran before is taken as done (addColumn).
		`ALTER TABLE targets ADD COLUMN bag TEXT NOT NULL DEFAULT ''`,
		`CREATE INDEX IF NOT EXISTS targets_listed ON targets (gallery_id) WHERE ` + listed + ``,
		`CREATE INDEX IF NOT EXISTS targets_unbagged ON targets (gallery_id, id) WHERE bag = '' AND features_key <> ''`,
		// One row per target and word: the target's Seq, its bag's size
		// and the turns of its features on the word (hex digits).
		`CREATE TABLE IF NOT EXISTS bag_words (
			gallery_id INTEGER NOT NULL,
			word       INTEGER NOT NULL,
			seq        INTEGER NOT NULL,
			size       INTEGER NOT NULL,
			turns      TEXT NOT NULL,
			PRIMARY KEY (gallery_id, word, seq)
		) WITHOUT ROWID`,
		`CREATE TRIGGER IF NOT EXISTS bag_created AFTER INSERT ON targets WHEN ` + newListed + ` BEGIN
			` + insertBagWords + `;
		END`,
		`CREATE TRIGGER IF NOT EXISTS bag_updated AFTER UPDATE OF bag ON targets WHEN OLD.bag IS NOT NEW.bag BEGIN
			` + deleteBagWords + `;
			` + insertBagWords + `;
		END`,
		`CREATE TRIGGER IF NOT EXISTS bag_deleted AFTER DELETE ON targets WHEN OLD.bag GLOB '{*' BEGIN
			` + deleteBagWords + `;
		END`,
	}},
	// Counts, which every search of a Worker asks, from an index alone:
	// without it the count read every row of the gallery (a fifth of a
	// search's CPU at 10,000 targets under workerd).
	{name: "active counts", steps: []string{
		`CREATE INDEX IF NOT EXISTS targets_by_active ON targets (gallery_id, active)`,
	}},
}

// listed is true of a target whose bag the feature tier lists; newListed
// of a row being written.
const (
	listed    = `bag GLOB '{*'`
	newListed = `NEW.bag GLOB '{*'`
)

// deleteBagWords removes the rows of bag_words an old bag column made,
// each found by its primary key (its words are in the old bag), not by
// a scan of the gallery's lists.
const deleteBagWords = `DELETE FROM bag_words WHERE gallery_id = OLD.gallery_id AND seq = OLD.seq AND word IN (
	SELECT json_extract(value, '$[0]') FROM json_each(CASE WHEN OLD.bag GLOB '{*' THEN OLD.bag ELSE '{}' END, '$.w'))`

// insertBagWords fills bag_words from a target row's bag column.
const insertBagWords = `INSERT INTO bag_words (gallery_id, word, seq, size, turns)
	SELECT NEW.gallery_id, json_extract(value, '$[0]'), NEW.seq, json_extract(NEW.bag, '$.n'), json_extract(value, '$[1]')
	FROM json_each(CASE WHEN ` + newListed + ` THEN NEW.bag ELSE '{}' END, '$.w')`

// insertCodes fills the codes table from a target row's codes column.
const insertCodes = `INSERT INTO codes (gallery_id, target_id, win, p0, p1, p2, p3)
	SELECT NEW.gallery_id, NEW.id, json_extract(value, '$[0]'), json_extract(value, '$[1]'),
		json_extract(value, '$[2]'), json_extract(value, '$[3]'), json_extract(value, '$[4]')
	FROM json_each(NEW.codes)`

// migrate brings db's schema to the newest version. A Worker opens the
// store on every request, so a current schema costs one read.
func migrate(ctx context.Context, db *sql.DB) error {
	var current int
	err := db.QueryRowContext(ctx, `SELECT COALESCE(MAX(version), 0) FROM schema_migrations`).Scan(&current)
	if err != nil && strings.Contains(err.Error(), "no such table") {
		_, err = db.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
			version INTEGER PRIMARY KEY,
			name    TEXT NOT NULL,
			applied INTEGER NOT NULL
		)`)
	}
	if err != nil {
		return fmt.Errorf("migrate: read schema version: %w", err)
	}
	if current > len(migrations) {
		return fmt.Errorf("migrate: schema version %d, this build knows up to %d: %w", current, len(migrations), ErrSchemaTooNew)
	}
	for i := current; i < len(migrations); i++ {
		m := migrations[i]
		for _, step := range m.steps {
			if _, err := db.ExecContext(ctx, step); err != nil && !addedBefore(step, err) {
				return fmt.Errorf("migrate to version %d (%s): %w", i+1, m.name, err)
			}
		}
		if _, err := db.ExecContext(ctx, `INSERT OR IGNORE INTO schema_migrations (version, name, applied) VALUES (?, ?, ?)`,
			i+1, m.name, time.Now().UnixMilli()); err != nil {
			return fmt.Errorf("migrate to version %d (%s): %w", i+1, m.name, err)
		}
	}
	return nil
}

// addedBefore reports whether err is that of an ALTER TABLE ADD COLUMN
// step run again after a cut-short migration had added the column: the
// one step SQLite has no IF NOT EXISTS for.
func addedBefore(step string, err error) bool {
	return strings.HasPrefix(step, "ALTER TABLE") && strings.Contains(err.Error(), "duplicate column name")
}
