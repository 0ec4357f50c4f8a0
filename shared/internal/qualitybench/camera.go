package main

import (
	"context"
	"fmt"
	"image"
	"time"

	"github.com/pixmatch/pixmatch/shared/distort"
)

// cameraReference are the recipes of distort.Catalogue measured in the
// camera table too: an off-centre crop, which a camera makes, and two
// that hashes answer and local features may not.
var cameraReference = []string{"resize-25", "offcrop-60", "mirror"}

// column is a recogniser measured in the camera table, with how many of
// the gallery's entries (targets first) it is given; 0 for all.
type column struct {
	rec     recogniser
	entries int
}

// CameraResults are the measurements of the camera table.
type CameraResults struct {
	// Edits names the queries: the pictures themselves, the recipes of
	// distort.CameraCatalogue, then cameraReference. Camera[e] tells the
	// camera recipes, which the mean averages.
	Edits  []string
	Camera []bool
	// Columns describes the recognisers, in the table's order.
	Columns []ColumnInfo
	// Hits[c][e][i] is what column c found for edit e of picture i: the
	// targets first, then the non-members. Want[i] is the entry ID of
	// target i; Truth[e][i] where its corners are in the query, when the
	// recipe says.
	Hits   [][][][]Hit
	Want   []string
	Truth  [][]*distort.Quad
	Anchor *AnchorStats
}

// ColumnInfo describes a column of the camera table.
type ColumnInfo struct {
	Name      string  `json:"name"`
	Threshold float64 `json:"threshold"`
	Entries   int     `json:"entries"`
	// EnrolSeconds and QuerySeconds are the wall time of enrolling and of
	// all queries, on all workers.
	EnrolSeconds float64 `json:"enrol_seconds"`
	QuerySeconds float64 `json:"query_seconds"`
}

// MeasureCamera enrols the gallery of a run of Measure in each column and
// searches every column with the same queries.
func MeasureCamera(ctx context.Context, c *Corpus, res *Results, cols []column, workers int, logf func(string, ...any)) (*CameraResults, error) {
	cr := &CameraResults{Edits: []string{original}, Camera: []bool{false}}
	edits := []distort.Edit{{Name: original, Apply: func(img image.Image) image.Image { return img }}}
	for _, e := range distort.CameraCatalogue() {
		edits, cr.Edits, cr.Camera = append(edits, e), append(cr.Edits, e.Name), append(cr.Camera, true)
	}
	for _, e := range distort.Catalogue() {
		for _, name := range cameraReference {
			if e.Name == name {
				edits, cr.Edits, cr.Camera = append(edits, e), append(cr.Edits, e.Name), append(cr.Camera, false)
			}
		}
	}
	pics := append(append([]*picture{}, c.Targets...), c.NonMembers...)
	for _, t := range c.Targets {
		cr.Want = append(cr.Want, res.targetIDs[t])
	}
	cr.Hits = make([][][][]Hit, len(cols))
	for i, col := range cols {
		gallery := res.gallery
		if col.entries > 0 && col.entries < len(gallery) {
			gallery = gallery[:col.entries]
		}
		start := time.Now()
		if err := col.rec.Enrol(ctx, gallery); err != nil {
			return nil, err
		}
		cr.Columns = append(cr.Columns, ColumnInfo{Name: col.rec.Name(), Threshold: col.rec.Threshold(), Entries: len(gallery),
			EnrolSeconds: time.Since(start).Seconds()})
		logf("camera table: %s enrolled %d entries (%s)", col.rec.Name(), len(gallery), time.Since(start).Round(time.Millisecond))
		cr.Hits[i] = make([][][]Hit, len(edits))
	}
	for e, edit := range edits {
		imgs, truth, err := cameraQueries(ctx, edit, pics, c.NonMembers, workers)
		if err != nil {
			return nil, err
		}
		cr.Truth = append(cr.Truth, truth)
		for i, col := range cols {
			start := time.Now()
			if cr.Hits[i][e], err = col.rec.Query(ctx, imgs); err != nil {
				return nil, fmt.Errorf("camera table: %s, %s: %w", col.rec.Name(), edit.Name, err)
			}
			cr.Columns[i].QuerySeconds += time.Since(start).Seconds()
		}
		logf("camera table: %s done", edit.Name)
	}
	for _, col := range cols {
		if a, ok := col.rec.(*anchorColumn); ok {
			s := a.Stats()
			cr.Anchor = &s
		}
	}
	return cr, nil
}

// cameraQueries makes the queries of one edit, seeded and with scenes
// as queryAll makes them, and where the recipe says, the truth.
func cameraQueries(ctx context.Context, e distort.Edit, pics, scenes []*picture, workers int) ([]image.Image, []*distort.Quad, error) {
	imgs, truth := make([]image.Image, len(pics)), make([]*distort.Quad, len(pics))
	err := parallel(ctx, len(pics), workers, func(i int) error {
		p := pics[i]
		params := distort.Params{Seed: seedOf(p.ID, e.Name)}
		params.Scene = sceneFor(p, scenes, params.Seed).Image
		if locate, ok := e.Locate(params); ok {
			img, q := locate(p.Image)
			imgs[i], truth[i] = img, &q
		} else {
			imgs[i] = e.With(params)(p.Image)
		}
		return nil
	})
	return imgs, truth, err
}
