package sqlite

import (
	"context"
	"database/sql"
	"path/filepath"
	"testing"
)

// TestMigrationGivesCRSTargetsAnIdentity opens a database written by the
// first schema, whose CRS targets have no ProductId or PicName and no
// sequence number, and checks that the later steps give them their ID and
// name, and distinct sequence numbers.
func TestMigrationGivesCRSTargetsAnIdentity(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "old.db")
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	for _, step := range migrations[0].steps {
		if _, err := db.ExecContext(ctx, step); err != nil {
			t.Fatal(err)
		}
	}
	for _, q := range []string{
		`CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied INTEGER NOT NULL)`,
		`INSERT INTO schema_migrations VALUES (1, 'initial schema', 0)`,
		`INSERT INTO galleries (id, name, app_id, created) VALUES (1, 'g', 'app', 0)`,
	} {
		if _, err := db.ExecContext(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	for _, id := range []string{"t1", "t2"} {
		_, err := db.ExecContext(ctx, `INSERT INTO targets (gallery_id, id, created, modified, name, size, type,
			active, allow_similar, product_id, pic_name, category, int_attr1, int_attr2, int_attr3, int_attr4,
			str_attr1, str_attr2, str_attr3, str_attr4, region, width, height, image_sha256, fingerprint, grade,
			extra, custom_content, meta, image)
			VALUES (1, ?, 0, 0, 'same name', '20', 'ImageTarget', 1, 0, '', '', 0, 0, 0, 0, 0, '', '', '', '', '',
			1, 1, ?, x'', x'', '', '', '', x'')`, id, make([]byte, 32))
		if err != nil {
			t.Fatal(err)
		}
	}
	db.Close()

	s, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	seqs := map[int64]bool{}
	for _, id := range []string{"t1", "t2"} {
		got, err := s.TargetByName(ctx, 1, id, "same name")
		if err != nil || got.ID != id {
			t.Errorf("TargetByName(%s, same name) = %s, %v", id, got.ID, err)
		}
		if got.Seq <= 0 || seqs[got.Seq] {
			t.Errorf("target %s got sequence number %d (taken: %v)", id, got.Seq, seqs)
		}
		seqs[got.Seq] = true
	}
}
