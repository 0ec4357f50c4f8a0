package e2e

import (
	"math/rand/v2"
	"testing"

	pmsync "github.com/pixmatch/pixmatch/server/api/sync"
	"github.com/pixmatch/pixmatch/server/internal/testserver"
	"github.com/pixmatch/pixmatch/shared/feature"
)

// randomRecord returns the encoded feature record of a made-up target:
// as many features as a target's record holds (feature.TargetOptions),
// each at a random place and level with a random descriptor.
func randomRecord(rng *rand.Rand) []byte {
	r := feature.Record{Width: 640, Height: 480, Features: make([]feature.Feature, feature.TargetOptions.Max)}
	for i := range r.Features {
		f := &r.Features[i]
		f.X, f.Y = float32(rng.IntN(8*r.Width))/8, float32(rng.IntN(8*r.Height))/8
		f.Size, f.Response = 31, rng.Float32()
		f.Octave = int8(rng.IntN(feature.TargetOptions.Levels))
		for k := range f.Desc {
			f.Desc[k] = rng.Uint64()
		}
	}
	b, err := r.MarshalBinary()
	if err != nil {
		panic(err)
	}
	return b
}

// BenchmarkBrowserLocalFeatures syncs a gallery of sync.FeatureTargets
// active targets — the largest whose feature records are sent — into the
// page: the print of the camera shot and targets of made-up records. It
// reports the first sync's size and times, in the same calls, the local
// search of a 640×480 camera frame: ms/op is the verification of its
// features against every record, hash-ms/op the hash search of its
// fingerprint, query-ms/op the page's whole call (reading the frame,
// extracting its features, both searches), and hash-query-ms/op the
// same call without the features searched.
func BenchmarkBrowserLocalFeatures(b *testing.B) {
	srv := testserver.New(b)
	populate(b, srv, pmsync.FeatureTargets-1, randomRecord)
	s := serve(b, srv.Reopen())
	s.api().addPhotos(shotTarget)
	br := newBrowser(b, s.URL(), benchLimit)
	br.open("/")
	br.openModule(s.api().token())

	seen := len(s.requests("/sync/"))
	info := eval[struct {
		MS      float64 `json:"ms"`
		Count   int     `json:"count"`
		Records int     `json:"records"`
	}](br, `(async () => {
		const t0 = performance.now();
		await benchPM.sync();
		const ms = performance.now() - t0;
		return { ms, ...(await benchPM.info()) };
	})()`)
	if info.Count != pmsync.FeatureTargets || info.Records != pmsync.FeatureTargets {
		b.Fatalf("first sync: %+v, want %d targets and as many records", info, pmsync.FeatureTargets)
	}
	var sent int64
	reqs := s.requests("/sync/")[seen:]
	for _, r := range reqs {
		sent += r.Bytes
	}
	b.ReportMetric(float64(sent), "first-sync-bytes")
	b.Logf("first sync of %d targets with %d features each: %d request(s), %d bytes (%.2f MB; target ≤ %d MB), %.0f ms in the page",
		pmsync.FeatureTargets, pmsync.FeaturesPerTarget, len(reqs), sent, float64(sent)/1e6, firstSyncTargetMB, info.MS)

	frame, _ := cameraShot()
	br.putFrame(frame)
	type timing struct {
		Total   float64      `json:"total"`
		Search  float64      `json:"search"`
		Verify  float64      `json:"verify"`
		Matches []localMatch `json:"matches"`
	}
	timed := func(features bool) timing {
		return eval[timing](br, `(async () => {
			const t0 = performance.now();
			const r = await benchPM.query(benchFrame, { limit: 1, features: `+map[bool]string{true: "true", false: "false"}[features]+` });
			return { total: performance.now() - t0, search: r.ms.search, verify: r.ms.verify, matches: r.matches };
		})()`)
	}
	first := timed(true) // the first call compiles the module's code paths
	if len(first.Matches) != 1 || first.Matches[0].Name != shotTarget || len(first.Matches[0].Corners) != 4 {
		b.Fatalf("the camera shot of %s: found%s, want it placed", shotTarget, formatMatches(first.Matches))
	}
	timed(false)
	var verify, hash, total, hashTotal []float64
	for b.Loop() {
		t := timed(true)
		verify, hash, total = append(verify, t.Verify), append(hash, t.Search), append(total, t.Total)
		hashTotal = append(hashTotal, timed(false).Total)
	}
	b.ReportMetric(mean(verify), "ms/op")
	b.ReportMetric(mean(hash), "hash-ms/op")
	b.ReportMetric(mean(total), "query-ms/op")
	b.ReportMetric(mean(hashTotal), "hash-query-ms/op")
	b.ReportMetric(mean(verify)/max(mean(hash), 1e-3), "verify/hash")
	b.Logf("a 640×480 frame against %d synced targets: verifying its features %s ms (%.0f× the hash search's %s ms); "+
		"the whole query %s ms with the features searched, %s ms without",
		pmsync.FeatureTargets, spread(verify), mean(verify)/max(mean(hash), 1e-3), spread(hash), spread(total), spread(hashTotal))
}
