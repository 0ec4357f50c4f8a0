package camera

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"hash"
	"math"
	"testing"

	"github.com/pixmatch/pixmatch/shared/feature"
)

// searchDigest is the SHA-256 of everything digestSearch computes, as
// the code before the feature tier was made cheap in WebAssembly
// computed it (commit 4980736), natively and under Node alike.
const searchDigest = "e534b9962ac1cd1f9de4b4242888af0f0356ddd07c4c858006b536e337829532"

// TestSearchDigest holds the computing of a search to what it was, bit
// for bit, natively and in js/wasm: the words and turns of every frame's
// features (QueryBag), the cells of every feature (guide.cells), the
// pairs matched within them (feature.MatchWithin) and the verdict of
// every frame against every record, refused or not (its inliers,
// homography, corners and score), with the default options and with
// the second matching run from 5 explained features, so that it runs on
// nearly every pair of pictures and not only on the prints shot.
// Making the tier cheaper must not change an answer: the browser, the
// server and the Worker give the same ones because they compute the
// same bits. A change meant to change answers (a new feature.Version, a
// retrained vocabulary, other options or photos) records the digest the
// failure prints, run natively and under Node alike.
func TestSearchDigest(t *testing.T) {
	if got := digestSearch(t); got != searchDigest {
		t.Errorf("the search computes digest %s, recorded %s: an answer changed", got, searchDigest)
	}
}

// digestSearch computes what TestSearchDigest holds and returns its
// digest.
func digestSearch(t *testing.T) string {
	v, err := Vocabulary()
	if err != nil {
		t.Fatal(err)
	}
	records, names, qs, sizes := guideFixture(t)
	g := guide{vocab: v, level: GuideLevel}
	early := feature.DefaultVerifyOptions
	early.Refine.From = 5
	h := sha256.New()
	put := func(vs ...uint64) {
		for _, x := range vs {
			h.Write(binary.LittleEndian.AppendUint64(nil, x))
		}
	}
	tcells := map[string][]uint32{}
	for _, n := range names {
		tcells[n] = g.cells(records[n].Features)
		for _, c := range tcells[n] {
			put(uint64(c))
		}
	}
	for i, q := range qs {
		for _, f := range QueryBag(v, q) {
			put(uint64(f.Word), uint64(f.Turn))
		}
		qcells := g.cells(q)
		for _, c := range qcells {
			put(uint64(c))
		}
		for _, n := range names {
			r := records[n]
			pairs := feature.MatchWithin(q, r.Features, qcells, tcells[n], feature.DefaultMatchOptions)
			for _, p := range pairs {
				put(uint64(p.Query), uint64(p.Target), uint64(p.Distance))
			}
			for _, o := range []feature.VerifyOptions{feature.DefaultVerifyOptions, early} {
				verdict, ok := feature.VerifyPairs(q, sizes[i][0], sizes[i][1], r.Features, r.Width, r.Height, pairs, o)
				putVerdict(h, verdict, ok)
			}
		}
	}
	return hex.EncodeToString(h.Sum(nil))
}

// putVerdict writes every bit of a verdict to h.
func putVerdict(h hash.Hash, v feature.Verdict, ok bool) {
	b := binary.LittleEndian.AppendUint64(nil, uint64(v.Inliers))
	if ok {
		b = append(b, 1)
	}
	for _, x := range v.H {
		b = binary.LittleEndian.AppendUint64(b, math.Float64bits(x))
	}
	for _, c := range v.Corners {
		b = binary.LittleEndian.AppendUint64(b, math.Float64bits(c.X))
		b = binary.LittleEndian.AppendUint64(b, math.Float64bits(c.Y))
	}
	b = binary.LittleEndian.AppendUint64(b, math.Float64bits(v.Score))
	h.Write(b)
}
