package web

import "net/http"

// ContentSecurityPolicy is the policy of every answer of the web app. It
// allows what the app does and nothing else:
//   - scripts: the app's ES modules from /app/, the Web Worker
//     pixmatch-worker.js and the wasm_exec.js it imports, all from this
//     origin ('self'), and compiling the WebAssembly module
//     ('wasm-unsafe-eval'); no inline script, no eval;
//   - workers: the recognition worker and the service worker, from here;
//   - connections: the server that serves the app, only. The app talks to
//     the origin it is loaded from (its CRS, sync and token calls go to
//     location.origin; Settings has no server address), so a page
//     injected with another address could not send the keys elsewhere;
//   - images: the app's icon, and the blob: URLs it makes for the picture
//     being recognised and the thumbnails; no data: images;
//   - styles: /app/style.css; no inline style (scripts set CSSOM
//     properties, which the policy does not govern);
//   - the camera: getUserMedia streams play through srcObject, which no
//     fetch directive governs;
//   - nothing may frame the app, and its forms never submit anywhere.
const ContentSecurityPolicy = "default-src 'none'; " +
	"script-src 'self' 'wasm-unsafe-eval'; worker-src 'self'; connect-src 'self'; " +
	"img-src 'self' blob:; style-src 'self'; manifest-src 'self'; " +
	"base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

// secure sets the security headers every answer of the web app carries.
func secure(h http.Header) {
	h.Set("Content-Security-Policy", ContentSecurityPolicy)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Referrer-Policy", "no-referrer")
}
