package main

import (
	"context"
	"fmt"
	"image"
	"slices"
	"sync"
	"time"

	"github.com/pixmatch/pixmatch/shared/bow"
	"github.com/pixmatch/pixmatch/shared/camera"
	"github.com/pixmatch/pixmatch/shared/distort"
	"github.com/pixmatch/pixmatch/shared/feature"
)

// tierSettings are what the feature tier column runs with: the
// production settings (productionTier) unless a tuning run says other.
type tierSettings struct {
	vocab     *bow.Vocabulary
	shortlist int // camera.Shortlist
	query     feature.Options
	verify    feature.VerifyOptions
}

// productionTier returns the settings the server uses: the shipped
// vocabulary, shared/camera's constants, feature.QueryOptions and
// feature.DefaultVerifyOptions.
func productionTier() (tierSettings, error) {
	v, err := camera.Vocabulary()
	if err != nil {
		return tierSettings{}, err
	}
	return tierSettings{vocab: v, shortlist: camera.Shortlist, query: feature.QueryOptions, verify: feature.DefaultVerifyOptions}, nil
}

// tierColumn is pixmatch's feature tier (shared/camera) as a recogniser:
// every gallery entry enrolled as the server enrols it (feature.Enrol), its record kept
// in memory as a store would keep it; a query's features
// (feature.QueryOptions) shortlisted by words, then verified.
type tierColumn struct {
	set     tierSettings
	tier    *camera.Tier
	records map[string]feature.Record
	workers int
	// judge, when set, is the hash tier's column, queried just before
	// with the same pictures: the partial matches of its answers are
	// judged with the features of each query (judgeHash).
	judge *hashColumn

	mu    sync.Mutex // guards stats and durations
	stats TierStats
	times []float64 // each query's time, ms
}

// TierStats are the feature tier's sizes and times, each time summed over
// the calls that made it (one goroutine each), so per entry or per query
// they are one core's.
type TierStats struct {
	Entries      int     `json:"entries"`
	Features     int     `json:"features"`  // of every entry
	BagWords     int     `json:"bag_words"` // distinct words, of every entry
	EnrolSeconds float64 `json:"enrol_seconds"`
	Queries      int     `json:"queries"`
	Verified     int     `json:"verified"` // shortlisted targets verified
	// The query's stages: plane and features, shortlist, verification.
	ExtractSeconds   float64 `json:"extract_seconds"`
	ShortlistSeconds float64 `json:"shortlist_seconds"`
	VerifySeconds    float64 `json:"verify_seconds"`
	// MedianMs and P99Ms are of a whole query's time.
	MedianMs float64 `json:"median_ms"`
	P99Ms    float64 `json:"p99_ms"`
}

func newTierColumn(set tierSettings, workers int) *tierColumn {
	return &tierColumn{set: set, tier: camera.New(set.vocab), records: map[string]feature.Record{}, workers: workers}
}

func (c *tierColumn) Name() string { return "features" }

// Threshold is the verdict's score at VerifyOptions.MinInliers.
func (c *tierColumn) Threshold() float64 { return 0.5 }

// Enrol enrols every entry as the server does (feature.Enrol with
// feature.DefaultEnrolOptions: its features and the synthetic views') and
// puts it in the tier.
func (c *tierColumn) Enrol(ctx context.Context, gallery []Entry) error {
	recs := make([]feature.Record, len(gallery))
	spent := make([]time.Duration, len(gallery))
	err := parallel(ctx, len(gallery), c.workers, func(i int) error {
		t0 := time.Now()
		g := feature.Plane(gallery[i].Image, feature.TargetOptions)
		recs[i] = feature.Record{Width: g.Rect.Dx(), Height: g.Rect.Dy(), Features: feature.Enrol(g, feature.DefaultEnrolOptions).Features}
		spent[i] = time.Since(t0)
		return nil
	})
	if err != nil {
		return err
	}
	for i, e := range gallery {
		t0 := time.Now()
		c.tier.Put(e.ID, recs[i].Features)
		spent[i] += time.Since(t0)
		c.stats.BagWords += len(c.set.vocab.Bag(descriptors(recs[i].Features, camera.BagFeatures)).Words)
		c.records[e.ID] = recs[i]
		c.stats.Features += len(recs[i].Features)
		c.stats.EnrolSeconds += spent[i].Seconds()
	}
	c.stats.Entries = len(gallery)
	return nil
}

// descriptors returns the descriptors of the first n features of fs.
func descriptors(fs []feature.Feature, n int) []bow.Descriptor {
	fs = fs[:min(n, len(fs))]
	ds := make([]bow.Descriptor, len(fs))
	for i, f := range fs {
		ds[i] = bow.Descriptor(f.Desc)
	}
	return ds
}

// Query finds each picture's targets: those verified, most inliers first,
// with the verdict's score and corners; when none is, the first of the
// shortlist at score 0, as the best entry at any score.
func (c *tierColumn) Query(ctx context.Context, pics []image.Image) ([][]Hit, error) {
	out := make([][]Hit, len(pics))
	err := parallel(ctx, len(pics), c.workers, func(i int) (err error) {
		out[i], err = c.query(ctx, i, pics[i])
		return err
	})
	return out, err
}

// query searches for picture i, timing each stage.
func (c *tierColumn) query(ctx context.Context, i int, img image.Image) ([]Hit, error) {
	t0 := time.Now()
	plane := feature.Plane(img, c.set.query)
	q := feature.Extract(plane, c.set.query)
	t1 := time.Now()
	short := c.tier.Shortlist(q, c.set.shortlist)
	ids := make([]string, len(short))
	for i, h := range short {
		ids[i] = h.ID
	}
	t2 := time.Now()
	found, err := camera.Verify(ctx, q, plane.Rect.Dx(), plane.Rect.Dy(), ids, c.records, c.set.verify)
	if err != nil {
		return nil, fmt.Errorf("features: %w", err)
	}
	if err := c.judgeHash(ctx, i, q, plane.Rect.Dx(), plane.Rect.Dy()); err != nil {
		return nil, fmt.Errorf("features: %w", err)
	}
	t3 := time.Now()
	var hits []Hit
	for _, f := range found {
		r := c.records[f.ID]
		hits = append(hits, Hit{ID: f.ID, Score: f.Verdict.Score, Corners: frameCorners(f.Verdict.H, r.Width, r.Height, plane.Rect, img.Bounds())})
	}
	if len(hits) == 0 && len(ids) > 0 {
		hits = []Hit{{ID: ids[0]}}
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.stats.Queries++
	c.stats.Verified += len(ids)
	c.stats.ExtractSeconds += t1.Sub(t0).Seconds()
	c.stats.ShortlistSeconds += t2.Sub(t1).Seconds()
	c.stats.VerifySeconds += t3.Sub(t2).Seconds()
	c.times = append(c.times, float64(t3.Sub(t0))/float64(time.Millisecond))
	return hits, nil
}

// frameCorners returns where the corners of a tw×th target plane are in
// the query picture of bounds frame whose plane was plane, by h: the
// target's outer corners, half a pixel beyond its corner pixels' centres
// (feature coordinates are of pixel centres), mapped into the plane and
// scaled to the picture's pixels, as distort.Quad has them. It returns
// nil when a corner has no image.
func frameCorners(h feature.Homography, tw, th int, plane, frame image.Rectangle) *distort.Quad {
	sx, sy := float64(frame.Dx())/float64(plane.Dx()), float64(frame.Dy())/float64(plane.Dy())
	var q distort.Quad
	for k, p := range [4]feature.Point{{X: -0.5, Y: -0.5}, {X: float64(tw) - 0.5, Y: -0.5}, {X: float64(tw) - 0.5, Y: float64(th) - 0.5}, {X: -0.5, Y: float64(th) - 0.5}} {
		f, ok := h.Project(p)
		if !ok {
			return nil
		}
		q[k] = distort.Point{X: (f.X + 0.5) * sx, Y: (f.Y + 0.5) * sy}
	}
	return &q
}

// Stats returns the tier's sizes and times so far.
func (c *tierColumn) Stats() TierStats {
	c.mu.Lock()
	defer c.mu.Unlock()
	s := c.stats
	s.MedianMs, s.P99Ms = quantile(c.times, 0.5), quantile(c.times, 0.99)
	return s
}

// forgetQueries clears the query statistics, keeping the enrolment's,
// so that the next queries are measured on their own.
func (c *tierColumn) forgetQueries() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.stats.Queries, c.stats.Verified = 0, 0
	c.stats.ExtractSeconds, c.stats.ShortlistSeconds, c.stats.VerifySeconds = 0, 0, 0
	c.times = nil
}

// quantile returns the p-quantile of xs (nearest rank), 0 for none.
func quantile(xs []float64, p float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	return s[min(len(s)-1, int(p*float64(len(s))))]
}

func (c *tierColumn) Close() error { return nil }
