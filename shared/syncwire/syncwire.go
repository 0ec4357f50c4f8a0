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
// search, plus the targets' names and, for a small gallery, their feature
// records (shared/feature), which a follower verifies a camera frame
// against without the server.
//
// # Encoding
//
// Integers are unsigned LEB128 varints ("uvarint", as encoding/binary
// writes them) in their shortest form, except the words of codes, which
// are 8-byte little-endian, and attribute integers, which are zigzag
// varints (binary.AppendVarint). Strings are a uvarint length followed by
// their bytes. A batch is
//
//	magic        "PXSY"
//	format       1 byte, FormatVersion (3)
//	kind         1 byte, 1 snapshot or 2 delta
//	fingerprint  uvarint, algorithm version of the codes
//	tables       uvarint, number of tables of the index the codes belong
//	             to, 1 to MaxTables
//	checks       uvarint, check words carried per code, 0 to index.Checks
//	features     uvarint, 0 when the batch carries no feature records,
//	             else their version, feature.Version
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
//	codes        the codes, in the record's order, each CodeSize(checks)
//	             bytes:
//	               table   1 byte, below the batch's tables
//	               key     8 bytes
//	               checks  the batch's checks words of 8 bytes: a code's
//	                       first check words; the others are zero
//	attributes   uvarint mask of the fields present, then each present
//	             field in order: mask 0x001 Category, 0x002..0x010 Int[0..3]
//	             as zigzag varints, 0x020..0x100 Str[0..3] as strings
//	name         a string
//	record       only in a batch whose features is not 0: a uvarint
//	             length, 0 when the target has no record, then the
//	             target's feature record as feature.Record.MarshalBinary
//	             writes it (of the batch's feature version, with 1 to
//	             MaxFeatures features)
//
// The encoding is canonical: only fields with non-zero values are present,
// and Decode refuses anything Encode would not write, so a decoded batch
// re-encodes to the same bytes. Every record is self-delimiting and
// follows from the previous one, so the format is streamed in one pass.
// A put costs CodeSize(checks) bytes a code (9 to 33) plus a few bytes of
// Seq, flags, attributes and name, and feature.FeatureSize bytes a feature
// of its record (and a byte more for the feature's cell, when the record
// keeps cells); the HTTP layer gzips the batch, which saves little
// on the codes, whose key and check words are hashes and so nearly
// incompressible, nor on the descriptors of the features, for the same
// reason.
//
// A batch's Seqs never exceed its To. Lengths and counts are checked
// against the limits below and against the input left before anything is
// allocated, so decoding a hostile batch takes memory in proportion to its
// size, not to what it claims.
// Attributes.Group is not carried: followers search without it.
//
// Formats 1, which carried codes as bare words of a fixed width, and 2,
// which carried no feature records, are not read any more: a follower
// refuses them with a message that says so and starts afresh.
package syncwire

import (
	"errors"
	"slices"
	"sort"
	"strconv"

	"github.com/pixmatch/pixmatch/shared/feature"
	"github.com/pixmatch/pixmatch/shared/index"
)

// FormatVersion is the version of the wire format that Encode writes and
// Decode reads.
const FormatVersion = 3

// CodeSize returns the size in bytes of one code on the wire, in a batch
// carrying checks check words per code: its table, its key and its check
// words.
func CodeSize(checks int) int { return 1 + 8 + 8*checks }

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
	// MaxTables is the most tables a batch's codes may be spread over,
	// as many as an index.Index may have.
	MaxTables = 64
	// MaxFingerprint is the largest fingerprint algorithm version.
	MaxFingerprint = 1<<31 - 1
	// MaxFeatures is the most features of a record's feature record:
	// 184 KB of them. A server sends a target's strongest few hundred.
	MaxFeatures = 4096
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
	// Codes holds the target's 1 to MaxCodes fingerprint codes, as the
	// index holds them, each in a table below the batch's Tables.
	Codes []index.Code
	// Attrs holds what filters look at; Group is not carried.
	Attrs index.Attributes
	// Name is the target's name, if it has one.
	Name string
	// Features is the target's feature record — the features a follower
	// verifies a frame against, with the size of their plane — or nil
	// when the batch carries none for it. Only a batch whose
	// FeatureVersion is not 0 carries records; a record has 1 to
	// MaxFeatures features.
	Features *feature.Record
}

// Batch is a snapshot of a gallery or a delta between two of its versions.
type Batch struct {
	Kind Kind
	// Fingerprint is the version of the algorithm that made the codes.
	Fingerprint int
	// Tables is the number of tables of the index the codes belong to,
	// 1 to MaxTables.
	Tables int
	// Checks is how many of each code's check words the batch carries,
	// 0 to index.Checks: a follower that keeps fewer checks, to sync
	// less, gets the first ones. Its codes' other check words are zero.
	Checks int
	// FeatureVersion is 0 when the batch carries no feature records, else
	// feature.Version, the version of those it carries. A follower that
	// applies a batch of 0 holds no records.
	FeatureVersion int
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
	// ErrGap reports a delta that does not follow what a State holds: its
	// From is not the held version, or it carries feature records where
	// the State holds none, or none where the State holds them (the
	// gallery crossed the size up to which its server sends records). The
	// follower should fetch a snapshot.
	ErrGap = errors.New("syncwire: delta does not follow the held version")
	// ErrMismatch reports a batch whose codes are of another fingerprint
	// version or number of tables than those a State holds, when the
	// batch cannot switch them.
	ErrMismatch = errors.New("syncwire: batch fingerprint, tables or checks differ from the held ones")
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
	case b.Tables < 1 || b.Tables > MaxTables:
		return strconv.Itoa(b.Tables) + " tables, want 1 to " + strconv.Itoa(MaxTables)
	case b.Checks < 0 || b.Checks > index.Checks:
		return strconv.Itoa(b.Checks) + " checks, want 0 to " + strconv.Itoa(index.Checks)
	case b.FeatureVersion != 0 && b.FeatureVersion != int(feature.Version):
		return "feature records of version " + strconv.Itoa(b.FeatureVersion) + ", this build reads " + strconv.Itoa(int(feature.Version))
	case b.From < 0 || b.To < b.From:
		return "versions from " + itoa64(b.From) + " to " + itoa64(b.To)
	case b.Kind == Snapshot && b.From != 0:
		return "snapshot from version " + itoa64(b.From) + ", not 0"
	case len(b.Records) > MaxRecords:
		return strconv.Itoa(len(b.Records)) + " records, more than " + strconv.Itoa(MaxRecords)
	}
	return ""
}

// checkRecord returns what is wrong with r as a record of batch b, or ""
// if nothing is.
func checkRecord(r *Record, b *Batch) string {
	kind, tables, checks, to := b.Kind, b.Tables, b.Checks, b.To
	switch {
	case r.Seq == 0:
		return "seq 0"
	case r.Seq > uint64(to):
		return "seq after the batch's version " + itoa64(to)
	case r.Deleted && kind == Snapshot:
		return "a delete in a snapshot"
	case r.Deleted:
		return ""
	case len(r.Codes) == 0:
		return "a put without codes"
	case len(r.Codes) > MaxCodes:
		return strconv.Itoa(len(r.Codes)) + " codes, more than " + strconv.Itoa(MaxCodes)
	case len(r.Name) > MaxStringLen:
		return "name of " + strconv.Itoa(len(r.Name)) + " bytes, more than " + strconv.Itoa(MaxStringLen)
	case r.Features != nil && b.FeatureVersion == 0:
		return "a feature record in a batch that carries none"
	case r.Features != nil:
		if what := featuresProblem(r.Features); what != "" {
			return what
		}
	}
	for j, c := range r.Codes {
		if c.Table < 0 || c.Table >= tables {
			return tableProblem(j, c.Table, tables)
		}
		for k := checks; k < len(c.Checks); k++ {
			if c.Checks[k] != 0 {
				return "code " + strconv.Itoa(j) + " has check " + strconv.Itoa(k) + " in a batch of " + strconv.Itoa(checks) + " checks"
			}
		}
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
		sortBySeq(recs)
	}
	for i := range recs {
		r := &recs[i]
		if i > 0 && r.Seq == recs[i-1].Seq {
			return nil, malformed("seq " + strconv.FormatUint(r.Seq, 10) + " repeated")
		}
		if what := checkRecord(r, b); what != "" {
			return nil, malformed("seq " + strconv.FormatUint(r.Seq, 10) + ": " + what)
		}
	}
	return recs, nil
}

// featuresProblem returns what is wrong with r as a record's feature
// record, or "" if nothing is: it must have 1 to MaxFeatures features and
// encode exactly (feature.Record.MarshalBinary).
func featuresProblem(r *feature.Record) string {
	if what := featureCountProblem(len(r.Features)); what != "" {
		return what
	}
	if _, err := r.MarshalBinary(); err != nil {
		return err.Error()
	}
	return ""
}

// featureCountProblem returns what is wrong with a feature record of n
// features, or "" if nothing is.
func featureCountProblem(n int) string {
	switch {
	case n == 0:
		return "an empty feature record"
	case n > MaxFeatures:
		return "a feature record of " + strconv.Itoa(n) + " features, more than " + strconv.Itoa(MaxFeatures)
	}
	return ""
}

// tableProblem describes code j of a record being in table t of a batch
// of the given number of tables.
func tableProblem(j, t, tables int) string {
	return "code " + strconv.Itoa(j) + " in table " + strconv.Itoa(t) + " of " + strconv.Itoa(tables)
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

// sortBySeq sorts records by Seq. With sort.Slice, not slices.SortFunc:
// each element type slices sorts is 20 KB more of a WebAssembly module
// (the Worker's is held to 3 MB gzip).
func sortBySeq(recs []Record) {
	sort.Slice(recs, func(i, j int) bool { return recs[i].Seq < recs[j].Seq })
}

// itoa64 formats v in decimal.
func itoa64(v int64) string { return strconv.FormatInt(v, 10) }
