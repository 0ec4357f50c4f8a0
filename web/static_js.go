//go:build js && wasm

package web

import "embed"

// static is the page alone on a Cloudflare Worker: the page is served at
// /, which the Alibaba API shares, so the Worker serves it; the scripts,
// styles and service worker are static assets (server/worker), not part
// of the Worker's own module.
//
//go:embed static/index.html
var static embed.FS
