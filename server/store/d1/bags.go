package d1

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/pixmatch/pixmatch/server/store"
	"github.com/pixmatch/pixmatch/shared/bow"
)

// The feature tier without an index in memory: what the server's
// camera.Tier keeps of a target — the words and turns of its strongest
// features, its bag — is a column of the target's row (bag), and the
// triggers that run inside the statement writing the row keep one row of
// bag_words per word of the bag: (gallery, word, target's Seq, bag size,
// the turns of the target's features on the word). A search reads the
// rows of its words in one statement (Lists) and scores them as the
// server's index does (bow.Lists).
//
// The bag column is one of:
//
//   - a JSON object {"n": size, "w": [[word, "turns"], ...]}, the turns
//     one hex digit each (bow.Turns is 16): the target is listed;
//   - '-': its record was bagged and the tier leaves it out (a record of
//     another feature.Version, or damaged), as the server's tier does;
//   - '': not bagged yet — the target has no record, or it was written
//     without a Bagger (before the tier existed on the store, or by a
//     store without one). Rebag makes the bags such targets lack.
//
// # Failure model
//
// A bag is written by the statement that writes its target's record key
// (insert, update, SetFeatures, Rebag), and its lists by that
// statement's triggers, so a target is never listed with another
// record's words, nor half listed: a failure between statements leaves
// it listed as before or as after. Rebag's update names the record key
// and an empty bag it expects, so it is idempotent and never overwrites
// a newer record's bag. A target not yet bagged is found by the hash
// tier alone, as a server's target waiting for RemakeFeatures is.

// Bag is what the feature tier lists of a target: how many features its
// bag holds (camera.BagFeatures at most), and its words ascending, each
// with its features' turns (bow.Group).
type Bag struct {
	Size  int
	Words []bow.WordTurns
}

// Bagger returns the bag of a target's feature record, nil for a record
// the feature tier leaves out (another feature.Version, damaged).
type Bagger func(ctx context.Context, record []byte) (*Bag, error)

// SetBagger makes the store bag, with b, every feature record it writes
// from now on. Call it before the store is used; without one, records
// are written without a bag (an empty bag column).
func (s *Store) SetBagger(b Bagger) { s.bagger = b }

// unlisted is the bag of a record the tier leaves out.
const unlisted = "-"

// bagColumn returns the bag column of a target with the feature record
// record.
func (s *Store) bagColumn(ctx context.Context, record []byte) (string, error) {
	if s.bagger == nil {
		return "", nil
	}
	b, err := s.bagger(ctx, record)
	if err != nil {
		return "", fmt.Errorf("bag the feature record: %w", err)
	}
	if b == nil {
		return unlisted, nil
	}
	var sb strings.Builder
	sb.WriteString(`{"n":` + strconv.Itoa(b.Size) + `,"w":[`)
	for i, w := range b.Words {
		if i > 0 {
			sb.WriteByte(',')
		}
		sb.WriteString("[" + strconv.FormatUint(uint64(w.Word), 10) + `,"`)
		for _, t := range w.Turns {
			sb.WriteByte(hexDigits[t&0xf])
		}
		sb.WriteString(`"]`)
	}
	sb.WriteString("]}")
	return sb.String(), nil
}

const hexDigits = "0123456789abcdef"

// Lists returns what the feature tier lists of a gallery for the words
// of a query, in one statement: how many targets it lists, and each
// word's listings, by target Seq (the Doc of each bow.Listing). Words is
// left for the caller to set. A search reads ShortlistedLists instead
// (about a hundredth of the listings); Lists reads them all, the oracle
// its tests hold ShortlistedLists to.
func (s *Store) Lists(ctx context.Context, gallery int64, words []uint32) (*bow.Lists, error) {
	list, err := json.Marshal(words)
	if err != nil {
		return nil, err
	}
	rows, err := s.db.QueryContext(ctx, `SELECT word, group_concat(seq || ' ' || size || ' ' || turns, ',')
		FROM bag_words WHERE gallery_id = ? AND word IN (SELECT value FROM json_each(?)) GROUP BY word
		UNION ALL SELECT -1, CAST(count(*) AS TEXT) FROM targets WHERE gallery_id = ? AND `+listed,
		gallery, string(list), gallery)
	if err != nil {
		return nil, fmt.Errorf("d1: lists of gallery %d: %w", gallery, err)
	}
	defer rows.Close()
	l := &bow.Lists{ByWord: make(map[uint32][]bow.Listing, len(words))}
	for rows.Next() {
		var (
			word int64
			text string
		)
		if err := rows.Scan(&word, &text); err != nil {
			return nil, fmt.Errorf("d1: lists of gallery %d: %w", gallery, err)
		}
		if word < 0 {
			if l.Docs, err = strconv.Atoi(text); err != nil {
				return nil, fmt.Errorf("d1: lists of gallery %d: count %q", gallery, text)
			}
			continue
		}
		if l.ByWord[uint32(word)], err = listings(text); err != nil {
			return nil, fmt.Errorf("d1: lists of gallery %d, word %d: %w", gallery, word, err)
		}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("d1: lists of gallery %d: %w", gallery, err)
	}
	return l, nil
}

// listings parses a word's listings as Lists reads them: "seq size
// turns" for each target, comma-separated, the turns hexadecimal digits.
// The turns of all of them share one array. A search parsed about
// 135,000 listings at 10,000 targets before the lists were picked in D1
// (about 25,000 after, and about a thousand once shortlisted), so this
// is one pass over the bytes with two calls a listing (this package is
// built without inlining on the Worker) where
// splitting and strconv made a dozen: they were a fifth of such a
// search's time in the isolate.
func listings(text string) ([]bow.Listing, error) {
	out := make([]bow.Listing, 0, strings.Count(text, ",")+1)
	turns := make([]uint8, 0, len(text))
	for start := 0; start <= len(text); {
		end := strings.IndexByte(text[start:], ',')
		if end < 0 {
			end = len(text)
		} else {
			end += start
		}
		entry := text[start:end]
		seq, rest, ok1 := number(entry)
		size, hex, ok2 := number(rest)
		if !ok1 || !ok2 || seq > math.MaxUint32 || len(hex) == 0 {
			return nil, fmt.Errorf("listing %q", entry)
		}
		from := len(turns)
		for i := range len(hex) {
			d, ok := hexDigit(hex[i])
			if !ok {
				return nil, fmt.Errorf("listing %q", entry)
			}
			turns = append(turns, d)
		}
		out = append(out, bow.Listing{Doc: uint32(seq), Size: int(size), Turns: turns[from:len(turns):len(turns)]})
		start = end + 1
	}
	return out, nil
}

// hexDigit returns the value of the lower-case hexadecimal digit c.
func hexDigit(c byte) (uint8, bool) {
	switch {
	case c >= '0' && c <= '9':
		return c - '0', true
	case c >= 'a' && c <= 'f':
		return c - 'a' + 10, true
	}
	return 0, false
}

// number reads the decimal number s starts with (at most 15 digits) and
// the space after it, and returns what follows.
func number(s string) (n uint64, rest string, ok bool) {
	i := 0
	for ; i < len(s) && i < 16 && s[i] >= '0' && s[i] <= '9'; i++ {
		n = n*10 + uint64(s[i]-'0')
	}
	if i == 0 || i == 16 || i == len(s) || s[i] != ' ' {
		return 0, "", false
	}
	return n, s[i+1:], true
}

// SeqIDs returns the IDs of a gallery's targets by their Seqs (bow.Names
// over Lists' handles), in one statement. A Seq no target has is left
// out.
func (s *Store) SeqIDs(ctx context.Context, gallery int64, seqs []uint32) (map[uint32]string, error) {
	list, err := json.Marshal(seqs)
	if err != nil {
		return nil, err
	}
	type pair struct {
		seq int64
		id  string
	}
	pairs, err := queryAll(ctx, s.db, func(sc scanner) (pair, error) {
		var p pair
		return p, sc.Scan(&p.seq, &p.id)
	}, `SELECT seq, id FROM targets WHERE gallery_id = ? AND seq IN (SELECT value FROM json_each(?))`,
		gallery, string(list))
	if err != nil {
		return nil, fmt.Errorf("d1: targets of gallery %d by seq: %w", gallery, err)
	}
	out := make(map[uint32]string, len(pairs))
	for _, p := range pairs {
		if p.seq >= 0 && p.seq <= math.MaxUint32 {
			out[uint32(p.seq)] = p.id
		}
	}
	return out, nil
}

// TargetsBySeq is SeqIDs with the targets' rows, without their
// pictures, in one statement: the names of the shortlist, which break
// bow's ties, and the rows a search reads of it next.
func (s *Store) TargetsBySeq(ctx context.Context, gallery int64, seqs []uint32) (map[uint32]store.Target, error) {
	if len(seqs) == 0 {
		return map[uint32]store.Target{}, nil
	}
	list, err := json.Marshal(seqs)
	if err != nil {
		return nil, err
	}
	ts, err := s.targets(ctx, false, `WHERE gallery_id = ? AND seq IN (SELECT value FROM json_each(?))`, gallery, string(list))
	if err != nil {
		return nil, fmt.Errorf("d1: targets of gallery %d by seq: %w", gallery, err)
	}
	out := make(map[uint32]store.Target, len(ts))
	for _, t := range ts {
		if t.Seq >= 0 && t.Seq <= math.MaxUint32 {
			out[uint32(t.Seq)] = t
		}
	}
	return out, nil
}

// Rebag bags, with the store's Bagger, up to max targets of a gallery
// that have a feature record and no bag yet, and returns how many it
// bagged. Each is one conditional update (the record it read, no bag
// yet), so two Rebags at once, or a write meanwhile, lose nothing.
func (s *Store) Rebag(ctx context.Context, gallery int64, max int) (int, error) {
	if s.bagger == nil {
		return 0, nil
	}
	pending, err := queryAll(ctx, s.db, func(sc scanner) ([2]string, error) {
		var p [2]string
		return p, sc.Scan(&p[0], &p[1])
	}, `SELECT id, features_key FROM targets WHERE gallery_id = ? AND bag = '' AND features_key <> '' ORDER BY id LIMIT ?`, gallery, max)
	if err != nil {
		return 0, fmt.Errorf("d1: targets to bag in gallery %d: %w", gallery, err)
	}
	done := 0
	for _, p := range pending {
		record, err := s.blobs.Get(ctx, p[1])
		if errors.Is(err, ErrNoBlob) {
			continue // replaced meanwhile: its writer bagged the new record
		}
		if err != nil {
			return done, fmt.Errorf("d1: target %s: feature record: %w", p[0], err)
		}
		bag, err := s.bagColumn(ctx, record)
		if err != nil {
			return done, fmt.Errorf("d1: target %s: %w", p[0], err)
		}
		res, err := s.db.ExecContext(ctx, `UPDATE targets SET bag = ? WHERE gallery_id = ? AND id = ? AND features_key = ? AND bag = ''`,
			bag, gallery, p[0], p[1])
		if err != nil {
			return done, fmt.Errorf("d1: target %s: bag: %w", p[0], err)
		}
		if n, _ := res.RowsAffected(); n > 0 {
			done++
		}
	}
	return done, nil
}
