// Package syncwire is the format in which a server hands a gallery's
// searchable part to a follower, such as a browser, that keeps a copy of it.
//
// A follower holds a copy of a gallery at some version. A Batch either
// replaces the copy (a snapshot: every live target at version To) or moves
// it forward (a delta: what changed between versions From and To, as puts
// carrying a target's whole current state and as deletes). Targets are
// named by their Seq, the gallery version at which they were created: a
// positive integer, unique within the gallery and never reused. A State
// applies batches in order and keeps the result as an index.Index ready to
// search, plus the targets' names.
//
// # Encoding
//
// Integers are unsigned LEB128 varints ("uvarint", as encoding/binary
// writes them) in their shortest form, except codes, which are 8-byte
// little-endian words, and attribute integers, which are zigzag varints
// (binary.AppendVarint). Strings are a uvarint length followed by their
// bytes. A batch is
//
//	magic        "PXSY"
//	format       1 byte, FormatVersion
//	kind         1 byte, 1 snapshot or 2 delta
//	fingerprint  uvarint, algorithm version of the codes
//	bits         uvarint, code width, a positive multiple of 64
//	from, to     uvarint each, gallery versions; a snapshot has from 0
//	count        uvarint, number of records
//	records      count records, in ascending Seq order
//
// and nothing after. A record is
//
//	seq          uvarint, Seq minus the previous record's Seq (the first
//	             record's is its Seq), at least 1
//	flags        1 byte:
//	               0x01 deleted: the record ends here, and no other
//	                    flag is set (only deltas delete)
//	               0x02 active
//	               0x04 attributes follow
//	               0x08 a name follows
//	               high 4 bits: the number of codes, 1 to 14; 15 means
//	                    a uvarint with the number minus 15 follows
//	codes        the codes, each bits/64 words
//	attributes   uvarint mask of the fields present, then each present
//	             field in order: mask 0x001 Category, 0x002..0x010 Int[0..3]
//	             as zigzag varints, 0x020..0x100 Str[0..3] as strings
//	name         a string
//
// The encoding is canonical: only fields with non-zero values are present,
// and Decode refuses anything Encode would not write, so a decoded batch
// re-encodes to the same bytes. Every record is self-delimiting and
// follows from the previous one, so the format is streamed in one pass and
// compresses well (the HTTP layer gzips it): a snapshot of 100,000 targets
// with one or two codes and a short name each takes about 16 bytes per
// target gzipped, nearly all of it the incompressible codes.
//
// A batch's Seqs never exceed its To. Lengths and counts are checked
// against the limits below and against the input left before anything is
// allocated, so decoding a hostile batch takes memory in proportion to its
// size, not to what it claims.
// Attributes.Group is not carried: followers search without it.
package syncwire

import (
	"errors"
	"slices"
	"strconv"

	"github.com/pixmatch/pixmatch/shared/index"
)

// FormatVersion is the version of the wire format that Encode writes and
// Decode reads.
const FormatVersion = 1

// magic opens every batch.
const magic = "PXSY"

// Limits on a batch. Encode refuses batches beyond them and Decode refuses
// input that claims more.
const (
	// MaxRecords is the most records in a batch.
	MaxRecords = 1 << 24
	// MaxCodes is the most codes of a record.
	MaxCodes = 64
	// MaxStringLen is the longest name or string attribute, in bytes.
	MaxStringLen = 4096
	// MaxBits is the widest code.
	MaxBits = 4096
	// MaxFingerprint is the largest fingerprint algorithm version.
	MaxFingerprint = 1<<31 - 1
)

// Kind says whether a batch replaces a follower's copy or updates it.
type Kind uint8

// The kinds of batch.
const (
	// Snapshot holds every live target of a gallery at version To.
	Snapshot Kind = 1
	// Delta holds the targets put or deleted between versions From and To.
	Delta Kind = 2
)

// String returns "snapshot", "delta" or the kind's number.
func (k Kind) String() string {
	switch k {
	case Snapshot:
		return "snapshot"
	case Delta:
		return "delta"
	}
	return "kind(" + strconv.Itoa(int(k)) + ")"
}

// Record is one target of a batch: its current state, or its deletion.
type Record struct {
	// Seq names the target: the gallery version at which it was created.
	Seq uint64
	// Deleted marks a delta's delete; the other fields are then ignored.
	Deleted bool
	// Active targets are found by a default search.
	Active bool
	// Codes holds the target's k >= 1 fingerprint codes, each Bits/64
	// words, concatenated.
	Codes []uint64
	// Attrs holds what filters look at; Group is not carried.
	Attrs index.Attributes
	// Name is the target's name, if it has one.
	Name string
}

// Batch is a snapshot of a gallery or a delta between two of its versions.
type Batch struct {
	Kind Kind
	// Fingerprint is the version of the algorithm that made the codes.
	Fingerprint int
	// Bits is the width of one code, a positive multiple of 64.
	Bits int
	// From and To are gallery versions: a delta takes a copy at From to
	// To; a snapshot is the gallery at To and has From 0.
	From, To int64
	// Records are sorted by ascending Seq, each Seq at most once. Encode
	// and State.Apply sort a copy if needed.
	Records []Record
}

// Errors of decoding and applying batches. Each is returned wrapped, with
// the details.
var (
	// ErrFormat reports input that is not a valid batch, or a Batch value
	// that breaks the format's rules.
	ErrFormat = errors.New("syncwire: malformed batch")
	// ErrGap reports a delta whose From is not the version a State holds.
	ErrGap = errors.New("syncwire: delta does not follow the held version")
	// ErrMismatch reports a batch whose codes are of another fingerprint
	// version or width than those a State holds, when the batch cannot
	// switch them.
	ErrMismatch = errors.New("syncwire: batch fingerprint or width differs from the held one")
)

// wrapped is an error with a message of its own that wraps a sentinel.
type wrapped struct {
	msg string
	err error
}

// Error returns the message.
func (e *wrapped) Error() string { return e.msg }

// Unwrap returns the sentinel.
func (e *wrapped) Unwrap() error { return e.err }

// malformed returns ErrFormat wrapped with a description of the problem.
func malformed(what string) error {
	return &wrapped{msg: ErrFormat.Error() + ": " + what, err: ErrFormat}
}

// checkHeader returns an error wrapping ErrFormat unless b's fields other
// than Records are valid and it has no more than MaxRecords records.
func checkHeader(b *Batch) error {
	if what := headerProblem(b); what != "" {
		return malformed(what)
	}
	return nil
}

// headerProblem returns what is wrong with b's fields other than Records,
// or "" if nothing is.
func headerProblem(b *Batch) string {
	switch {
	case b.Kind != Snapshot && b.Kind != Delta:
		return "unknown " + b.Kind.String()
	case b.Fingerprint < 0 || b.Fingerprint > MaxFingerprint:
		return "fingerprint version " + strconv.Itoa(b.Fingerprint) + " out of range"
	case b.Bits <= 0 || b.Bits%64 != 0 || b.Bits > MaxBits:
		return "code width " + strconv.Itoa(b.Bits) + " is not a multiple of 64 up to " + strconv.Itoa(MaxBits)
	case b.From < 0 || b.To < b.From:
		return "versions from " + itoa64(b.From) + " to " + itoa64(b.To)
	case b.Kind == Snapshot && b.From != 0:
		return "snapshot from version " + itoa64(b.From) + ", not 0"
	case len(b.Records) > MaxRecords:
		return strconv.Itoa(len(b.Records)) + " records, more than " + strconv.Itoa(MaxRecords)
	}
	return ""
}

// checkRecord returns what is wrong with r as a record of a batch of the
// given kind, code width in words and version to, or "" if nothing is.
func checkRecord(r *Record, kind Kind, words int, to int64) string {
	switch {
	case r.Seq == 0:
		return "seq 0"
	case r.Seq > uint64(to):
		return "seq after the batch's version " + itoa64(to)
	case r.Deleted && kind == Snapshot:
		return "a delete in a snapshot"
	case r.Deleted:
		return ""
	case len(r.Codes) == 0 || len(r.Codes)%words != 0:
		return strconv.Itoa(len(r.Codes)) + " words of codes, not a positive multiple of " + strconv.Itoa(words)
	case len(r.Codes)/words > MaxCodes:
		return strconv.Itoa(len(r.Codes)/words) + " codes, more than " + strconv.Itoa(MaxCodes)
	case len(r.Name) > MaxStringLen:
		return "name of " + strconv.Itoa(len(r.Name)) + " bytes, more than " + strconv.Itoa(MaxStringLen)
	}
	for _, s := range r.Attrs.Str {
		if len(s) > MaxStringLen {
			return "string attribute of " + strconv.Itoa(len(s)) + " bytes, more than " + strconv.Itoa(MaxStringLen)
		}
	}
	return ""
}

// checkRecords returns b's records in ascending Seq order, sorting a copy
// if they are not, or an error wrapping ErrFormat if a Seq repeats or a
// record is invalid.
func checkRecords(b *Batch) ([]Record, error) {
	recs := b.Records
	if !slices.IsSortedFunc(recs, compareSeq) {
		recs = slices.Clone(recs)
		slices.SortFunc(recs, compareSeq)
	}
	words := b.Bits / 64
	for i := range recs {
		r := &recs[i]
		if i > 0 && r.Seq == recs[i-1].Seq {
			return nil, malformed("seq " + strconv.FormatUint(r.Seq, 10) + " repeated")
		}
		if what := checkRecord(r, b.Kind, words, b.To); what != "" {
			return nil, malformed("seq " + strconv.FormatUint(r.Seq, 10) + ": " + what)
		}
	}
	return recs, nil
}

// compareSeq orders records by Seq.
func compareSeq(a, b Record) int {
	switch {
	case a.Seq < b.Seq:
		return -1
	case a.Seq > b.Seq:
		return 1
	}
	return 0
}

// itoa64 formats v in decimal.
func itoa64(v int64) string { return strconv.FormatInt(v, 10) }
