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

var weights = map[int]*[4][8]int64{8: reducedWeights(1), 4: reducedWeights(2), 2: reducedWeights(4)}

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
// apart, by columns into work and then by rows.
func inverse(coef, work *[64]int32, dst []byte, stride, side int) {
	w := weights[side]
	var in [8]int64
	for c := range 8 {
		for k := range 8 {
			in[k] = int64(coef[k*8+c])
		}
		transform(&in, w, side, func(m int, v int64) { work[m*8+c] = int32((v + 1<<(pass1Shift-1)) >> pass1Shift) })
	}
	for m := range side {
		for k := range 8 {
			in[k] = int64(work[m*8+k])
		}
		row := dst[m*stride : m*stride+side]
		transform(&in, w, side, func(n int, v int64) { row[n] = clamp((v + 128<<pass2Shift + 1<<(pass2Shift-1)) >> pass2Shift) })
	}
}

// transform applies one dimension of the reduced inverse transform to in,
// handing each output to put.
func transform(in *[8]int64, w *[4][8]int64, side int, put func(int, int64)) {
	if in[1]|in[2]|in[3]|in[4]|in[5]|in[6]|in[7] == 0 {
		v := in[0] * w[0][0]
		for m := range side {
			put(m, v)
		}
		return
	}
	for m := range side / 2 {
		wm := &w[m]
		even := wm[0]*in[0] + wm[2]*in[2] + wm[4]*in[4] + wm[6]*in[6]
		odd := wm[1]*in[1] + wm[3]*in[3] + wm[5]*in[5] + wm[7]*in[7]
		put(m, even+odd)
		put(side-1-m, even-odd)
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
