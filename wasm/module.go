//go:build js && wasm

package main

import (
	"context"
	"errors"
	"image"
	"strconv"
	"syscall/js"
	"time"

	"github.com/pixmatch/pixmatch/shared/filter"
	"github.com/pixmatch/pixmatch/shared/fingerprint"
	"github.com/pixmatch/pixmatch/shared/match"
	"github.com/pixmatch/pixmatch/shared/syncwire"
)

// Limits on the arguments of the exported functions.
const (
	// maxPixels is the most pixels of a picture handed in: 32 megapixels,
	// 128 MB of RGBA. The browser scales pictures down long before.
	maxPixels = 1 << 25
	// keepPixels is the largest pixel buffer kept between calls, 4 MB:
	// a 1024×1024 picture.
	keepPixels = 4 << 20
	// defaultLimit is the number of matches a search returns unless told.
	defaultLimit = 5
	// maxLimit is the most matches a search may ask for.
	maxLimit = 1000
)

// module is the state behind the exported functions: the synced gallery
// and a reusable pixel buffer. JavaScript calls its functions one at a
// time, on the thread that runs the module.
type module struct {
	state *syncwire.State
	pix   []byte
}

// newModule returns a module holding an empty gallery.
func newModule() *module {
	return &module{state: syncwire.NewState(int(fingerprint.Windows))}
}

// exports returns the object of functions published as pixmatchModule,
// made by x.
func (m *module) exports(x *exporter) js.Value {
	obj := js.Global().Get("Object").New()
	for _, f := range []struct {
		name string
		h    handler
	}{
		{"fingerprint", m.fingerprint},
		{"search", m.search},
		{"features", m.features},
		{"searchFingerprint", m.searchFingerprint},
		{"searchFeatures", m.searchFeatures},
		{"apply", m.apply},
		{"exportState", m.exportState},
		{"reset", m.reset},
		{"info", m.info},
	} {
		obj.Set(f.name, x.export(f.h))
	}
	return obj
}

// fingerprint is fingerprint(rgba, width, height, kind).
func (m *module) fingerprint(args []js.Value) (any, error) {
	img, err := m.picture(args)
	if err != nil {
		return nil, err
	}
	var fp fingerprint.Fingerprint
	switch kind := arg(args, 3); {
	case !isDefined(kind) || kind.Type() == js.TypeString && kind.String() == "query":
		fp, err = fingerprint.Query(img)
	case kind.Type() == js.TypeString && kind.String() == "target":
		fp, err = fingerprint.Target(img)
	default:
		return nil, argError(`kind must be "target" or "query"`)
	}
	if err != nil {
		return nil, pictureError(err)
	}
	codes := make([]any, len(fp.Codes))
	for i, c := range fp.Codes {
		codes[i] = c.String()
	}
	return map[string]any{"version": fp.Version, "codes": codes}, nil
}

// searchOptions are the options of search, checked.
type searchOptions struct {
	limit, threshold int
	filter           *filter.Expr
}

// parseSearchOptions reads {limit, threshold, filter}; opts may be absent.
func parseSearchOptions(opts js.Value) (searchOptions, error) {
	var o searchOptions
	if isDefined(opts) && opts.Type() != js.TypeObject {
		return o, argError("search options must be an object")
	}
	var err error
	if o.limit, err = optionalInt(opts, "limit", defaultLimit, 1, maxLimit); err != nil {
		return o, err
	}
	if o.threshold, err = optionalInt(opts, "threshold", fingerprint.Threshold, 1, fingerprint.Bits); err != nil {
		return o, err
	}
	if !isDefined(opts) {
		return o, nil
	}
	switch f := opts.Get("filter"); {
	case !isDefined(f) || f.Type() == js.TypeString && f.String() == "":
	case f.Type() != js.TypeString:
		return o, argError("filter must be a string")
	default:
		if o.filter, err = filter.Parse(f.String()); err != nil {
			return o, &callError{code: codeFilter, msg: err.Error()}
		}
	}
	return o, nil
}

// search is search(rgba, width, height, options): the held gallery's
// active targets nearest to the picture, best first. The returned array
// also carries ms: {fingerprint, search}, the milliseconds each step took.
func (m *module) search(args []js.Value) (any, error) {
	img, err := m.picture(args)
	if err != nil {
		return nil, err
	}
	opts, err := parseSearchOptions(arg(args, 3))
	if err != nil {
		return nil, err
	}
	start := time.Now()
	fp, err := fingerprint.Query(img)
	if err != nil {
		return nil, pictureError(err)
	}
	hashed := time.Now()
	matches, err := m.find(fp, opts)
	if err != nil {
		return nil, err
	}
	result := js.ValueOf(matches)
	result.Set("ms", map[string]any{
		"fingerprint": millis(hashed.Sub(start)),
		"search":      millis(time.Since(hashed)),
	})
	return result, nil
}

// find searches the held gallery's active targets with a query
// fingerprint: [{seq, name, distance, score}], best first.
func (m *module) find(fp fingerprint.Fingerprint, opts searchOptions) ([]any, error) {
	hits, err := m.hashHits(fp, opts)
	if err != nil {
		return nil, err
	}
	matches := make([]any, len(hits))
	for i, h := range hits {
		if matches[i], err = m.describe(localMatch{id: h.ID, distance: h.Distance, score: h.Score}); err != nil {
			return nil, err
		}
	}
	return matches, nil
}

// hashHits searches the held gallery's active targets with a query
// fingerprint, best first.
func (m *module) hashHits(fp fingerprint.Fingerprint, opts searchOptions) ([]match.Hit, error) {
	// The synced codes carry only their first few checks (match.Browser):
	// the others are left out of the distance.
	profile := match.Profile{Windows: match.Full.Windows, Checks: m.state.Checks()}
	o := match.Options{Limit: opts.limit, Threshold: opts.threshold, Profile: profile}
	if opts.filter != nil {
		o.Filter = opts.filter
	}
	return match.Search(context.Background(), m.state.Index(), fp, o)
}

// describe returns a match as JavaScript sees it: {seq, name, distance,
// score}, and corners [{x, y} ×4] when the feature tier located it.
func (m *module) describe(lm localMatch) (map[string]any, error) {
	seq, err := strconv.ParseUint(lm.id, 10, 64)
	if err != nil {
		return nil, errors.New("index entry " + lm.id + " is not a seq")
	}
	v := map[string]any{
		"seq":      seq,
		"name":     m.state.Name(seq),
		"distance": lm.distance,
		"score":    lm.score,
	}
	if lm.corners != nil {
		corners := make([]any, len(lm.corners))
		for i, c := range lm.corners {
			corners[i] = map[string]any{"x": c.X, "y": c.Y}
		}
		v["corners"] = corners
	}
	return v, nil
}

// millis returns d in milliseconds.
func millis(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// apply is apply(bytes): reads a syncwire batch and applies it to the held
// gallery.
func (m *module) apply(args []js.Value) (any, error) {
	src, err := byteArray(arg(args, 0), "batch")
	if err != nil {
		return nil, err
	}
	b, err := syncwire.Decode(toBytes(src))
	if err != nil {
		return nil, &callError{code: codeFormat, msg: err.Error()}
	}
	if b.Fingerprint != fingerprint.Version || b.Tables != int(fingerprint.Windows) {
		return nil, &callError{code: codeVersion, msg: "batch has fingerprint version " +
			strconv.Itoa(b.Fingerprint) + " with " + strconv.Itoa(b.Tables) + " windows; this module computes version " +
			strconv.Itoa(fingerprint.Version) + " with " + strconv.Itoa(int(fingerprint.Windows)) + " windows"}
	}
	if err := m.state.Apply(b); err != nil {
		return nil, applyError(err)
	}
	return m.info(nil)
}

// applyError classifies an error of State.Apply. A gap's message starts
// with "gap" so that callers can tell it from the rest by the text alone.
func applyError(err error) error {
	switch {
	case errors.Is(err, syncwire.ErrGap):
		return &callError{code: codeGap, msg: "gap: " + err.Error()}
	case errors.Is(err, syncwire.ErrMismatch):
		return &callError{code: codeVersion, msg: err.Error()}
	case errors.Is(err, syncwire.ErrFormat):
		return &callError{code: codeFormat, msg: err.Error()}
	}
	return err
}

// exportState is exportState(): the held gallery encoded as a snapshot,
// which apply restores.
func (m *module) exportState(args []js.Value) (any, error) {
	b := m.state.Snapshot()
	// An empty State has no fingerprint version yet; what it holds is
	// of this module's version either way.
	b.Fingerprint = fingerprint.Version
	data, err := syncwire.Encode(b)
	if err != nil {
		return nil, err
	}
	return toUint8Array(data), nil
}

// reset is reset(): forgets the held gallery.
func (m *module) reset(args []js.Value) (any, error) {
	m.state = syncwire.NewState(int(fingerprint.Windows))
	return nil, nil
}

// info is info(): {version, count, records, fingerprintVersion}.
func (m *module) info(args []js.Value) (any, error) {
	return map[string]any{
		"version":            m.state.Version(),
		"count":              m.state.Len(),
		"records":            m.state.RecordLen(),
		"fingerprintVersion": fingerprint.Version,
	}, nil
}

// picture reads (rgba, width, height) from args as an NRGBA image whose
// pixels are a copy, made once, in a buffer reused between calls.
func (m *module) picture(args []js.Value) (*image.NRGBA, error) {
	src, err := byteArray(arg(args, 0), "rgba")
	if err != nil {
		return nil, err
	}
	w, err := intArg(arg(args, 1), "width", 1, maxPixels)
	if err != nil {
		return nil, err
	}
	h, err := intArg(arg(args, 2), "height", 1, maxPixels)
	if err != nil {
		return nil, err
	}
	if w*h > maxPixels {
		return nil, argError("a picture of " + strconv.Itoa(w) + "×" + strconv.Itoa(h) +
			" has more than " + strconv.Itoa(maxPixels) + " pixels")
	}
	n := 4 * w * h
	if src.Length() != n {
		return nil, argError("rgba has " + strconv.Itoa(src.Length()) + " bytes, a " +
			strconv.Itoa(w) + "×" + strconv.Itoa(h) + " picture has " + strconv.Itoa(n))
	}
	pix := m.pix
	if cap(pix) < n {
		pix = make([]byte, n)
		if n <= keepPixels {
			m.pix = pix
		}
	}
	pix = pix[:n]
	js.CopyBytesToGo(pix, src)
	return &image.NRGBA{Pix: pix, Stride: 4 * w, Rect: image.Rect(0, 0, w, h)}, nil
}

// pictureError classifies an error of fingerprinting.
func pictureError(err error) error {
	if errors.Is(err, fingerprint.ErrNoContent) {
		return &callError{code: codeContent, msg: err.Error()}
	}
	return err
}
