//go:build js && wasm

// Command wasm is pixmatch's browser module: the server's fingerprinting,
// index search and gallery sync, compiled to WebAssembly for a page or a
// Web Worker.
//
// Once started, it sets globalThis.pixmatchModule to an object of plain
// functions:
//
//	fingerprint(rgba, width, height, kind)  {version, codes}
//	search(rgba, width, height, {limit, threshold, filter})
//	                                        [{seq, name, distance, score}]
//	features(rgba, width, height)           {features, fingerprint, width,
//	                                         height, count, ms}
//	searchFingerprint(fingerprint, {limit, threshold, filter})
//	                                        [{seq, name, distance, score}]
//	searchFeatures(features, fingerprint, {limit, threshold, filter})
//	                                        [{seq, name, distance, score,
//	                                          corners}]
//	apply(bytes)                            {version, count, records,
//	                                         fingerprintVersion}
//	exportState()                           Uint8Array
//	reset()
//	info()                                  {version, count, records,
//	                                         fingerprintVersion}
//
// rgba holds width×height non-premultiplied RGBA pixels, the layout of a
// canvas's ImageData; kind is "target" or "query". The codes are those
// fingerprint.Target and fingerprint.Query compute on the server for an
// *image.NRGBA of the same pixels, each as fingerprint.Code.String writes
// it: window, turn, degrees, then hash and checks in hex ("centre80 t0 -3
// 8f3e… 01a2… 77c0… 5b19…").
//
// features makes what CRS POST /search/features takes in place of the
// picture: the feature record of its features (feature.Extract with
// feature.QueryOptions on feature.Plane, encoded by feature.Record) and
// its query fingerprint (fingerprint.Query, encoded by MarshalBinary),
// each a Uint8Array and byte for byte what the server makes of the same
// pixels, with the size of the feature plane (the pixels the server's
// corners are in), the number of features and the milliseconds of each
// step; a picture too plain to hash has a null fingerprint.
// searchFingerprint searches the held gallery with such a fingerprint as
// search does with the picture, so that one reading of a camera frame
// serves both the server and the local search. searchFeatures searches it
// with both, as the server searches a query (local.go): the hash search,
// and the query's features verified against the feature record of every
// held active target — a small gallery's server sends them — so that a
// print in a camera frame is found, and its corners given, offline.
//
// apply reads a syncwire batch and moves the
// held gallery forward; exportState encodes a snapshot of it, which apply
// restores. The held gallery has a part of each target's codes
// (match.Browser or match.Compact), and search leaves out of the distance
// the checks the batches did not carry; records is the number of targets
// whose feature records it holds.
//
// A failing call throws an Error carrying a message and a code: "gap" when
// a delta does not follow the held copy (its message starts with "gap"),
// "version" for codes of another fingerprint algorithm or features of
// another feature version, "content" for a picture with nothing to
// recognise, "filter" for a bad filter, "argument" for bad arguments,
// "format" for a malformed batch, fingerprint or feature record. Where the
// page forbids creating functions from strings (a Content-Security-Policy
// without 'unsafe-eval'), the functions return that Error instead of
// throwing it.
//
// The browser decodes pictures and fetches batches; the module imports no
// image decoder and no network or JSON code, which keeps it small.
package main

import "syscall/js"

// globalName is the property of globalThis the module is published as.
const globalName = "pixmatchModule"

func main() {
	publish()
	select {} // serve calls from JavaScript for as long as the page lives
}

// publish sets globalThis.pixmatchModule to a new module's functions.
func publish() {
	js.Global().Set(globalName, newModule().exports(newExporter()))
}
