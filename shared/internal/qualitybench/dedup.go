package main

import (
	"cmp"
	"context"
	"image"
	"math"
	"slices"

	"github.com/pixmatch/pixmatch/shared/luma"
)

// De-duplication and split rules.
//
// Two pictures are copies when, with the second mirrored or turned by
// quarter turns as fits best, their normalised 32×32 grey thumbnails
// correlate at least sameMatch: the whole pictures' when their aspect
// ratios differ by less than aspectSlack (the same photo at several
// resolutions, or re-encoded); else one's middle, cut to the other's
// aspect ratio, with the whole other (the same wallpaper cut to 16:9 and
// to 16:10, tried when the centre squares correlate at least cutFrom); or
// their centre squares. Of copies, a photograph is
// kept before another picture, then the larger original, then the first
// ID.
const (
	thumbSide    = 32
	sameMatch    = 0.95
	relatedMatch = 0.80 // a non-photo this like a photo pads nothing
	aspectSlack  = 0.05 // in natural log of the aspect ratio
	// cutFrom is the correlation of the centre squares from which two
	// pictures of different shapes are compared cut to one shape.
	cutFrom = 0.5
	// The split: up to maxTargets photographs into the gallery, up to
	// maxNonMembers (and at most a quarter) kept out of it.
	maxTargets, maxNonMembers = 300, 100
)

// thumbs are a picture's thumbnails under each of the eight symmetries
// (the matcher finds a mirrored or turned copy, so it is a copy), each
// scaled to zero mean and unit length, so that the dot product of two is
// their correlation; and the grey plane they are made from.
type thumbs struct {
	plane *image.Gray
	v     [len(luma.Dihedrals)]struct {
		whole, centre []float32
		aspect        float64 // natural log of width over height
	}
}

// thumbnails returns the thumbnails of img.
func thumbnails(img image.Image) *thumbs {
	g := luma.FromImage(img, 256)
	w, h := g.Rect.Dx(), g.Rect.Dy()
	s := min(w, h)
	sq := image.Rect((w-s)/2, (h-s)/2, (w-s)/2+s, (h-s)/2+s)
	whole := luma.Resample(g, g.Rect, thumbSide, thumbSide)
	centre := luma.Resample(g, sq, thumbSide, thumbSide)
	aspect := math.Log(float64(w) / float64(h))
	t := &thumbs{plane: g}
	for i, d := range luma.Dihedrals {
		v := &t.v[i]
		v.whole, v.centre, v.aspect = normalised(d.Apply(whole)), normalised(d.Apply(centre)), aspect
		if d%2 == 1 { // a quarter turn swaps width and height
			v.aspect = -aspect
		}
	}
	return t
}

// cut returns the thumbnail of the middle of t's plane cut to the aspect
// ratio aspect (a natural log): its sides cut when that is narrower, its
// top and bottom when wider. The thumbnail is not normalised.
func (t *thumbs) cut(aspect float64) *image.Gray {
	r := t.plane.Rect
	w, h := r.Dx(), r.Dy()
	if cw := int(math.Round(float64(h) * math.Exp(aspect))); cw < w {
		r = image.Rect((w-cw)/2, 0, (w-cw)/2+max(cw, 1), h)
	} else if ch := int(math.Round(float64(w) / math.Exp(aspect))); ch < h {
		r = image.Rect(0, (h-ch)/2, w, (h-ch)/2+max(ch, 1))
	}
	return luma.Resample(t.plane, r, thumbSide, thumbSide)
}

// likeness returns how alike two pictures are: the largest correlation
// of their thumbnails over the symmetries of b, by the rules above.
func likeness(a, b *thumbs) float64 {
	m := -1.0
	for i, v := range b.v {
		c := dot(a.v[0].centre, v.centre)
		m = max(m, c)
		switch {
		case math.Abs(a.v[0].aspect-v.aspect) < aspectSlack:
			m = max(m, dot(a.v[0].whole, v.whole))
		case c >= cutFrom:
			// Either may be the middle of the other: cut a to b's shape,
			// and b, in its own orientation, to a's shape, then turn it.
			d := luma.Dihedrals[i]
			aspect := a.v[0].aspect
			if d%2 == 1 {
				aspect = -aspect
			}
			m = max(m, dot(normalised(a.cut(v.aspect)), v.whole), dot(a.v[0].whole, normalised(d.Apply(b.cut(aspect)))))
		}
	}
	return m
}

// normalised returns the pixels of g less their mean, scaled to unit
// length; a uniform g gives zeros.
func normalised(g *image.Gray) []float32 {
	var mean float64
	for _, v := range g.Pix {
		mean += float64(v)
	}
	mean /= float64(len(g.Pix))
	out := make([]float32, len(g.Pix))
	var norm float64
	for i, v := range g.Pix {
		d := float64(v) - mean
		out[i] = float32(d)
		norm += d * d
	}
	if norm > 0 {
		inv := float32(1 / math.Sqrt(norm))
		for i := range out {
			out[i] *= inv
		}
	}
	return out
}

// dot returns the dot product of two thumbnails.
func dot(a, b []float32) float64 {
	var s float32
	for i, v := range a[:len(b)] {
		s += v * b[i]
	}
	return float64(s)
}

// dedup drops the copies among pics, and the non-photographs too like a
// kept photograph. It returns the pictures kept, in pics' order, the
// copies dropped, and the IDs of the related pictures dropped.
func dedup(ctx context.Context, pics []*picture, workers int) ([]*picture, []Duplicate, []string, error) {
	order := slices.Clone(pics)
	slices.SortStableFunc(order, func(a, b *picture) int {
		if a.Photo != b.Photo {
			if a.Photo {
				return -1
			}
			return 1
		}
		return cmp.Or(cmp.Compare(b.Width*b.Height, a.Width*a.Height), cmp.Compare(a.ID, b.ID))
	})
	th := make([]*thumbs, len(order))
	like := make([][]float64, len(order)) // like[i][j], j < i: likeness of order[i] to order[j]
	err := parallel(ctx, len(order), workers, func(i int) error {
		th[i] = thumbnails(order[i].Image)
		return nil
	})
	if err == nil {
		err = parallel(ctx, len(order), workers, func(i int) error {
			like[i] = make([]float64, i)
			for j := range like[i] {
				like[i][j] = likeness(th[i], th[j])
			}
			return nil
		})
	}
	if err != nil {
		return nil, nil, nil, err
	}
	var kept []int
	var dups []Duplicate
	for i, p := range order {
		best, bestMatch := -1, 0.0
		for _, k := range kept {
			if m := like[i][k]; m > bestMatch {
				best, bestMatch = k, m
			}
		}
		if bestMatch >= sameMatch {
			dups = append(dups, Duplicate{Dropped: p.ID, Kept: order[best].ID, Match: round3(bestMatch)})
			continue
		}
		kept = append(kept, i)
	}
	var related []string
	keep := map[*picture]bool{}
	for _, i := range kept {
		p := order[i]
		keep[p] = true
		// Photographs come first in order, so they are all before p.
		for _, k := range kept {
			if !p.Photo && k < i && order[k].Photo && like[i][k] >= relatedMatch {
				related = append(related, p.ID)
				keep[p] = false
				break
			}
		}
	}
	var out []*picture
	for _, p := range pics {
		if keep[p] {
			out = append(out, p)
		}
	}
	slices.SortFunc(dups, func(a, b Duplicate) int { return cmp.Compare(a.Dropped, b.Dropped) })
	slices.Sort(related)
	return out, dups, related, nil
}

// split divides the pictures, in the order of their content hashes, into
// gallery targets, non-members and the fillers distractors are made of.
func split(pics []*picture) *Corpus {
	var photos, others []*picture
	for _, p := range pics {
		if p.Photo {
			photos = append(photos, p)
		} else {
			others = append(others, p)
		}
	}
	byHash := func(a, b *picture) int { return cmp.Or(cmp.Compare(a.Hash, b.Hash), cmp.Compare(a.ID, b.ID)) }
	slices.SortFunc(photos, byHash)
	slices.SortFunc(others, byHash)
	nonMembers := min(maxNonMembers, len(photos)/4)
	targets := min(maxTargets, len(photos)-nonMembers)
	return &Corpus{
		Targets:    photos[:targets],
		NonMembers: photos[targets : targets+nonMembers],
		Fillers:    append(slices.Clone(photos[targets+nonMembers:]), others...),
	}
}

// round3 rounds x to three decimals, for reports.
func round3(x float64) float64 { return math.Round(x*1000) / 1000 }
