package feature

import "image"

// describe returns the descriptor of p with the pattern turned to every
// angle bin, t: bit i is set when the box sum at the first point of test
// i, turned to p's orientation, is below that at its second.
func (d *detection) describe(p point, t *table) Descriptor {
	l := d.levels[p.level]
	s := l.smoothed()
	c := int(p.y)*l.w + int(p.x)
	offs := l.offsets(t, bin(p.angle))
	var out Descriptor
	for i := range Bits {
		if s[c+int(offs[2*i])] < s[c+int(offs[2*i+1])] {
			out[i>>6] |= 1 << (i & 63)
		}
	}
	return out
}

// offsets returns the tests of t turned to angle bin k as pairs of
// offsets into the level's pixels, made once per level, pattern and bin.
func (l *level) offsets(t *table, k int) *[2 * Bits]int32 {
	if l.turned == nil || l.pattern != t {
		l.turned, l.pattern = make([]*[2 * Bits]int32, AngleBins), t
	}
	if o := l.turned[k]; o != nil {
		return o
	}
	o := new([2 * Bits]int32)
	for i, u := range t[k] {
		o[2*i] = int32(int(u.Y1)*l.w + int(u.X1))
		o[2*i+1] = int32(int(u.Y2)*l.w + int(u.X2))
	}
	l.turned[k] = o
	return o
}

// Sample returns, for each feature Extract(g, o) finds and in the same
// order, the smoothed patch around it read at points turned to its
// orientation: the 5×5 box sums a pattern's tests compare. It is what
// shared/internal/brieftrain learns the pattern from. Points must lie
// within PatternRadius of the centre (DiscPoints lists them all); Sample
// panics otherwise.
func Sample(g *image.Gray, o Options, points []image.Point) [][]uint16 {
	for _, p := range points {
		if !inDisc(p) {
			panic("feature: Sample of a point outside PatternRadius")
		}
	}
	var turned [AngleBins][]image.Point
	for k := range turned {
		turned[k] = make([]image.Point, len(points))
		for i, p := range points {
			turned[k][i] = turnPoint(p, k)
		}
	}
	d := detect(g, o)
	out := make([][]uint16, len(d.points))
	for n, p := range d.points {
		l := d.levels[p.level]
		s := l.smoothed()
		c := int(p.y)*l.w + int(p.x)
		v := make([]uint16, len(points))
		for i, q := range turned[bin(p.angle)] {
			v[i] = s[c+q.Y*l.w+q.X]
		}
		out[n] = v
	}
	return out
}
