package lumajpeg

import (
	"math"

	"github.com/pixmatch/pixmatch/shared/internal/simd"
)

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

// The full-size transform's weights, a(k)·cos(kπ/16) scaled by
// 2^weightBits (TestFullSizeWeights checks them against weights[8]):
// the even part takes w4 (= a(0)), w2 and w6 in butterflies, the odd
// part a 4×4 product of w1, w3, w5 and w7 with their signs.
const (
	w1 = 4017
	w2 = 3784
	w3 = 3406
	w4 = 2896
	w5 = 2276
	w6 = 1567
	w7 = 799
)

// inverse8 is inverse at full size: columns, then rows, each by pass8.
func inverse8(coef, work *[64]int32, dst []byte, stride int) {
	var out [64]int32
	pass8(coef, work, 8, 1, pass1Shift, 0)
	pass8(work, &out, 1, 8, pass2Shift, 128)
	for m := range 8 {
		row := (*[8]byte)(dst[m*stride : m*stride+8])
		for n := range row {
			row[n] = clamp(int64(out[m*8+n]))
		}
	}
}

// pass8 transforms the eight vectors of src into dst, element k of
// vector i at i·next + k·step, rounding by shift and adding level.
func pass8(src, dst *[64]int32, step, next int, shift uint, level int64) {
	round := int64(1)<<(shift-1) + level<<shift
	for i := range 8 {
		b := i * next
		x0, x1, x2, x3 := int64(src[b&63]), int64(src[(b+step)&63]), int64(src[(b+2*step)&63]), int64(src[(b+3*step)&63])
		x4, x5, x6, x7 := int64(src[(b+4*step)&63]), int64(src[(b+5*step)&63]), int64(src[(b+6*step)&63]), int64(src[(b+7*step)&63])
		if x1|x2|x3|x4|x5|x6|x7 == 0 {
			v := int32((x0*w4 + round) >> shift)
			for k := range 8 {
				dst[(b+k*step)&63] = v
			}
			continue
		}
		ee0, ee1 := w4*(x0+x4), w4*(x0-x4)
		eo0, eo1 := w2*x2+w6*x6, w6*x2-w2*x6
		e0, e1, e2, e3 := ee0+eo0, ee1+eo1, ee1-eo1, ee0-eo0
		o0 := w1*x1 + w3*x3 + w5*x5 + w7*x7
		o1 := w3*x1 - w7*x3 - w1*x5 - w5*x7
		o2 := w5*x1 - w1*x3 + w7*x5 + w3*x7
		o3 := w7*x1 - w5*x3 + w3*x5 - w1*x7
		dst[b&63] = int32((e0 + o0 + round) >> shift)
		dst[(b+step)&63] = int32((e1 + o1 + round) >> shift)
		dst[(b+2*step)&63] = int32((e2 + o2 + round) >> shift)
		dst[(b+3*step)&63] = int32((e3 + o3 + round) >> shift)
		dst[(b+4*step)&63] = int32((e3 - o3 + round) >> shift)
		dst[(b+5*step)&63] = int32((e2 - o2 + round) >> shift)
		dst[(b+6*step)&63] = int32((e1 - o1 + round) >> shift)
		dst[(b+7*step)&63] = int32((e0 - o0 + round) >> shift)
	}
}

// kernelBlocks holds full-size blocks' coefficients for the kernel of
// package simd (IDCT8), in the builds that have it: they are transformed
// many at a time, a call of the kernel costing more than a block. Every
// block of a scan is transformed by the scan's end (flush); until then
// its samples are not in the plane.
type kernelBlocks struct {
	coef []int32 // 64 a block
	at   []int32 // where each block's samples go in the plane
}

// kernels is whether full-size blocks go to the kernel: in the builds that
// have it (a variable, for the tests that compare).
var kernels = simd.Available

// kernelBatch is how many blocks go to the kernel at once.
const kernelBatch = 64

// The kernel's sums fit 32 bits for the coefficients lumaBlock lets
// through: a larger maxCoef does not compile.
const _ = uint(simd.MaxCoefficient - maxCoef)

// add holds the block of coefficients coef, whose samples go to d's plane
// from at, transforming the blocks held when they are kernelBatch.
func (k *kernelBlocks) add(coef *[64]int32, at int, d *decoder) {
	if k.coef == nil {
		k.coef, k.at = make([]int32, 0, 64*kernelBatch), make([]int32, 0, kernelBatch)
	}
	k.coef, k.at = append(k.coef, coef[:]...), append(k.at, int32(at))
	if len(k.at) == kernelBatch {
		k.flush(d)
	}
}

// flush transforms the blocks held into d's plane.
func (k *kernelBlocks) flush(d *decoder) {
	if len(k.at) > 0 {
		simd.IDCT8(k.coef, len(k.at), k.at, d.plane, d.stride)
		k.coef, k.at = k.coef[:0], k.at[:0]
	}
}
