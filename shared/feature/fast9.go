package feature

import (
	"encoding/binary"
	"image"
	"math/bits"
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
//  2. Pixel by pixel, exactly: all eight opposite pairs.
//  3. The whole circle: an arc of 9, and the score.

// Bytes in a word, for the packed test.
const (
	lanes = 0x0101010101010101 // 1 in every byte
	highs = 0x8080808080808080 // the top bit of every byte
	lows  = 0x7f7f7f7f7f7f7f7f // the other bits
)

// fast appends to out the FAST-9 corners of the part r of the level at
// threshold t, and writes their scores into score.
func (l *level) fast(r image.Rectangle, t int, score []uint16, out []corner) []corner {
	var offs [16]int
	for k, p := range circle {
		offs[k] = p.Y*l.w + p.X
	}
	p := l.pix
	half := uint64(t>>1) * lanes
	side := sides(t)
	for y := r.Min.Y; y < r.Max.Y; y++ {
		end := y*l.w + r.Max.X
		for i := y*l.w + r.Min.X; i < end; i += 8 {
			m := packedCandidates(p, i, &offs, half)
			if rest := end - i; rest < 8 {
				m &= 1<<(8*rest) - 1
			}
			for ; m != 0; m &= m - 1 {
				j := i + bits.TrailingZeros64(m)>>3
				s := oppositePairs(p, j, &offs, side)
				if s == 0 {
					continue
				}
				if f := fastScore(p, j, t, &offs, s); f > 0 {
					score[j] = f
					out = append(out, corner{i: int32(j), fast: f})
				}
			}
		}
	}
	return out
}

// packedCandidates returns, in the top bit of byte k, whether pixel i+k
// may be a corner by step 1. The 8 bytes read from each row end at most
// 7 pixels past i+7, inside the level for a pixel edge away from its
// border.
func packedCandidates(p []uint8, i int, offs *[16]int, half uint64) uint64 {
	c := binary.LittleEndian.Uint64(p[i:])
	n := binary.LittleEndian.Uint64(p[i+offs[0]:])
	e := binary.LittleEndian.Uint64(p[i+offs[4]:])
	s := binary.LittleEndian.Uint64(p[i+offs[8]:])
	w := binary.LittleEndian.Uint64(p[i+offs[12]:])
	// x > c+t implies x/2 ≥ c/2 + t/2 (halves rounded down); x < c−t is
	// 255−x > (255−c)+t.
	up, down := halve(c)+half, halve(^c)+half
	bright := (atLeast(halve(n), up) | atLeast(halve(s), up)) & (atLeast(halve(e), up) | atLeast(halve(w), up))
	dark := (atLeast(halve(^n), down) | atLeast(halve(^s), down)) & (atLeast(halve(^e), down) | atLeast(halve(^w), down))
	return bright | dark
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

// oppositePairs returns which sides pixel i may be a corner of by step
// 2 (brighter, darker, both or none): each of the 8 pairs of opposite
// circle pixels must have one beyond the threshold on that side.
// side[v−c+255] says which side of the centre c a circle pixel v is on.
func oppositePairs(p []uint8, i int, offs *[16]int, side *[511]uint8) uint8 {
	at := (*[256]uint8)(side[255-int(p[i]):])
	s := uint8(brighter | darker)
	for k := range 8 {
		s &= at[p[i+offs[k]]] | at[p[i+offs[k+8]]]
	}
	return s
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

// fastScore returns 0 if pixel i is not a FAST-9 corner at threshold t
// on the sides s may be, else its corner score (at least 1): how far
// beyond t its circle pixels go, summed over the pixels of the corner's
// side, as Rosten and Drummond rank corners (the larger sum when it is a
// corner both ways).
func fastScore(p []uint8, i, t int, offs *[16]int, s uint8) uint16 {
	c, score := int(p[i]), 0
	if s&brighter != 0 {
		if sum := arcBeyond(p, i, offs, c+t, 1); sum > 0 {
			score = sum
		}
	}
	if s&darker != 0 {
		if sum := arcBeyond(p, i, offs, c-t, -1); sum > score {
			score = sum
		}
	}
	return uint16(score)
}

// arcBeyond returns 0 unless 9 contiguous circle pixels v of pixel i lie
// beyond the bound b, sign·(v−b) > 0; then the sum of sign·(v−b) over all
// circle pixels beyond it.
func arcBeyond(p []uint8, i int, offs *[16]int, b, sign int) int {
	var m uint32
	sum := 0
	for k := 15; k >= 0; k-- {
		d := sign * (int(p[i+offs[k]]) - b)
		m = m<<1 | uint32(-d)>>31 // 1 when d > 0
		sum += max(d, 0)
	}
	if !hasArc(m) {
		return 0
	}
	return sum
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
