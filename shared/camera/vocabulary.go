package camera

import (
	_ "embed"
	"encoding/binary"
	"fmt"
	"sync"

	"github.com/pixmatch/pixmatch/shared/bow"
	"github.com/pixmatch/pixmatch/shared/feature"
)

// vocabularyData is the trained vocabulary: the feature.Version its
// descriptors were made by (uint16, little-endian), then the encoded
// bow.Vocabulary. make vocabulary trains it (see shared/internal/qualitybench).
//
//go:embed vocabulary.bin
var vocabularyData []byte

var (
	vocabOnce sync.Once
	vocab     *bow.Vocabulary
	vocabErr  error
)

// Vocabulary returns the trained vocabulary of the tier, decoded once. It
// fails when the data is damaged or was trained on descriptors of another
// feature.Version, whose words would mean nothing.
func Vocabulary() (*bow.Vocabulary, error) {
	vocabOnce.Do(func() { vocab, vocabErr = DecodeVocabulary(vocabularyData) })
	return vocab, vocabErr
}

// EncodeVocabulary writes v as the vocabulary of the current
// feature.Version.
func EncodeVocabulary(v *bow.Vocabulary) ([]byte, error) {
	b, err := v.MarshalBinary()
	if err != nil {
		return nil, err
	}
	return append(binary.LittleEndian.AppendUint16(nil, feature.Version), b...), nil
}

// DecodeVocabulary reads what EncodeVocabulary wrote, refusing a
// vocabulary trained for another feature.Version.
func DecodeVocabulary(b []byte) (*bow.Vocabulary, error) {
	if len(b) < 2 {
		return nil, fmt.Errorf("camera: vocabulary of %d bytes", len(b))
	}
	if v := binary.LittleEndian.Uint16(b); v != feature.Version {
		return nil, fmt.Errorf("camera: vocabulary trained on features of version %d, this build makes %d: retrain it (make vocabulary)", v, feature.Version)
	}
	v := new(bow.Vocabulary)
	if err := v.UnmarshalBinary(b[2:]); err != nil {
		return nil, fmt.Errorf("camera: vocabulary: %w", err)
	}
	return v, nil
}
