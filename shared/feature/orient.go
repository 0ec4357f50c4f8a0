package feature

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

// orientation returns the direction from pixel i to the intensity
// centroid of the disc around it, in 2⁻³² turn, clockwise on the screen
// (y points down) from the x axis; 0 for a disc of one grey.
func (l *level) orientation(i int) uint32 {
	var m10, m01 int64
	for v := -discRadius; v <= discRadius; v++ {
		r := discHalfWidth[abs(v)]
		row := l.pix[i+v*l.w-r : i+v*l.w+r+1]
		var sum, moment int64
		for k, p := range row {
			sum += int64(p)
			moment += int64(k-r) * int64(p)
		}
		m10 += moment
		m01 += int64(v) * sum
	}
	return atan2(m01, m10)
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
	// (CORDIC grows the vector by at most 1.65).
	for abs64(x) < 1<<40 && abs64(y) < 1<<40 {
		x, y = x<<1, y<<1
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
