//go:build js && wasm

package openapi

// document is nil in the Workers edition: Cloudflare serves openapi.json
// beside the Worker as a static asset (server/worker/worker.mk), which
// keeps 12 KB of gzip out of a module held to 3 MB.
var document []byte
