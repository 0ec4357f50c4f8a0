package feature

import (
	"encoding/binary"
	"image"
	"math/bits"

	"github.com/pixmatch/pixmatch/shared/internal/simd"
)

// circle lists the 16 pixels at distance 3 of a pixel (a Bresenham
// circle), in order round it, starting straight above; 0, 4, 8 and 12 are
// the compass points.
var circle = [16]image.Point{
	{0, -3}, {1, -3}, {2, -2}, {3, -1}, {3, 0}, {3, 1}, {2, 2}, {1, 3},
	{0, 3}, {-1, 3}, {-2, 2}, {-3, 1}, {-3, 0}, {-3, -1}, {-2, -2}, {-1, -3},
}

// A FAST-9 corner at threshold t is a pixel with 9 contiguous pixels of
// its circle all brighter than it by more than t, or all darker. An arc
// of 9 of the 16 holds one pixel of every pair of opposite ones, which
// the tests below use to reject most pixels early.
//
// fast finds them in three steps of rising cost:
//
//  1. Eight pixels at a time, packed into a uint64 (one byte each):
//     the compass pairs, up-down and left-right, must each have a pixel
//     on the same side. The packed comparison works on halved values
//     (7 bits, so a byte's subtraction never borrows from the next), and
//     errs only towards letting a pixel through.
//  2. Exactly, by one of two routes that give the same answer. Where
//     few of the eight pass step 1 (flat or smooth parts of a picture),
//     pixel by pixel: all eight opposite pairs. Where most pass (dense
//     texture, in which most pixels near an edge pass the pairs too),
//     the whole test for the eight at once, packed: the 16 circle pixels
//     against the centre, byte by byte, and an arc of 9 found by ANDs,
//     of bright and dark pixels together (two bits of each byte).
//  3. The score of each corner, and for the pixel-by-pixel route the
//     arc, from the circle read as 7 words, one a row.
//
// Each step takes a whole row of blocks, straight-line code rather than
// loops within a block, and words rather than bytes: the browser's build
// (js/wasm) pays for every call, an indirect jump for every turn of a
// loop and a check for every index, keeps only 16 values in registers,
// and has 64-bit arithmetic. There, step 1 then the pixel-by-pixel
// route alone, a block at a time and in loops, took 1.2 times as long on
// smooth pictures and 1.8 times on dense texture (BenchmarkFAST).

// Bytes in a word, for the packed test.
const (
	lanes = 0x0101010101010101 // 1 in every byte
	highs = 0x8080808080808080 // the top bit of every byte
	lows  = 0x7f7f7f7f7f7f7f7f // the other bits
)

// denseLanes is how many pixels of the eight of a block must pass step 1
// for step 2 to take the packed route (measured: BenchmarkFAST).
const denseLanes = 3

// fast appends to out the FAST-9 corners of the part r of the level at
// threshold t, and writes their scores into score.
func (l *level) fast(r image.Rectangle, t int, score []uint16, out []corner) []corner {
	return l.fastSearch(t).find(r, score, out)
}

// fastSearch is what a search of a level at one threshold needs, made
// once for all the parts of the level searched.
type fastSearch struct {
	p        []uint8
	w, t     int
	offs     [16]int // of the circle's pixels, in the level
	half, tt uint64  // t/2 and t in every byte
	side     *[511]uint8
	// The blocks of eight pixels of the row being searched: those that
	// may be corners after step 1, or are after step 2 if exact.
	blocks []uint64
	exact  []bool
}

// fastSearch returns the search of l at threshold t.
func (l *level) fastSearch(t int) *fastSearch {
	f := &fastSearch{p: l.pix, w: l.w, t: t, half: uint64(t>>1) * lanes, tt: uint64(t) * lanes, side: sides(t)}
	for k, p := range circle {
		f.offs[k] = p.Y*l.w + p.X
	}
	return f
}

// find appends to out the corners of the part r of the level, and
// writes their scores into score. It takes a row at a time through each
// step, which loops over the row's blocks itself: the browser's build
// pays for every call.
func (f *fastSearch) find(r image.Rectangle, score []uint16, out []corner) []corner {
	n := (r.Dx() + 7) / 8
	f.blocks, f.exact = grow(f.blocks, n), grow(f.exact, n)
	blocks, exact := f.blocks[:n], f.exact[:n]
	chunks := 0 // of 16 pixels, found by the kernel (package simd)
	if kernels {
		chunks = r.Dx() / 16
		for b := range 2 * chunks {
			exact[b] = true
		}
	}
	for y := r.Min.Y; y < r.Max.Y; y++ {
		first := y*f.w + r.Min.X
		if chunks > 0 {
			simd.FAST(f.p, first, f.w, f.t, blocks, score, chunks)
		}
		// The rest by steps 1 and 2 here: all of the row without the kernel.
		rest, from := blocks[2*chunks:], first+16*chunks
		packedCandidates(f.p, from, &f.offs, f.half, rest)
		if part := r.Dx() % 8; part != 0 {
			blocks[n-1] &= 1<<(8*part) - 1
		}
		packedCorners(f.p, from, &f.offs, f.tt, rest, exact[2*chunks:])
		f.oppositePairs(from, rest, exact[2*chunks:])
		out = f.score(first, blocks, exact, 2*chunks, score, out)
	}
	return out
}

// score appends to out the corners of the blocks of a row from pixel
// first, and writes their scores into score: step 3. Each byte of a
// block holds in its top bit whether its pixel may be a corner of bright
// pixels, in the next whether of dark ones; certainly where exact. The
// first scored blocks are the kernel's, whose corners' scores are
// written already.
func (f *fastSearch) score(first int, blocks []uint64, exact []bool, scored int, score []uint16, out []corner) []corner {
	p, w, t := f.p, f.w, f.t
	for b, m := range blocks {
		i := first + 8*b
		for cs := (m | m<<1) & highs; cs != 0; cs &= cs - 1 {
			top := bits.TrailingZeros64(cs)
			j := i + top>>3
			if b < scored {
				out = append(out, corner{i: int32(j), fast: score[j]})
				continue
			}
			s := uint8(m>>(top-1)) & (brighter | darker)
			var v uint16
			if exact[b] {
				v = cornerScore(p, j, w, t, s)
			} else if v = fastScore(p, j, w, t, s); v == 0 {
				continue
			}
			score[j] = v
			out = append(out, corner{i: int32(j), fast: v})
		}
	}
	return out
}

// packedCandidates sets the top bit of byte k of blocks[b] when pixel
// first+8b+k may be a corner by step 1. The 8 bytes read from each row
// end at most 7 pixels past the block, inside the level for a block that
// starts edge away from its border.
func packedCandidates(p []uint8, first int, offs *[16]int, half uint64, blocks []uint64) {
	for b := range blocks {
		i := first + 8*b
		c, n, e, s, w := word(p, i), word(p, i+offs[0]), word(p, i+offs[4]), word(p, i+offs[8]), word(p, i+offs[12])
		// x > c+t implies x/2 ≥ c/2 + t/2 (halves rounded down); x < c−t is
		// 255−x > (255−c)+t.
		up, down := halve(c)+half, halve(^c)+half
		bright := (atLeast(halve(n), up) | atLeast(halve(s), up)) & (atLeast(halve(e), up) | atLeast(halve(w), up))
		dark := (atLeast(halve(^n), down) | atLeast(halve(^s), down)) & (atLeast(halve(^e), down) | atLeast(halve(^w), down))
		blocks[b] = bright | dark
	}
}

// halve halves every byte of x, rounding down.
func halve(x uint64) uint64 { return x >> 1 & lows }

// atLeast returns, in the top bit of each byte, whether the byte of x
// (below 128) is at least that of y (below 255): false where y is 128 or
// more. The subtraction of each byte starts from x+128 and takes at most
// 127: no borrow crosses bytes.
func atLeast(x, y uint64) uint64 {
	return ((x | highs) - (y & lows)) & highs &^ (y & highs)
}

// oppositePairs takes step 2 pixel by pixel in the blocks of a row from
// pixel first that are not exact: of a candidate in the top bit of a
// byte, it keeps the top bit if each of the 8 pairs of opposite circle
// pixels has one brighter than the centre beyond the threshold, and sets
// the next if each has one darker. side[v−c+255] says which side of the
// centre c a circle pixel v is on.
func (f *fastSearch) oppositePairs(first int, blocks []uint64, exact []bool) {
	p, o := f.p, &f.offs
	for b, m := range blocks {
		if exact[b] {
			continue
		}
		i, sides := first+8*b, uint64(0)
		for ; m != 0; m &= m - 1 {
			top := bits.TrailingZeros64(m)
			j := i + top>>3
			at := (*[256]uint8)(f.side[255-int(p[j]):])
			s := (brighter | darker) &
				(at[p[j+o[0]]] | at[p[j+o[8]]]) & (at[p[j+o[1]]] | at[p[j+o[9]]]) &
				(at[p[j+o[2]]] | at[p[j+o[10]]]) & (at[p[j+o[3]]] | at[p[j+o[11]]]) &
				(at[p[j+o[4]]] | at[p[j+o[12]]]) & (at[p[j+o[5]]] | at[p[j+o[13]]]) &
				(at[p[j+o[6]]] | at[p[j+o[14]]]) & (at[p[j+o[7]]] | at[p[j+o[15]]])
			sides |= uint64(s) << (top - 1) // brighter to the top bit, darker the next
		}
		blocks[b] = sides
	}
}

// Sides of a circle pixel against the centre, beyond the threshold.
const (
	darker   = 1
	brighter = 2
)

// sides returns the table of oppositePairs for threshold t.
func sides(t int) *[511]uint8 {
	var side [511]uint8
	for d := range side {
		switch diff := d - 255; {
		case diff < -t:
			side[d] = darker
		case diff > t:
			side[d] = brighter
		}
	}
	return &side
}

// fastScore returns 0 if pixel i of a level w pixels wide is not a
// FAST-9 corner at threshold t on the sides s may be, else its corner
// score (at least 1): how far beyond t its circle pixels go, summed over
// the pixels of the corner's side, as Rosten and Drummond rank corners
// (the larger sum when it is a corner both ways).
func fastScore(p []uint8, i, w, t int, s uint8) uint16 {
	// The circle row by row, each row a word from 3 pixels left of i
	// (byte 3 is i's column), one word at a time: few values live at
	// once, which the browser's build keeps in registers.
	r := word(p, i-3)
	hi, lo := int(r>>24&0xff)+t, int(r>>24&0xff)-t
	var up, down beyond
	up, down = circlePixel(r>>48, 4, hi, lo, up, down)
	up, down = circlePixel(r, 12, hi, lo, up, down)
	r = word(p, i-3*w-3)
	up, down = circlePixel(r>>16, 15, hi, lo, up, down)
	up, down = circlePixel(r>>24, 0, hi, lo, up, down)
	up, down = circlePixel(r>>32, 1, hi, lo, up, down)
	r = word(p, i-2*w-3)
	up, down = circlePixel(r>>8, 14, hi, lo, up, down)
	up, down = circlePixel(r>>40, 2, hi, lo, up, down)
	r = word(p, i-w-3)
	up, down = circlePixel(r, 13, hi, lo, up, down)
	up, down = circlePixel(r>>48, 3, hi, lo, up, down)
	r = word(p, i+w-3)
	up, down = circlePixel(r, 11, hi, lo, up, down)
	up, down = circlePixel(r>>48, 5, hi, lo, up, down)
	r = word(p, i+2*w-3)
	up, down = circlePixel(r>>8, 10, hi, lo, up, down)
	up, down = circlePixel(r>>40, 6, hi, lo, up, down)
	r = word(p, i+3*w-3)
	up, down = circlePixel(r>>16, 9, hi, lo, up, down)
	up, down = circlePixel(r>>24, 8, hi, lo, up, down)
	up, down = circlePixel(r>>32, 7, hi, lo, up, down)
	score := 0
	if s&brighter != 0 && hasArc(up.bits) {
		score = up.sum
	}
	if s&darker != 0 && hasArc(down.bits) {
		score = max(score, down.sum)
	}
	return uint16(score)
}

// beyond is which circle pixels lie beyond a bound (bit k for circle
// pixel k) and by how much in all.
type beyond struct {
	sum  int
	bits uint32
}

// circlePixel adds the low byte of v, circle pixel k, to the pixels
// above hi and below lo. (Values in and out, not pointers: the browser's
// build then keeps them in registers.)
func circlePixel(v uint64, k uint, hi, lo int, up, down beyond) (beyond, beyond) {
	x := int(v & 0xff)
	b, d := x-hi, lo-x
	return beyond{up.sum + max(b, 0), up.bits | uint32(-b)>>31<<k}, // bit 1 when b > 0
		beyond{down.sum + max(d, 0), down.bits | uint32(-d)>>31<<k}
}

// cornerScore returns the score of pixel i of a level w pixels wide, a
// corner at threshold t on the sides s says: fastScore without the test.
// A corner of one side, as nearly all are, sums that side alone: below
// c−t is, the pixels read inverted, above 255−(c−t). (The pixels written
// out, as in fastScore: the browser's build pays for a loop's turns.)
func cornerScore(p []uint8, i, w, t int, s uint8) uint16 {
	if s == brighter|darker {
		return bothScore(p, i, w, t)
	}
	hi, flip := int(p[i])+t, uint64(0)
	if s == darker {
		hi, flip = 255-int(p[i])+t, ^uint64(0)
	}
	r := word(p, i-3) ^ flip
	n := over(r>>48, hi) + over(r, hi)
	r = word(p, i-3*w-3) ^ flip
	n += over(r>>16, hi) + over(r>>24, hi) + over(r>>32, hi)
	r = word(p, i-2*w-3) ^ flip
	n += over(r>>8, hi) + over(r>>40, hi)
	r = word(p, i-w-3) ^ flip
	n += over(r, hi) + over(r>>48, hi)
	r = word(p, i+w-3) ^ flip
	n += over(r, hi) + over(r>>48, hi)
	r = word(p, i+2*w-3) ^ flip
	n += over(r>>8, hi) + over(r>>40, hi)
	r = word(p, i+3*w-3) ^ flip
	return uint16(n + over(r>>16, hi) + over(r>>24, hi) + over(r>>32, hi))
}

// over returns how far the low byte of v, a circle pixel, is above hi.
func over(v uint64, hi int) int { return max(int(v&0xff)-hi, 0) }

// bothScore is cornerScore for a corner of both sides: the larger sum.
func bothScore(p []uint8, i, w, t int) uint16 {
	r := word(p, i-3)
	hi, lo := int(r>>24&0xff)+t, int(r>>24&0xff)-t
	var up, down int
	up, down = sums(r>>48, hi, lo, up, down)
	up, down = sums(r, hi, lo, up, down)
	r = word(p, i-3*w-3)
	up, down = sums(r>>16, hi, lo, up, down)
	up, down = sums(r>>24, hi, lo, up, down)
	up, down = sums(r>>32, hi, lo, up, down)
	r = word(p, i-2*w-3)
	up, down = sums(r>>8, hi, lo, up, down)
	up, down = sums(r>>40, hi, lo, up, down)
	r = word(p, i-w-3)
	up, down = sums(r, hi, lo, up, down)
	up, down = sums(r>>48, hi, lo, up, down)
	r = word(p, i+w-3)
	up, down = sums(r, hi, lo, up, down)
	up, down = sums(r>>48, hi, lo, up, down)
	r = word(p, i+2*w-3)
	up, down = sums(r>>8, hi, lo, up, down)
	up, down = sums(r>>40, hi, lo, up, down)
	r = word(p, i+3*w-3)
	up, down = sums(r>>16, hi, lo, up, down)
	up, down = sums(r>>24, hi, lo, up, down)
	up, down = sums(r>>32, hi, lo, up, down)
	return uint16(max(up, down))
}

// sums adds the low byte of v, a circle pixel, to how far the circle
// goes above hi and below lo.
func sums(v uint64, hi, lo, up, down int) (int, int) {
	x := int(v & 0xff)
	return up + max(x-hi, 0), down + max(lo-x, 0)
}

// word returns the 8 pixels from i, the first in the low byte.
func word(p []uint8, i int) uint64 { return binary.LittleEndian.Uint64(p[i:]) }

// packedCorners takes step 2 packed for the blocks of a row from pixel
// first with at least denseLanes candidates, marking them exact: it
// keeps, of a candidate in the top bit of byte k of blocks[b], the top
// bit if pixel first+8b+k is a FAST-9 corner of bright pixels at the
// threshold tt holds in every byte, and sets the next bit if one of dark
// pixels. Each centre byte c gives hi = c+t and lo = c−t, byte by byte
// without carries between bytes (low 7 bits added, the top bit by XOR),
// held at 255 and 0 where they leave a byte's range: no circle pixel is
// beyond them there, as none is beyond c+t or c−t.
func packedCorners(p []uint8, first int, o *[16]int, tt uint64, blocks []uint64, exact []bool) {
	for b, m := range blocks {
		if exact[b] = bits.OnesCount64(m) >= denseLanes; !exact[b] {
			continue
		}
		i := first + 8*b
		c := word(p, i)
		sum := (c&lows + tt&lows) ^ (c^tt)&highs
		carry := (c&tt | (c|tt)&^sum) & highs
		hi := sum | carry>>7*0xff
		diff := (c | highs - tt&lows) ^ (c^^tt)&highs
		borrow := (^c&tt | ^(c^tt)&diff) & highs
		lo := diff &^ (borrow >> 7 * 0xff)
		// Bright pixels in the top bit of each byte, dark ones in the
		// next: one arc9 finds the arcs of both.
		side := func(v uint64) uint64 { return above(v, hi) | above(lo, v)>>1 }
		arcs := arc9(side(word(p, i+o[0])), side(word(p, i+o[1])), side(word(p, i+o[2])), side(word(p, i+o[3])),
			side(word(p, i+o[4])), side(word(p, i+o[5])), side(word(p, i+o[6])), side(word(p, i+o[7])),
			side(word(p, i+o[8])), side(word(p, i+o[9])), side(word(p, i+o[10])), side(word(p, i+o[11])),
			side(word(p, i+o[12])), side(word(p, i+o[13])), side(word(p, i+o[14])), side(word(p, i+o[15])))
		blocks[b] = arcs & (m | m>>1)
	}
}

// above returns, in the top bit of each byte, whether the byte of a is
// above that of b. The low 7 bits compare by a subtraction that starts
// from a's plus 128 and takes at most 128 (b's plus 1), so no borrow
// crosses bytes; the top bits decide where they differ.
func above(a, b uint64) uint64 {
	low := a | highs - (b&lows + lanes)
	return (a&^b | ^(a^b)&low) & highs
}

// arc9 returns the bits set in 9 cyclically contiguous words of the 16
// circle words a0 to a15: the ANDs of 2, 4 and 8 neighbours, then one
// more.
func arc9(a0, a1, a2, a3, a4, a5, a6, a7, a8, a9, a10, a11, a12, a13, a14, a15 uint64) uint64 {
	r0, r1, r2, r3 := a0&a1, a1&a2, a2&a3, a3&a4
	r4, r5, r6, r7 := a4&a5, a5&a6, a6&a7, a7&a8
	r8, r9, r10, r11 := a8&a9, a9&a10, a10&a11, a11&a12
	r12, r13, r14, r15 := a12&a13, a13&a14, a14&a15, a15&a0
	q0, q1, q2, q3 := r0&r2, r1&r3, r2&r4, r3&r5
	q4, q5, q6, q7 := r4&r6, r5&r7, r6&r8, r7&r9
	q8, q9, q10, q11 := r8&r10, r9&r11, r10&r12, r11&r13
	q12, q13, q14, q15 := r12&r14, r13&r15, r14&r0, r15&r1
	return q0&q4&a8 | q1&q5&a9 | q2&q6&a10 | q3&q7&a11 | q4&q8&a12 | q5&q9&a13 | q6&q10&a14 | q7&q11&a15 |
		q8&q12&a0 | q9&q13&a1 | q10&q14&a2 | q11&q15&a3 | q12&q0&a4 | q13&q1&a5 | q14&q2&a6 | q15&q3&a7
}

// hasArc reports whether the 16-bit circular mask m has 9 contiguous set
// bits: with the mask repeated, bit k of r ends as the AND of bits k to
// k+8.
func hasArc(m uint32) bool {
	m |= m << 16
	r := m & (m >> 1)    // 2 in a row
	r &= r >> 2          // 4
	r &= r >> 4          // 8
	return r&(m>>8) != 0 // 9
}
