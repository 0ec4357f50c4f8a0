package lumajpeg

import "math"

// The inverse transform (T.81 A.3.3) of a block's coefficients F(u,v)
// is separable: each dimension applies
//
//	x(n) = Σₖ a(k)·F(k)·cos((2n+1)kπ/16),  a(0) = 1/(2√2), a(k>0) = 1/2,
//
// and the level shift adds 128. Reduced by s, output m is the mean of
// x(n) over the s samples n = ms … ms+s-1 it stands for, which is again a
// weighted sum of the coefficients: the weights are the means of the
// cosines. For side = 8/s outputs, weights[side][m][k] holds them, scaled
// by 2^weightBits. Outputs m and side-1-m share their weights, the odd
// ones with the sign turned, so each pair is computed as the sum and the
// difference of an even and an odd part.
const weightBits = 13

// Precision kept between the two passes: the first pass's results are 8
// times the samples they stand for.
const (
	pass1Shift = weightBits - 3
	pass2Shift = weightBits + 3
)

// weights by the side of the output block: 8, 4 or 2.
var weights = [9]*[4][8]int64{8: reducedWeights(1), 4: reducedWeights(2), 2: reducedWeights(4)}

// reducedWeights returns the weights of outputs 0 … 8/s/2-1 reduced by s.
func reducedWeights(s int) *[4][8]int64 {
	var w [4][8]int64
	for m := range 8 / s / 2 {
		for k := range 8 {
			a := 0.5
			if k == 0 {
				a = 1 / (2 * math.Sqrt2)
			}
			sum := 0.0
			for n := m * s; n < (m+1)*s; n++ {
				sum += math.Cos(float64((2*n+1)*k) * math.Pi / 16)
			}
			w[m][k] = int64(math.Round(a * sum / float64(s) * (1 << weightBits)))
		}
	}
	return &w
}

// inverse transforms coef into the side×side block at dst, rows stride
// apart: by columns into work, then by rows.
func inverse(coef, work *[64]int32, dst []byte, stride, side int) {
	if side == 8 {
		inverse8(coef, work, dst, stride)
		return
	}
	w := weights[side&4|side&2]
	half := side / 2
	for c := range 8 {
		x0, x1, x2, x3 := int64(coef[c]), int64(coef[8+c]), int64(coef[16+c]), int64(coef[24+c])
		x4, x5, x6, x7 := int64(coef[32+c]), int64(coef[40+c]), int64(coef[48+c]), int64(coef[56+c])
		if x1|x2|x3|x4|x5|x6|x7 == 0 {
			v := int32((x0*w[0][0] + 1<<(pass1Shift-1)) >> pass1Shift)
			for m := range side {
				work[m*8+c] = v
			}
			continue
		}
		for m := range half {
			wm := &w[m]
			even := wm[0]*x0 + wm[2]*x2 + wm[4]*x4 + wm[6]*x6
			odd := wm[1]*x1 + wm[3]*x3 + wm[5]*x5 + wm[7]*x7
			work[m*8+c] = int32((even + odd + 1<<(pass1Shift-1)) >> pass1Shift)
			work[(side-1-m)*8+c] = int32((even - odd + 1<<(pass1Shift-1)) >> pass1Shift)
		}
	}
	const round = 128<<pass2Shift + 1<<(pass2Shift-1)
	for m := range side {
		in := (*[8]int32)(work[m*8:])
		row := dst[m*stride : m*stride+side]
		x0, x1, x2, x3 := int64(in[0]), int64(in[1]), int64(in[2]), int64(in[3])
		x4, x5, x6, x7 := int64(in[4]), int64(in[5]), int64(in[6]), int64(in[7])
		if x1|x2|x3|x4|x5|x6|x7 == 0 {
			v := clamp((x0*w[0][0] + round) >> pass2Shift)
			for n := range row {
				row[n] = v
			}
			continue
		}
		for n := range half {
			wn := &w[n]
			even := wn[0]*x0 + wn[2]*x2 + wn[4]*x4 + wn[6]*x6
			odd := wn[1]*x1 + wn[3]*x3 + wn[5]*x5 + wn[7]*x7
			row[n] = clamp((even + odd + round) >> pass2Shift)
			row[side-1-n] = clamp((even - odd + round) >> pass2Shift)
		}
	}
}

// fillBlock fills the side×side block at dst with the level of a block
// whose only coefficient is dc (dequantised): dc/8 + 128.
func fillBlock(dst []byte, stride, side int, dc int32) {
	v := clamp((int64(dc)+4)>>3 + 128)
	for m := range side {
		row := dst[m*stride : m*stride+side]
		for n := range row {
			row[n] = v
		}
	}
}

func clamp(v int64) byte {
	if uint64(v) > 255 {
		if v < 0 {
			return 0
		}
		return 255
	}
	return byte(v)
}

// The even part of the full-size transform, the weights of coefficients
// 0, 2, 4 and 6, takes three: c4 = a(4)·cos(π/4) = a(0), c2 and c6.
var (
	c4 = weights[8][0][0]
	c2 = weights[8][0][2]
	c6 = weights[8][0][6]
)

// inverse8 is inverse at full size, its even part by butterflies: the
// even outputs of coefficients 0 and 4 are c4·(x0 ± x4), of 2 and 6
// c2·x2 + c6·x6 and c6·x2 - c2·x6, up to sign.
func inverse8(coef, work *[64]int32, dst []byte, stride int) {
	for c := range 8 {
		x0, x1, x2, x3 := int64(coef[c]), int64(coef[8+c]), int64(coef[16+c]), int64(coef[24+c])
		x4, x5, x6, x7 := int64(coef[32+c]), int64(coef[40+c]), int64(coef[48+c]), int64(coef[56+c])
		if x1|x2|x3|x4|x5|x6|x7 == 0 {
			v := int32((x0*c4 + 1<<(pass1Shift-1)) >> pass1Shift)
			for m := range 8 {
				work[m*8+c] = v
			}
			continue
		}
		var out [8]int64
		butterfly(&out, x0, x1, x2, x3, x4, x5, x6, x7)
		for m, v := range out {
			work[m*8+c] = int32((v + 1<<(pass1Shift-1)) >> pass1Shift)
		}
	}
	const round = 128<<pass2Shift + 1<<(pass2Shift-1)
	for m := range 8 {
		in := (*[8]int32)(work[m*8:])
		row := (*[8]byte)(dst[m*stride : m*stride+8])
		x0, x1, x2, x3 := int64(in[0]), int64(in[1]), int64(in[2]), int64(in[3])
		x4, x5, x6, x7 := int64(in[4]), int64(in[5]), int64(in[6]), int64(in[7])
		if x1|x2|x3|x4|x5|x6|x7 == 0 {
			v := clamp((x0*c4 + round) >> pass2Shift)
			*row = [8]byte{v, v, v, v, v, v, v, v}
			continue
		}
		var out [8]int64
		butterfly(&out, x0, x1, x2, x3, x4, x5, x6, x7)
		for n, v := range out {
			row[n] = clamp((v + round) >> pass2Shift)
		}
	}
}

// butterfly is one dimension of the full-size transform of x0 … x7.
func butterfly(out *[8]int64, x0, x1, x2, x3, x4, x5, x6, x7 int64) {
	ee0, ee1 := c4*(x0+x4), c4*(x0-x4)
	eo0, eo1 := c2*x2+c6*x6, c6*x2-c2*x6
	e := [4]int64{ee0 + eo0, ee1 + eo1, ee1 - eo1, ee0 - eo0}
	w := weights[8]
	for m := range 4 {
		o := w[m][1]*x1 + w[m][3]*x3 + w[m][5]*x5 + w[m][7]*x7
		out[m], out[7-m] = e[m]+o, e[m]-o
	}
}
