//go:build js && wasm

package main

import (
	"context"
	"image"
	"slices"
	"strconv"
	"syscall/js"
	"testing"

	"github.com/pixmatch/pixmatch/shared/camera"
	"github.com/pixmatch/pixmatch/shared/distort"
	"github.com/pixmatch/pixmatch/shared/feature"
	"github.com/pixmatch/pixmatch/shared/fingerprint"
	"github.com/pixmatch/pixmatch/shared/match"
	"github.com/pixmatch/pixmatch/shared/syncwire"
	"github.com/pixmatch/pixmatch/shared/testphoto"
)

// featureGallery returns gallery's snapshot with each target's feature
// record, its first 300 features as the server would store them.
func featureGallery(t testing.TB) syncwire.Batch {
	t.Helper()
	b := gallery(t)
	b.FeatureVersion = int(feature.Version)
	for i := range b.Records {
		p := feature.Plane(testphoto.Image(photos[i]), feature.TargetOptions)
		fs := feature.Extract(p, feature.TargetOptions)
		b.Records[i].Features = &feature.Record{Width: p.Rect.Dx(), Height: p.Rect.Dy(), Features: fs[:min(len(fs), 300)]}
	}
	return b
}

// shotOf returns a camera frame of a print of photo by the recipe of
// distort.CameraCatalogue named, on a mirrored photo of grass.
func shotOf(t testing.TB, recipe, photo string) *image.NRGBA {
	t.Helper()
	for _, e := range distort.CameraCatalogue() {
		if e.Name == recipe {
			take, _ := e.Locate(distort.Params{Seed: 3, Scene: distort.Mirror(testphoto.Image("grass"))})
			frame, _ := take(testphoto.Image(photo))
			return nrgba(frame)
		}
	}
	t.Fatalf("no recipe %s", recipe)
	return nil
}

// located is a match of searchFeatures.
type located struct {
	seq      int
	distance int
	score    float64
	corners  [4]feature.Point
	placed   bool
}

// searchFeatures makes the query of a picture with features and searches
// the held gallery with searchFeatures.
func searchFeatures(t *testing.T, mod js.Value, pic *image.NRGBA, opts map[string]any) []located {
	t.Helper()
	q := mustCall(t, mod, "features", typedArray("Uint8Array", pic.Pix), pic.Rect.Dx(), pic.Rect.Dy())
	v := mustCall(t, mod, "searchFeatures", q.Get("features"), q.Get("fingerprint"), opts)
	out := make([]located, v.Length())
	for i := range out {
		m := v.Index(i)
		out[i] = located{seq: m.Get("seq").Int(), distance: m.Get("distance").Int(), score: m.Get("score").Float()}
		if c := m.Get("corners"); !c.IsUndefined() {
			out[i].placed = true
			for k := range out[i].corners {
				out[i].corners[k] = feature.Point{X: c.Index(k).Get("x").Float(), Y: c.Index(k).Get("y").Float()}
			}
		}
	}
	for _, step := range []string{"search", "verify"} {
		if ms := v.Get("ms").Get(step); ms.Type() != js.TypeNumber {
			t.Errorf("ms.%s is %v", step, ms)
		}
	}
	return out
}

// TestSearchFeaturesVerifies checks that searchFeatures locates prints in
// camera shots as camera.Verify does with the held records: the same
// targets, inliers' scores and corners, the inactive target and those a
// filter leaves out never verified; and that it merges the hash search's
// matches as the server does.
func TestSearchFeaturesVerifies(t *testing.T) {
	mod := newModule().exports(newExporter())
	b := featureGallery(t)
	if got := mustCall(t, mod, "apply", encode(t, b)).Get("records").Int(); got != len(photos) {
		t.Fatalf("apply: %d records held, want %d", got, len(photos))
	}
	records := map[string]feature.Record{}
	var active []string
	for _, r := range b.Records {
		records[strconv.FormatUint(r.Seq, 10)] = *r.Features
		if r.Active {
			active = append(active, strconv.FormatUint(r.Seq, 10))
		}
	}
	slices.Sort(active)
	for _, tc := range []struct {
		recipe, photo string
		opts          map[string]any
		want          int // the seq found first, 0 for none
	}{
		{"cam-tilt-35", "coffee", nil, 3},
		{"cam-rotate-30", "chelsea", nil, 2},
		{"cam-paste-25", "astronaut", map[string]any{"limit": 3}, 1},
		{"camera", "coins", nil, 4},
		{"cam-tilt-20", "rocket", nil, 0},                                       // inactive
		{"cam-tilt-20", "coffee", map[string]any{"filter": "int_attr != 3"}, 0}, // filtered out
		{"cam-tilt-20", "coffee", map[string]any{"filter": "int_attr >= 3"}, 3}, // filtered in
		{"cam-paste-50", "brick", nil, 0},                                       // not a member
	} {
		t.Run(tc.recipe+"/"+tc.photo, func(t *testing.T) {
			pic := shotOf(t, tc.recipe, tc.photo)
			got := searchFeatures(t, mod, pic, tc.opts)
			if tc.want == 0 {
				if len(got) != 0 {
					t.Fatalf("found %+v, want nothing", got)
				}
				return
			}
			if len(got) == 0 || got[0].seq != tc.want || !got[0].placed {
				t.Fatalf("found %+v, want seq %d first, placed", got, tc.want)
			}
			plane := feature.Plane(pic, feature.QueryOptions)
			q := feature.Extract(plane, feature.QueryOptions)
			ids := active
			if tc.opts["filter"] != nil {
				ids = []string{"3", "4"}
			}
			want, err := camera.Verify(context.Background(), q, plane.Rect.Dx(), plane.Rect.Dy(), ids, records, feature.DefaultVerifyOptions)
			if err != nil || len(want) == 0 {
				t.Fatalf("camera.Verify found %+v, %v", want, err)
			}
			for _, w := range want {
				i := slices.IndexFunc(got, func(l located) bool { return strconv.Itoa(l.seq) == w.ID })
				if i < 0 || !got[i].placed || got[i].corners != w.Verdict.Corners || got[i].score < w.Verdict.Score {
					t.Fatalf("camera.Verify found %s at %v (score %.3f); searchFeatures %+v", w.ID, w.Verdict.Corners, w.Verdict.Score, got)
				}
				if got[i].distance == -1 && got[i].score != w.Verdict.Score {
					t.Fatalf("seq %s found by the features alone scores %.3f, the verdict %.3f", w.ID, got[i].score, w.Verdict.Score)
				}
			}
		})
	}
}

// TestSearchFeaturesMerges checks the merge of the two tiers: a copy of a
// picture is found by its hashes and its features, once, with its
// corners; without a fingerprint, by the features alone, distance -1.
func TestSearchFeaturesMerges(t *testing.T) {
	mod := newModule().exports(newExporter())
	mustCall(t, mod, "apply", encode(t, featureGallery(t)))
	pic := nrgba(distort.JPEG(80)(testphoto.Image("chelsea")))
	got := searchFeatures(t, mod, pic, map[string]any{"limit": 5})
	if len(got) != 1 || got[0].seq != 2 || got[0].distance < 0 || !got[0].placed {
		t.Fatalf("a copy of chelsea: %+v, want seq 2 once, by both tiers, placed", got)
	}
	hashOnly, _ := search(mod, pic, map[string]any{"limit": 5})
	if len(hashOnly) != 1 || hashOnly[0].distance != got[0].distance || got[0].score < hashOnly[0].score {
		t.Fatalf("search found %+v; searchFeatures %+v", hashOnly, got)
	}
	q := mustCall(t, mod, "features", typedArray("Uint8Array", pic.Pix), pic.Rect.Dx(), pic.Rect.Dy())
	v := mustCall(t, mod, "searchFeatures", q.Get("features"), js.Null())
	if v.Length() != 1 || v.Index(0).Get("seq").Int() != 2 || v.Index(0).Get("distance").Int() != -1 || v.Index(0).Get("corners").Length() != 4 {
		t.Fatalf("without a fingerprint: %d matches, the first %v", v.Length(), js.Global().Get("JSON").Call("stringify", v))
	}
	if n := v.Get("verified").Int(); n != len(photos)-1 {
		t.Errorf("%d records verified, want the %d active targets'", n, len(photos)-1)
	}
}

// TestSearchFeaturesKeepsRecords checks that the records survive the
// saved copy (exportState) and go with a snapshot that carries none.
func TestSearchFeaturesKeepsRecords(t *testing.T) {
	mod := newModule().exports(newExporter())
	mustCall(t, mod, "apply", encode(t, featureGallery(t)))
	saved := mustCall(t, mod, "exportState")
	mustCall(t, mod, "reset")
	if got := mustCall(t, mod, "apply", saved).Get("records").Int(); got != len(photos) {
		t.Fatalf("restored %d records, want %d", got, len(photos))
	}
	pic := shotOf(t, "cam-tilt-35", "coffee")
	if got := searchFeatures(t, mod, pic, nil); len(got) == 0 || got[0].seq != 3 || !got[0].placed {
		t.Fatalf("the restored copy found %+v, want coffee placed", got)
	}
	mustCall(t, mod, "apply", encode(t, gallery(t)))
	if got := mustCall(t, mod, "info").Get("records").Int(); got != 0 {
		t.Fatalf("after a snapshot without records: %d held", got)
	}
	if got := searchFeatures(t, mod, pic, nil); slices.ContainsFunc(got, func(l located) bool { return l.placed }) {
		t.Fatalf("without records, searchFeatures placed %+v", got)
	}
}

// TestSearchFeaturesErrors checks the coded errors of searchFeatures.
func TestSearchFeaturesErrors(t *testing.T) {
	pic := nrgba(testphoto.Image("coins"))
	p := feature.Plane(pic, feature.QueryOptions)
	good, err := feature.Record{Width: p.Rect.Dx(), Height: p.Rect.Dy(), Features: feature.Extract(p, feature.QueryOptions)}.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	future := slices.Clone(good)
	future[0]++
	many, _ := feature.Record{Width: 8, Height: 8, Features: make([]feature.Feature, feature.QueryOptions.Max+1)}.MarshalBinary()
	print := typedArray("Uint8Array", []byte{1, 2, 3})
	fp, _ := fingerprint.Query(pic)
	fpBytes, _ := fp.MarshalBinary()
	checkErrors(t, []errorCase{
		{"no features", "searchFeatures", nil, codeArgument, "features"},
		{"garbage features", "searchFeatures", []any{typedArray("Uint8Array", good[:len(good)-1])}, codeFormat, "malformed"},
		{"features of another version", "searchFeatures", []any{typedArray("Uint8Array", future)}, codeVersion, "version"},
		{"more features than a query", "searchFeatures", []any{typedArray("Uint8Array", many)}, codeArgument, "at most"},
		{"garbage fingerprint", "searchFeatures", []any{typedArray("Uint8Array", good), print}, codeFormat, "fingerprint"},
		{"bad options", "searchFeatures", []any{typedArray("Uint8Array", good), typedArray("Uint8Array", fpBytes), map[string]any{"limit": 0}}, codeArgument, "limit"},
	})
}

// BenchmarkSearchFeatures measures searchFeatures on a camera frame
// against the five records of the test gallery, against searchFingerprint
// of the same frame, the hash search alone.
func BenchmarkSearchFeatures(b *testing.B) {
	mod := newModule().exports(newExporter())
	mustCall(b, mod, "apply", encode(b, featureGallery(b)))
	pic := shotOf(b, "cam-tilt-35", "coffee")
	q := mustCall(b, mod, "features", typedArray("Uint8Array", pic.Pix), pic.Rect.Dx(), pic.Rect.Dy())
	b.Run("searchFingerprint", func(b *testing.B) {
		for b.Loop() {
			mod.Call("searchFingerprint", q.Get("fingerprint"))
		}
	})
	b.Run("searchFeatures", func(b *testing.B) {
		for b.Loop() {
			mod.Call("searchFeatures", q.Get("features"), q.Get("fingerprint"))
		}
	})
}

// TestApplyRefusesFormatTwo checks that a copy saved before feature
// records (syncwire format 2) is refused with a message that says so:
// the worker then forgets it and syncs afresh.
func TestApplyRefusesFormatTwo(t *testing.T) {
	// A snapshot at version 1 of no targets, in format 2: no feature
	// version in its header.
	formatTwo := []byte{'P', 'X', 'S', 'Y', 2, byte(syncwire.Snapshot), fingerprint.Version, byte(fingerprint.Windows), 2, 0, 1, 0}
	checkErrors(t, []errorCase{
		{"format 2", "apply", []any{typedArray("Uint8Array", formatTwo)}, codeFormat, "format version 2, which is no longer read"},
	})
}

// TestSearchFeaturesConfirms checks that the module, as the server does,
// refutes a hash match on part of a target whose held record the query's
// features do not verify: the centre of a picture with the target's
// shading but another texture, which the hash search alone matches. The
// centre of the target itself is still found.
func TestSearchFeaturesConfirms(t *testing.T) {
	smooth := distort.Blur(12)(testphoto.Image("grass"))
	target := nrgba(distort.Noise(25, 2)(smooth))
	fp, err := fingerprint.Target(target)
	if err != nil {
		t.Fatal(err)
	}
	p := feature.Plane(target, feature.TargetOptions)
	fs := feature.Extract(p, feature.TargetOptions)
	b := syncwire.Batch{Kind: syncwire.Snapshot, Fingerprint: fingerprint.Version, Tables: int(fingerprint.Windows), Checks: match.Browser.Checks, To: 1,
		FeatureVersion: int(feature.Version), Records: []syncwire.Record{{Seq: 1, Active: true, Codes: match.Browser.Codes(fp), Name: "t",
			Features: &feature.Record{Width: p.Rect.Dx(), Height: p.Rect.Dy(), Features: fs[:min(len(fs), 300)]}}}}
	mod := newModule().exports(newExporter())
	mustCall(t, mod, "apply", encode(t, b))
	for _, c := range []struct {
		name  string
		pic   *image.NRGBA
		found bool
	}{
		{"another texture", nrgba(distort.Crop(0.1)(distort.Noise(25, 1)(smooth))), false},
		{"the target", nrgba(distort.Crop(0.1)(target)), true},
	} {
		hashOnly, _ := search(mod, c.pic, nil)
		if len(hashOnly) != 1 || hashOnly[0].distance > fingerprint.Threshold {
			t.Fatalf("%s: the hash search finds %+v, want the target", c.name, hashOnly)
		}
		got := searchFeatures(t, mod, c.pic, nil)
		if found := len(got) == 1 && got[0].seq == 1 && got[0].score >= 0.5; found != c.found {
			t.Errorf("%s: searchFeatures %+v, want found %v", c.name, got, c.found)
		}
	}
}
