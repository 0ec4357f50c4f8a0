//go:build js && wasm

package main

import (
	"encoding"
	"errors"
	"image"
	"strconv"
	"syscall/js"
	"time"

	"github.com/pixmatch/pixmatch/shared/feature"
	"github.com/pixmatch/pixmatch/shared/fingerprint"
	"github.com/pixmatch/pixmatch/shared/luma"
)

// query is what the browser sends the server in place of a picture
// (CRS POST /search/features): the picture's feature record and query
// fingerprint, made from one luminance plane of its pixels.
type query struct {
	plane    *image.Gray // the plane the features were found on
	features []feature.Feature
	record   []byte // feature.Record of plane and features, encoded
	print    []byte // fingerprint.Query, encoded; nil for a blank picture
	fp       fingerprint.Fingerprint
	ms       map[string]any // milliseconds each step took
}

// queryOf makes the query of img. The picture is turned into luminance
// once, at full size; the fingerprint's working plane and the features'
// plane are both reduced from it, which gives the planes the server makes
// from the picture itself (shared/luma reads a grey plane's own values
// where it would compute them from colour). A picture with neither
// features nor a fingerprint (a blank one) is a content error.
func queryOf(img *image.NRGBA) (*query, error) {
	start := time.Now()
	grey := luma.FromImage(img, 0)
	q := &query{plane: feature.Plane(grey, feature.QueryOptions)}
	planed := time.Now()
	q.features = feature.Extract(q.plane, feature.QueryOptions)
	record, err := feature.Record{Width: q.plane.Rect.Dx(), Height: q.plane.Rect.Dy(), Features: q.features}.MarshalBinary()
	if err != nil {
		return nil, err
	}
	q.record = record
	extracted := time.Now()
	q.fp, err = fingerprint.QueryOf(fingerprint.Plane(grey, luma.Identity))
	switch {
	case errors.Is(err, fingerprint.ErrNoContent) && len(q.features) > 0:
		// Corners but nothing the hashes can use: the features alone.
	case err != nil:
		return nil, pictureError(err)
	default:
		if q.print, err = q.fp.MarshalBinary(); err != nil {
			return nil, err
		}
	}
	q.ms = map[string]any{
		"plane":       millis(planed.Sub(start)),
		"features":    millis(extracted.Sub(planed)),
		"fingerprint": millis(time.Since(extracted)),
	}
	return q, nil
}

// features is features(rgba, width, height): the picture's query for
// the server, {features, fingerprint, width, height, count, ms}.
// features is the encoded feature.Record (feature.QueryOptions) and
// fingerprint the encoded fingerprint.Query, each a Uint8Array, or null
// for the fingerprint of a picture too plain to hash; width and height
// are the feature plane's, the pixels the server's corners are in; count
// is the number of features; ms {plane, features, fingerprint} the
// milliseconds of each step.
func (m *module) features(args []js.Value) (any, error) {
	img, err := m.picture(args)
	if err != nil {
		return nil, err
	}
	q, err := queryOf(img)
	if err != nil {
		return nil, err
	}
	print := js.Null()
	if q.print != nil {
		print = toUint8Array(q.print)
	}
	return map[string]any{
		"features":    toUint8Array(q.record),
		"fingerprint": print,
		"width":       q.plane.Rect.Dx(),
		"height":      q.plane.Rect.Dy(),
		"count":       len(q.features),
		"ms":          q.ms,
	}, nil
}

// searchFingerprint is searchFingerprint(fingerprint, options): search's
// answer for a query fingerprint that features made, so that a picture
// is read once for both the server and the held gallery.
func (m *module) searchFingerprint(args []js.Value) (any, error) {
	fp, err := queryFingerprint(arg(args, 0))
	if err != nil {
		return nil, err
	}
	opts, err := parseSearchOptions(arg(args, 1))
	if err != nil {
		return nil, err
	}
	start := time.Now()
	matches, err := m.find(fp, opts)
	if err != nil {
		return nil, err
	}
	result := js.ValueOf(matches)
	result.Set("ms", map[string]any{"search": millis(time.Since(start))})
	return result, nil
}

// queryFingerprint reads an encoded query fingerprint.
func queryFingerprint(v js.Value) (fingerprint.Fingerprint, error) {
	var fp fingerprint.Fingerprint
	if err := decodeArg(v, "fingerprint", &fp, fingerprint.ErrVersion); err != nil {
		return fp, err
	}
	if len(fp.Codes) > fingerprint.MaxQueryCodes {
		return fp, argError("a query fingerprint has at most " + strconv.Itoa(fingerprint.MaxQueryCodes) + " codes")
	}
	return fp, nil
}

// decodeArg decodes the bytes of the argument v, called name, into u: an
// error of code "version" when u refuses them with errVersion, "format"
// when it refuses them otherwise.
func decodeArg(v js.Value, name string, u encoding.BinaryUnmarshaler, errVersion error) error {
	src, err := byteArray(v, name)
	if err != nil {
		return err
	}
	switch err := u.UnmarshalBinary(toBytes(src)); {
	case errors.Is(err, errVersion):
		return &callError{code: codeVersion, msg: err.Error()}
	case err != nil:
		return &callError{code: codeFormat, msg: err.Error()}
	}
	return nil
}
