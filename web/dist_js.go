//go:build js && wasm

package web

import "embed"

// dist is empty on a Cloudflare Worker: the module is one of its static
// assets (server/worker), not part of the Worker's own module.
var dist embed.FS
