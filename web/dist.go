//go:build !(js && wasm)

package web

import "embed"

//go:embed dist
var dist embed.FS
