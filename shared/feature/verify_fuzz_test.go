package feature

import (
	"math"
	"math/rand/v2"
	"testing"
)

// FuzzVerify runs Verify on features drawn from the fuzzer's numbers: a
// pose of the target at any tilt and roll, true and false matches, and
// positions replaced by NaN, infinities or huge values. It must not
// panic, and what it returns must be finite and consistent.
func FuzzVerify(f *testing.F) {
	f.Add(uint64(1), uint8(60), uint8(60), uint8(30), uint8(0), uint8(0), int16(640), int16(480))
	f.Add(uint64(2), uint8(25), uint8(200), uint8(60), uint8(90), uint8(3), int16(640), int16(480))
	f.Add(uint64(3), uint8(5), uint8(0), uint8(85), uint8(200), uint8(7), int16(1), int16(1))
	f.Add(uint64(4), uint8(255), uint8(255), uint8(0), uint8(45), uint8(1), int16(-5), int16(480))
	f.Add(uint64(5), uint8(40), uint8(10), uint8(70), uint8(10), uint8(2), int16(32767), int16(2))
	f.Fuzz(func(t *testing.T, seed uint64, nIn, nFalse, tilt, roll, poison uint8, fw, fh int16) {
		rng := rand.New(rand.NewPCG(seed, 27))
		v := pose{Tilt: float64(tilt % 90), Azimuth: 360 * rng.Float64(), Roll: 360 * float64(roll) / 256,
			F: 0.6 + rng.Float64(), Dist: 1 + 5*rng.Float64(), U: rng.Float64() - 0.5, V: rng.Float64() - 0.5}
		s := synth(rng, camera(v, targetW, targetH, frameW, frameH), 300, int(nIn), int(nFalse), 20)
		bad := []float32{float32(math.NaN()), float32(math.Inf(1)), float32(math.Inf(-1)), math.MaxFloat32, -1e30, 0}
		for range poison % 16 {
			fs := s.query
			if rng.IntN(2) == 0 || len(fs) == 0 {
				fs = s.target
			}
			k := &fs[rng.IntN(len(fs))].Keypoint
			k.X, k.Y = bad[rng.IntN(len(bad))], bad[rng.IntN(len(bad))]
		}
		vd, ok := Verify(s.query, int(fw), int(fh), s.target, targetW, targetH, DefaultVerifyOptions)
		for _, c := range vd.Corners {
			if !finite(c) {
				t.Fatalf("corner %v", c)
			}
		}
		for _, h := range vd.H {
			if math.IsNaN(h) || math.IsInf(h, 0) {
				t.Fatalf("homography %v", vd.H)
			}
		}
		if ok != (vd.Score > 0) || ok && (vd.Score < 0.5 || vd.Score >= 1 || vd.Inliers < DefaultVerifyOptions.MinInliers) {
			t.Fatalf("ok %v, score %v, %d inliers", ok, vd.Score, vd.Inliers)
		}
		if ok && CheckOutline(vd.Corners, targetW, targetH, int(fw), int(fh), DefaultOutlineLimits) != nil {
			t.Fatalf("accepted outline %v fails the check", vd.Corners)
		}
	})
}
