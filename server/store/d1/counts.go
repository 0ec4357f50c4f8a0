package d1

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
)

// CountSearch counts one search of a gallery in the window kind numbered
// start (server/gallery's Counter), in one statement: an insert that, on a window
// already there, adds one only while its count is under limit. No row
// back means the window is full. The first search of a window forgets
// the gallery's earlier windows of that kind, so the table holds about
// one row per gallery and kind.
func (s *Store) CountSearch(ctx context.Context, gallery int64, kind string, start int64, limit int) (bool, error) {
	var n int
	err := s.db.QueryRowContext(ctx, `INSERT INTO search_counts (gallery_id, kind, start, n) VALUES (?, ?, ?, 1)
		ON CONFLICT (gallery_id, kind, start) DO UPDATE SET n = n + 1 WHERE n < ?
		RETURNING n`, gallery, kind, start, limit).Scan(&n)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("d1: count a search: %w", err)
	}
	if n == 1 {
		_, err = s.db.ExecContext(ctx, `DELETE FROM search_counts WHERE gallery_id = ? AND kind = ? AND start < ?`,
			gallery, kind, start)
		if err != nil {
			return false, fmt.Errorf("d1: forget earlier search counts: %w", err)
		}
	}
	return true, nil
}
