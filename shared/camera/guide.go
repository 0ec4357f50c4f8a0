package camera

import (
	"crypto/sha256"
	"encoding/binary"
	"sync"

	"github.com/pixmatch/pixmatch/shared/bow"
	"github.com/pixmatch/pixmatch/shared/feature"
)

// Verification compares a query feature only with the target features of
// its node of the vocabulary at GuideLevel: its guide. Sorting a target's
// features into the nodes — 32 descriptor distances a feature — is what
// verifying a record read from storage costs most besides the matching
// (on a Worker, about 4 ms of a search that reads its 40 shortlisted
// records), and a record is read far more often than it is made. So a
// record can carry its features' nodes (feature.Record's Cells), named by
// a number that stands for the vocabulary and the level (feature.Record's
// Guide: the first 8 bytes of a SHA-256 of both). Guide gives a record
// them when it is made; a Target verified through the guide they are
// named for uses them, and sorts the features itself otherwise: a record
// made before records kept cells, or through another vocabulary.

// guide sorts features into the cells matching is confined to: the nodes
// of vocab at level; with no vocabulary or level 0, one cell.
type guide struct {
	vocab *bow.Vocabulary
	level int
}

// cells returns the cell of each of fs, nil for one cell.
func (g guide) cells(fs []feature.Feature) []uint32 {
	if g.vocab == nil || g.level <= 0 {
		return nil
	}
	out := make([]uint32, len(fs))
	for i := range fs {
		out[i] = g.vocab.Node(bow.Descriptor(fs[i].Desc), g.level)
	}
	return out
}

// guideNames remembers the name of each guide named: a vocabulary never
// changes.
var guideNames sync.Map // guide → uint64

// name returns the number a record's cells of g are named by, 0 for a
// guide of one cell or a vocabulary that does not encode.
func (g guide) name() uint64 {
	if g.vocab == nil || g.level <= 0 {
		return 0
	}
	if n, ok := guideNames.Load(g); ok {
		return n.(uint64)
	}
	sum, err := vocabularySum(g.vocab)
	if err != nil {
		return 0
	}
	h := sha256.New()
	h.Write([]byte("pixmatch camera guide\x00"))
	h.Write(sum[:])
	h.Write(binary.LittleEndian.AppendUint32(nil, uint32(g.level)))
	n := max(binary.LittleEndian.Uint64(h.Sum(nil)), 1)
	guideNames.Store(g, n)
	return n
}

// storedCells returns the cells r keeps for g, nil when it keeps none
// for g.
func (g guide) storedCells(r *feature.Record) []uint32 {
	if r.Guide == 0 || len(r.Cells) != len(r.Features) || r.Guide != g.name() {
		return nil
	}
	return r.Cells
}

// Guide gives r the nodes of its features in v at GuideLevel, the cells
// a verification through v confines matching to, so that verifying it
// need not sort them again (see Target). With v nil it takes r's cells
// away: a verification without a vocabulary has one cell.
func Guide(v *bow.Vocabulary, r *feature.Record) {
	g := guide{vocab: v, level: GuideLevel}
	r.Guide, r.Cells = g.name(), nil
	if r.Guide != 0 {
		r.Cells = g.cells(r.Features)
	}
}
