package feature

import "math/bits"

// patchSide is the diameter of the disc a keypoint's orientation is taken
// from, in pixels of its level; the descriptor's tests lie inside it.
const patchSide = 31

// discRadius is the radius of that disc.
const discRadius = patchSide / 2

// discHalfWidth[v] is the largest u with u² + v² ≤ discRadius², for v
// from 0 to discRadius: the rows of the orientation disc.
var discHalfWidth = func() (out [discRadius + 1]int) {
	for v := range out {
		u := 0
		for (u+1)*(u+1)+v*v <= discRadius*discRadius {
			u++
		}
		out[v] = u
	}
	return out
}()

// discRows[v] selects, in the 32 pixels of a row from 15 left of a
// keypoint as four words (a byte a pixel), those of the disc's row v
// (and −v) from it.
var discRows = func() (out [discRadius + 1][4]uint64) {
	for v := range out {
		for k := discRadius - discHalfWidth[v]; k <= discRadius+discHalfWidth[v]; k++ {
			out[v][k/8] |= 0xff << (8 * (k % 8))
		}
	}
	return out
}()

// orientation returns the direction from pixel i to the intensity
// centroid of the disc around it, in 2⁻³² turn, clockwise on the screen
// (y points down) from the x axis; 0 for a disc of one grey. Each row of
// the disc is read as four masked words, whose pixel sums and moments
// come from multiplications (half the time in the browser's build of a
// loop over the row's pixels).
func (l *level) orientation(i int) uint32 {
	var m10, m01 int64
	for v := -discRadius; v <= discRadius; v++ {
		mask := &discRows[abs(v)]
		row := l.pix[i+v*l.w-discRadius:][:32]
		s0, k0 := moments(word(row, 0) & mask[0])
		s1, k1 := moments(word(row, 8) & mask[1])
		s2, k2 := moments(word(row, 16) & mask[2])
		s3, k3 := moments(word(row, 24) & mask[3])
		sum := int64(s0 + s1 + s2 + s3)
		m10 += int64(k0+k1+k2+k3+8*s1+16*s2+24*s3) - discRadius*sum // from the first pixel, then from i
		m01 += int64(v) * sum
	}
	return atan2(m01, m10)
}

// moments returns the sum of the 8 bytes of x and the sum of k times
// byte k. Bytes go into 16-bit lanes, evens and odds apart; multiplying
// lanes by 1 1 1 1 adds them up into the top lane, and by 0 1 2 3 (from
// the top) weighs lane j by j there. No lane overflows: even and odd
// bytes add to at most 510, weighed by at most 0+1+2+3.
func moments(x uint64) (sum, moment uint64) {
	const evens = 0x00ff00ff00ff00ff
	e, o := x&evens, x>>8&evens
	sum = (e + o) * 0x0001000100010001 >> 48
	weighed := (e + o) * 0x0000000100020003 >> 48 // Σ j·(e_j + o_j)
	return sum, 2*weighed + o*0x0001000100010001>>48
}

// cordicSteps[k] is atan(2⁻ᵏ) in 2⁻³² turn, rounded.
var cordicSteps = [...]uint32{
	536870912, 316933406, 167458907, 85004756, 42667331, 21354465,
	10679838, 5340245, 2670163, 1335087, 667544, 333772, 166886, 83443,
	41722, 20861, 10430, 5215, 2608, 1304, 652, 326, 163, 81,
}

// atan2 returns the angle of the vector (x, y) in 2⁻³² turn, from 0 up
// to a whole turn, by CORDIC vectoring in integers: the vector is turned
// towards the x axis by ±atan(2⁻ᵏ) for k = 0, 1, …, and the turns add up
// to its angle. Within 2⁻²⁰ turn of the true angle (TestCordic) for
// coordinates below 2⁶⁰; 0 for the zero vector.
func atan2(y, x int64) uint32 {
	if x == 0 && y == 0 {
		return 0
	}
	var angle uint32
	if x < 0 { // turn by half a turn into the right half-plane
		x, y, angle = -x, -y, 1<<31
	}
	// Scale up so the shifts keep precision, keeping clear of overflow
	// (CORDIC grows the vector by at most 1.65): double until either
	// coordinate reaches 2⁴⁰.
	if n := max(bits.Len64(uint64(abs64(x))), bits.Len64(uint64(abs64(y)))); n <= 40 {
		x, y = x<<(41-n), y<<(41-n)
	}
	for k, step := range cordicSteps {
		if y > 0 {
			x, y = x+y>>k, y-x>>k
			angle += step
		} else {
			x, y = x-y>>k, y+x>>k
			angle -= step
		}
	}
	return angle
}

func abs(v int) int {
	if v < 0 {
		return -v
	}
	return v
}

func abs64(v int64) int64 {
	if v < 0 {
		return -v
	}
	return v
}
