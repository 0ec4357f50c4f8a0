package lumajpeg

import (
	"image"
	"image/color"
	"math"
)

// layout is what the test encoder makes of a picture: image/jpeg's
// encoder writes only 4:2:0 (or grey), one interleaved scan, no restart
// intervals; this one writes any sampling, scans and interval, so that
// image/jpeg's decoder can be the oracle of the files it cannot make.
type layout struct {
	sampling    [][2]int // h, v of each component: one for grey, three for YCbCr
	quality     int
	restart     int  // MCUs between restart markers, 0 for none
	separate    bool // one scan a component instead of one interleaved scan
	chromaFirst bool // with separate: the chroma scans before the luma's
}

// testHuffman are the code lengths of the test encoder's tables, valid
// but not optimal: a DC table of 12 four-bit codes; an AC table whose
// first 100 symbols have 8-bit codes and the rest 12-bit ones, so that
// decoding takes both the fast path and the long one.
func testHuffman() (dcCounts, acCounts [17]int, dcSyms, acSyms []byte) {
	dcCounts[4] = 12
	for s := range 12 {
		dcSyms = append(dcSyms, byte(s))
	}
	acSyms = append(acSyms, 0x00, 0xf0) // end of block, run of 16 zeros
	for run := range 16 {
		for size := 1; size <= 10; size++ {
			acSyms = append(acSyms, byte(run<<4|size))
		}
	}
	acCounts[8], acCounts[12] = 100, len(acSyms)-100
	return
}

// encodeTest encodes img as a baseline JPEG with layout l.
func encodeTest(img image.Image, l layout) []byte {
	planes, w, h := testPlanes(img, l)
	e := &testEncoder{}
	e.out = append(e.out, 0xff, markSOI)
	q := testQuant(l.quality)
	e.segment(markDQT, append([]byte{0}, q[:]...))
	sof := []byte{8, byte(h >> 8), byte(h), byte(w >> 8), byte(w), byte(len(l.sampling))}
	for i, s := range l.sampling {
		sof = append(sof, byte(i+1), byte(s[0]<<4|s[1]), 0)
	}
	e.segment(markSOF0, sof)
	dcC, acC, dcS, acS := testHuffman()
	e.segment(markDHT, huffSegment(0x00, dcC, dcS))
	e.segment(markDHT, huffSegment(0x10, acC, acS))
	e.dc, e.ac = codesOf(dcC, dcS), codesOf(acC, acS)
	if l.restart > 0 {
		e.segment(markDRI, []byte{byte(l.restart >> 8), byte(l.restart)})
	}
	var scans [][]int
	switch {
	case !l.separate:
		scans = [][]int{[]int{0, 1, 2}[:len(l.sampling)]}
	case l.chromaFirst && len(l.sampling) == 3:
		scans = [][]int{{1}, {2}, {0}}
	default:
		for i := range l.sampling {
			scans = append(scans, []int{i})
		}
	}
	for _, sc := range scans {
		e.scan(planes, l, sc, w, h, q)
	}
	e.out = append(e.out, 0xff, markEOI)
	return e.out
}

// testPlanes returns the components of img at their sampling, each
// padded by repeating its last column and row.
func testPlanes(img image.Image, l layout) (planes [][][]float64, w, h int) {
	b := img.Bounds()
	w, h = b.Dx(), b.Dy()
	hmax, vmax := 1, 1
	for _, s := range l.sampling {
		hmax, vmax = max(hmax, s[0]), max(vmax, s[1])
	}
	full := make([][3]float64, w*h)
	for y := range h {
		for x := range w {
			r, g, bl, _ := img.At(b.Min.X+x, b.Min.Y+y).RGBA()
			yy, cb, cr := color.RGBToYCbCr(uint8(r>>8), uint8(g>>8), uint8(bl>>8))
			if len(l.sampling) == 1 {
				yy = color.GrayModel.Convert(img.At(b.Min.X+x, b.Min.Y+y)).(color.Gray).Y
			}
			full[y*w+x] = [3]float64{float64(yy), float64(cb), float64(cr)}
		}
	}
	for i, s := range l.sampling {
		fx, fy := hmax/s[0], vmax/s[1]
		cw, ch := (w+fx-1)/fx, (h+fy-1)/fy
		p := make([][]float64, ch)
		for y := range ch {
			p[y] = make([]float64, cw)
			for x := range cw {
				sum, n := 0.0, 0
				for dy := range fy {
					for dx := range fx {
						if sx, sy := x*fx+dx, y*fy+dy; sx < w && sy < h {
							sum += full[sy*w+sx][i]
							n++
						}
					}
				}
				p[y][x] = sum / float64(n)
			}
		}
		planes = append(planes, p)
	}
	return planes, w, h
}

// testQuant is the luminance table of T.81 Annex K scaled for quality,
// in zig-zag order; the same table serves every component.
func testQuant(quality int) [64]byte {
	base := [64]int{ // natural order
		16, 11, 10, 16, 24, 40, 51, 61, 12, 12, 14, 19, 26, 58, 60, 55,
		14, 13, 16, 24, 40, 57, 69, 56, 14, 17, 22, 29, 51, 87, 80, 62,
		18, 22, 37, 56, 68, 109, 103, 77, 24, 35, 55, 64, 81, 104, 113, 92,
		49, 64, 78, 87, 103, 121, 120, 101, 72, 92, 95, 98, 112, 100, 103, 99,
	}
	scale := 5000 / quality
	if quality >= 50 {
		scale = 200 - 2*quality
	}
	var q [64]byte
	for k := range 64 {
		q[k] = byte(min(255, max(1, (base[zigzag[k]]*scale+50)/100)))
	}
	return q
}

func huffSegment(classID byte, counts [17]int, syms []byte) []byte {
	s := []byte{classID}
	for l := 1; l <= 16; l++ {
		s = append(s, byte(counts[l]))
	}
	return append(s, syms...)
}

// code is a Huffman code: its bits and length.
type code struct {
	bits uint32
	len  int
}

// codesOf assigns the canonical codes (T.81 C.2) to the symbols.
func codesOf(counts [17]int, syms []byte) map[byte]code {
	m := map[byte]code{}
	c, i := uint32(0), 0
	for l := 1; l <= 16; l++ {
		for range counts[l] {
			m[syms[i]] = code{c, l}
			c++
			i++
		}
		c <<= 1
	}
	return m
}

// testEncoder writes a file and the bits of its scans.
type testEncoder struct {
	out    []byte
	acc    uint32
	n      int
	dc, ac map[byte]code
}

func (e *testEncoder) segment(marker byte, body []byte) {
	n := len(body) + 2
	e.out = append(e.out, 0xff, marker, byte(n>>8), byte(n))
	e.out = append(e.out, body...)
}

func (e *testEncoder) bits(v uint32, n int) {
	for i := n - 1; i >= 0; i-- {
		e.acc = e.acc<<1 | (v>>i)&1
		if e.n++; e.n == 8 {
			e.out = append(e.out, byte(e.acc))
			if byte(e.acc) == 0xff {
				e.out = append(e.out, 0)
			}
			e.acc, e.n = 0, 0
		}
	}
}

// flush pads the last byte with ones.
func (e *testEncoder) flush() {
	for e.n != 0 {
		e.bits(1, 1)
	}
}

func (e *testEncoder) symbol(t map[byte]code, s byte) {
	c := t[s]
	e.bits(c.bits, c.len)
}

// value writes v as its magnitude category and bits (T.81 F.1.2.1).
func (e *testEncoder) value(v int) (size byte, bits uint32) {
	a := v
	if a < 0 {
		a = -a
	}
	for a > 0 {
		size++
		a >>= 1
	}
	if v < 0 {
		v += 1<<size - 1
	}
	return size, uint32(v)
}

// scan writes a scan of the components comps.
func (e *testEncoder) scan(planes [][][]float64, l layout, comps []int, w, h int, q [64]byte) {
	hdr := []byte{byte(len(comps))}
	for _, c := range comps {
		hdr = append(hdr, byte(c+1), 0x00)
	}
	e.segment(markSOS, append(hdr, 0, 63, 0))
	hmax, vmax := 1, 1
	for _, s := range l.sampling {
		hmax, vmax = max(hmax, s[0]), max(vmax, s[1])
	}
	if len(l.sampling) == 1 {
		hmax, vmax = 1, 1
	}
	preds := make([]int, 3)
	var units [][3]int // component, block column, block row, in coding order
	if len(comps) == 1 {
		c := comps[0]
		p := planes[c]
		for by := range (len(p) + 7) / 8 {
			for bx := range (len(p[0]) + 7) / 8 {
				units = append(units, [3]int{c, bx, by}, [3]int{-1})
			}
		}
	} else {
		for my := range (h + 8*vmax - 1) / (8 * vmax) {
			for mx := range (w + 8*hmax - 1) / (8 * hmax) {
				for _, c := range comps {
					s := l.sampling[c]
					for v := range s[1] {
						for hh := range s[0] {
							units = append(units, [3]int{c, mx*s[0] + hh, my*s[1] + v})
						}
					}
				}
				units = append(units, [3]int{-1})
			}
		}
	}
	mcu, rst := 0, 0
	for i, u := range units {
		if u[0] < 0 { // the end of an MCU
			if mcu++; l.restart > 0 && mcu%l.restart == 0 && i < len(units)-1 {
				e.flush()
				e.out = append(e.out, 0xff, byte(markRST0+rst))
				rst = (rst + 1) % 8
				clear(preds)
			}
			continue
		}
		e.block(planes[u[0]], u[1], u[2], q, &preds[u[0]])
	}
	e.flush()
}

// cosines[x][u] is cos((2x+1)uπ/16).
var cosines = func() (c [8][8]float64) {
	for x := range 8 {
		for u := range 8 {
			c[x][u] = math.Cos(float64((2*x+1)*u) * math.Pi / 16)
		}
	}
	return c
}()

// block writes the block at block column bx, row by of plane p.
func (e *testEncoder) block(p [][]float64, bx, by int, q [64]byte, pred *int) {
	var px [8][8]float64
	for y := range 8 {
		for x := range 8 {
			sy, sx := min(by*8+y, len(p)-1), min(bx*8+x, len(p[0])-1)
			px[y][x] = p[sy][sx] - 128
		}
	}
	// The forward transform (T.81 A.3.3), separable: rows, then columns.
	var rows, f [8][8]float64
	for y := range 8 {
		for u := range 8 {
			for x := range 8 {
				rows[y][u] += px[y][x] * cosines[x][u]
			}
		}
	}
	for v := range 8 {
		for u := range 8 {
			for y := range 8 {
				f[v][u] += rows[y][u] * cosines[y][v]
			}
		}
	}
	var zz [64]int
	for k := range 64 {
		u, v := int(zigzag[k]%8), int(zigzag[k]/8)
		cu, cv := 1.0, 1.0
		if u == 0 {
			cu = 1 / math.Sqrt2
		}
		if v == 0 {
			cv = 1 / math.Sqrt2
		}
		zz[k] = int(math.Round(f[v][u] * cu * cv / 4 / float64(q[k])))
		if k > 0 {
			zz[k] = min(1023, max(-1023, zz[k]))
		}
	}
	size, bits := e.value(zz[0] - *pred)
	*pred = zz[0]
	e.symbol(e.dc, size)
	e.bits(bits, int(size))
	run := 0
	for k := 1; k < 64; k++ {
		if zz[k] == 0 {
			run++
			continue
		}
		for ; run >= 16; run -= 16 {
			e.symbol(e.ac, 0xf0)
		}
		size, bits := e.value(zz[k])
		e.symbol(e.ac, byte(run<<4)|size)
		e.bits(bits, int(size))
		run = 0
	}
	if run > 0 {
		e.symbol(e.ac, 0x00)
	}
}
