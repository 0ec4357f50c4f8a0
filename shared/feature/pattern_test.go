package feature

import (
	"image"
	"math"
	"math/rand/v2"
	"strings"
	"testing"
)

// TestLearnedPatternIsValid checks the shipped pattern: 256 distinct
// tests, each between two distinct points within PatternRadius, their
// boxes apart (the trainer's rule); turned, no point goes farther than
// PatternRadius along x or y (the reach edge allows for).
func TestLearnedPatternIsValid(t *testing.T) {
	p := Pattern()
	if err := Valid(p[:]); err != nil {
		t.Fatal(err)
	}
	for i, s := range p {
		if max(abs(int(s.X1-s.X2)), abs(int(s.Y1-s.Y2))) < 5 {
			t.Errorf("test %d %v: its 5×5 boxes overlap", i, s)
		}
	}
	for k, turned := range steered {
		for i, s := range turned {
			if max(abs(int(s.X1)), abs(int(s.Y1)), abs(int(s.X2)), abs(int(s.Y2))) > PatternRadius {
				t.Fatalf("bin %d, test %d: %v reaches past %d", k, i, s, PatternRadius)
			}
		}
	}
}

// TestValidRefuses lists the patterns Valid must refuse.
func TestValidRefuses(t *testing.T) {
	good := Pattern()
	for _, c := range []struct {
		name string
		edit func(p []Test) []Test
		want string
	}{
		{"short", func(p []Test) []Test { return p[:255] }, "255 tests"},
		{"outside", func(p []Test) []Test { p[3] = Test{13, 1, 0, 0}; return p }, "outside"},
		{"itself", func(p []Test) []Test { p[4] = Test{2, 2, 2, 2}; return p }, "itself"},
		{"repeated", func(p []Test) []Test { p[9] = p[2]; return p }, "repeats"},
		{"reversed", func(p []Test) []Test { p[9] = Test{p[2].X2, p[2].Y2, p[2].X1, p[2].Y1}; return p }, "repeats"},
	} {
		p := good
		err := Valid(c.edit(p[:]))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v, want an error saying %q", c.name, err, c.want)
		}
	}
}

// TestSineTable checks the sines the pattern is turned with against
// math.Sin, and the symmetries sinCos builds the whole turn from.
func TestSineTable(t *testing.T) {
	for k := range AngleBins {
		sin, cos := sinCos(k)
		a := float64(k) * 2 * math.Pi / AngleBins
		if sin != int32(math.Round(16384*math.Sin(a))) || cos != int32(math.Round(16384*math.Cos(a))) {
			t.Errorf("bin %d: sin %d cos %d, want %.2f %.2f", k, sin, cos, 16384*math.Sin(a), 16384*math.Cos(a))
		}
	}
}

// TestTurnPoint checks the exact quarter and half turns, and that no
// turn takes a point of the disc farther than PatternRadius along x or
// y, nor more than the rounding (half a pixel each way) from the circle
// it turns on.
func TestTurnPoint(t *testing.T) {
	for _, p := range DiscPoints() {
		if q := turnPoint(p, 0); q != p {
			t.Errorf("bin 0 moves %v to %v", p, q)
		}
		// A quarter turn clockwise on the screen (y down): x → y.
		if q := turnPoint(p, AngleBins/4); q != image.Pt(-p.Y, p.X) {
			t.Errorf("a quarter turn moves %v to %v", p, q)
		}
		if q := turnPoint(p, AngleBins/2); q != image.Pt(-p.X, -p.Y) {
			t.Errorf("a half turn moves %v to %v", p, q)
		}
		for k := range AngleBins {
			q := turnPoint(p, k)
			r, s := math.Hypot(float64(p.X), float64(p.Y)), math.Hypot(float64(q.X), float64(q.Y))
			if max(abs(q.X), abs(q.Y)) > PatternRadius || math.Abs(r-s) > math.Sqrt2/2 {
				t.Fatalf("bin %d moves %v to %v", k, p, q)
			}
		}
	}
}

// TestCordic checks the table of CORDIC steps and atan2 against
// math.Atan2 on random vectors of the sizes orientation meets, and on
// the axes.
func TestCordic(t *testing.T) {
	for k, step := range cordicSteps {
		want := math.Atan(math.Ldexp(1, -k)) / (2 * math.Pi) * (1 << 32)
		if math.Abs(float64(step)-want) > 0.5 {
			t.Errorf("step %d = %d, want %.1f", k, step, want)
		}
	}
	turn := func(a uint32) float64 { return float64(a) / (1 << 32) }
	rng := rand.New(rand.NewPCG(9, 9))
	for range 20000 {
		scale := int64(1) << rng.IntN(24)
		x, y := rng.Int64N(2*scale+1)-scale, rng.Int64N(2*scale+1)-scale
		if x == 0 && y == 0 {
			continue
		}
		want := math.Atan2(float64(y), float64(x)) / (2 * math.Pi)
		if want < 0 {
			want++
		}
		d := math.Abs(turn(atan2(y, x)) - want)
		d = math.Min(d, 1-d)
		if d > 1.0/(1<<20) {
			t.Fatalf("atan2(%d, %d) = %.8f turn, want %.8f", y, x, turn(atan2(y, x)), want)
		}
	}
	for _, c := range []struct {
		y, x int64
		want float64
	}{{0, 5, 0}, {5, 0, 0.25}, {0, -5, 0.5}, {-5, 0, 0.75}, {0, 0, 0}} {
		got := turn(atan2(c.y, c.x))
		if d := math.Min(math.Abs(got-c.want), 1-math.Abs(got-c.want)); d > 1.0/(1<<22) {
			t.Errorf("atan2(%d, %d) = %.8f turn, want %g", c.y, c.x, got, c.want)
		}
	}
}

// TestOrientationFollowsTheBrightSide turns a patch bright on one side
// round the clock: the orientation points at the bright side.
func TestOrientationFollowsTheBrightSide(t *testing.T) {
	l := &level{w: 64, h: 64, pix: make([]uint8, 64*64)}
	for deg := 0; deg < 360; deg += 15 {
		a := float64(deg) * math.Pi / 180
		for y := range 64 {
			for x := range 64 {
				// Bright where the point lies on the side of direction a.
				u := float64(x-32)*math.Cos(a) + float64(y-32)*math.Sin(a)
				l.pix[y*64+x] = uint8(max(0, min(255, 128+8*u)))
			}
		}
		got := float64(l.orientation(32*64+32)) / (1 << 32) * 360
		if d := math.Abs(math.Remainder(got-float64(deg), 360)); d > 1 {
			t.Errorf("bright towards %d°: orientation %.2f°", deg, got)
		}
	}
}
