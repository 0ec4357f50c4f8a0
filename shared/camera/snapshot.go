package camera

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"sync"

	"github.com/pixmatch/pixmatch/shared/bow"
	"github.com/pixmatch/pixmatch/shared/feature"
)

// A tier is written out whole by WriteTo and read back by DecodeTier, so
// that a server can start its feature tier from a copy instead of
// quantising every target's features through the vocabulary again (the
// most of a start from the stored records). A copy is labelled with what
// its words mean, and is read only by a tier for which they mean the
// same:
//
//	"PXTR", format uint32, feature.Version uint32, BagFeatures uint32,
//	the SHA-256 of the vocabulary (its MarshalBinary), then the words
//	index (bow's WriteTo: its own format, Turns and MaxCount, checked
//	by bow.DecodeIndex)
//
// A tier of another vocabulary, feature version or bag size is refused:
// its bags would not be those Put makes now. Refusals wrap ErrEncoding.

// tierFormat is the layout WriteTo writes and DecodeTier reads.
const tierFormat = 1

// tierMagic starts an encoded tier.
var tierMagic = [4]byte{'P', 'X', 'T', 'R'}

// tierHeader is the bytes of the label before the words index.
const tierHeader = 4 + 3*4 + sha256.Size

// ErrEncoding reports input DecodeTier cannot read as a tier over the
// vocabulary it is given.
var ErrEncoding = errors.New("camera: not an encoded tier")

// vocabularySums remembers the checksum of each vocabulary labelled: a
// tier's label is written and read at every snapshot, the vocabulary
// never changes.
var vocabularySums sync.Map // *bow.Vocabulary → [sha256.Size]byte

// vocabularySum returns the SHA-256 of v's encoding.
func vocabularySum(v *bow.Vocabulary) ([sha256.Size]byte, error) {
	if s, ok := vocabularySums.Load(v); ok {
		return s.([sha256.Size]byte), nil
	}
	b, err := v.MarshalBinary()
	if err != nil {
		return [sha256.Size]byte{}, err
	}
	s := sha256.Sum256(b)
	vocabularySums.Store(v, s)
	return s, nil
}

// label returns the label of a tier over v.
func label(v *bow.Vocabulary) ([]byte, error) {
	sum, err := vocabularySum(v)
	if err != nil {
		return nil, err
	}
	b := append(make([]byte, 0, tierHeader), tierMagic[:]...)
	for _, n := range []uint32{tierFormat, uint32(feature.Version), BagFeatures} {
		b = binary.LittleEndian.AppendUint32(b, n)
	}
	return append(b, sum[:]...), nil
}

// WriteTo writes the tier in the encoding DecodeTier reads. Searches run
// meanwhile; changes wait.
func (t *Tier) WriteTo(w io.Writer) (int64, error) {
	l, err := label(t.vocab)
	if err != nil {
		return 0, err
	}
	n, err := w.Write(l)
	if err != nil {
		return int64(n), err
	}
	m, err := t.words.WriteTo(w)
	return int64(n) + m, err
}

// DecodeTier reads a tier WriteTo wrote, over the vocabulary v: one of
// another vocabulary, feature version, bag size or layout is refused, as
// is one that does not decode. Errors wrap ErrEncoding.
func DecodeTier(b []byte, v *bow.Vocabulary) (*Tier, error) {
	want, err := label(v)
	if err != nil {
		return nil, fmt.Errorf("%w: label the vocabulary: %w", ErrEncoding, err)
	}
	if len(b) < tierHeader || !bytes.Equal(b[:tierHeader], want) {
		return nil, fmt.Errorf("%w: labelled for another vocabulary, feature version, bag size or layout", ErrEncoding)
	}
	x, err := bow.DecodeIndex(b[tierHeader:], v.Words())
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrEncoding, err)
	}
	return &Tier{vocab: v, words: x}, nil
}

// Has reports whether the tier holds the target id: a tier read from a
// copy holds the targets it held when written, and its owner looks for
// those it lacks.
func (t *Tier) Has(id string) bool { return t.words.Has(id) }
