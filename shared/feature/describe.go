package feature

import "image"

// describe returns the descriptor of p with the pattern turned to every
// angle bin, t: bit i is set when the box sum at the first point of test
// i, turned to p's orientation, is below that at its second. Eight tests
// a turn of the loop, each bit from a subtraction's sign rather than a
// branch: a third of the time in the browser's build.
func (d *detection) describe(p point, t *table) Descriptor {
	l := d.levels[p.level]
	s := l.smoothed()
	c := int(p.y)*l.w + int(p.x)
	offs := l.offsets(t, bin(p.angle))
	var out Descriptor
	for k := range out {
		for b := 0; b < 64; b += 8 {
			o := (*[16]int32)(offs[128*k+2*b:])
			out[k] |= (below(s, c, o[0], o[1]) | below(s, c, o[2], o[3])<<1 |
				below(s, c, o[4], o[5])<<2 | below(s, c, o[6], o[7])<<3 |
				below(s, c, o[8], o[9])<<4 | below(s, c, o[10], o[11])<<5 |
				below(s, c, o[12], o[13])<<6 | below(s, c, o[14], o[15])<<7) << b
		}
	}
	return out
}

// below returns 1 if the box sum at offset a from pixel c is below that
// at offset b, else 0.
func below(s []uint16, c int, a, b int32) uint64 {
	return uint64(int64(s[c+int(a)])-int64(s[c+int(b)])) >> 63
}

// offsets returns the tests of t turned to angle bin k as pairs of
// offsets into the level's pixels, made once per width, pattern and bin
// (in the level's memory, kept from one extraction to the next).
func (l *level) offsets(t *table, k int) *[2 * Bits]int32 {
	if l.mem == nil {
		l.mem = new(levelMemory)
	}
	m := l.mem
	if m.pattern != t || m.w != l.w {
		m.pattern, m.w, m.made = t, l.w, [AngleBins / 64]uint64{}
	}
	o := m.turned[k]
	if m.made[k/64]&(1<<(k%64)) != 0 {
		return o
	}
	if o == nil {
		o = new([2 * Bits]int32)
		m.turned[k] = o
	}
	for i, u := range t[k] {
		o[2*i] = int32(int(u.Y1)*l.w + int(u.X1))
		o[2*i+1] = int32(int(u.Y2)*l.w + int(u.X2))
	}
	m.made[k/64] |= 1 << (k % 64)
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
	d := detect(g, o, new(memory))
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
