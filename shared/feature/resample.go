package feature

// weightOne is the sum of an output pixel's weights: 16-bit fixed point.
const weightOne = 1 << 16

// filter is area averaging from n source pixels onto m output pixels in
// fixed point: output pixel o takes weight[o*k+j]/weightOne of source
// pixel first[o]+j, for j below k; the weights of an output add up to
// weightOne.
type filter struct {
	k      int
	first  []int32
	weight []uint32
}

// newFilter returns the filter for n source pixels onto m (m ≤ n). In
// units where a source pixel is m long and an output pixel n long, the
// overlaps are whole numbers; each output's shares are rounded down and
// the remainder given to its largest, so the rounding is the same
// everywhere, and a weight is off its exact share by under 2⁻¹⁶·k.
func newFilter(n, m int) filter {
	k := min((n+m-1)/m+1, n) // the most source pixels an output pixel overlaps
	f := filter{k: k, first: make([]int32, m), weight: make([]uint32, m*k)}
	for o := range m {
		lo, hi := o*n, (o+1)*n // in 1/m source pixel
		first := lo / m
		f.first[o] = int32(first)
		ws := f.weight[o*k : (o+1)*k]
		given, big := 0, 0
		for j := range ws {
			i := first + j
			a, b := max(lo, i*m), min(hi, (i+1)*m)
			if i >= n || b <= a {
				break
			}
			ws[j] = uint32((b - a) * weightOne / n)
			given += int(ws[j])
			if ws[j] > ws[big] {
				big = j
			}
		}
		ws[big] += uint32(weightOne - given)
		if shift := first + k - n; shift > 0 { // keep the k pixels read inside the row
			copy(ws[shift:], ws[:k-shift])
			clear(ws[:shift])
			f.first[o] -= int32(shift)
		}
	}
	return f
}

// shrink returns l reduced to w×h by area averaging in fixed point:
// columns first, each output row a weighted sum of source rows, then
// along the rows, rounded once at the end. The sums are exact integers,
// so the order does not change the result.
func shrink(l *level, w, h int) *level { return shrinkInto(l, w, h, nil) }

// shrinkInto is shrink making the pixels in pix when it has room enough.
func shrinkInto(l *level, w, h int, pix []uint8) *level {
	xs, ys := newFilter(l.w, w), newFilter(l.h, h)
	// Every pixel is written below: pix need not be cleared.
	out := &level{pix: grow(pix, w*h), w: w, h: h}
	col := make([]uint32, l.w) // one output row, not yet reduced along x, ×weightOne
	threes := xs.threes()
	for oy := range h {
		first := int(ys.first[oy])
		if ys.k == 3 { // the pyramid's case: the three rows in one pass
			ws := ys.weight[3*oy : 3*oy+3 : 3*oy+3]
			w0, w1, w2 := ws[0], ws[1], ws[2] // in locals: acc might alias ws
			r0 := l.pix[first*l.w : (first+1)*l.w]
			r1 := l.pix[(first+1)*l.w : (first+2)*l.w][:len(r0)]
			r2 := l.pix[(first+2)*l.w : (first+3)*l.w][:len(r0)]
			acc := col[:len(r0)]
			for x := range r0 {
				acc[x] = uint32(r0[x])*w0 + uint32(r1[x])*w1 + uint32(r2[x])*w2
			}
		} else {
			clear(col)
			for j, wt := range ys.weight[oy*ys.k : (oy+1)*ys.k] {
				if wt == 0 {
					continue
				}
				src := l.pix[(first+j)*l.w : (first+j+1)*l.w]
				acc := col[:len(src)]
				for x, v := range src {
					acc[x] += uint32(v) * wt
				}
			}
		}
		dst := out.pix[oy*w : (oy+1)*w]
		if threes != nil { // the pyramid's case, unrolled
			dst = dst[:len(threes)]
			for ox, t := range threes {
				p := col[t.first : t.first+3 : t.first+3]
				v := uint64(p[0])*uint64(t.w0) + uint64(p[1])*uint64(t.w1) + uint64(p[2])*uint64(t.w2)
				dst[ox] = uint8((v + 1<<31) >> 32)
			}
			continue
		}
		for ox, first := range xs.first {
			p, ws := col[first:int(first)+xs.k], xs.weight[ox*xs.k:(ox+1)*xs.k]
			var v uint64
			for j, c := range p {
				v += uint64(c) * uint64(ws[j])
			}
			dst[ox] = uint8((v + 1<<31) >> 32)
		}
	}
	return out
}

// three is an output pixel of a filter of three source pixels: the
// first and the weights of the three.
type three struct {
	first      int32
	w0, w1, w2 uint32
}

// threes returns the output pixels of f if it takes three source pixels
// each (the pyramid's case: one bounds check a pixel), else nil.
func (f filter) threes() []three {
	if f.k != 3 {
		return nil
	}
	out := make([]three, len(f.first))
	for o, first := range f.first {
		ws := f.weight[3*o : 3*o+3 : 3*o+3]
		out[o] = three{first, ws[0], ws[1], ws[2]}
	}
	return out
}
