package gallery

import (
	"context"
	"fmt"
	"math"
	"testing"

	"github.com/pixmatch/pixmatch/shared/distort"
	"github.com/pixmatch/pixmatch/shared/feature"
	"github.com/pixmatch/pixmatch/shared/fingerprint"
	"github.com/pixmatch/pixmatch/shared/imagefile"
	"github.com/pixmatch/pixmatch/shared/quality"
	"github.com/pixmatch/pixmatch/shared/testphoto"
)

// wholePicture is Read as it was before pictures were decoded to their
// luma (imagefile.DecodeLuma): image/jpeg's whole decode, every plane
// taken from it.
func wholePicture(t testing.TB, s *Service, data []byte, p Policy) *Picture {
	t.Helper()
	img, info, err := imagefile.Decode(data, imagefile.Limits{})
	if err != nil {
		t.Fatal(err)
	}
	pic := &Picture{Data: data, Info: info, work: fingerprint.Plane(img, info.Upright())}
	if !p.Search || s.vocab != nil {
		pic.feat = upright(feature.Plane(img, feature.TargetOptions), info)
	}
	if !p.Search {
		pic.grade = quality.SampleOf(img)
	}
	return pic
}

// scoreTolerance is how far a match's score may move when its query is
// decoded to its luma instead of whole. The planes differ from
// image/jpeg's by a level in a few pixels (a reduced decode: by the
// rounding of the box means); the hash tier's codes hardly move, but a
// corner found or not by the feature tier changes its verification's
// score: 0.17 for a brick wall at 1024×768 turned 3° (a score of 0.92
// after, 0.75 before), where the tiers' answers were otherwise equal.
const scoreTolerance = 0.2

// TestLumaDecodeSameAnswers searches a gallery of real photos with copies
// of them and of a photo not in it — at 640×480 (decoded at full size)
// and, two of them, turned 3° at 2048×1536 (decoded at half size, what
// both tiers' planes allow) —
// each read as a search reads it now and as it was read before, and
// wants the same targets in the same order at the same hash distances,
// the scores within scoreTolerance.
func TestLumaDecodeSameAnswers(t *testing.T) {
	ctx := context.Background()
	svc, _, g := open(t)
	names := testphoto.Names()
	for _, name := range names[:4] {
		pic := wholePicture(t, svc, testphoto.File(name), Policy{})
		if _, err := svc.Targets.Add(ctx, g.ID, Target{Name: name, Active: true}, pic, AddOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	worst, compared, moved := 0.0, 0, 0
	for q, name := range names[:5] {
		for _, size := range [][2]int{{640, 480}, {2048, 1536}} {
			if size[0] > 1000 && q >= 2 { // a search takes seconds under the race detector
				continue
			}
			img := testphoto.Decoded(name, size[0], size[1])
			copies := [][]byte{jpegOf(t, img)}
			if size[0] > 1000 {
				copies[0] = jpegOf(t, distort.Rotate(3)(img))
			}
			for i, data := range copies {
				label := fmt.Sprintf("%s %v copy %d", name, size, i)
				got, err := svc.Pictures.Read(ctx, data, Policy{Search: true})
				if err != nil {
					t.Fatal(err)
				}
				want := wholePicture(t, svc, data, Policy{Search: true})
				gm, err1 := svc.Recognition.Search(ctx, g.ID, given(got), SearchOptions{Limit: 5, Near: true})
				wm, err2 := svc.Recognition.Search(ctx, g.ID, given(want), SearchOptions{Limit: 5, Near: true})
				if err1 != nil || err2 != nil || len(gm) != len(wm) {
					t.Fatalf("%s: %d matches (%v), before %d (%v)", label, len(gm), err1, len(wm), err2)
				}
				for k := range gm {
					d := math.Abs(gm[k].Score - wm[k].Score)
					worst = max(worst, d)
					if d > 0.00005 {
						moved++
					}
					if gm[k].Target.ID != wm[k].Target.ID || gm[k].Distance != wm[k].Distance || d > scoreTolerance {
						t.Errorf("%s: match %d is %s at %d bits, %.4f; before %s at %d, %.4f", label, k,
							gm[k].Target.Name, gm[k].Distance, gm[k].Score, wm[k].Target.Name, wm[k].Distance, wm[k].Score)
					}
				}
				compared += len(gm)
			}
		}
	}
	t.Logf("%d matches compared, %d scores moved (beyond 4 decimals), the most by %.4f (tolerance %.2f)", compared, moved, worst, scoreTolerance)
}
