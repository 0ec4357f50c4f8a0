//go:build js && wasm

package main

import (
	"bytes"
	"image"
	"image/color"
	"image/draw"
	"slices"
	"syscall/js"
	"testing"

	"github.com/pixmatch/pixmatch/shared/distort"
	"github.com/pixmatch/pixmatch/shared/feature"
	"github.com/pixmatch/pixmatch/shared/fingerprint"
	"github.com/pixmatch/pixmatch/shared/testphoto"
)

// serverQuery returns what the server makes of a picture's pixels for
// its feature tier and its hash tier: the encoded feature record of the
// picture (gallery's Picture: feature.Plane, then Extract with
// QueryOptions) and its encoded query fingerprint.
func serverQuery(t *testing.T, img *image.NRGBA) (record, print []byte, plane image.Rectangle) {
	t.Helper()
	p := feature.Plane(img, feature.QueryOptions)
	record, err := feature.Record{Width: p.Rect.Dx(), Height: p.Rect.Dy(), Features: feature.Extract(p, feature.QueryOptions)}.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	fp, err := fingerprint.Query(img)
	if err != nil {
		t.Fatal(err)
	}
	print, err = fp.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	return record, print, p.Rect
}

// cameraShot returns a 640×480 camera shot of a print of the photo, tilted
// 35° on another photo.
func cameraShot(photo string) image.Image {
	shoot, _ := distort.CameraCatalogue()[1].Locate(distort.Params{Seed: 5, Scene: testphoto.Image("grass")})
	frame, _ := shoot(testphoto.Image(photo))
	return frame
}

// TestFeaturesMatchServer checks that features gives, for a picture's
// pixels, the server's feature record and query fingerprint byte for
// byte: a camera frame, photos larger than the feature plane (reduced
// first) and one of odd size.
func TestFeaturesMatchServer(t *testing.T) {
	mod := newModule().exports(newExporter())
	for _, tc := range []struct {
		name  string
		img   image.Image
		array string
	}{
		{"camera shot", cameraShot("coffee"), "Uint8ClampedArray"},
		{"astronaut 1024", distort.Scale(1024.0 / 512)(testphoto.Image("astronaut")), "Uint8Array"},
		{"chelsea as is", testphoto.Image("chelsea"), "ArrayBuffer"},
		{"coins odd size", distort.Scale(0.77)(testphoto.Image("coins")), "Uint8Array"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			pic := nrgba(tc.img)
			record, print, plane := serverQuery(t, pic)
			v := mustCall(t, mod, "features", typedArray(tc.array, pic.Pix), pic.Rect.Dx(), pic.Rect.Dy())
			for _, part := range []struct {
				name string
				want []byte
			}{{"features", record}, {"fingerprint", print}} {
				got := v.Get(part.name)
				if !got.InstanceOf(js.Global().Get("Uint8Array")) {
					t.Fatalf("%s is %s, not a Uint8Array", part.name, got.Type())
				}
				if b := toBytes(got); !bytes.Equal(b, part.want) {
					t.Errorf("%s: %d bytes differ from the server's %d", part.name, len(b), len(part.want))
				}
			}
			var r feature.Record
			if err := r.UnmarshalBinary(record); err != nil {
				t.Fatal(err)
			}
			if w, h, n := v.Get("width").Int(), v.Get("height").Int(), v.Get("count").Int(); w != plane.Dx() || h != plane.Dy() || n != len(r.Features) {
				t.Errorf("plane %d×%d with %d features, want %v with %d", w, h, n, plane.Size(), len(r.Features))
			}
			if len(r.Features) < 100 {
				t.Errorf("only %d features: pick a picture with more texture", len(r.Features))
			}
			for _, step := range []string{"plane", "features", "fingerprint"} {
				if ms := v.Get("ms").Get(step); ms.Type() != js.TypeNumber || ms.Float() < 0 {
					t.Errorf("ms.%s is %v", step, ms)
				}
			}
		})
	}
}

// TestSearchFingerprint searches the held gallery with the fingerprint
// features made and expects search's answer for the same picture.
func TestSearchFingerprint(t *testing.T) {
	mod := newModule().exports(newExporter())
	mustCall(t, mod, "apply", encode(t, gallery(t)))
	for _, photo := range []string{"coffee", "chelsea", "brick"} {
		img := distort.JPEG(60)(testphoto.Image(photo))
		want, thrown := search(mod, img, map[string]any{"limit": 3})
		if !thrown.IsUndefined() {
			t.Fatal(thrown.Get("message").String())
		}
		pic := nrgba(img)
		q := mustCall(t, mod, "features", typedArray("Uint8Array", pic.Pix), pic.Rect.Dx(), pic.Rect.Dy())
		v := mustCall(t, mod, "searchFingerprint", q.Get("fingerprint"), map[string]any{"limit": 3})
		got := make([]result, v.Length())
		for i := range got {
			m := v.Index(i)
			got[i] = result{m.Get("seq").Int(), m.Get("name").String(), m.Get("distance").Int(), m.Get("score").Float()}
		}
		if !slices.Equal(got, want) {
			t.Errorf("%s: searchFingerprint found %+v, search %+v", photo, got, want)
		}
		if ms := v.Get("ms").Get("search"); ms.Type() != js.TypeNumber {
			t.Errorf("%s: ms.search is %v", photo, ms)
		}
	}
}

// TestFeaturesErrors checks the coded errors of both exports.
func TestFeaturesErrors(t *testing.T) {
	pic := nrgba(testphoto.Image("coins"))
	pix := typedArray("Uint8Array", pic.Pix)
	w, h := pic.Rect.Dx(), pic.Rect.Dy()
	grey := image.NewNRGBA(image.Rect(0, 0, 320, 240))
	draw.Draw(grey, grey.Rect, image.NewUniform(color.Gray{Y: 140}), image.Point{}, draw.Src)
	fp, err := fingerprint.Query(pic)
	if err != nil {
		t.Fatal(err)
	}
	good, _ := fp.MarshalBinary()
	future := slices.Clone(good)
	future[0]++
	tooMany := fingerprint.Fingerprint{Version: fingerprint.Version, Codes: make([]fingerprint.Code, fingerprint.MaxQueryCodes+1)}
	many, _ := tooMany.MarshalBinary()
	checkErrors(t, []errorCase{
		{"short pixels", "features", []any{pix, w, h + 1}, codeArgument, "bytes"},
		{"no height", "features", []any{pix, w}, codeArgument, "height"},
		{"not an array", "features", []any{[]any{1, 2}, w, h}, codeArgument, "rgba"},
		{"huge picture", "features", []any{pix, 1 << 20, 1 << 20}, codeArgument, "pixels"},
		{"blank picture", "features", []any{typedArray("Uint8Array", grey.Pix), 320, 240}, codeContent, "no content"},
		{"no fingerprint", "searchFingerprint", []any{js.Null()}, codeArgument, "fingerprint"},
		{"garbage fingerprint", "searchFingerprint", []any{typedArray("Uint8Array", []byte{1, 2, 3})}, codeFormat, "fingerprint"},
		{"truncated fingerprint", "searchFingerprint", []any{typedArray("Uint8Array", good[:len(good)-1])}, codeFormat, "bytes"},
		{"other version", "searchFingerprint", []any{typedArray("Uint8Array", future)}, codeVersion, "version"},
		{"more codes than a query", "searchFingerprint", []any{typedArray("Uint8Array", many)}, codeArgument, "at most"},
		{"bad options", "searchFingerprint", []any{typedArray("Uint8Array", good), map[string]any{"limit": -1}}, codeArgument, "limit"},
	})
}

// BenchmarkFeatures measures one features call on a 640×480 camera
// frame, against the query fingerprint of the same frame as a baseline
// (fingerprint, the export the camera used before).
func BenchmarkFeatures(b *testing.B) {
	pic := nrgba(cameraShot("coffee"))
	pix := typedArray("Uint8ClampedArray", pic.Pix)
	mod := newModule().exports(newExporter())
	for _, fn := range []string{"fingerprint", "features"} {
		b.Run(fn, func(b *testing.B) {
			for b.Loop() {
				mod.Call(fn, pix, pic.Rect.Dx(), pic.Rect.Dy())
			}
		})
	}
}
