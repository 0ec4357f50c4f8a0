package sync

import (
	"context"

	"github.com/pixmatch/pixmatch/shared/feature"
	"github.com/pixmatch/pixmatch/shared/syncwire"
)

// A follower of a small gallery also gets the feature record of each
// active target, cut to FeaturesPerTarget features, so that it can find a
// print in a camera frame, and say where it is, without the server: the
// browser verifies a frame against every record it holds (feature.Verify,
// brute force), which takes time in proportion to the features held, as
// the first sync takes bytes.
const (
	// FeatureTargets is the most active targets a gallery may hold for
	// its followers to be sent their feature records. The browser's time
	// binds before the sync's size does: measured (make bench,
	// BenchmarkBrowserLocalFeatures), verifying a 640×480 frame against
	// 100 records in Chromium takes 94 ms (median; 86–136) on the loaded
	// 2-core machine, 1.8 times the rest of the frame's query (reading it,
	// extracting its features, the hash search: 51 ms), so a camera
	// without a server still reads about 7 frames a second; twice as many
	// targets would take it below 4. (That was measured before the
	// feature tier's faster matching; the same benchmark now gives 8–15
	// ms, README, Speed, so the bound is conservative.)
	// The first sync of 100 targets is 1.06 MB, a third of the 3 MB of a
	// first sync (TestFirstSyncSize: 1.1 MB with random features).
	FeatureTargets = 100

	// FeaturesPerTarget is how many of a target's features its synced
	// record keeps, spread over the pyramid levels they were found on
	// (see synced): 11.3 KB a target. On the camera shots of the test
	// photos (TestMeasureSyncedFeatures: 14 photos, each recipe of
	// distort.CameraCatalogue, two seeds), a copy holding the records of
	// all 14 found the right target in 84.9, 88.1, 92.1 and 94.8 % of
	// them with 150, 200, 250 and 300 features spread over the levels,
	// and 80.6, 86.9, 89.7 % with the strongest 200, 250 and 300 (the
	// whole record of 500: 97.2 %), never a wrong one: the features kept
	// from the coarse levels find the small and steeply tilted prints
	// that the strongest, mostly fine, miss. Verifying costs time in
	// proportion to the features, so 250 is where a feature more buys
	// less than a target more.
	FeaturesPerTarget = 250
)

// synced returns the record a follower is sent of a target's record r:
// at most k of its features, each pyramid level given an equal share (a
// level with fewer features leaving the rest of its share to the others)
// and taken strongest first. A print may be seen at any scale, and each
// level of the target's pyramid is the print at one scale. The features
// keep their order, and r is not modified.
//
// The record goes without the nodes of its features a server's record
// keeps (feature.Record's Cells): a browser module of a build before
// records kept them, which a page's service worker may still hold after
// an upgrade, could not read the batch; and a browser sorts the few
// records it verifies in well under a millisecond.
func synced(r feature.Record, k int) feature.Record {
	r.Guide, r.Cells = 0, nil
	if len(r.Features) <= k {
		return r
	}
	var per, quota [feature.MaxLevels]int
	for _, f := range r.Features {
		per[min(max(int(f.Octave), 0), feature.MaxLevels-1)]++
	}
	for left := k; left > 0; {
		open := 0
		for o := range per {
			if quota[o] < per[o] {
				open++
			}
		}
		share := max(left/open, 1)
		for o := range per {
			add := min(share, per[o]-quota[o], left)
			quota[o] += add
			left -= add
		}
	}
	out := feature.Record{Width: r.Width, Height: r.Height, Features: make([]feature.Feature, 0, k), Enrolment: r.Enrolment}
	for _, f := range r.Features {
		o := min(max(int(f.Octave), 0), feature.MaxLevels-1)
		if quota[o] > 0 {
			quota[o]--
			out.Features = append(out.Features, f)
		}
	}
	return out
}

// carriesFeatures reports whether followers of a gallery of active
// active targets are sent feature records.
func carriesFeatures(active int) bool { return active <= FeatureTargets }

// attachFeatures gives the puts of b at the positions at, by target ID,
// their synced feature records, and marks b as carrying records. A
// target without a usable record (being made anew) goes without.
func (h *Handler) attachFeatures(ctx context.Context, gallery int64, b *syncwire.Batch, at map[string]int) error {
	b.FeatureVersion = int(feature.Version)
	ids := make([]string, 0, len(at))
	for id := range at {
		ids = append(ids, id)
	}
	recs, err := h.svc.Sync.Records(ctx, gallery, ids)
	if err != nil {
		return err
	}
	for id, i := range at {
		if r, ok := recs[id]; ok && len(r.Features) > 0 {
			s := synced(r, FeaturesPerTarget)
			b.Records[i].Features = &s
		}
	}
	return nil
}
