package quality

import (
	"testing"

	"github.com/pixmatch/pixmatch/shared/testphoto"
)

// BenchmarkAssess grades a decoded 1024×768 photo, the china photo scaled
// up and passed through JPEG.
func BenchmarkAssess(b *testing.B) {
	img := resizeTo(b, testphoto.Image("china"), 1024, 768)
	b.ReportAllocs()
	for b.Loop() {
		Assess(img)
	}
}

// BenchmarkAssessSteps times the stages of Assess on the same photo.
func BenchmarkAssessSteps(b *testing.B) {
	img := resizeTo(b, testphoto.Image("china"), 1024, 768)
	tp := workPlane(img, trackSide)
	cs := detectCorners(tp, minCornerScore)
	b.Run("plane", func(b *testing.B) {
		for b.Loop() {
			workPlane(img, trackSide)
		}
	})
	b.Run("corners", func(b *testing.B) {
		for b.Loop() {
			detectCorners(tp, minCornerScore)
		}
	})
	b.Run("twins", func(b *testing.B) {
		for b.Loop() {
			twinShare(tp, cs[:min(len(cs), pairLimit)], twinDistance, twinPercent)
		}
	})
	b.Run("ambiguity", func(b *testing.B) {
		for b.Loop() {
			ambiguousShare(tp, cs[:min(len(cs), ambiguityLimit)], ambiguityNear, ambiguityFar, twinPercent)
		}
	})
}
