package luma

import "image"

// Resample returns the part r of src scaled to w×h by exact area
// averaging: every output pixel is the mean of the source area it covers,
// fractional pixels weighted by their share. It is the antialiased
// reduction that makes a plane independent of the size it was taken at.
func Resample(src *image.Gray, r image.Rectangle, w, h int) *image.Gray {
	r = r.Intersect(src.Bounds())
	out := image.NewGray(image.Rect(0, 0, w, h))
	sw, sh := r.Dx(), r.Dy()
	if sw == 0 || sh == 0 || w <= 0 || h <= 0 {
		return out
	}
	xs := spans(sw, w)
	ys := spans(sh, h)
	// Horizontal pass: each source row reduced to w sums, in units of
	// 1/w source pixel.
	rows := make([]uint64, sh*w)
	for y := 0; y < sh; y++ {
		line := src.Pix[src.PixOffset(r.Min.X, r.Min.Y+y):]
		acc := rows[y*w : (y+1)*w]
		for _, s := range xs {
			acc[s.out] += uint64(line[s.in]) * uint64(s.weight)
		}
	}
	// Vertical pass, then one rounding division by the total weight sw*sh.
	acc := make([]uint64, h*w)
	for _, s := range ys {
		src := rows[s.in*w : (s.in+1)*w]
		dst := acc[s.out*w : (s.out+1)*w]
		for x, v := range src {
			dst[x] += v * uint64(s.weight)
		}
	}
	total := uint64(sw) * uint64(sh)
	for i, v := range acc {
		out.Pix[i] = uint8((v + total/2) / total)
	}
	return out
}

// span says that source pixel in contributes weight to output pixel out.
type span struct{ in, out, weight int }

// spans maps n source pixels onto m output pixels. Measured in units where
// a source pixel is m long and an output pixel n long, the overlaps are
// whole numbers and every output pixel's weights add up to n.
func spans(n, m int) []span {
	var out []span
	for i := 0; i < n; i++ {
		lo, hi := i*m, (i+1)*m
		for o := lo / n; o < m && o*n < hi; o++ {
			a, b := max(lo, o*n), min(hi, (o+1)*n)
			if b > a {
				out = append(out, span{in: i, out: o, weight: b - a})
			}
		}
	}
	return out
}

// Dihedral is one of the eight symmetries of a square: rotations by
// multiples of 90° counter-clockwise, each optionally preceded by a
// mirror about the vertical axis.
type Dihedral uint8

// The eight symmetries. Rotations turn the picture counter-clockwise.
const (
	Identity Dihedral = iota
	Rotate90
	Rotate180
	Rotate270
	Mirror
	MirrorRotate90
	MirrorRotate180
	MirrorRotate270
)

// Dihedrals lists every symmetry, Identity first.
var Dihedrals = [8]Dihedral{Identity, Rotate90, Rotate180, Rotate270, Mirror, MirrorRotate90, MirrorRotate180, MirrorRotate270}

// Apply returns src transformed by d. A quarter turn swaps width and height.
func (d Dihedral) Apply(src *image.Gray) *image.Gray {
	w, h := src.Rect.Dx(), src.Rect.Dy()
	ow, oh := w, h
	if d%2 == 1 {
		ow, oh = h, w
	}
	out := image.NewGray(image.Rect(0, 0, ow, oh))
	for y := 0; y < h; y++ {
		line := src.Pix[src.PixOffset(src.Rect.Min.X, src.Rect.Min.Y+y):]
		for x := 0; x < w; x++ {
			dx, dy := d.Point(x, y, w, h)
			out.Pix[dy*ow+dx] = line[x]
		}
	}
	return out
}

// Point returns where d moves the pixel (x, y) of a w×h picture.
func (d Dihedral) Point(x, y, w, h int) (int, int) {
	if d >= Mirror {
		x = w - 1 - x
	}
	switch d % 4 {
	case 1: // counter-clockwise quarter turn
		return y, w - 1 - x
	case 2:
		return w - 1 - x, h - 1 - y
	case 3:
		return h - 1 - y, x
	}
	return x, y
}

// Inverse returns the symmetry that undoes d.
func (d Dihedral) Inverse() Dihedral {
	if d >= Mirror {
		return d // a reflection is its own inverse
	}
	return (4 - d) % 4
}
