package camera

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"maps"
	"math/rand/v2"
	"reflect"
	"slices"
	"testing"

	"github.com/pixmatch/pixmatch/shared/bow"
	"github.com/pixmatch/pixmatch/shared/feature"
)

// decoys returns n feature lists drawn from the features of records, a
// few bits of each descriptor flipped, so that their words spread as
// real ones do.
func decoys(rng *rand.Rand, records map[string]feature.Record, n int) [][]feature.Feature {
	var pool []feature.Feature
	for _, id := range slices.Sorted(maps.Keys(records)) {
		pool = append(pool, records[id].Features...)
	}
	out := make([][]feature.Feature, n)
	for i := range out {
		fs := make([]feature.Feature, BagFeatures)
		for k := range fs {
			f := pool[rng.IntN(len(pool))]
			for range 8 {
				bit := rng.IntN(feature.Bits)
				f.Desc[bit/64] ^= 1 << (bit % 64)
			}
			fs[k] = f
		}
		out[i] = fs
	}
	return out
}

// encodedTier returns t as WriteTo writes it.
func encodedTier(t *testing.T, tier *Tier) []byte {
	t.Helper()
	var b bytes.Buffer
	if n, err := tier.WriteTo(&b); err != nil || n != int64(b.Len()) {
		t.Fatalf("WriteTo: %d of %d bytes, %v", n, b.Len(), err)
	}
	return b.Bytes()
}

// TestTierFromCopyShortlistsAsRecords writes a tier of the test photos
// and 400 decoys, reads it back, then deletes, replaces and adds targets
// in the copy as a server catching up with its change log would; a tier
// built afresh from the final records gives the same shortlists, hits
// and scores alike, for camera frames of every photo.
func TestTierFromCopyShortlistsAsRecords(t *testing.T) {
	v, err := Vocabulary()
	if err != nil {
		t.Fatal(err)
	}
	records, names, qs, _ := guideFixture(t)
	feats := map[string][]feature.Feature{}
	for n, r := range records {
		feats[n] = r.Features
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for i, fs := range decoys(rng, records, 400) {
		feats[fmt.Sprintf("decoy-%03d", i)] = fs
	}
	ids := slices.Sorted(maps.Keys(feats))
	before := New(v)
	for _, id := range ids {
		before.Put(id, feats[id])
	}
	copied, err := DecodeTier(encodedTier(t, before), v)
	if err != nil {
		t.Fatal(err)
	}
	later := decoys(rng, records, 60)
	for i, id := range ids[:120] {
		switch {
		case i%3 == 0 || id == names[0]:
			delete(feats, id)
			copied.Remove(id)
		default:
			feats[id] = later[i%len(later)]
			copied.Put(id, feats[id])
		}
	}
	for i, fs := range later[:20] {
		id := fmt.Sprintf("added-%02d", i)
		feats[id] = fs
		copied.Put(id, fs)
	}
	fresh := New(v)
	for id, fs := range feats {
		fresh.Put(id, fs)
	}
	if copied.Len() != fresh.Len() {
		t.Fatalf("the copy holds %d targets, afresh %d", copied.Len(), fresh.Len())
	}
	for i, q := range qs {
		a, b := copied.Shortlist(q, Shortlist), fresh.Shortlist(q, Shortlist)
		if len(a) == 0 || !reflect.DeepEqual(a, b) {
			t.Fatalf("frame of %s: the copy shortlists %v, afresh %v", names[i], a, b)
		}
	}
}

// TestDecodeTierRefuses gives DecodeTier copies it must refuse: of
// another vocabulary, feature version, bag size or layout, cut short, a
// byte of the words changed.
func TestDecodeTierRefuses(t *testing.T) {
	v, err := Vocabulary()
	if err != nil {
		t.Fatal(err)
	}
	tier := New(v)
	rng := rand.New(rand.NewPCG(3, 4))
	for i := range 20 {
		fs := make([]feature.Feature, BagFeatures)
		for k := range fs {
			fs[k].Desc = [4]uint64{rng.Uint64(), rng.Uint64(), rng.Uint64(), rng.Uint64()}
			fs[k].Angle = rng.Float32() * 6
		}
		tier.Put(fmt.Sprintf("d%d", i), fs)
	}
	good := encodedTier(t, tier)
	if _, err := DecodeTier(good, v); err != nil {
		t.Fatal(err)
	}
	set := func(off int, n uint32) []byte {
		b := bytes.Clone(good)
		binary.LittleEndian.PutUint32(b[off:], n)
		return b
	}
	cases := map[string][]byte{
		"empty":                   nil,
		"cut short":               good[:len(good)-3],
		"another format":          set(4, tierFormat+1),
		"another feature version": set(8, uint32(feature.Version)+1),
		"another bag size":        set(12, BagFeatures-100),
		"another vocabulary":      func() []byte { b := bytes.Clone(good); b[16] ^= 1; return b }(),
	}
	features := int(binary.LittleEndian.Uint64(good[tierHeader+32:]))
	cases["a word beyond"] = bytes.Clone(good)
	cases["a word beyond"][len(good)-features-1] = 0xff // the last word's high byte
	for name, b := range cases {
		if _, err := DecodeTier(b, v); !errors.Is(err, ErrEncoding) {
			t.Errorf("%s: %v, want ErrEncoding", name, err)
		}
	}
	other, err := bow.Train([]bow.Descriptor{{1}, {2}, {3}, {4}}, 2, 2, 1, 1)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := DecodeTier(good, other); !errors.Is(err, ErrEncoding) {
		t.Errorf("read over another vocabulary: %v, want ErrEncoding", err)
	}
}
