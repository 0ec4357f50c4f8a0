//go:build js && wasm

package main

import (
	"image"
	"image/draw"
	"math/rand/v2"
	"slices"
	"strings"
	"syscall/js"
	"testing"

	"github.com/pixmatch/pixmatch/shared/distort"
	"github.com/pixmatch/pixmatch/shared/fingerprint"
	"github.com/pixmatch/pixmatch/shared/index"
	"github.com/pixmatch/pixmatch/shared/match"
	"github.com/pixmatch/pixmatch/shared/syncwire"
	"github.com/pixmatch/pixmatch/shared/testphoto"
)

// photos are the test photographs the gallery tests use, by Seq - 1.
var photos = []string{"astronaut", "chelsea", "coffee", "coins", "rocket"}

// nrgba returns img as an NRGBA picture with its origin at 0,0.
func nrgba(img image.Image) *image.NRGBA {
	b := img.Bounds()
	out := image.NewNRGBA(image.Rect(0, 0, b.Dx(), b.Dy()))
	draw.Draw(out, out.Rect, img, b.Min, draw.Src)
	return out
}

// typedArray copies pix into a new JavaScript typed array of the named kind.
func typedArray(kind string, pix []byte) js.Value {
	a := js.Global().Get("Uint8Array").New(len(pix))
	js.CopyBytesToJS(a, pix)
	switch kind {
	case "Uint8ClampedArray":
		return js.Global().Get("Uint8ClampedArray").New(a.Get("buffer"))
	case "ArrayBuffer":
		return a.Get("buffer")
	}
	return a
}

// call calls the module's function name and returns its result, or the
// Error it threw (or, from a module that cannot throw, returned).
func call(mod js.Value, name string, args ...any) (result, thrown js.Value) {
	defer func() {
		if r := recover(); r != nil {
			e, ok := r.(js.Error)
			if !ok {
				panic(r)
			}
			result, thrown = js.Undefined(), e.Value
		}
	}()
	v := mod.Call(name, args...)
	if v.InstanceOf(js.Global().Get("Error")) {
		return js.Undefined(), v
	}
	return v, js.Undefined()
}

// mustCall is call for calls that must succeed.
func mustCall(t testing.TB, mod js.Value, name string, args ...any) js.Value {
	t.Helper()
	v, thrown := call(mod, name, args...)
	if !thrown.IsUndefined() {
		t.Fatalf("%s: threw %s", name, thrown.Get("message").String())
	}
	return v
}

// codesOf reads the codes of a fingerprint result.
func codesOf(t *testing.T, v js.Value) []string {
	t.Helper()
	if got := v.Get("version").Int(); got != fingerprint.Version {
		t.Fatalf("version %d, want %d", got, fingerprint.Version)
	}
	codes := make([]string, v.Get("codes").Length())
	for i := range codes {
		codes[i] = v.Get("codes").Index(i).String()
	}
	return codes
}

// texts returns the codes as text.
func texts(codes []fingerprint.Code) []string {
	out := make([]string, len(codes))
	for i, c := range codes {
		out[i] = c.String()
	}
	return out
}

func TestFingerprintMatchesServer(t *testing.T) {
	mod := newModule().exports(newExporter())
	for _, tc := range []struct {
		photo, kind, array string
		edit               func(image.Image) image.Image
	}{
		{"astronaut", "target", "Uint8Array", nil},
		{"astronaut", "query", "Uint8ClampedArray", nil},
		{"coins", "target", "ArrayBuffer", nil},
		{"coins", "query", "Uint8Array", distort.Border(0.1, image.White.C)},
		{"chelsea", "target", "Uint8ClampedArray", distort.Border(0.1, image.Black.C)},
		{"coffee", "query", "Uint8Array", distort.Rotate(1)},
	} {
		t.Run(tc.photo+"/"+tc.kind+"/"+tc.array, func(t *testing.T) {
			img := testphoto.Image(tc.photo)
			if tc.edit != nil {
				img = tc.edit(img)
			}
			pic := nrgba(img)
			want, err := fingerprint.Query(pic)
			if tc.kind == "target" {
				want, err = fingerprint.Target(pic)
			}
			if err != nil {
				t.Fatal(err)
			}
			v := mustCall(t, mod, "fingerprint", typedArray(tc.array, pic.Pix), pic.Rect.Dx(), pic.Rect.Dy(), tc.kind)
			if got := codesOf(t, v); !slices.Equal(got, texts(want.Codes)) {
				t.Errorf("codes %v, server computes %v", got, texts(want.Codes))
			}
		})
	}
}

// gallery returns a snapshot at version 10 of the photos, named after
// them, with int_attr = Seq; the last one is inactive.
func gallery(t testing.TB) syncwire.Batch {
	t.Helper()
	b := syncwire.Batch{Kind: syncwire.Snapshot, Fingerprint: fingerprint.Version, Tables: int(fingerprint.Windows), Checks: match.Browser.Checks, To: 10}
	for i, name := range photos {
		fp, err := fingerprint.Target(nrgba(testphoto.Image(name)))
		if err != nil {
			t.Fatal(err)
		}
		b.Records = append(b.Records, syncwire.Record{
			Seq:    uint64(i + 1),
			Active: i < len(photos)-1,
			Codes:  match.Browser.Codes(fp),
			Attrs:  index.Attributes{Int: [4]int32{int32(i + 1)}},
			Name:   name,
		})
	}
	return b
}

func encode(t testing.TB, b syncwire.Batch) js.Value {
	t.Helper()
	data, err := syncwire.Encode(b)
	if err != nil {
		t.Fatal(err)
	}
	return typedArray("Uint8Array", data)
}

// result is one search result.
type result struct {
	seq      int
	name     string
	distance int
	score    float64
}

// search runs search on mod with a picture and options, returning the
// matches or the error thrown.
func search(mod js.Value, img image.Image, opts map[string]any) ([]result, js.Value) {
	pic := nrgba(img)
	v, thrown := call(mod, "search", typedArray("Uint8Array", pic.Pix), pic.Rect.Dx(), pic.Rect.Dy(), opts)
	if !thrown.IsUndefined() {
		return nil, thrown
	}
	ms := make([]result, v.Length())
	for i := range ms {
		m := v.Index(i)
		ms[i] = result{m.Get("seq").Int(), m.Get("name").String(), m.Get("distance").Int(), m.Get("score").Float()}
	}
	return ms, thrown
}

func info(t *testing.T, mod js.Value) (version, count int) {
	t.Helper()
	v := mustCall(t, mod, "info")
	if fv := v.Get("fingerprintVersion").Int(); fv != fingerprint.Version {
		t.Errorf("fingerprintVersion %d, want %d", fv, fingerprint.Version)
	}
	return v.Get("version").Int(), v.Get("count").Int()
}

// distanceTo returns the distance the server computes between a query of
// img and the target of the named photo.
func distanceTo(t *testing.T, img image.Image, photo string) int {
	t.Helper()
	q, err := fingerprint.Query(nrgba(img))
	if err != nil {
		t.Fatal(err)
	}
	target, err := fingerprint.Target(nrgba(testphoto.Image(photo)))
	if err != nil {
		t.Fatal(err)
	}
	return match.Distance(q, target)
}

func TestApplyAndSearch(t *testing.T) {
	mod := newModule().exports(newExporter())
	got := mustCall(t, mod, "apply", encode(t, gallery(t)))
	if v, c := got.Get("version").Int(), got.Get("count").Int(); v != 10 || c != len(photos) {
		t.Fatalf("apply: version %d, count %d; want 10, %d", v, c, len(photos))
	}
	// A brightened, recompressed, mirrored photo of coffee, the third
	// target, at distance d from it.
	coffee := distort.Mirror(distort.JPEG(60)(distort.Brightness(1.4)(testphoto.Image("coffee"))))
	d := distanceTo(t, coffee, "coffee")
	if d == 0 || d > fingerprint.Threshold {
		t.Fatalf("the edited photo is at distance %d: pick an edit that changes its codes but keeps it a match", d)
	}
	for _, tc := range []struct {
		name    string
		img     image.Image
		opts    map[string]any
		wantSeq []int
	}{
		{"edited photo", coffee, nil, []int{3}},
		{"filter keeps it", coffee, map[string]any{"filter": "int_attr >= 2 AND int_attr <= 3"}, []int{3}},
		{"filter drops it", coffee, map[string]any{"filter": "int_attr != 3"}, nil},
		{"threshold just enough", coffee, map[string]any{"threshold": d, "limit": 3}, []int{3}},
		{"threshold too tight", coffee, map[string]any{"threshold": d - 1, "limit": 3}, nil},
		{"inactive never matches", testphoto.Image("rocket"), nil, nil},
		{"unknown photo", testphoto.Image("brick"), nil, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ms, thrown := search(mod, tc.img, tc.opts)
			if !thrown.IsUndefined() {
				t.Fatalf("threw %s", thrown.Get("message").String())
			}
			var seqs []int
			for _, m := range ms {
				seqs = append(seqs, m.seq)
				if m.name != photos[m.seq-1] || m.score != fingerprint.Score(m.distance) || m.distance > fingerprint.Threshold {
					t.Errorf("match %+v: wrong name, score or distance", m)
				}
			}
			if !slices.Equal(seqs, tc.wantSeq) {
				t.Errorf("found %v, want %v (%+v)", seqs, tc.wantSeq, ms)
			}
		})
	}

	// A delta deletes coffee and activates rocket.
	rocket := gallery(t).Records[4]
	rocket.Active = true
	delta := syncwire.Batch{Kind: syncwire.Delta, Fingerprint: fingerprint.Version, Tables: int(fingerprint.Windows), Checks: match.Browser.Checks, From: 10, To: 12,
		Records: []syncwire.Record{{Seq: 3, Deleted: true}, rocket}}
	mustCall(t, mod, "apply", encode(t, delta))
	if v, c := info(t, mod); v != 12 || c != len(photos)-1 {
		t.Fatalf("after the delta: version %d, count %d", v, c)
	}
	if ms, _ := search(mod, coffee, nil); len(ms) != 0 {
		t.Errorf("deleted target still found: %+v", ms)
	}
	if ms, _ := search(mod, testphoto.Image("rocket"), nil); len(ms) != 1 || ms[0].seq != 5 || ms[0].distance != 0 {
		t.Errorf("activated target: %+v, want seq 5 at distance 0", ms)
	}
}

func TestGapIsReported(t *testing.T) {
	mod := newModule().exports(newExporter())
	mustCall(t, mod, "apply", encode(t, gallery(t)))
	delta := syncwire.Batch{Kind: syncwire.Delta, Fingerprint: fingerprint.Version, Tables: int(fingerprint.Windows), Checks: match.Browser.Checks, From: 11, To: 12}
	_, thrown := call(mod, "apply", encode(t, delta))
	if thrown.IsUndefined() {
		t.Fatal("a delta from 11 applied to version 10")
	}
	if msg := thrown.Get("message").String(); !strings.HasPrefix(msg, "gap") || thrown.Get("code").String() != codeGap {
		t.Errorf("message %q, code %q; want a gap", msg, thrown.Get("code").String())
	}
	if v, c := info(t, mod); v != 10 || c != len(photos) {
		t.Errorf("after the gap: version %d, count %d; want it unchanged", v, c)
	}
}

func TestExportRestores(t *testing.T) {
	mod := newModule().exports(newExporter())
	mustCall(t, mod, "apply", encode(t, gallery(t)))
	saved := mustCall(t, mod, "exportState")
	if !saved.InstanceOf(js.Global().Get("Uint8Array")) {
		t.Fatalf("exportState returned %s, not a Uint8Array", saved.Type())
	}
	data := toBytes(saved)
	b, err := syncwire.Decode(data)
	if err != nil {
		t.Fatal(err)
	}
	if want := gallery(t); b.To != want.To || len(b.Records) != len(want.Records) || b.Records[2].Name != "coffee" {
		t.Errorf("exported batch: to %d, %d records", b.To, len(b.Records))
	}

	mustCall(t, mod, "reset")
	if v, c := info(t, mod); v != 0 || c != 0 {
		t.Fatalf("after reset: version %d, count %d", v, c)
	}
	if ms, _ := search(mod, testphoto.Image("coffee"), nil); len(ms) != 0 {
		t.Errorf("reset gallery still finds %+v", ms)
	}
	mustCall(t, mod, "apply", saved)
	if v, c := info(t, mod); v != 10 || c != len(photos) {
		t.Fatalf("restored: version %d, count %d", v, c)
	}
	if ms, _ := search(mod, testphoto.Image("coffee"), nil); len(ms) != 1 || ms[0].name != "coffee" {
		t.Errorf("restored gallery finds %+v", ms)
	}
	// An empty gallery exports a snapshot that restores to empty.
	empty := mustCall(t, newModule().exports(newExporter()), "exportState")
	mustCall(t, mod, "apply", empty)
	if v, c := info(t, mod); v != 0 || c != 0 {
		t.Errorf("after the empty snapshot: version %d, count %d", v, c)
	}
}

func TestErrors(t *testing.T) {
	pic := nrgba(testphoto.Image("coins"))
	pix := typedArray("Uint8Array", pic.Pix)
	w, h := pic.Rect.Dx(), pic.Rect.Dy()
	blank := typedArray("Uint8Array", make([]byte, 4*64*64))
	other := gallery(t)
	other.Fingerprint = fingerprint.Version + 1
	checkErrors(t, []errorCase{
		{"short pixels", "fingerprint", []any{pix, w + 1, h, "query"}, codeArgument, "bytes"},
		{"fractional width", "fingerprint", []any{pix, 1.5, h}, codeArgument, "width"},
		{"huge picture", "fingerprint", []any{pix, 1 << 20, 1 << 20}, codeArgument, "pixels"},
		{"not an array", "fingerprint", []any{"pixels", w, h}, codeArgument, "rgba"},
		{"unknown kind", "fingerprint", []any{pix, w, h, "thumbnail"}, codeArgument, "kind"},
		{"blank picture", "search", []any{blank, 64, 64}, codeContent, "no content"},
		{"bad filter", "search", []any{pix, w, h, map[string]any{"filter": "int_attr >"}}, codeFilter, "filter"},
		{"filter of a number", "search", []any{pix, w, h, map[string]any{"filter": 3}}, codeArgument, "filter"},
		{"limit zero", "search", []any{pix, w, h, map[string]any{"limit": 0}}, codeArgument, "limit"},
		{"wrong option type", "search", []any{pix, w, h, map[string]any{"threshold": "10"}}, codeArgument, "threshold"},
		{"garbage batch", "apply", []any{typedArray("Uint8Array", []byte("PXSY garbage"))}, codeFormat, "malformed"},
		{"no batch", "apply", nil, codeArgument, "batch"},
		{"other fingerprint version", "apply", []any{encode(t, other)}, codeVersion, "fingerprint version"},
	})
}

// errorCase is a call that must fail with an Error of a code whose
// message contains a text.
type errorCase struct {
	name     string
	fn       string
	args     []any
	code     string
	contains string
}

// checkErrors makes each call on a new module, throwing and not, and
// checks the Error it gives.
func checkErrors(t *testing.T, cases []errorCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			for _, x := range []*exporter{newExporter(), {throwing: js.Undefined()}} {
				mod := newModule().exports(x)
				_, thrown := call(mod, tc.fn, tc.args...)
				if thrown.IsUndefined() {
					t.Fatal("no error")
				}
				msg, code := thrown.Get("message").String(), thrown.Get("code").String()
				if code != tc.code || !strings.Contains(msg, tc.contains) {
					t.Errorf("error %q, code %q; want code %q and %q in the message", msg, code, tc.code, tc.contains)
				}
			}
		})
	}
}

func TestPublish(t *testing.T) {
	js.Global().Delete(globalName)
	publish()
	mod := js.Global().Get(globalName)
	for _, name := range []string{"fingerprint", "search", "features", "searchFingerprint", "searchFeatures", "apply", "exportState", "reset", "info"} {
		if mod.Get(name).Type() != js.TypeFunction {
			t.Errorf("globalThis.%s.%s is %s, not a function", globalName, name, mod.Get(name).Type())
		}
	}
	if v, c := info(t, mod); v != 0 || c != 0 {
		t.Errorf("a new module holds version %d, %d targets", v, c)
	}
}

func TestThrows(t *testing.T) {
	if newExporter().throwing.Type() != js.TypeFunction {
		t.Fatal("Node allows Function: the exported functions should throw")
	}
	mod := newModule().exports(newExporter())
	defer func() {
		if _, ok := recover().(js.Error); !ok {
			t.Error("apply of nothing did not throw")
		}
	}()
	mod.Call("apply")
}

// randomCodes returns made-up codes of the browser's profile for the
// target seq: a Whole and a Centre80 code with random words.
func randomCodes(seq uint64) []index.Code {
	rnd := rand.New(rand.NewPCG(seq, 1))
	codes := []index.Code{{Table: int(fingerprint.Whole)}, {Table: int(fingerprint.Centre80)}}
	for i := range codes {
		codes[i].Key = rnd.Uint64()
		for k := range match.Browser.Checks {
			codes[i].Checks[k] = rnd.Uint64()
		}
	}
	return codes
}

// BenchmarkSearch measures one exported search call on a 1024-pixel
// picture against a gallery of 10,000 targets: copying the pixels in,
// fingerprinting, searching and building the result.
func BenchmarkSearch(b *testing.B) {
	batch := gallery(b)
	for seq := uint64(100); len(batch.Records) < 10_000; seq++ {
		batch.Records = append(batch.Records, syncwire.Record{Seq: seq, Active: true, Codes: randomCodes(seq)})
	}
	batch.To = 100_000
	mod := newModule().exports(newExporter())
	mustCall(b, mod, "apply", encode(b, batch))
	pic := nrgba(distort.Scale(1024.0 / float64(testphoto.Image("coffee").Bounds().Dx()))(testphoto.Image("coffee")))
	pix := typedArray("Uint8ClampedArray", pic.Pix)
	b.ResetTimer()
	for b.Loop() {
		if v := mod.Call("search", pix, pic.Rect.Dx(), pic.Rect.Dy()); v.Length() != 1 {
			b.Fatalf("%d matches", v.Length())
		}
	}
}
