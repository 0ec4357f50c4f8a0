package main

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"image"
	"math/bits"
	"slices"

	"github.com/corona10/goimagehash"

	"github.com/pixmatch/pixmatch/shared/distort"
	"github.com/pixmatch/pixmatch/shared/fingerprint"
	"github.com/pixmatch/pixmatch/shared/index"
	"github.com/pixmatch/pixmatch/shared/match"
)

// A recogniser is one column of the camera table: a way of recognising
// pictures that is given the gallery once and then searched. A new
// recogniser (the feature tier, say) becomes a column by implementing
// this and being listed in recognisers.
type recogniser interface {
	// Name heads the column.
	Name() string
	// Threshold is the smallest Score of a match.
	Threshold() float64
	// Enrol adds the gallery's pictures. It is called once, before any
	// Query.
	Enrol(ctx context.Context, gallery []Entry) error
	// Query searches for each picture and returns its hits, best first:
	// at least the best entry at any score, when there is one, and every
	// entry at or above the threshold.
	Query(ctx context.Context, pics []image.Image) ([][]Hit, error)
	// Close releases what the recogniser holds (processes, files).
	Close() error
}

// Entry is a gallery picture to enrol.
type Entry struct {
	ID    string
	Image image.Image
}

// Hit is a gallery entry a query found.
type Hit struct {
	ID string
	// Score is the recogniser's own measure, higher for a better match
	// (hashes: bits that agree; the anchor: RANSAC inliers).
	Score float64
	// Corners are where the entry's corners are in the query, when the
	// recogniser locates what it finds.
	Corners *distort.Quad
	// Hash is the hash tier's own hit (zero for other recognisers): the
	// pair of windows it rests on, and whether the feature tier refuted
	// it (judgeHash).
	Hash match.Hit
}

// hashColumn is pixmatch's hash tier as a recogniser: the production
// fingerprint and search policy over an index of its own.
type hashColumn struct {
	index   *index.Index
	workers int
	// last is the answer of the latest Query, which the feature tier's
	// column, queried next with the same pictures, judges (judgeHash).
	last [][]Hit
}

func newHashColumn(workers int) *hashColumn {
	return &hashColumn{index: match.NewIndex(), workers: workers}
}

func (c *hashColumn) Name() string { return "pixmatch" }

// Threshold is fingerprint.Threshold as a Score: Score is Bits less the
// distance.
func (c *hashColumn) Threshold() float64 { return fingerprint.Bits - fingerprint.Threshold }

func (c *hashColumn) Enrol(ctx context.Context, gallery []Entry) error {
	prints := make([]fingerprint.Fingerprint, len(gallery))
	err := parallel(ctx, len(gallery), c.workers, func(i int) (err error) {
		prints[i], err = fingerprint.Target(gallery[i].Image)
		return err
	})
	if err != nil {
		return fmt.Errorf("pixmatch: %w", err)
	}
	for i, e := range gallery {
		if err := c.index.Put(index.Entry{ID: e.ID, Codes: match.Full.Codes(prints[i]), Active: true}); err != nil {
			return err
		}
	}
	return nil
}

// Query searches as gallery.query does: the nearest entry at any
// distance, then those within the threshold.
func (c *hashColumn) Query(ctx context.Context, pics []image.Image) ([][]Hit, error) {
	out := make([][]Hit, len(pics))
	err := parallel(ctx, len(pics), c.workers, func(i int) error {
		fp, err := fingerprint.Query(pics[i])
		if errors.Is(err, fingerprint.ErrNoContent) {
			return nil // no hits
		} else if err != nil {
			return err
		}
		top, err := match.Search(ctx, c.index, fp, match.Options{Limit: 1, Threshold: fingerprint.Bits})
		if err != nil {
			return err
		}
		near, err := match.Search(ctx, c.index, fp, match.Options{Limit: c.index.Len()})
		if err != nil {
			return err
		}
		for _, h := range slices.Concat(top, near) {
			if !slices.ContainsFunc(out[i], func(o Hit) bool { return o.ID == h.ID }) {
				out[i] = append(out[i], Hit{ID: h.ID, Score: float64(fingerprint.Bits - h.Distance), Hash: h})
			}
		}
		return nil
	})
	c.last = out
	return out, err
}

func (c *hashColumn) Close() error { return nil }

// phashColumn is the baseline as a recogniser: one 64-bit pHash of the
// whole picture, searched by brute force.
type phashColumn struct {
	ids     []string // ascending: ties go to the lower ID
	codes   []uint64
	workers int
}

func (c *phashColumn) Name() string { return "pHash" }

// Threshold is baselineThreshold as a Score: Score is 64 less the
// distance.
func (c *phashColumn) Threshold() float64 { return 64 - baselineThreshold }

func (c *phashColumn) Enrol(ctx context.Context, gallery []Entry) error {
	sorted := slices.Clone(gallery)
	slices.SortFunc(sorted, func(a, b Entry) int { return cmp.Compare(a.ID, b.ID) })
	c.ids, c.codes = make([]string, len(sorted)), make([]uint64, len(sorted))
	return parallel(ctx, len(sorted), c.workers, func(i int) error {
		h, err := goimagehash.PerceptionHash(sorted[i].Image)
		if err != nil {
			return fmt.Errorf("pHash: %w", err)
		}
		c.ids[i], c.codes[i] = sorted[i].ID, h.GetHash()
		return nil
	})
}

// Query returns the nearest code, the first in ID order among equals, and
// then every other code within the threshold, nearest first.
func (c *phashColumn) Query(ctx context.Context, pics []image.Image) ([][]Hit, error) {
	out := make([][]Hit, len(pics))
	err := parallel(ctx, len(pics), c.workers, func(i int) error {
		h, err := goimagehash.PerceptionHash(pics[i])
		if err != nil {
			return fmt.Errorf("pHash: %w", err)
		}
		best, bestD := 0, 65
		var hits []Hit
		for j, code := range c.codes {
			d := bits.OnesCount64(code ^ h.GetHash())
			if d < bestD {
				best, bestD = j, d
			}
			if d <= baselineThreshold {
				hits = append(hits, Hit{ID: c.ids[j], Score: float64(64 - d)})
			}
		}
		// Stable: among equals the lower ID, as the nearest, stays first.
		slices.SortStableFunc(hits, func(a, b Hit) int { return cmp.Compare(b.Score, a.Score) })
		if bestD > baselineThreshold {
			hits = []Hit{{ID: c.ids[best], Score: float64(64 - bestD)}}
		}
		out[i] = hits
		return nil
	})
	return out, err
}

func (c *phashColumn) Close() error { return nil }
