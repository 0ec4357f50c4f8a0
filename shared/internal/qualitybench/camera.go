package main

import (
	"context"
	"fmt"
	"image"
	"slices"
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
	// Tier is the feature tier's sizes and times, when it is a column.
	Tier *TierStats
	// MeanOf names what the mean averages ("camera recipes" when empty).
	MeanOf string
	// Queries names the pictures queried, targets then non-members;
	// Labels describes the gallery's entries by ID.
	Queries []string
	Labels  map[string]string
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
// searches every column with the same queries: the camera table.
func MeasureCamera(ctx context.Context, c *Corpus, res *Results, cols []column, workers int, logf func(string, ...any)) (*CameraResults, error) {
	infos, err := enrolColumns(ctx, res, cols, logf)
	if err != nil {
		return nil, err
	}
	edits, camera := cameraEdits()
	return queryColumns(ctx, c, res, cols, infos, edits, camera, workers, logf)
}

// cameraEdits returns the queries of the camera table: the pictures
// themselves, the recipes of distort.CameraCatalogue, then
// cameraReference; and which are camera recipes.
func cameraEdits() ([]distort.Edit, []bool) {
	edits := []distort.Edit{{Name: original, Apply: func(img image.Image) image.Image { return img }}}
	camera := []bool{false}
	for _, e := range distort.CameraCatalogue() {
		edits, camera = append(edits, e), append(camera, true)
	}
	for _, e := range distort.Catalogue() {
		if slices.Contains(cameraReference, e.Name) {
			edits, camera = append(edits, e), append(camera, false)
		}
	}
	return edits, camera
}

// catalogueEdits returns the queries of the results table: the pictures
// themselves and every recipe of distort.Catalogue; the mean averages
// the recipes.
func catalogueEdits() ([]distort.Edit, []bool) {
	edits := append([]distort.Edit{{Name: original, Apply: func(img image.Image) image.Image { return img }}}, distort.Catalogue()...)
	averaged := make([]bool, len(edits))
	for e := 1; e < len(edits); e++ {
		averaged[e] = true
	}
	return edits, averaged
}

// enrolColumns gives each column its share of the gallery of a run of
// Measure, and describes the columns.
func enrolColumns(ctx context.Context, res *Results, cols []column, logf func(string, ...any)) ([]ColumnInfo, error) {
	var infos []ColumnInfo
	for _, col := range cols {
		gallery := res.gallery
		if col.entries > 0 && col.entries < len(gallery) {
			gallery = gallery[:col.entries]
		}
		start := time.Now()
		if err := col.rec.Enrol(ctx, gallery); err != nil {
			return nil, err
		}
		infos = append(infos, ColumnInfo{Name: col.rec.Name(), Threshold: col.rec.Threshold(), Entries: len(gallery),
			EnrolSeconds: time.Since(start).Seconds()})
		logf("camera table: %s enrolled %d entries (%s)", col.rec.Name(), len(gallery), time.Since(start).Round(time.Millisecond))
	}
	return infos, nil
}

// queryColumns searches every column, enrolled and described by infos,
// with the same queries: each edit of every target and non-member.
func queryColumns(ctx context.Context, c *Corpus, res *Results, cols []column, infos []ColumnInfo, edits []distort.Edit, camera []bool, workers int, logf func(string, ...any)) (*CameraResults, error) {
	cr := &CameraResults{Camera: camera, Columns: slices.Clone(infos), Labels: res.labels}
	pics := append(append([]*picture{}, c.Targets...), c.NonMembers...)
	for _, p := range pics {
		cr.Queries = append(cr.Queries, p.ID)
	}
	for _, t := range c.Targets {
		cr.Want = append(cr.Want, res.targetIDs[t])
	}
	cr.Hits = make([][][][]Hit, len(cols))
	for i := range cols {
		cr.Hits[i] = make([][][]Hit, len(edits))
	}
	for e, edit := range edits {
		cr.Edits = append(cr.Edits, edit.Name)
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
		switch r := col.rec.(type) {
		case *anchorColumn:
			s := r.Stats()
			cr.Anchor = &s
		case *tierColumn:
			s := r.Stats()
			cr.Tier = &s
			r.forgetQueries()
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
