//go:build !(js && wasm)

package web

import "embed"

//go:embed static
var static embed.FS
