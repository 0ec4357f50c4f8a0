package lumajpeg

import "fmt"

// zigzag maps the position of a coefficient in the order the file lists
// them (T.81 Figure A.6) to its place in the block, row by row.
var zigzag = [64]uint8{
	0, 1, 8, 16, 9, 2, 3, 10,
	17, 24, 32, 25, 18, 11, 4, 5,
	12, 19, 26, 33, 40, 48, 41, 34,
	27, 20, 13, 6, 7, 14, 21, 28,
	35, 42, 49, 56, 57, 50, 43, 36,
	29, 22, 15, 23, 30, 37, 44, 51,
	58, 59, 52, 45, 38, 31, 39, 46,
	53, 60, 61, 54, 47, 55, 62, 63,
}

// quantTable is a quantisation table in the file's (zig-zag) order.
type quantTable struct {
	q       [64]int32
	defined bool
}

// defineQuant reads a DQT segment: one or more tables of 8- or 16-bit
// values (T.81 B.2.4.1).
func (d *decoder) defineQuant(seg []byte) error {
	for len(seg) > 0 {
		precision, id := seg[0]>>4, seg[0]&0x0f
		size := 64 << precision
		if precision > 1 || id > 3 || len(seg) < 1+size {
			return fmt.Errorf("%w: quantisation table %d of precision %d, %d bytes", ErrCorrupt, id, precision, len(seg))
		}
		t := &d.quant[id]
		for k := range t.q {
			if precision == 0 {
				t.q[k] = int32(seg[1+k])
			} else {
				t.q[k] = int32(seg[1+2*k])<<8 | int32(seg[2+2*k])
			}
		}
		t.defined = true
		seg = seg[1+size:]
	}
	return nil
}

// component is one component of the frame.
type component struct {
	id    byte
	h, v  int // sampling factors
	quant int // table selector
	// blocksX, blocksY count the blocks a scan of this component alone
	// codes (T.81 A.2.2): its samples, ⌈X·h/hmax⌉ × ⌈Y·v/vmax⌉,
	// rounded up to whole blocks.
	blocksX, blocksY int
	scanned          bool
}

// frame is what the frame header defines.
type frame struct {
	width, height int
	comps         []component
	hmax, vmax    int
	mcusX, mcusY  int // MCUs of an interleaved scan
}

// defineFrame reads a SOF0 or SOF1 segment (T.81 B.2.2), asks the admit
// function about its dimensions, and keeps it.
func (d *decoder) defineFrame(seg []byte) error {
	if d.frame != nil {
		return fmt.Errorf("%w: a second frame", ErrCorrupt)
	}
	if len(seg) < 6 {
		return fmt.Errorf("%w: frame header of %d bytes", ErrCorrupt, len(seg))
	}
	precision, n := seg[0], int(seg[5])
	f := &frame{height: int(seg[1])<<8 | int(seg[2]), width: int(seg[3])<<8 | int(seg[4]), hmax: 1, vmax: 1}
	switch {
	case len(seg) != 6+3*n:
		return fmt.Errorf("%w: frame header of %d bytes for %d components", ErrCorrupt, len(seg), n)
	case precision != 8:
		return fmt.Errorf("%w: %d-bit samples", ErrUnsupported, precision)
	case n != 1 && n != 3:
		return fmt.Errorf("%w: %d components", ErrUnsupported, n)
	case f.height == 0:
		return fmt.Errorf("%w: number of lines defined after the scan", ErrUnsupported)
	case f.width == 0:
		return fmt.Errorf("%w: frame of width 0", ErrCorrupt)
	}
	for i := range n {
		p := seg[6+3*i:]
		c := component{id: p[0], h: int(p[1] >> 4), v: int(p[1] & 0x0f), quant: int(p[2])}
		if c.h < 1 || c.h > 4 || c.v < 1 || c.v > 4 || c.quant > 3 {
			return fmt.Errorf("%w: component %d sampled %d×%d, table %d", ErrCorrupt, c.id, c.h, c.v, c.quant)
		}
		for _, o := range f.comps {
			if o.id == c.id {
				return fmt.Errorf("%w: component %d twice", ErrCorrupt, c.id)
			}
		}
		if n == 1 { // one component: the scan is its own MCU grid, factors do not matter
			c.h, c.v = 1, 1
		}
		f.comps = append(f.comps, c)
		f.hmax, f.vmax = max(f.hmax, c.h), max(f.vmax, c.v)
	}
	if err := f.lumaFirst(); err != nil {
		return err
	}
	f.layout()
	if d.admit != nil {
		if err := d.admit(f.width, f.height); err != nil {
			return err
		}
	}
	d.frame = f
	return nil
}

// lumaFirst refuses three components that are not a luma followed by two
// chroma components, sampled as image/jpeg reads them: the chroma once
// per block of 1×1, 2×1, 2×2, 1×2, 4×1 or 4×2 luma samples (4:4:4,
// 4:2:2, 4:2:0, 4:4:0, 4:1:1, 4:1:0). image/jpeg refuses other ratios
// or takes other paths with them: they are left to it.
func (f *frame) lumaFirst() error {
	if len(f.comps) != 3 {
		return nil
	}
	y, cb, cr := f.comps[0], f.comps[1], f.comps[2]
	if y.id == 'R' && cb.id == 'G' && cr.id == 'B' {
		return fmt.Errorf("%w: components named R, G, B", ErrUnsupported)
	}
	ratio := [2]int{y.h, y.v}
	switch {
	case cb.h != 1 || cb.v != 1 || cr.h != 1 || cr.v != 1,
		ratio != [2]int{1, 1} && ratio != [2]int{2, 1} && ratio != [2]int{2, 2} &&
			ratio != [2]int{1, 2} && ratio != [2]int{4, 1} && ratio != [2]int{4, 2}:
		return fmt.Errorf("%w: sampling %d×%d, %d×%d, %d×%d", ErrUnsupported, y.h, y.v, cb.h, cb.v, cr.h, cr.v)
	}
	return nil
}

// layout computes the frame's block grids (T.81 A.2).
func (f *frame) layout() {
	f.mcusX = ceilDiv(f.width, 8*f.hmax)
	f.mcusY = ceilDiv(f.height, 8*f.vmax)
	for i := range f.comps {
		c := &f.comps[i]
		c.blocksX = ceilDiv(ceilDiv(f.width*c.h, f.hmax), 8)
		c.blocksY = ceilDiv(ceilDiv(f.height*c.v, f.vmax), 8)
	}
}

func ceilDiv(a, b int) int { return (a + b - 1) / b }
