package feature

import (
	"errors"
	"fmt"
	"image"
)

// Test is one binary test of the descriptor: it compares the smoothed
// patch at two points, given in pixels from the keypoint in the patch's
// upright frame (x along the keypoint's orientation, y a quarter turn
// clockwise from it on the screen). Its bit is 1 when the first point is
// darker.
type Test struct{ X1, Y1, X2, Y2 int8 }

// PatternRadius is the farthest a test's point may be from the keypoint.
const PatternRadius = 13

// Pattern returns the descriptor's tests in bit order: the learned
// pattern of pattern_data.go.
func Pattern() [Bits]Test { return learned }

// Valid returns nil if p can serve as a descriptor's pattern: every point
// within PatternRadius of the centre, the two points of a test distinct,
// and no test repeated (in either order).
func Valid(p []Test) error {
	if len(p) != Bits {
		return fmt.Errorf("feature: a pattern has %d tests, not %d", len(p), Bits)
	}
	seen := map[Test]bool{}
	for i, t := range p {
		a, b := image.Pt(int(t.X1), int(t.Y1)), image.Pt(int(t.X2), int(t.Y2))
		switch {
		case !inDisc(a) || !inDisc(b):
			return fmt.Errorf("feature: test %d %v reaches outside the radius %d", i, t, PatternRadius)
		case a == b:
			return fmt.Errorf("feature: test %d compares %v with itself", i, a)
		case seen[t] || seen[Test{t.X2, t.Y2, t.X1, t.Y1}]:
			return fmt.Errorf("feature: test %d %v repeats an earlier one", i, t)
		}
		seen[t] = true
	}
	return nil
}

// errPattern is what steer panics with for a pattern Valid refuses.
var errPattern = errors.New("feature: invalid pattern")

func inDisc(p image.Point) bool {
	return p.X*p.X+p.Y*p.Y <= PatternRadius*PatternRadius
}

// DiscPoints returns every point with integer coordinates within
// PatternRadius of the centre, row by row: the points a Test may use.
func DiscPoints() []image.Point {
	var out []image.Point
	for y := -PatternRadius; y <= PatternRadius; y++ {
		for x := -PatternRadius; x <= PatternRadius; x++ {
			if p := image.Pt(x, y); inDisc(p) {
				out = append(out, p)
			}
		}
	}
	return out
}

// AngleBins is the number of orientations a pattern is turned to: a
// keypoint's tests are those of the nearest one, at most 1.4° off (64
// bins matched 1 to 2 % fewer keypoints of a tilted picture; 256 no
// more than 128).
const AngleBins = 1 << binBits

// binBits is the number of bits of an angle bin.
const binBits = 7

// binSine[k] is sin(k·2π/AngleBins) in units of 2⁻¹⁴, for k up to a
// quarter turn, rounded (TestSineTable checks them against math.Sin).
var binSine = [AngleBins/4 + 1]int32{
	0, 804, 1606, 2404, 3196, 3981, 4756, 5520, 6270, 7005, 7723,
	8423, 9102, 9760, 10394, 11003, 11585, 12140, 12665, 13160, 13623,
	14053, 14449, 14811, 15137, 15426, 15679, 15893, 16069, 16207,
	16305, 16364, 16384,
}

// sinCos returns sin and cos of bin k's angle in units of 2⁻¹⁴.
func sinCos(k int) (sin, cos int32) {
	quarter := AngleBins / 4
	sine := func(k int) int32 {
		k = ((k % AngleBins) + AngleBins) % AngleBins
		switch {
		case k <= quarter:
			return binSine[k]
		case k <= 2*quarter:
			return binSine[2*quarter-k]
		case k <= 3*quarter:
			return -binSine[k-2*quarter]
		}
		return -binSine[AngleBins-k]
	}
	return sine(k), sine(k + quarter)
}

// turnPoint returns p turned by bin k's angle (clockwise on the screen,
// as angles are measured), rounded to the nearest pixel, halves away
// from zero.
func turnPoint(p image.Point, k int) image.Point {
	sin, cos := sinCos(k)
	x := int32(p.X)*cos - int32(p.Y)*sin
	y := int32(p.X)*sin + int32(p.Y)*cos
	return image.Pt(int(roundShift(x)), int(roundShift(y)))
}

// roundShift returns v/2¹⁴ rounded to the nearest integer, halves away
// from zero.
func roundShift(v int32) int32 {
	if v < 0 {
		return -((-v + 1<<13) >> 14)
	}
	return (v + 1<<13) >> 14
}

// table is a pattern turned to every angle bin.
type table [AngleBins][]Test

// steer returns p turned to every angle bin. It panics if Valid refuses
// p; the learned pattern is checked by the tests.
func steer(p []Test) *table {
	if err := Valid(p); err != nil {
		panic(fmt.Errorf("%w: %v", errPattern, err))
	}
	var t table
	for k := range t {
		t[k] = make([]Test, len(p))
		for i, s := range p {
			a := turnPoint(image.Pt(int(s.X1), int(s.Y1)), k)
			b := turnPoint(image.Pt(int(s.X2), int(s.Y2)), k)
			t[k][i] = Test{int8(a.X), int8(a.Y), int8(b.X), int8(b.Y)}
		}
	}
	return &t
}

// steered is the learned pattern turned to every angle bin.
var steered = *steer(learned[:])

// bin returns the angle bin nearest to an angle in 2⁻³² turn.
func bin(angle uint32) int {
	const half = 1 << (32 - binBits - 1) // half a bin
	return int((angle + half) >> (32 - binBits))
}
