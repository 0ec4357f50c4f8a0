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
// there, they cost more of its CPU than the rest of the search. Both of
// bow's passes are sums over rows, which SQL does where the rows are: the
// first (each target's plain score, the sum of its votes) picks the
// bow.Picked targets of highest plain score (bow.Votes); the second (each
// picked target's votes by turn, their best window) ranks those, and
// only the lists of the targets that could be among the search's
// shortlist are handed over — about its length instead of a thousand,
// with the count of those left out (bow.Lists.Shortlisted).
// bow.Lists.Query then scores them as it would the whole lists, with the
// same answer (TestShortlistedListsAnswerAsTheWholeLists in shared/bow,
// TestShortlistedListsAnswerAsTheWhole here).
//
// It takes two statements: the lengths of the words' lists, which the
// votes' weights need (idf; D1's SQLite has no logarithm to count on),
// then both passes and the handed lists together. Each answers in a row
// or a few of text, not in a row a word: every row a Worker reads from D1
// costs it a dozen calls into JavaScript, and a thousand rows cost more
// than their text.

// ShortlistedLists returns what the feature tier lists of a gallery for
// the query's features q over a vocabulary of words words, for bow's
// Query of at most k hits: how many targets it lists, each word's full
// length (Lens), each word's listings of the targets that could be among
// those k, by target Seq, and how many of Query's candidates were left
// out (bow.Lists.Shortlisted). Words is left for the caller to set.
func (s *Store) ShortlistedLists(ctx context.Context, gallery int64, q []bow.Feature, words, k int) (*bow.Lists, error) {
	if k < 1 {
		return nil, fmt.Errorf("d1: lists of gallery %d: a shortlist of %d", gallery, k)
	}
	lens, docs, err := s.listLengths(ctx, gallery, q)
	if err != nil {
		return nil, fmt.Errorf("d1: lists of gallery %d: %w", gallery, err)
	}
	l := &bow.Lists{Docs: docs, Lens: lens, ByWord: make(map[uint32][]bow.Listing, len(lens))}
	l.Shortlisted(k, 0)
	votes := bow.Votes(q, words, docs, lens)
	if len(votes) == 0 || docs == 0 {
		return l, nil
	}
	rs, err := s.db.QueryContext(ctx, shortlisted, gallery, votesJSON(votes), bow.Picked-1, k-1, chunkBytes)
	if err != nil {
		return nil, fmt.Errorf("d1: lists of gallery %d: %w", gallery, err)
	}
	defer rs.Close()
	for rs.Next() {
		var (
			text    string
			skipped int
		)
		if err := rs.Scan(&skipped, &text); err != nil {
			return nil, fmt.Errorf("d1: lists of gallery %d: %w", gallery, err)
		}
		l.Shortlisted(k, skipped)
		if err := wordLists(text, l.ByWord); err != nil {
			return nil, fmt.Errorf("d1: lists of gallery %d: %w", gallery, err)
		}
	}
	if err := rs.Err(); err != nil {
		return nil, fmt.Errorf("d1: lists of gallery %d: %w", gallery, err)
	}
	return l, nil
}

// shortlisted is ShortlistedLists' statement, over a gallery (?1), the
// votes (?2, votesJSON), the offsets of the Picked-th plain score (?3)
// and of the k-th final one (?4), and chunkBytes (?5). Scores are
// compared squared over the target's size (their order, without a
// square root), within a relative margin of 1e-9 (bow.Lists.Shortlisted):
//   - plain: each listed target's plain score;
//   - kept: those within the margin of the Picked-th or above it, sure
//     when above it beyond the margin;
//   - listed: the kept targets' listings on the query's words, each with
//     its share of the word's weight (Weight / max(Count, its turns))
//     and the query's distinct turns on the word with their counts —
//     the one scan of the lists after plain's, which the rest reads;
//   - pairs, bins: each sure target's votes by turn: for each of its
//     turns on a word and each distinct turn of the query's there, the
//     share times the query's features of that turn (hexadecimal
//     digits and five-digit counts; the first pair of each listing read
//     directly, the others, rare, by recursion), at most bow.Turns steps
//     a turn of the target's; summed by turn;
//   - final: each sure target's best window: a turn's votes and the
//     next turn's (bow.Window is 2; a window whose first turn has no
//     votes is never the best);
//   - handed: the targets within the margin of the first cut, and the
//     sure ones within the margin of the k-th final score or above it;
//   - the answer: the count of sure targets left out (the kept less the
//     handed), and the handed targets' listings as "word:listings" for
//     each word, joined by semicolons, in rows of about chunkBytes.
const shortlisted = `WITH RECURSIVE
	q(word, weight, count, qturns, qcounts) AS MATERIALIZED (
		SELECT json_extract(value, '$[0]'), json_extract(value, '$[1]'), json_extract(value, '$[2]'), json_extract(value, '$[3]'), json_extract(value, '$[4]')
		FROM json_each(?2)),
	plain(seq, size, v) AS MATERIALIZED (
		SELECT b.seq, max(b.size), sum(q.weight * min(q.count, length(b.turns))) * sum(q.weight * min(q.count, length(b.turns))) / max(b.size)
		FROM q CROSS JOIN bag_words AS b ON b.gallery_id = ?1 AND b.word = q.word GROUP BY b.seq),
	cut(v) AS (SELECT coalesce((SELECT v FROM plain ORDER BY v DESC LIMIT 1 OFFSET ?3), 0)),
	kept(seq, size, sure) AS MATERIALIZED (
		SELECT seq, size, plain.v > cut.v * (1 + 1e-9) FROM plain, cut WHERE plain.v >= cut.v * (1 - 1e-9)),
	listed(seq, word, size, turns, share, qturns, qcounts, sure) AS MATERIALIZED (
		SELECT b.seq, b.word, b.size, b.turns, q.weight / max(q.count, length(b.turns)), q.qturns, q.qcounts, k.sure
		FROM q CROSS JOIN bag_words AS b ON b.gallery_id = ?1 AND b.word = q.word JOIN kept AS k ON k.seq = +b.seq),
	pairs(seq, share, turns, qturns, qcounts, i) AS (
		SELECT seq, share, turns, qturns, qcounts, 1 FROM listed WHERE sure AND length(turns) * length(qturns) > 1
		UNION ALL SELECT seq, share, turns, qturns, qcounts, i + 1 FROM pairs WHERE i + 1 < length(turns) * length(qturns)),
	bins(seq, bin, votes) AS MATERIALIZED (
		SELECT seq, bin, sum(votes) FROM (
			SELECT seq, (instr('0123456789abcdef', substr(qturns, 1, 1)) - instr('0123456789abcdef', substr(turns, 1, 1)) + 16) % 16 AS bin,
				share * substr(qcounts, 1, 5) AS votes
			FROM listed WHERE sure
			UNION ALL SELECT seq, (instr('0123456789abcdef', substr(qturns, i % length(qturns) + 1, 1)) - instr('0123456789abcdef', substr(turns, i / length(qturns) + 1, 1)) + 16) % 16,
				share * substr(qcounts, i % length(qturns) * 5 + 1, 5)
			FROM pairs)
		GROUP BY 1, 2),
	final(seq, r) AS MATERIALIZED (
		SELECT w.seq, w.best * w.best / k.size FROM (
			SELECT b.seq, max(b.votes + coalesce(n.votes, 0)) AS best
			FROM bins AS b LEFT JOIN bins AS n ON n.seq = b.seq AND n.bin = (b.bin + 1) % 16 GROUP BY b.seq) AS w
		JOIN kept AS k ON k.seq = w.seq),
	cut2(r) AS (SELECT coalesce((SELECT r FROM final ORDER BY r DESC LIMIT 1 OFFSET ?4), 0)),
	handed(seq) AS MATERIALIZED (
		SELECT seq FROM kept WHERE NOT sure
		UNION ALL SELECT seq FROM final, cut2 WHERE final.r >= cut2.r * (1 - 1e-9)),
	skipped(n) AS (SELECT (SELECT count(*) FROM kept) - (SELECT count(*) FROM handed)),
	picked(word, list) AS (
		SELECT word, group_concat(seq || ' ' || size || ' ' || turns, ',') FROM listed
		WHERE seq IN handed GROUP BY word)
	SELECT (SELECT n FROM skipped), group_concat(word || ':' || list, ';') FROM (
		SELECT word, list, (sum(length(list)) OVER (ORDER BY word)) / ?5 AS chunk FROM picked) GROUP BY chunk`

// votesJSON returns votes as ShortlistedLists hands them to SQL: a JSON
// array of [word, weight, count, turns, counts] — the weight in the
// shortest form that reads back as the same float64, the turns of the
// query's features on the word as distinct hexadecimal digits, and how
// many of them have each, five decimal digits a turn (a query has fewer
// than 10⁵ features) — so that the second pass takes a step for each
// pair of a target's turn and a distinct turn of the query's, at most
// bow.Turns a target's turn, as bow scores it.
func votesJSON(votes []bow.Vote) string {
	b := make([]byte, 0, 48*len(votes)+2)
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
		b = append(b, ",\""...)
		for t, n := range v.ByTurn {
			if n > 0 {
				b = append(b, hexDigits[t])
			}
		}
		b = append(b, "\",\""...)
		for _, n := range v.ByTurn {
			if n > 0 {
				b = append(b, byte('0'+n/10000%10), byte('0'+n/1000%10), byte('0'+n/100%10), byte('0'+n/10%10), byte('0'+n%10))
			}
		}
		b = append(b, "\"]"...)
	}
	return string(append(b, ']'))
}

// chunkBytes is about how much text ShortlistedLists reads in one row: its
// words' lists, whole, until they pass it. D1 refuses a string over 2 MB;
// a word's handed list is at most about 280 KB (bow.Picked targets of
// bow.MaxCount turns), and about a kilobyte as lists are (a shortlist's
// targets) — unless far more targets tie at a cut: a word listing over
// about 130,000 of them (copies of one bag) would pass the limit, and
// the search fail. Rows cut
// every 4,096 listings instead (a window over the listings, not over the
// words) held any list, but cost workerd's local D1 about 175 ms more a
// search at 10,000 targets, where the whole search cost 250. A variable
// for tests.
var chunkBytes = 1 << 20

// wordLists parses lists as ShortlistedLists reads them —
// "word:listings" for each word, semicolon-separated, the listings as
// listings parses them — into by.
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
	lens := make(map[uint32]int, strings.Count(text.String, ",")+1) // sized once, not grown
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
