package quality

import (
	"image"
	"image/color"
	"slices"
	"testing"

	"github.com/pixmatch/pixmatch/shared/feature"
	"github.com/pixmatch/pixmatch/shared/testphoto"
)

// detailed are the sharp, detailed, non-repetitive photos of the set.
var detailed = []string{"astronaut", "coffee", "chelsea", "china"}

// repetitive are the photos of a regular, repeating texture.
var repetitive = []string{"brick"}

func TestAssessPhotos(t *testing.T) {
	for _, name := range testphoto.Names() {
		img := testphoto.Image(name)
		m := measure(SampleOf(img))
		r := grade(m, feature.StableOf(img))
		t.Logf("%-17s detection=%d tracking=%d %+v", name, r.Detection(), r.Tracking(), r)
		t.Logf("%-17s raw: std=%d detect=%+v track=%+v", "", m.stdDev, m.detect, m.track)
		checkRange(t, name, r)
		if r.Bad() {
			t.Errorf("%s: graded bad, want a usable grade", name)
		}
		if again := Assess(img); again != r {
			t.Errorf("%s: second Assess = %+v, first %+v", name, again, r)
		}
	}
}

func TestDetailedPhotosGradeWell(t *testing.T) {
	for _, name := range detailed {
		r := Assess(testphoto.Image(name))
		if d := r.Detection(); d < 0 || d > 2 {
			t.Errorf("%s: detection grade %d, want 0..2 (%+v)", name, d, r)
		}
		if tr := r.Tracking(); tr < 0 || tr > 2 {
			t.Errorf("%s: tracking grade %d, want 0..2 (%+v)", name, tr, r)
		}
	}
}

func TestBadImages(t *testing.T) {
	astronaut := testphoto.Image("astronaut")
	tests := []struct {
		name string
		img  image.Image
	}{
		{"uniform grey", uniform(640, 480, color.Gray{128})},
		{"uniform white", uniform(300, 300, color.White)},
		{"near-uniform noise ±3", noisyGrey(640, 480, 128, 3, 1)},
		{"near-uniform noise ±3, small", noisyGrey(200, 120, 60, 3, 2)},
		{"10×10 photo crop", astronaut.(interface {
			SubImage(image.Rectangle) image.Image
		}).SubImage(image.Rect(200, 150, 210, 160))},
		{"10×10 checkerboard", checkerboard(10, 10, 2)},
		{"15 pixels high", resize(astronaut, 100).SubImage(image.Rect(0, 100, 480, 115))},
		{"smooth ramp", ramp(640, 480)},
		{"contrast squashed to 3%", squashContrast(astronaut, 3)},
		{"empty", image.NewRGBA(image.Rect(0, 0, 0, 0))},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := Assess(tt.img)
			if r != badReport {
				t.Errorf("Assess = %+v, want every metric -1", r)
			}
			if !r.Bad() || r.Detection() != -1 || r.Tracking() != -1 {
				t.Errorf("Bad() = %v, Detection() = %d, Tracking() = %d; want true, -1, -1", r.Bad(), r.Detection(), r.Tracking())
			}
		})
	}
}

func TestDegradedScoresWorse(t *testing.T) {
	degrade := []struct {
		name string
		f    func(image.Image) image.Image
	}{
		{"box blur r8", func(img image.Image) image.Image { return boxBlur(img, 8) }},
		{"contrast 10%", func(img image.Image) image.Image { return squashContrast(img, 10) }},
	}
	for _, name := range testphoto.Names() {
		img := testphoto.Image(name)
		orig := Assess(img)
		for _, d := range degrade {
			worse := Assess(d.f(img))
			t.Logf("%-17s %-12s detection %d -> %d, tracking %d -> %d", name, d.name, orig.Detection(), worse.Detection(), orig.Tracking(), worse.Tracking())
			checkRange(t, name+" "+d.name, worse)
			// Every photo loses overall; the detailed ones on both grades.
			if rank(worse.Detection())+rank(worse.Tracking()) <= rank(orig.Detection())+rank(orig.Tracking()) {
				t.Errorf("%s, %s: %+v does not score worse than the original %+v", name, d.name, worse, orig)
			}
			if !slices.Contains(detailed, name) {
				continue
			}
			if rank(worse.Detection()) <= rank(orig.Detection()) {
				t.Errorf("%s, %s: detection %d, not worse than the original %d", name, d.name, worse.Detection(), orig.Detection())
			}
			if rank(worse.Tracking()) <= rank(orig.Tracking()) {
				t.Errorf("%s, %s: tracking %d, not worse than the original %d", name, d.name, worse.Tracking(), orig.Tracking())
			}
		}
	}
}

func TestRepetitionIsNotDistinctive(t *testing.T) {
	// The photos' worst distinctiveness, leaving out the repetitive
	// texture, and their highest raw twin shares, including it.
	worstPhoto, mostTwinsDetect, mostTwinsTrack := 0, 0, 0
	for _, name := range testphoto.Names() {
		m := measure(SampleOf(testphoto.Image(name)))
		r := grade(m, 0)
		mostTwinsDetect = max(mostTwinsDetect, m.detect.twins)
		mostTwinsTrack = max(mostTwinsTrack, m.track.twins)
		if slices.Contains(repetitive, name) {
			if r.DetectableDistinctiveness < 3 || r.TrackableDistinctiveness < 3 {
				t.Errorf("%s: distinctiveness %d/%d, want 3 or 4 for a repetitive texture", name, r.DetectableDistinctiveness, r.TrackableDistinctiveness)
			}
			continue
		}
		worstPhoto = max(worstPhoto, r.DetectableDistinctiveness, r.TrackableDistinctiveness)
	}
	coffee := testphoto.Image("coffee")
	tests := []struct {
		name string
		img  image.Image
	}{
		{"checkerboard 8px", checkerboard(480, 480, 8)},
		{"checkerboard 30px", checkerboard(480, 480, 30)},
		{"checkerboard 60px", checkerboard(640, 480, 60)},
		{"coffee tiled 96px", tile(coffee, 150, 100, 96, 480, 480)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := measure(SampleOf(tt.img))
			r := grade(m, 0)
			t.Logf("%+v raw detect=%+v track=%+v", r, m.detect, m.track)
			checkRange(t, tt.name, r)
			for _, g := range []struct {
				what    string
				grade   int
				twins   int
				photoMx int
			}{
				{"detectable", r.DetectableDistinctiveness, m.detect.twins, mostTwinsDetect},
				{"trackable", r.TrackableDistinctiveness, m.track.twins, mostTwinsTrack},
			} {
				if g.grade <= worstPhoto {
					t.Errorf("%s distinctiveness %d, want worse than every non-repetitive photo (worst %d)", g.what, g.grade, worstPhoto)
				}
				if g.twins <= g.photoMx {
					t.Errorf("%s twin share %d%%, want more than every photo (most %d%%)", g.what, g.twins, g.photoMx)
				}
			}
			if r.Detection() < 3 {
				t.Errorf("detection grade %d, want 3 or 4 for a repetitive pattern", r.Detection())
			}
		})
	}
}

func TestGradeStableUnderResize(t *testing.T) {
	for _, name := range testphoto.Names() {
		img := testphoto.Image(name)
		orig := Assess(img)
		for _, pct := range []int{50, 150} {
			r := Assess(resize(img, pct))
			t.Logf("%-17s %3d%%: detection %d -> %d, tracking %d -> %d", name, pct, orig.Detection(), r.Detection(), orig.Tracking(), r.Tracking())
			if r.Bad() != orig.Bad() {
				t.Errorf("%s at %d%%: bad=%v, original bad=%v", name, pct, r.Bad(), orig.Bad())
			}
			if abs(r.Detection()-orig.Detection()) > 1 || abs(r.Tracking()-orig.Tracking()) > 1 {
				t.Errorf("%s at %d%%: %+v, more than 1 away from the original %+v", name, pct, r, orig)
			}
		}
	}
}

func TestAssessDoesNotDependOnImageType(t *testing.T) {
	// The same pixels as YCbCr (decoded JPEG), RGBA, and offset sub-image.
	img := testphoto.Image("chelsea")
	want := Assess(img)
	rgba := toRGBA(img)
	big := image.NewRGBA(image.Rect(-7, -3, rgba.Rect.Dx()+20, rgba.Rect.Dy()+20))
	for y := 0; y < rgba.Rect.Dy(); y++ {
		copy(big.Pix[big.PixOffset(0, y):], rgba.Pix[rgba.PixOffset(0, y):rgba.PixOffset(rgba.Rect.Dx(), y)])
	}
	sub := big.SubImage(image.Rect(0, 0, rgba.Rect.Dx(), rgba.Rect.Dy()))
	for name, im := range map[string]image.Image{"rgba": rgba, "sub-image": sub} {
		if got := Assess(im); got != want {
			t.Errorf("%s: %+v, YCbCr gave %+v", name, got, want)
		}
	}
}

func TestRate(t *testing.T) {
	tests := []struct {
		name string
		in   []weighted
		want int
	}{
		{"all best", []weighted{{0, 2}, {0, 1}, {0, 1}}, 0},
		{"all worst", []weighted{{4, 2}, {4, 1}}, 4},
		{"mean rounds down", []weighted{{1, 2}, {2, 1}}, 1},                       // 4/3
		{"mean rounds half up", []weighted{{1, 1}, {2, 1}}, 2},                    // 1.5
		{"one bad metric lifts the floor", []weighted{{0, 2}, {0, 2}, {4, 1}}, 3}, // mean 0.8
		{"floor below mean", []weighted{{3, 1}, {3, 1}, {2, 1}}, 3},
	}
	for _, tt := range tests {
		if got := rate(tt.in...); got != tt.want {
			t.Errorf("%s: rate(%v) = %d, want %d", tt.name, tt.in, got, tt.want)
		}
	}
}

func TestGradeSteps(t *testing.T) {
	steps := [4]int{100, 50, 20, 10}
	for _, tt := range []struct{ v, atLeast int }{
		{1000, 0}, {100, 0}, {99, 1}, {50, 1}, {20, 2}, {19, 3}, {10, 3}, {9, 4}, {0, 4},
	} {
		if got := gradeAtLeast(tt.v, steps); got != tt.atLeast {
			t.Errorf("gradeAtLeast(%d) = %d, want %d", tt.v, got, tt.atLeast)
		}
	}
	low := [4]int{10, 20, 50, 100}
	for _, tt := range []struct{ v, atMost int }{
		{0, 0}, {10, 0}, {11, 1}, {20, 1}, {50, 2}, {51, 3}, {100, 3}, {101, 4},
	} {
		if got := gradeAtMost(tt.v, low); got != tt.atMost {
			t.Errorf("gradeAtMost(%d) = %d, want %d", tt.v, got, tt.atMost)
		}
	}
}

func TestFewCornersOnOnePlaneGradeWorst(t *testing.T) {
	m := measurements{
		width: 400, height: 300, stdDev: 50,
		detect: scale{corners: 200, coverage: 100, twins: 0},
		track:  scale{corners: 5, coverage: 20, twins: 0, ambiguity: 0, patchContrast: 20},
	}
	r := grade(m, 100)
	if r.Bad() {
		t.Fatalf("grade = %+v, want usable: the detection plane has corners", r)
	}
	if r.TrackableDistinctiveness != 4 || r.TrackablePatchAmbiguity != 4 || r.TrackableFeatureCount != 4 {
		t.Errorf("grade = %+v, want trackable distinctiveness, ambiguity and count 4", r)
	}
	if r.Tracking() < 3 {
		t.Errorf("Tracking() = %d, want 3 or 4", r.Tracking())
	}
	if r.Detection() > 1 {
		t.Errorf("Detection() = %d, want 0 or 1", r.Detection())
	}
}
