package lumajpeg

import (
	"fmt"
	"image"
)

// scanComp is a component as one scan codes it.
type scanComp struct {
	c      *component
	dc, ac *huffTable
	pred   int32 // the DC prediction (T.81 F.2.1.3.1)
	luma   bool
}

// scan reads a scan header (T.81 B.2.3) and then the scan's entropy-coded
// data, which begins at pos; it returns where the next marker begins.
func (d *decoder) scan(seg []byte, pos int) (int, error) {
	f := d.frame
	if f == nil {
		return 0, fmt.Errorf("%w: a scan before the frame", ErrCorrupt)
	}
	if len(seg) < 1 || len(seg) != 4+2*int(seg[0]) || seg[0] < 1 || seg[0] > 4 {
		return 0, fmt.Errorf("%w: scan header of %d bytes", ErrCorrupt, len(seg))
	}
	n := int(seg[0])
	if ss, se, a := seg[1+2*n], seg[2+2*n], seg[3+2*n]; ss != 0 || se != 63 || a != 0 {
		return 0, fmt.Errorf("%w: spectral selection %d–%d, approximation %#02x in a sequential scan", ErrCorrupt, ss, se, a)
	}
	comps := make([]scanComp, 0, 4)
	hasLuma, units := false, 0
	for i := range n {
		id, tables := seg[1+2*i], seg[2+2*i]
		c := f.component(id)
		if c == nil || c.scanned {
			return 0, fmt.Errorf("%w: scan of component %d, unknown or scanned before", ErrCorrupt, id)
		}
		c.scanned = true
		td, ta := tables>>4, tables&0x0f
		if td > 3 || ta > 3 || !d.dc[td].defined || !d.ac[ta].defined {
			return 0, fmt.Errorf("%w: component %d coded with undefined tables %d/%d", ErrCorrupt, id, td, ta)
		}
		sc := scanComp{c: c, dc: &d.dc[td], ac: &d.ac[ta], luma: c == &f.comps[0]}
		hasLuma = hasLuma || sc.luma
		units += c.h * c.v
		comps = append(comps, sc)
	}
	if n > 1 && units > 10 {
		return 0, fmt.Errorf("%w: an MCU of %d blocks", ErrCorrupt, units)
	}
	if n == 1 && len(f.comps) > 1 && d.restart > 0 {
		// Restart intervals count single blocks here (T.81 F.2.2.5),
		// which image/jpeg counts otherwise in a frame of several
		// components: leave the file to it.
		return 0, fmt.Errorf("%w: restart intervals in a scan of one of several components", ErrUnsupported)
	}
	if hasLuma {
		if err := d.startLuma(); err != nil {
			return 0, err
		}
	}
	s := scanState{d: d, comps: comps, r: bitReader{data: d.data, pos: pos}}
	if err := s.run(); err != nil {
		return 0, err
	}
	d.kernel.flush(d)
	d.lumaRead = d.lumaRead || hasLuma
	return skipScan(d.data, s.r.pos), nil
}

// component returns the frame's component with this id, or nil.
func (f *frame) component(id byte) *component {
	for i := range f.comps {
		if f.comps[i].id == id {
			return &f.comps[i]
		}
	}
	return nil
}

// startLuma checks the luma's quantisation table and allocates its plane:
// the luma's blocks in an interleaved scan (a non-interleaved one codes
// no more), each scale×scale smaller.
func (d *decoder) startLuma() error {
	f := d.frame
	y := &f.comps[0]
	if !d.quant[y.quant].defined {
		return fmt.Errorf("%w: luma quantised with undefined table %d", ErrCorrupt, y.quant)
	}
	side := 8 / d.scale
	d.stride = f.mcusX * y.h * side
	rows := f.mcusY * y.v * side
	d.plane = make([]byte, d.stride*rows)
	d.out = &image.Gray{Pix: d.plane, Stride: d.stride,
		Rect: image.Rect(0, 0, ceilDiv(f.width, d.scale), ceilDiv(f.height, d.scale))}
	return nil
}

// skipScan returns where the marker that ends the entropy-coded data
// beginning at pos is: the first 0xff not followed by a stuffed 0x00, a
// restart marker or a fill byte; the end of data when there is none.
func skipScan(data []byte, pos int) int {
	for ; pos+1 < len(data); pos++ {
		if data[pos] != 0xff {
			continue
		}
		next := data[pos+1]
		if next != 0x00 && next != 0xff && (next < markRST0 || next > markRST7) {
			return pos
		}
	}
	return len(data)
}

// scanState decodes the entropy-coded data of one scan.
type scanState struct {
	d     *decoder
	comps []scanComp
	r     bitReader
}

// run decodes every MCU of the scan, restarting where the restart
// interval says (T.81 E.2.4, F.2.2.5 for the non-interleaved order).
func (s *scanState) run() error {
	f := s.d.frame
	across, down := f.mcusX, f.mcusY
	if len(s.comps) == 1 { // one component: an MCU is one of its blocks
		across, down = s.comps[0].c.blocksX, s.comps[0].c.blocksY
	}
	interval, next := s.d.restart, 0
	for my := range down {
		for mx := range across {
			if interval > 0 && (my*across+mx) > 0 && (my*across+mx)%interval == 0 {
				if err := s.restart(next); err != nil {
					return err
				}
				next = (next + 1) % 8
			}
			if err := s.mcu(mx, my); err != nil {
				return err
			}
		}
	}
	return nil
}

// mcu decodes one MCU at column mx, row my of the scan's grid.
func (s *scanState) mcu(mx, my int) error {
	if len(s.comps) == 1 {
		return s.block(&s.comps[0], mx, my)
	}
	for i := range s.comps {
		sc := &s.comps[i]
		for v := range sc.c.v {
			for h := range sc.c.h {
				if err := s.block(sc, mx*sc.c.h+h, my*sc.c.v+v); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

// restart reads the restart marker RSTn that must come next, after any
// bits left of the interval, and starts the next interval afresh.
func (s *scanState) restart(n int) error {
	if s.r.short() {
		return fmt.Errorf("%w: entropy-coded data cut short", ErrCorrupt)
	}
	data := s.d.data
	pos := skipToMarker(data, s.r.pos)
	if pos+1 >= len(data) || data[pos+1] != byte(markRST0+n) {
		return fmt.Errorf("%w: restart marker %d missing", ErrCorrupt, n)
	}
	s.r.reset(pos + 2)
	for i := range s.comps {
		s.comps[i].pred = 0
	}
	return nil
}

// skipToMarker returns where the next marker at or after pos begins,
// stuffed bytes skipped; the end of data when there is none.
func skipToMarker(data []byte, pos int) int {
	for ; pos+1 < len(data); pos++ {
		if data[pos] == 0xff && data[pos+1] != 0x00 && data[pos+1] != 0xff {
			return pos
		}
	}
	return len(data)
}

// block decodes one block of sc at block column bx, row by of its grid:
// the luma's into the plane, anyone else's only read past.
func (s *scanState) block(sc *scanComp, bx, by int) error {
	r := &s.r
	t, err := r.decode(sc.dc)
	if err != nil {
		return err
	}
	if t > 11 {
		return fmt.Errorf("%w: DC difference of %d bits", ErrCorrupt, t)
	}
	// An 8-bit picture's DC coefficients are within ±1024 (T.81
	// F.1.2.1.1: 11 bits); image/jpeg refuses the others.
	if sc.pred += r.receive(uint(t)); sc.pred < -1024 || sc.pred > 1023 {
		return fmt.Errorf("%w: DC coefficient %d", ErrCorrupt, sc.pred)
	}
	if sc.luma {
		err = s.lumaBlock(sc, bx, by)
	} else {
		err = s.skipAC(sc.ac)
	}
	if err == nil && r.short() {
		err = fmt.Errorf("%w: entropy-coded data cut short", ErrCorrupt)
	}
	return err
}

// skipAC reads a block's AC coefficients past (T.81 F.2.2.2).
func (s *scanState) skipAC(ac *huffTable) error {
	r := &s.r
	for k := 1; k < 64; k++ {
		if r.n < 32 {
			r.fill()
		}
		if e := ac.value[r.acc>>(64-lookBits)]; e != 0 { // a short code and its value
			r.acc <<= uint(e & 0xff)
			r.n -= uint(e & 0xff)
			if k += int(e >> 8 & 0x0f); k > 63 {
				return fmt.Errorf("%w: AC coefficients past the block's 64", ErrCorrupt)
			}
			continue
		}
		rs, err := r.decode(ac)
		if err != nil {
			return err
		}
		run, size := int(rs>>4), uint(rs&0x0f)
		switch {
		case rs == 0x00: // end of block
			return nil
		case size == 0 && run != 15:
			return fmt.Errorf("%w: AC symbol %#02x", ErrCorrupt, rs)
		case size > 10:
			return fmt.Errorf("%w: AC coefficient of %d bits", ErrCorrupt, size)
		}
		if k += run; k > 63 {
			return fmt.Errorf("%w: AC coefficients past the block's 64", ErrCorrupt)
		}
		r.skip(size)
	}
	return nil
}

// maxCoef bounds the dequantised coefficients of an 8-bit picture's
// blocks: a transform of samples within ±128 is within ±2048 (T.81 A.3.3),
// and rounding to a quantiser of 8 bits adds at most 128; twice that
// leaves room. Larger ones come from a damaged file (or a 16-bit table
// no encoder writes for 8-bit samples) and are an error: decoders' fixed
// point arithmetic parts ways there.
const maxCoef = 4096

// lumaBlock reads the AC coefficients of a luma block whose DC
// coefficient is sc.pred, dequantises them into natural order and
// transforms them into the plane. The reader's bits are kept in locals
// for the loop (T.81 F.2.2.2 with DECODE and EXTEND written out).
func (s *scanState) lumaBlock(sc *scanComp, bx, by int) error {
	r, q, ac := &s.r, &s.d.quant[sc.c.quant].q, sc.ac
	coef := &s.d.coef
	*coef = [64]int32{}
	if coef[0] = sc.pred * q[0]; coef[0] > maxCoef || coef[0] < -maxCoef {
		return fmt.Errorf("%w: DC coefficient %d", ErrCorrupt, coef[0])
	}
	dcOnly := true
	acc, n := r.acc, r.n
	for k := 1; k < 64; k++ {
		if n < 32 { // room for a code of 16 bits and a value of 16
			r.acc, r.n = acc, n
			r.fill()
			acc, n = r.acc, r.n
		}
		if e := ac.value[acc>>(64-lookBits)]; e != 0 { // a short code and its value
			acc <<= uint(e & 0xff)
			n -= uint(e & 0xff)
			if k += int(e >> 8 & 0x0f); k > 63 {
				return fmt.Errorf("%w: AC coefficients past the block's 64", ErrCorrupt)
			}
			v := e >> 16 * q[k]
			if v > maxCoef || v < -maxCoef {
				return fmt.Errorf("%w: AC coefficient %d", ErrCorrupt, v)
			}
			coef[zigzag[k]] = v
			dcOnly = false
			continue
		}
		var rs byte
		if e := ac.fast[acc>>(64-lookBits)]; e != 0 {
			l := uint(e >> 8)
			acc <<= l
			n -= l
			rs = byte(e)
		} else {
			r.acc, r.n = acc, n
			var err error
			if rs, err = r.decode(ac); err != nil {
				return err
			}
			acc, n = r.acc, r.n
		}
		run, size := int(rs>>4), uint(rs&0x0f)
		if size == 0 {
			if run == 0 { // end of block
				break
			}
			if run != 15 {
				return fmt.Errorf("%w: AC symbol %#02x", ErrCorrupt, rs)
			}
			if k += 15; k > 63 {
				return fmt.Errorf("%w: AC coefficients past the block's 64", ErrCorrupt)
			}
			continue
		}
		if size > 10 {
			return fmt.Errorf("%w: AC coefficient of %d bits", ErrCorrupt, size)
		}
		if k += run; k > 63 {
			return fmt.Errorf("%w: AC coefficients past the block's 64", ErrCorrupt)
		}
		v := int32(acc >> (64 - size))
		acc <<= size
		n -= size
		if v < 1<<(size-1) {
			v += -1<<size + 1
		}
		if v *= q[k]; v > maxCoef || v < -maxCoef {
			return fmt.Errorf("%w: AC coefficient %d", ErrCorrupt, v)
		}
		coef[zigzag[k]] = v
		dcOnly = false
	}
	r.acc, r.n = acc, n
	s.d.put(bx, by, dcOnly)
	return nil
}

// put transforms the block's coefficients into the plane at block
// column bx, row by; a block of its DC coefficient alone, or any block
// at 1/8, is one level.
func (d *decoder) put(bx, by int, dcOnly bool) {
	side := 8 / d.scale
	at := by*side*d.stride + bx*side
	dst := d.plane[at:]
	switch {
	case dcOnly || d.scale == 8:
		fillBlock(dst, d.stride, side, d.coef[0])
	case side == 8 && kernels:
		d.kernel.add(&d.coef, at, d)
	default:
		inverse(&d.coef, &d.work, dst, d.stride, side)
	}
}
