// Package d1 implements store.Store for Cloudflare D1, the SQLite
// database of Cloudflare Workers, through database/sql: on a Worker with
// the Worker's driver (server/worker OpenD1, which reads a statement's
// answer as one text, d1wire, and otherwise behaves as syumai/workers'
// "d1" driver), on a host (its tests) with modernc SQLite held to what D1
// allows (see "D1 mode" in the tests), and against a real local D1
// through a test Worker that answers as the Worker's driver does
// (d1test.Remote).
//
// # What D1 allows
//
// The d1 driver has no transactions: every statement is its own atomic
// step, and D1 runs a database's statements one at a time. A value bound
// or read is a JavaScript number, exact only up to 2^53, so no 64-bit
// code crosses the driver whole: a hash is stored as four 16-bit parts.
// A string, a BLOB and a whole row are at most 2,000,000 bytes, and a
// statement binds at most 100 parameters. No Go function runs inside SQL;
// what SQL computes it does with SQLite's own operators and JSON functions.
//
// # Where values live
//
// A target's picture, feature record, and meta or unknown fields longer
// than InlineMax live in a Blobs store (R2 on a Worker), each under a key
// of its own made fresh for every write (BlobKey); the target's row holds
// the keys. Rows stay far below the 2 MB limit whatever a client sends.
//
// # The write path and its failure model
//
// Each change to a gallery's targets is ONE statement, and the change log
// is kept by triggers inside it: inserting a target (its Seq, the
// gallery's next version, computed in the same statement), updating one
// (its new version likewise) or deleting a set (a row inserted into
// deletions, whose trigger checks that every target exists, logs one
// change each in the order given, and removes them) also moves the
// gallery's version, appends the change rows and rewrites the target's
// hash codes (the codes table the search looks up). SQLite applies a
// statement and its triggers entirely or not at all, so no target is ever
// without its change row, no change row without its target's state, and
// no version is taken without its change — whatever fails between
// statements.
//
// Blobs are written before the statement that refers to them and deleted
// after the statement that stops referring to them. A failure between the
// two leaves a blob no row refers to: storage wasted, never a row that
// refers to a missing blob. Keys are never reused, so a blob still referred
// to is never deleted by a writer that raced another. Deleting a gallery
// is one statement too (its triggers remove targets, codes, change log,
// keys and tasks), followed by its blobs.
//
// # Search without an index in memory
//
// A Worker keeps nothing between requests, so the hash tier cannot load
// an index per search. Every hash code of a target is also a row of the
// codes table (written by the same triggers), and Candidates finds the
// targets that hold a code near a query's probes by indexed lookups (see
// codes.go); the caller searches those few exactly, with the same code as
// the server's index, and so gives the same answers.
//
// The feature tier likewise: a target's bag of words is a column of its
// row, and the row's triggers keep its inverted lists (bag_words) in the
// same statement; Lists reads a query's lists in one statement (see
// bags.go, its failure model and Rebag, the repair of targets written
// without a bag).
//
// Schema steps are idempotent (IF NOT EXISTS, or an ADD COLUMN taken as
// done when the column is there) and recorded after they all ran, so a
// migration cut short runs again whole at the next Open.
//
// Settings (the app's keys, made once on first use) are the one thing a
// Store keeps between requests: a value read is kept for SettingTTL, so
// the requests of an isolate do not each read the same keys again (see
// settings.go).
//
// Reads need no repair: the statements above leave nothing half done.
// A read that meets a missing blob (removed behind the store's back)
// fails with an error naming it rather than answering without it.
package d1

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/pixmatch/pixmatch/server/store"
)

// D1's limits, which the store keeps to (see the package doc).
const (
	// MaxValue is the most bytes of a string, a BLOB or a row.
	MaxValue = 2_000_000
	// MaxParams is the most parameters a statement binds.
	MaxParams = 100
	// InlineMax is the longest meta or unknown fields kept in the
	// target's row; longer ones go to the blob store.
	InlineMax = 64 << 10
)

// Store is a store.Store kept in a D1 database and a blob store. It is
// safe for concurrent use.
type Store struct {
	db       *sql.DB
	blobs    Blobs
	now      func() time.Time
	settings settingCache
	bagger   Bagger // nil: records are written unbagged (bags.go)
}

var _ store.Store = (*Store)(nil)

// Open returns the store kept in db and blobs, bringing db's schema up to
// date. db is D1 (sql.Open("d1", binding)) or a database that behaves as
// it does. Close does not close db.
func Open(ctx context.Context, db *sql.DB, blobs Blobs) (*Store, error) {
	if err := migrate(ctx, db); err != nil {
		return nil, fmt.Errorf("d1: open: %w", err)
	}
	return &Store{db: db, blobs: blobs, now: time.Now}, nil
}

// Close releases nothing: the database and the blob store belong to the
// caller.
func (s *Store) Close() error { return nil }

// at returns the current time in unix milliseconds.
func (s *Store) at() int64 { return s.now().UnixMilli() }

// storeError translates D1's errors into the store's sentinels. D1 reports
// SQLite's errors as messages only, so they are recognised by SQLite's
// wording, which both D1 and modernc keep.
func storeError(err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, sql.ErrNoRows) {
		return store.ErrNotFound
	}
	msg := err.Error()
	switch {
	case strings.Contains(msg, "UNIQUE constraint failed"):
		return fmt.Errorf("%w: %w", store.ErrExists, err)
	case strings.Contains(msg, errMissingTarget):
		return fmt.Errorf("%w: %w", store.ErrNotFound, err)
	}
	return err
}

// isNotFound reports an error wrapping store.ErrNotFound.
func isNotFound(err error) bool { return errors.Is(err, store.ErrNotFound) }

// errMissingTarget is the message the deletions trigger aborts with when
// a target to delete is not there.
const errMissingTarget = "pixmatch: no such target"

// mustAffect turns a statement that changed no row into sql.ErrNoRows.
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

// Kinds of blob a target has.
const (
	blobImage    = "image"
	blobFeatures = "features"
	blobMeta     = "meta"
	blobExtra    = "extra"
)

// BlobKey returns a new key for a blob of one target: the gallery, the
// target (escaped), the kind of value and 16 random hex digits, so that no
// two writes share a key.
func BlobKey(gallery int64, target, kind string) string {
	var r [8]byte
	rand.Read(r[:])
	return fmt.Sprintf("g%d/%s/%s.%s", gallery, url.PathEscape(target), kind, hex.EncodeToString(r[:]))
}

// galleryPrefix is the prefix of every blob key of a gallery.
func galleryPrefix(gallery int64) string { return fmt.Sprintf("g%d/", gallery) }

// scanner is a *sql.Row or *sql.Rows.
type scanner interface {
	Scan(dest ...any) error
}

// queryAll runs a query and scans each row with scan.
func queryAll[T any](ctx context.Context, db *sql.DB, scan func(scanner) (T, error), query string, args ...any) ([]T, error) {
	rows, err := db.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []T
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

// nullString stores the empty string as NULL, so that unique columns can
// hold any number of unset values.
func nullString(s string) sql.NullString { return sql.NullString{String: s, Valid: s != ""} }

// nullID stores the zero ID as NULL, meaning "no row".
func nullID(id int64) sql.NullInt64 { return sql.NullInt64{Int64: id, Valid: id != 0} }

// boolInt stores a bool as the INTEGER 0 or 1.
func boolInt(b bool) int64 {
	if b {
		return 1
	}
	return 0
}
