package d1

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/pixmatch/pixmatch/shared/bow"
)

// A search of the feature tier does not read every listing of its words
// into the Worker. At 10,000 targets a query's thousand words list about
// 135,000 targets; carried into the isolate as text, parsed and scored
// there, they cost more of its CPU than the rest of the search. The
// first pass of bow's scoring — each target's plain score, the sum of
// its votes — is a sum over rows, which SQL does where the rows are, so
// PickedLists scores it in D1 and hands over only the lists of the
// bow.Picked targets of highest plain score (bow.Votes): about a tenth
// of the listings. bow.Lists.Query then scores those as it would the
// whole lists, with the same answer (TestPickedListsAnswerAsTheWholeLists
// in shared/bow, TestPickedListsAnswerAsTheWhole here).
//
// It takes two statements: the lengths of the words' lists, which the
// votes' weights need (idf; D1's SQLite has no logarithm to count on),
// then the pick and the picked lists together. Each answers in a row or
// a few of text, not in a row a word: every row a Worker reads from D1 costs
// it a dozen calls into JavaScript, and a thousand rows cost more than
// their text.

// PickedLists returns what the feature tier lists of a gallery for the
// query's features q over a vocabulary of words words, for bow's Query:
// how many targets it lists, each word's full length (Lens), and each
// word's listings of the targets Query's first pass could keep, by target
// Seq. Words is left for the caller to set.
func (s *Store) PickedLists(ctx context.Context, gallery int64, q []bow.Feature, words int) (*bow.Lists, error) {
	lens, docs, err := s.listLengths(ctx, gallery, q)
	if err != nil {
		return nil, fmt.Errorf("d1: lists of gallery %d: %w", gallery, err)
	}
	l := &bow.Lists{Docs: docs, Lens: lens, ByWord: make(map[uint32][]bow.Listing, len(lens))}
	votes := bow.Votes(q, words, docs, lens)
	if len(votes) == 0 || docs == 0 {
		return l, nil
	}
	arg := votesJSON(votes)
	// plain: each listed target's plain score, squared over its size (the
	// order of the score over the square root of its size, without a
	// square root); the targets within 1e-9 of the Picked-th are picked.
	rs, err := s.db.QueryContext(ctx, `WITH q(word, weight, count) AS MATERIALIZED (
			SELECT json_extract(value, '$[0]'), json_extract(value, '$[1]'), json_extract(value, '$[2]') FROM json_each(?2)),
		plain(seq, v) AS MATERIALIZED (
			SELECT b.seq, sum(q.weight * min(q.count, length(b.turns))) * sum(q.weight * min(q.count, length(b.turns))) / max(b.size)
			FROM q CROSS JOIN bag_words AS b ON b.gallery_id = ?1 AND b.word = q.word GROUP BY b.seq),
		cut(v) AS (SELECT v FROM plain ORDER BY v DESC LIMIT 1 OFFSET ?3),
		picked(word, list) AS (
			SELECT b.word, group_concat(b.seq || ' ' || b.size || ' ' || b.turns, ',')
			FROM q CROSS JOIN bag_words AS b ON b.gallery_id = ?1 AND b.word = q.word
			WHERE +b.seq IN (SELECT seq FROM plain WHERE v >= coalesce((SELECT v FROM cut), 0) * (1 - 1e-9))
			GROUP BY b.word)
		SELECT group_concat(word || ':' || list, ';') FROM (
			SELECT word, list, (sum(length(list)) OVER (ORDER BY word)) / ?4 AS chunk FROM picked) GROUP BY chunk`,
		gallery, arg, bow.Picked-1, chunkBytes)
	if err != nil {
		return nil, fmt.Errorf("d1: lists of gallery %d: %w", gallery, err)
	}
	defer rs.Close()
	for rs.Next() {
		var text string
		if err := rs.Scan(&text); err != nil {
			return nil, fmt.Errorf("d1: lists of gallery %d: %w", gallery, err)
		}
		if err := wordLists(text, l.ByWord); err != nil {
			return nil, fmt.Errorf("d1: lists of gallery %d: %w", gallery, err)
		}
	}
	if err := rs.Err(); err != nil {
		return nil, fmt.Errorf("d1: lists of gallery %d: %w", gallery, err)
	}
	return l, nil
}

// votesJSON returns votes as PickedLists hands them to SQL: a JSON array
// of [word, weight, count], the weight in the shortest form that reads
// back as the same float64.
func votesJSON(votes []bow.Vote) string {
	b := make([]byte, 0, 32*len(votes)+2)
	b = append(b, '[')
	for i, v := range votes {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, '[')
		b = strconv.AppendUint(b, uint64(v.Word), 10)
		b = append(b, ',')
		b = strconv.AppendFloat(b, v.Weight, 'g', -1, 64)
		b = append(b, ',')
		b = strconv.AppendInt(b, int64(v.Count), 10)
		b = append(b, ']')
	}
	return string(append(b, ']'))
}

// chunkBytes is about how much text PickedLists reads in one row: its
// words' lists, whole, until they pass it. D1 refuses a string over 2 MB;
// a word's picked list is at most about 280 KB (bow.Picked targets of
// bow.MaxCount turns), and about 15 KB as lists are — unless far more
// targets tie at the cut: a word listing over about 130,000 of them
// (copies of one bag) would pass the limit, and the search fail. Rows cut
// every 4,096 listings instead (a window over the listings, not over the
// words) held any list, but cost workerd's local D1 about 175 ms more a
// search at 10,000 targets, where the whole search cost 250. A variable
// for tests.
var chunkBytes = 1 << 20

// wordLists parses lists as PickedLists reads them — "word:listings" for
// each word, semicolon-separated, the listings as listings parses them —
// into by.
func wordLists(text string, by map[uint32][]bow.Listing) error {
	for entry := range strings.SplitSeq(text, ";") {
		word, list, ok := strings.Cut(entry, ":")
		w, err := strconv.ParseUint(word, 10, 32)
		if !ok || err != nil {
			return fmt.Errorf("lists: word %q", word)
		}
		if by[uint32(w)], err = listings(list); err != nil {
			return fmt.Errorf("lists, word %d: %w", w, err)
		}
	}
	return nil
}

// listLengths returns how many targets each word of q lists in a gallery
// (a word none lists is left out), and how many targets it lists.
func (s *Store) listLengths(ctx context.Context, gallery int64, q []bow.Feature) (map[uint32]int, int, error) {
	ws := make([]uint32, len(q))
	for i, f := range q {
		ws[i] = f.Word
	}
	slices.Sort(ws)
	arg := []byte{'['}
	for i, w := range slices.Compact(ws) {
		if i > 0 {
			arg = append(arg, ',')
		}
		arg = strconv.AppendUint(arg, uint64(w), 10)
	}
	arg = append(arg, ']')
	var (
		docs int
		text sql.NullString
	)
	err := s.db.QueryRowContext(ctx, `SELECT (SELECT count(*) FROM targets WHERE gallery_id = ?1 AND `+listed+`),
		(SELECT group_concat(word || ' ' || n, ',') FROM (SELECT word, count(*) AS n FROM bag_words
			WHERE gallery_id = ?1 AND word IN (SELECT value FROM json_each(?2)) GROUP BY word))`,
		gallery, string(arg)).Scan(&docs, &text)
	if err != nil {
		return nil, 0, err
	}
	lens := map[uint32]int{}
	for entry := range strings.SplitSeq(text.String, ",") {
		if entry == "" {
			continue
		}
		word, n, ok := strings.Cut(entry, " ")
		w, err1 := strconv.ParseUint(word, 10, 32)
		c, err2 := strconv.Atoi(n)
		if !ok || err1 != nil || err2 != nil {
			return nil, 0, fmt.Errorf("list length %q", entry)
		}
		lens[uint32(w)] = c
	}
	return lens, docs, nil
}
