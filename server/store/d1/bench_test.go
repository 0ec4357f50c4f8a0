package d1

import (
	"context"
	"math/rand/v2"
	"testing"

	"github.com/pixmatch/pixmatch/server/store"
	"github.com/pixmatch/pixmatch/server/store/storetest"
	"github.com/pixmatch/pixmatch/shared/fingerprint"
	"github.com/pixmatch/pixmatch/shared/match"
	"github.com/pixmatch/pixmatch/shared/testphoto"
)

// BenchmarkCandidates looks up a photo's query in a gallery of 10,000
// targets of ten random codes each (about 15 s to build), for a search
// (bound 8) and a search with near misses (bound 15), in modernc SQLite:
// D1 runs the same SQL in SQLite's C build.
func BenchmarkCandidates(b *testing.B) {
	ctx := context.Background()
	s, _ := openTemp(b)
	g, err := s.CreateGallery(ctx, store.Gallery{Name: "g", AppID: "g"})
	if err != nil {
		b.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(1, 1))
	for i := range 10_000 {
		fp := fingerprint.Fingerprint{Version: fingerprint.Version}
		for w := range fingerprint.Windows {
			fp.Codes = append(fp.Codes, fingerprint.Code{Window: w, Hash: rng.Uint64()})
		}
		tg := storetest.Target(g.ID, i, 0)
		tg.Fingerprint, _ = fp.MarshalBinary()
		if _, err := s.CreateTarget(ctx, tg); err != nil {
			b.Fatal(err)
		}
	}
	q, err := fingerprint.Query(testphoto.Image(testphoto.Names()[0]))
	if err != nil {
		b.Fatal(err)
	}
	for _, o := range []match.Options{{}, {Near: true}} {
		name := map[bool]string{false: "match", true: "near"}[o.Near]
		b.Run(name, func(b *testing.B) {
			for b.Loop() {
				if _, err := s.Candidates(ctx, g.ID, match.Probes(q), o.Bound()); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
