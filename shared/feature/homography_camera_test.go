package feature

import "math"

// pose places a flat print before a pinhole camera. The print's centre is
// on the line of sight through the frame point (U, V), given as fractions
// of the frame's size from its centre, at Dist print-lengths (its longer
// side) from the camera. The print is turned by Tilt degrees away from
// facing that line of sight, about an axis in its plane at Azimuth degrees
// from its x axis, after being rolled by Roll degrees about its normal.
// The focal length is F frame-widths (0.6 is a wide phone camera, 2 a
// zoom).
type pose struct {
	Tilt, Azimuth, Roll float64
	F, Dist, U, V       float64
}

// camera returns the homography of the pose v of a w×h print in a fw×fh
// frame, with w > 0 in front of the camera.
func camera(v pose, w, h, fw, fh float64) Homography {
	f := v.F * fw
	los := unit3([3]float64{v.U * fw, v.V * fh, f})
	// The print's axes, facing the camera: ex across the line of sight
	// (level with the frame's x axis), ey below it.
	ex := unit3(cross3([3]float64{0, 1, 0}, los))
	ey := cross3(los, ex)
	ro := v.Roll * math.Pi / 180
	ex, ey = mix3(ex, ey, math.Cos(ro), math.Sin(ro)), mix3(ex, ey, -math.Sin(ro), math.Cos(ro))
	az := v.Azimuth * math.Pi / 180
	axis := mix3(ex, ey, math.Cos(az), math.Sin(az))
	th := v.Tilt * math.Pi / 180
	ex, ey = rotate3(ex, axis, th), rotate3(ey, axis, th)
	d := v.Dist * max(w, h)
	var m [3][3]float64 // plane (x, y, 1) to camera coordinates
	for i := range 3 {
		m[i] = [3]float64{ex[i], ey[i], los[i]*d - ex[i]*w/2 - ey[i]*h/2}
	}
	k := [3][3]float64{{f, 0, fw / 2}, {0, f, fh / 2}, {0, 0, 1}}
	var out Homography
	for i := range 3 {
		for j := range 3 {
			for l := range 3 {
				out[3*i+j] += k[i][l] * m[l][j]
			}
		}
	}
	return out
}

func cross3(a, b [3]float64) [3]float64 {
	return [3]float64{a[1]*b[2] - a[2]*b[1], a[2]*b[0] - a[0]*b[2], a[0]*b[1] - a[1]*b[0]}
}

func unit3(a [3]float64) [3]float64 {
	n := math.Sqrt(a[0]*a[0] + a[1]*a[1] + a[2]*a[2])
	return [3]float64{a[0] / n, a[1] / n, a[2] / n}
}

func mix3(a, b [3]float64, x, y float64) [3]float64 {
	return [3]float64{x*a[0] + y*b[0], x*a[1] + y*b[1], x*a[2] + y*b[2]}
}

// rotate3 turns v by th about the unit axis k (Rodrigues).
func rotate3(v, k [3]float64, th float64) [3]float64 {
	c, s := math.Cos(th), math.Sin(th)
	kv := cross3(k, v)
	dot := k[0]*v[0] + k[1]*v[1] + k[2]*v[2]
	var r [3]float64
	for i := range r {
		r[i] = v[i]*c + kv[i]*s + k[i]*dot*(1-c)
	}
	return r
}
